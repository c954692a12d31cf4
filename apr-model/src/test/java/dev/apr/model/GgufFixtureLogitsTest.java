package dev.apr.model;

import dev.apr.format.ModelFile;
import dev.apr.format.ModelFiles;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The llama.cpp-made Q4_K_M fixture (testdata/qwen2-h256-q4km): apr's logits on the dequantized
 * weights must match the double-precision reference within 1e-3 at every position.
 */
class GgufFixtureLogitsTest {
    static final Path DIR = Path.of(System.getProperty("apr.testdata"), "qwen2-h256-q4km");
    static final int[] TOKENS = {750, 75698, 1445, 982, 262, 470, 75698, 1445, 12, 16, 8};

    @Test
    void q4kmFixtureLogitsMatchDequantReference() throws IOException {
        ByteBuffer ref = ByteBuffer.wrap(Files.readAllBytes(DIR.resolve("logits-dequant-reference.f32"))).order(ByteOrder.LITTLE_ENDIAN);
        try (ModelFile f = ModelFiles.open(DIR.resolve("model-q4_k_m.gguf"))) {
            Transformer m = Transformer.load(f);
            ModelConfig c = m.config();
            assertEquals("qwen2", c.family());
            assertEquals(256, c.hiddenSize());
            assertEquals(151936, c.vocabSize());
            assertEquals(true, c.tieWordEmbeddings());
            assertEquals(1e6, c.ropeTheta());
            int V = c.vocabSize();
            assertEquals((long) TOKENS.length * V * 4, ref.capacity());
            float[] got = m.forward(m.newState(32), TOKENS, true);
            double maxErr = 0;
            for (int i = 0; i < got.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - ref.getFloat(4 * i)));
            System.out.println("q4_k_m fixture: max |logit error| = " + maxErr);
            assertEquals(0, maxErr, 1e-3, "max |apr - reference| over all 11 x 151936 logits");

            // incremental decode over the same tokens agrees as well (last position)
            Transformer.State s = m.newState(32);
            float[] last = null;
            for (int t : TOKENS) last = m.forward(s, new int[] {t}, false);
            double maxDec = 0;
            for (int i = 0; i < V; i++) maxDec = Math.max(maxDec, Math.abs(last[i] - ref.getFloat(4 * ((TOKENS.length - 1) * V + i))));
            assertEquals(0, maxDec, 1e-3, "decode path, last position");

            // a 75-token prompt goes through the outer-product prefill (tokens across vector lanes): its first
            // 11 positions see only the reference's tokens (causal), and its last equals incremental decode
            int[] longPrompt = new int[75];
            for (int i = 0; i < longPrompt.length; i++) longPrompt[i] = TOKENS[i % TOKENS.length];
            float[] all = m.forward(m.newState(96), longPrompt, true);
            double maxLong = 0;
            for (int i = 0; i < TOKENS.length * V; i++) maxLong = Math.max(maxLong, Math.abs(all[i] - ref.getFloat(4 * i)));
            assertEquals(0, maxLong, 1e-3, "75-token prefill, first 11 positions");
            s = m.newState(96);
            for (int t : longPrompt) last = m.forward(s, new int[] {t}, false);
            double maxLast = 0;
            for (int i = 0; i < V; i++) maxLast = Math.max(maxLast, Math.abs(last[i] - all[(longPrompt.length - 1) * V + i]));
            assertEquals(0, maxLast, 1e-3, "75-token prefill vs decode, last position");
        }
    }
}
