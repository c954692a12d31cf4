package dev.apr.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apr.format.TokenizerJson;
import dev.apr.format.gguf.GgufFile;
import dev.apr.format.gguf.GgufValueType;
import dev.apr.format.gguf.GgufWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Against a GGUF that llama.cpp's converter made from the same (Qwen3) tokenizer. */
class GgufTokenizerMetadataTest {
    static final Path TESTDATA = Path.of(System.getProperty("apr.testdata"));
    static TokenizerJson tj;
    static TokenizerJson.Config cfg;
    static GgufTokenizerMetadata ours;

    @BeforeAll static void load() {
        tj = TokenizerJson.read(TESTDATA.resolve("qwen3-tokenizer/tokenizer.json"));
        cfg = TokenizerJson.readConfig(TESTDATA.resolve("qwen3-tokenizer/tokenizer_config.json"));
        ours = GgufTokenizerMetadata.of(tj, cfg, 151936, 151643, 151645);
    }

    @Test void tokensTypesAndMergesEqualLlamaCppConverter() {
        try (GgufFile g = GgufFile.open(TESTDATA.resolve("qwen2-h256-q4km/model-q4_k_m.gguf"))) {
            Map<String, Object> md = g.metadata();
            assertEquals(md.get("tokenizer.ggml.pre"), ours.pre());
            assertEquals(md.get("tokenizer.ggml.tokens"), ours.tokens());
            List<?> types = (List<?>) md.get("tokenizer.ggml.token_type");
            for (int i = 0; i < types.size(); i++)
                assertEquals(((Number) types.get(i)).intValue(), ours.tokenTypes().get(i), "token_type[" + i + "]");
            assertEquals(md.get("tokenizer.ggml.merges"), ours.merges());
        }
        assertEquals(151_643, ours.tokenTypes().stream().filter(t -> t == 1).count());
        assertEquals(20, ours.tokenTypes().stream().filter(t -> t == 3).count());
        assertEquals(6, ours.tokenTypes().stream().filter(t -> t == 4).count());
        assertEquals(267, ours.tokenTypes().stream().filter(t -> t == 5).count());
        assertEquals(151643, ours.bosId(), "bos from config.json: the tokenizer has none");
        assertEquals(151645, ours.eosId(), "eos from tokenizer_config wins over config.json");
        assertEquals(151643, ours.padId());
        assertEquals(Boolean.FALSE, ours.addBos());
    }

    @Test void tokenizerFromTheRealGgufEqualsHf() throws Exception {
        Tokenizer t;
        try (GgufFile g = GgufFile.open(TESTDATA.resolve("qwen2-h256-q4km/model-q4_k_m.gguf"))) {
            t = Tokenizer.fromGguf(g.metadata());
        }
        JsonNode expected;
        try (var in = getClass().getResourceAsStream("/tokenizer/expected-ids.json")) {
            expected = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
        }
        for (JsonNode x : expected.get("texts"))
            assertArrayEquals(TokenizerTest.ints(x.get("ids")), t.encode(x.get("text").asText()), x.get("text").asText());
    }

    @Test void writtenKeysReadBackWithLlamaCppTypes(@TempDir Path dir) {
        Path f = dir.resolve("tok.gguf");
        ours.writeTo(new GgufWriter().putString("general.architecture", "qwen2")).write(f);
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals(GgufValueType.UINT32, g.type("tokenizer.ggml.eos_token_id"));
            assertEquals(GgufValueType.INT32, g.arrayType("tokenizer.ggml.token_type"));
            assertEquals(GgufValueType.BOOL, g.type("tokenizer.ggml.add_bos_token"));
            assertEquals(cfg.chatTemplate(), g.metadata().get("tokenizer.chat_template"));
            Tokenizer t = Tokenizer.fromGguf(g.metadata());
            assertArrayEquals(new int[]{151644, 872, 198, 6023, 151645}, t.encode("<|im_start|>user\nhi<|im_end|>"));
            assertEquals(151645, t.eosId());
        }
    }
}
