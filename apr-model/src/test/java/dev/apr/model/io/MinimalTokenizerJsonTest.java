package dev.apr.model.io;

import dev.apr.format.AprException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class MinimalTokenizerJsonTest {
    @TempDir Path dir;

    Path write(String json) throws IOException {
        Path p = dir.resolve("tokenizer.json");
        Files.writeString(p, json);
        return p;
    }

    @Test
    void oldStyleMergesAddedTokensAndHoles() throws IOException {
        Path p = write("{\"added_tokens\":[{\"id\":5,\"content\":\"<|end|>\",\"special\":true}],"
                + "\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"ab\":2},\"merges\":[\"a b\"]}}");
        MinimalTokenizerJson t = MinimalTokenizerJson.read(p);
        assertEquals(List.of("a", "b", "ab", "[PAD3]", "[PAD4]", "<|end|>"), t.vocabulary);
        assertEquals(2, t.holes);
        assertEquals(List.of("a b"), t.merges);
        assertEquals(5, t.ids.get("<|end|>"));
        assertNull(t.preType);
    }

    @Test
    void newStyleMergesAreJoinedWithASpace() throws IOException {
        Path p = write("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1},\"merges\":[[\"a\",\"b\"],[\"Ġ\",\"Ġ\"]]}}");
        assertEquals(List.of("a b", "Ġ Ġ"), MinimalTokenizerJson.read(p).merges);
    }

    @Test
    void qwenFixtureIsRecognised() {
        Path qwen = Path.of(System.getProperty("apr.testdata"), "qwen3-tokenizer/tokenizer.json");
        MinimalTokenizerJson t = MinimalTokenizerJson.read(qwen);
        assertEquals(151669, t.vocabulary.size());
        assertEquals(26, t.addedTokens.size());
        assertEquals(0, t.holes);
        assertEquals("qwen2", t.preType);
        assertEquals("<|im_end|>", t.vocabulary.get(151645));
    }

    @Test
    void refusals() throws IOException {
        AprException e = assertThrows(AprException.class, () -> MinimalTokenizerJson.read(
                write("{\"model\":{\"type\":\"Unigram\",\"vocab\":[]}}")));
        assertEquals("UNSUPPORTED_TOKENIZER", e.code());
        assertTrue(e.getMessage().contains("model.type: expected BPE, got \"Unigram\""), e.getMessage());
        e = assertThrows(AprException.class, () -> MinimalTokenizerJson.read(
                write("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":0}}}")));
        assertEquals("BAD_TOKENIZER", e.code());
        e = assertThrows(AprException.class, () -> MinimalTokenizerJson.read(
                write("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":-1}}}")));
        assertTrue(e.getMessage().contains("model.vocab['a']"), e.getMessage());
        e = assertThrows(AprException.class, () -> MinimalTokenizerJson.read(
                write("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[[\"a\"]]}}")));
        assertTrue(e.getMessage().contains("model.merges[0]"), e.getMessage());
    }

    @Test
    void unsupportedConfigFieldsAreRefused() {
        Path f = dir.resolve("config.json");
        assertEquals("UNSUPPORTED_CONFIG", assertThrows(AprException.class,
                () -> HfImporter.checkSupported(Map.of("rope_scaling", Map.of("type", "linear", "factor", 2.0)), f)).code());
        AprException e = assertThrows(AprException.class, () -> HfImporter.checkSupported(Map.of("hidden_act", "gelu"), f));
        assertTrue(e.getMessage().contains("hidden_act: expected \"silu\", got \"gelu\""), e.getMessage());
        HfImporter.checkSupported(Map.of("hidden_act", "silu", "use_sliding_window", false), f); // accepted
    }
}
