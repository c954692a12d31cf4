package dev.apr.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apr.format.TokenizerJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TokenizerFilesTest {
    static final Path QWEN = Path.of(System.getProperty("apr.testdata"), "qwen3-tokenizer");

    @Test void vocabJsonAndMergesTxtLookLikeTransformersWroteThem() {
        TokenizerJson tj = TokenizerJson.read(QWEN.resolve("tokenizer.json"));
        String vocab = new String(TokenizerFiles.vocabJson(tj), StandardCharsets.UTF_8);
        assertTrue(vocab.startsWith("{\n  \"!\": 0,\n  \"!!\": 2928,\n  \"!!!\": 12069,"), vocab.substring(0, 40));
        assertTrue(vocab.endsWith("\n}\n"));
        assertTrue(vocab.contains("\n  \"Ġ\": 220,\n"), "non-ASCII written as is (ensure_ascii=False)");
        String merges = new String(TokenizerFiles.mergesTxt(tj), StandardCharsets.UTF_8);
        assertTrue(merges.startsWith("#version: 0.2\nĠ Ġ\nĠĠ ĠĠ\ni n\n"), merges.substring(0, 30));
        assertEquals(151_387 + 1, merges.split("\n").length);
        assertTrue(TokenizerFiles.compareCodePoints("\uFFFF", "\uD83D\uDE00") < 0, "code point order, as Python sorts");
    }

    @Test void legacyFilesLoadBackToTheSameIds(@TempDir Path dir) throws Exception {
        TokenizerJson tj = TokenizerJson.read(QWEN.resolve("tokenizer.json"));
        Tokenizer fast = Tokenizer.load(QWEN);
        List<Path> written = TokenizerFiles.writeDerived(tj, fast, 32768, dir);
        assertEquals(3, written.size());
        JsonNode cfg = new ObjectMapper().readTree(dir.resolve("tokenizer_config.json").toFile());
        assertEquals("Qwen2Tokenizer", cfg.get("tokenizer_class").asText());
        assertEquals("<|im_end|>", cfg.get("eos_token").asText());
        assertEquals("<|endoftext|>", cfg.get("pad_token").asText());
        assertTrue(cfg.get("bos_token").isNull());
        assertEquals(32768, cfg.get("model_max_length").asLong());
        assertEquals(26, cfg.get("added_tokens_decoder").size());
        assertTrue(cfg.get("added_tokens_decoder").get("151644").get("special").asBoolean());
        assertEquals(fast.chatTemplate(), cfg.get("chat_template").asText(), "an upstream template is kept verbatim");

        // No tokenizer.json in dir: the legacy pair + config must give the same ids (Qwen2Tokenizer path).
        Tokenizer slow = Tokenizer.load(dir);
        for (String s : new String[]{"Hello world, I'm here", "<|im_start|>user\nhi<|im_end|>", "12345 中文 👩‍💻 cafe\u0301\n\n  x"})
            assertArrayEquals(fast.encode(s), slow.encode(s), s);
        assertEquals(151645, slow.eosId());
    }

    @Test void generatedChatMlTemplateWhenNoneUpstream(@TempDir Path dir) throws Exception {
        Files.copy(QWEN.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Tokenizer t = Tokenizer.load(dir); // no tokenizer_config.json: no template
        assertNull(t.chatTemplate());
        byte[] cfg = TokenizerFiles.tokenizerConfigJson(TokenizerJson.read(dir.resolve("tokenizer.json")), t, 4096);
        JsonNode n = new ObjectMapper().readTree(cfg);
        assertEquals(TokenizerFiles.CHATML_TEMPLATE, n.get("chat_template").asText());
        assertEquals("<|endoftext|>", n.get("eos_token").asText(), "without a config the document end token is eos");
    }
}
