package dev.apr.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The other byte-level BPE configurations, checked against HF tokenizers on variants of the Qwen
 * tokenizer.json (made the same way by variants.py; ids by variants.js):
 * Llama-3 style (digits by three, ignore_merges, no normalizer), GPT-2 style (ByteLevel
 * pre-tokenizer with its own regex and add_prefix_space) and SmolLM style (Digits, then ByteLevel).
 */
class TokenizerVariantsTest {
    static JsonNode expected;
    static ObjectNode qwenJson;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll static void load() throws Exception {
        try (InputStream in = new GZIPInputStream(TokenizerVariantsTest.class.getResourceAsStream("/tokenizer/variant-ids.json.gz"))) {
            expected = JSON.readTree(in);
        }
        qwenJson = (ObjectNode) JSON.readTree(Path.of(System.getProperty("apr.testdata"), "qwen3-tokenizer", "tokenizer.json").toFile());
    }

    static Tokenizer write(ObjectNode json, Path dir) throws Exception {
        Path f = dir.resolve("tokenizer.json");
        JSON.writeValue(f.toFile(), json);
        return Tokenizer.load(f);
    }

    static void assertAllEqual(Tokenizer t, String variant) {
        JsonNode texts = expected.get("texts"), ids = expected.get("variants").get(variant);
        assertEquals(654, texts.size());
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i).asText();
            assertArrayEquals(TokenizerTest.ints(ids.get(i)), t.encode(text), () -> variant + ": " + text);
        }
    }

    @Test void llama3StyleEqualsHf(@TempDir Path dir) throws Exception {
        ObjectNode l = qwenJson.deepCopy();
        l.putNull("normalizer");
        ObjectNode pattern = (ObjectNode) l.get("pre_tokenizer").get("pretokenizers").get(0).get("pattern");
        pattern.put("Regex", pattern.get("Regex").asText().replace("\\p{N}|", "\\p{N}{1,3}|"));
        ((ObjectNode) l.get("model")).put("ignore_merges", true);
        Tokenizer t = write(l, dir);
        assertAllEqual(t, "llama3style");
        // Without NFC a decomposed accent stays decomposed.
        assertEquals("cafe\u0301", t.decode(t.encode("cafe\u0301")));
    }

    @Test void gpt2StyleEqualsHf(@TempDir Path dir) throws Exception {
        ObjectNode g = qwenJson.deepCopy();
        ObjectNode pre = JSON.createObjectNode();
        pre.put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        g.set("pre_tokenizer", pre);
        Tokenizer t = write(g, dir);
        assertAllEqual(t, "gpt2style");
        assertEquals(" Hello", t.decode(t.encode("Hello")), "add_prefix_space adds a space");
    }

    /**
     * SmolLM's pre-tokenizer: Digits (each numeric char alone, as Rust's char::is_numeric: ½, Ⅻ and
     * ² too, where tokenizers.js splits only ASCII digits), then ByteLevel's GPT-2 regex. Ids from
     * the Rust tokenizers (npm "tokenizers" 0.23.2); the same splitting from the GGUF pre type
     * "smollm" (llama.cpp's \p{N} then GPT-2 rule) and from the tokenizer.json a GGUF import rebuilds.
     */
    @Test void smollmStyleEqualsHfAndItsGgufForms(@TempDir Path dir) throws Exception {
        ObjectNode s = qwenJson.deepCopy();
        s.putNull("normalizer");
        s.set("pre_tokenizer", JSON.readTree("{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Digits\",\"individual_digits\":true},"
                + "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":true}]}"));
        Tokenizer t = write(s, dir);
        assertAllEqual(t, "smollmstyle");
        assertArrayEquals(new int[] {64, 220, 26062, 220, 70467, 104, 220, 29456, 43201, 220, 16, 17}, t.encode("a ½ Ⅻ ²³ 12"));

        dev.apr.format.TokenizerJson tj = dev.apr.format.TokenizerJson.read(dir.resolve("tokenizer.json"));
        assertEquals("smollm", dev.apr.model.export.TokenizerEmbedding.preType(tj.preTokenizers()));
        String[] all = tj.allTokensById();
        java.util.List<String> tokens = new java.util.ArrayList<>();
        java.util.List<Integer> types = new java.util.ArrayList<>();
        java.util.Set<Integer> added = new java.util.HashSet<>();
        for (var a : tj.addedTokens()) added.add(a.id());
        for (int i = 0; i < all.length; i++) {
            tokens.add(all[i]);
            types.add(added.contains(i) ? 3 : 1);
        }
        java.util.Map<String, Object> gguf = new java.util.HashMap<>();
        gguf.put("tokenizer.ggml.model", "gpt2");
        gguf.put("tokenizer.ggml.tokens", tokens);
        gguf.put("tokenizer.ggml.token_type", types);
        gguf.put("tokenizer.ggml.merges", tj.mergeStrings());
        gguf.put("tokenizer.ggml.pre", "smollm");
        assertAllEqual(Tokenizer.fromGguf(gguf), "smollmstyle");

        Path rebuilt = Files.createDirectories(dir.resolve("rebuilt"));
        JSON.writeValue(rebuilt.resolve("tokenizer.json").toFile(),
                dev.apr.model.io.GgufImporter.rebuildTokenizerJson(tokens, types, tj.mergeStrings(), "smollm"));
        assertAllEqual(Tokenizer.load(rebuilt), "smollmstyle");
    }

    /**
     * Llama 3 adds <|begin_of_text|> through tokenizer.json's post-processor template, not through
     * tokenizer_config.json (which has no add_bos_token): apr prepends it too, unless the config
     * says otherwise; a GGUF import's rebuilt tokenizer.json carries add_bos_token the same way
     * (that template, checked with the Rust tokenizers, puts the id before the text).
     */
    @Test void postProcessorTemplateDecidesBos(@TempDir Path dir) throws Exception {
        ObjectNode t = qwenJson.deepCopy();
        t.set("post_processor", JSON.readTree("{\"type\":\"Sequence\",\"processors\":[{\"type\":\"ByteLevel\",\"add_prefix_space\":true,"
                + "\"trim_offsets\":false,\"use_regex\":true},{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":"
                + "{\"id\":\"<|endoftext|>\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],\"pair\":[],"
                + "\"special_tokens\":{\"<|endoftext|>\":{\"id\":\"<|endoftext|>\",\"ids\":[151643],\"tokens\":[\"<|endoftext|>\"]}}}]}"));
        Tokenizer noConfig = write(t, dir);
        assertTrue(noConfig.addBos());
        assertEquals(151643, noConfig.bosId());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": null, \"eos_token\": \"<|im_end|>\"}");
        Tokenizer silentConfig = Tokenizer.load(dir);
        assertTrue(silentConfig.addBos(), "a config without add_bos_token leaves it to the template");
        assertEquals(151643, silentConfig.bosId());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": false, \"eos_token\": \"<|im_end|>\"}");
        assertFalse(Tokenizer.load(dir).addBos(), "an explicit add_bos_token wins");
        Files.delete(dir.resolve("tokenizer_config.json"));
        assertFalse(write(qwenJson.deepCopy(), dir).addBos(), "Qwen's own file: no template, no BOS");

        dev.apr.format.TokenizerJson tj = dev.apr.format.TokenizerJson.read(dir.resolve("tokenizer.json"));
        String[] all = tj.allTokensById();
        java.util.List<String> tokens = java.util.Arrays.asList(all);
        java.util.List<Integer> types = new java.util.ArrayList<>(java.util.Collections.nCopies(all.length, 1));
        for (var a : tj.addedTokens()) types.set(a.id(), 3);
        Path rebuilt = Files.createDirectories(dir.resolve("rebuilt"));
        JSON.writeValue(rebuilt.resolve("tokenizer.json").toFile(),
                dev.apr.model.io.GgufImporter.rebuildTokenizerJson(tokens, types, tj.mergeStrings(), "llama-bpe", 151643));
        Tokenizer r = Tokenizer.load(rebuilt);
        assertTrue(r.addBos());
        assertEquals(151643, r.bosId());
        assertEquals(java.util.List.of(151643), dev.apr.format.TokenizerJson.read(rebuilt.resolve("tokenizer.json")).templatePrefix());
    }

    @Test void unsupportedConfigurationsAreRefusedByName(@TempDir Path dir) throws Exception {
        ObjectNode w = qwenJson.deepCopy();
        ((ObjectNode) w.get("model")).put("type", "WordPiece");
        var e = assertThrows(dev.apr.format.AprException.class, () -> write(w, dir));
        assertTrue(e.getMessage().contains("model.type") && e.getMessage().contains("WordPiece"), e.getMessage());
        ObjectNode n = qwenJson.deepCopy();
        n.set("normalizer", JSON.readTree("{\"type\": \"Lowercase\"}"));
        var e2 = assertThrows(dev.apr.format.AprException.class, () -> write(n, dir));
        assertTrue(e2.getMessage().contains("normalizer") && e2.getMessage().contains("Lowercase"), e2.getMessage());
        assertEquals("TOKENIZER_UNSUPPORTED", e2.code());
        ObjectNode m = qwenJson.deepCopy();
        ((com.fasterxml.jackson.databind.node.ArrayNode) m.get("model").get("merges")).insert(0, JSON.readTree("[\"zz\", \"qq\"]"));
        var e3 = assertThrows(dev.apr.format.AprException.class, () -> write(m, dir));
        assertTrue(e3.getMessage().contains("merges[0]") && e3.getMessage().contains("'zzqq' missing"), e3.getMessage());
        Files.deleteIfExists(dir.resolve("tokenizer.json"));
    }

    @Test void veryLongPiecesStayFastAndExact() {
        // HF ids for these were checked by hash (patho.js); here: sizes and round trip.
        Tokenizer t = TokenizerTest.qwen != null ? TokenizerTest.qwen : Tokenizer.load(Path.of(System.getProperty("apr.testdata"), "qwen3-tokenizer"));
        String spaces = " ".repeat(200_000) + "x";
        assertEquals(1564, t.encode(spaces).length);
        assertEquals(25_000, t.encode("a".repeat(200_000)).length);
        assertEquals(spaces, t.decode(t.encode(spaces)));
    }
}
