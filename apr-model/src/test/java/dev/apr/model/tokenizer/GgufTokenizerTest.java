package dev.apr.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apr.format.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The tokenizer of a GGUF that llama.cpp's converter made from the Qwen3 tokenizer (the test fixture). */
class GgufTokenizerTest {
    static final Path TESTDATA = Path.of(System.getProperty("apr.testdata"));

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
}
