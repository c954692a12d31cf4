package dev.apr.format;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TokenizerJsonTest {
    static Path qwenDir;
    static TokenizerJson qwen;

    @BeforeAll static void load() {
        qwenDir = Path.of(System.getProperty("apr.testdata"), "qwen3-tokenizer");
        qwen = TokenizerJson.read(qwenDir.resolve("tokenizer.json"));
    }

    @Test void readsRealQwenTokenizer() {
        assertEquals("BPE", qwen.modelType());
        assertEquals(151_643, qwen.vocab().size());
        assertEquals(151_387, qwen.merges().size());
        assertArrayEquals(new String[]{"Ġ", "Ġ"}, qwen.merges().get(0));
        assertEquals("i n", qwen.mergeStrings().get(2));
        assertEquals(26, qwen.addedTokens().size());
        TokenizerJson.AddedToken first = qwen.addedTokens().get(0);
        assertEquals(new TokenizerJson.AddedToken(151643, "<|endoftext|>", true, false, false, false, false), first);
        assertEquals(151_669, qwen.vocabSize());
        assertEquals(151644, qwen.idOf("<|im_start|>"));
        assertEquals(9707, qwen.idOf("Hello"));
        assertEquals("Hello", qwen.token(9707));
        assertEquals(List.of("NFC"), qwen.normalizers());
        assertEquals(2, qwen.preTokenizers().size());
        TokenizerJson.PreTokenizerStep split = qwen.preTokenizers().get(0);
        assertEquals("Split", split.type());
        assertEquals("Isolated", split.behavior());
        assertTrue(split.regex().startsWith("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}|"), split.regex());
        TokenizerJson.PreTokenizerStep bl = qwen.preTokenizers().get(1);
        assertEquals("ByteLevel", bl.type());
        assertFalse(bl.addPrefixSpace());
        assertFalse(bl.useRegex());
        assertEquals("ByteLevel", qwen.decoderType());
        assertFalse(qwen.ignoreMerges());
        assertEquals(64, qwen.sha256().length());
        // Some base tokens with the added ones on top.
        String[] all = qwen.allTokensById();
        assertEquals("<|im_end|>", all[151645]);
        assertEquals("!", all[0]);
    }

    @Test void readsTokenizerConfig() {
        TokenizerJson.Config c = TokenizerJson.readConfig(qwenDir.resolve("tokenizer_config.json"));
        assertNull(c.bosToken());
        assertEquals("<|im_end|>", c.eosToken());
        assertEquals("<|endoftext|>", c.padToken());
        assertEquals(131072L, c.modelMaxLength());
        assertEquals(Boolean.FALSE, c.addBosToken());
        assertEquals("Qwen2Tokenizer", c.tokenizerClass());
        assertTrue(c.chatTemplate().contains("<|im_start|>"));
        assertEquals(26, c.addedTokensDecoder().size());
    }

    @Test void readsStringFormMergesAndDirectory(@TempDir Path dir) throws Exception {
        String json = """
                {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "Ġ": 3},
                  "merges": ["a b"]},
                 "added_tokens": [{"id": 4, "content": "<s>", "special": true}],
                 "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}]},
                 "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": true},
                 "decoder": {"type": "ByteLevel"}}""";
        Files.writeString(dir.resolve("tokenizer.json"), json);
        TokenizerJson t = TokenizerJson.read(dir);
        assertArrayEquals(new String[]{"a", "b"}, t.merges().get(0));
        assertEquals(List.of("NFC"), t.normalizers());
        assertTrue(t.preTokenizers().get(0).addPrefixSpace());
        assertTrue(t.preTokenizers().get(0).useRegex(), "use_regex defaults to true as in HF");
        assertFalse(t.addedTokens().get(0).normalized(), "normalized defaults to !special");
        assertEquals(5, t.vocabSize());
    }

    @Test void readsVocabJsonAndMergesTxt(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0, \"b\": 1, \"ab\": 2}");
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\na b\n");
        TokenizerJson t = TokenizerJson.read(dir);
        assertEquals(1, t.merges().size());
        assertEquals("a b", t.mergeStrings().get(0));
        assertEquals("ab", t.token(2));
        assertEquals("ByteLevel", t.preTokenizers().get(0).type());
    }

    @Test void refusesBadInputNamingFileAndField(@TempDir Path dir) throws Exception {
        assertBad(dir, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -1}, \"merges\": []}}", "model.vocab['a']");
        assertBad(dir, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 0}, \"merges\": []}}", "unique ids");
        assertBad(dir, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"ab\"]}}", "model.merges[0]");
        assertBad(dir, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [[\"a\"]]}}", "model.merges[0]");
        assertBad(dir, "{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}, \"added_tokens\": [{\"content\": \"x\"}]}", "added_tokens[0].id");
        assertBad(dir, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"a\": 1}, \"merges\": []}}", "not valid JSON");
        assertBad(dir, "{\"model\": 3}", "model: expected an object");
        assertBad(dir, "[1,2", "not valid JSON");
        Path f = dir.resolve("bad-utf8.json");
        Files.write(f, new byte[]{'{', '"', (byte) 0xC3, '"', ':', '1', '}'});
        AprException e = assertThrows(AprException.class, () -> TokenizerJson.read(f));
        assertTrue(e.getMessage().contains("UTF-8") && e.getMessage().contains("bad-utf8.json"), e.getMessage());
        assertEquals(AprException.BAD_INPUT, e.exitCode());
        AprException missing = assertThrows(AprException.class, () -> TokenizerJson.read(dir.resolve("nope.json")));
        assertEquals("TOKENIZER_MISSING", missing.code());
    }

    private static void assertBad(Path dir, String json, String expectInMessage) throws Exception {
        Path f = dir.resolve("tokenizer.json");
        Files.write(f, json.getBytes(StandardCharsets.UTF_8));
        AprException e = assertThrows(AprException.class, () -> TokenizerJson.read(f));
        assertTrue(e.getMessage().contains(expectInMessage), e.getMessage());
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertEquals(2, e.exitCode());
    }
}
