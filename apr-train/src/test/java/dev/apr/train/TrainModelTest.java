package dev.apr.train;

import dev.apr.model.ModelConfig;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The whole training model against the double-precision reference transformer. */
class TrainModelTest {
    static ModelConfig tinyQwen() {   // tied, GQA 4 heads over 2, q/k/v biases
        return new ModelConfig("qwen2", 32, 2, 4, 2, 8, 48, 61, 64, 10000.0, 1e-6, true, true, -1, -1);
    }

    static ModelConfig tinyLlama() {  // untied lm_head, no biases
        return new ModelConfig("llama", 32, 2, 4, 2, 8, 40, 53, 64, 500000.0, 1e-5, false, false, -1, -1);
    }

    static int[] tokens(Random rng, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = rng.nextInt(vocab);
        return t;
    }

    /** Random weights, biases and norms too (so their gradients are exercised at non-trivial values). */
    static TrainModel model(ModelConfig cfg, int batch, int seq, long seed) {
        TrainModel m = new TrainModel(cfg, batch, seq);
        m.initRandom(seed);
        Random rng = new Random(seed);
        for (ParamLayout.Slot s : m.layout().slots())
            for (int i = 0; i < s.size(); i++)
                m.params[s.offset() + i] = s.isMatrix() ? (float) (rng.nextGaussian() * 0.3)
                        : s.name().endsWith(".bias") ? (float) (rng.nextGaussian() * 0.1) : (float) (1 + rng.nextGaussian() * 0.1);
        return m;
    }

    @Test
    void forwardAgreesWithTheReferenceTransformer() {
        for (ModelConfig cfg : new ModelConfig[] {tinyQwen(), tinyLlama()}) {
            int batch = 2, seq = 6;
            TrainModel m = model(cfg, batch, seq, 11);
            Random rng = new Random(3);
            int[] in = tokens(rng, batch * seq, cfg.vocabSize()), tg = tokens(rng, batch * seq, cfg.vocabSize());
            float[] logits = m.logits(in);
            double[] ref = Reference.logits(cfg, m.layout(), Reference.toDouble(m.params), in, batch, seq);
            for (int i = 0; i < ref.length; i++) assertEquals(ref[i], logits[i], 2e-4 * Math.max(1, Math.abs(ref[i])), cfg.family() + " logit " + i);
            double refLoss = Reference.loss(cfg, m.layout(), Reference.toDouble(m.params), in, tg, batch, seq);
            assertEquals(refLoss, m.loss(in, tg), 1e-4);
            assertEquals(refLoss, m.forwardBackward(in, tg, 1f), 1e-4, "forwardBackward returns the same loss");
        }
    }

    @Test
    void parameterGradientsMatchFiniteDifferences() {
        for (ModelConfig cfg : new ModelConfig[] {tinyQwen(), tinyLlama()}) {
            int batch = 2, seq = 5;
            TrainModel m = model(cfg, batch, seq, 5);
            Random rng = new Random(9);
            int[] in = tokens(rng, batch * seq, cfg.vocabSize()), tg = tokens(rng, batch * seq, cfg.vocabSize());
            m.zeroGrads();
            m.forwardBackward(in, tg, 1f);
            double[] p = Reference.toDouble(m.params);
            int checked = 0;
            // a few coordinates of every tensor, plus embedding rows that are actually used
            for (ParamLayout.Slot s : m.layout().slots()) {
                int[] idx = {0, s.size() / 2, s.size() - 1, rng.nextInt(s.size())};
                if (s.name().equals("model.embed_tokens.weight")) idx = new int[] {in[0] * cfg.hiddenSize() + 3, tg[1] * cfg.hiddenSize() + 7, in[4] * cfg.hiddenSize()};
                for (int j : idx) {
                    int at = s.offset() + j;
                    double keep = p[at], h = 1e-5;
                    p[at] = keep + h;
                    double up = Reference.loss(cfg, m.layout(), p, in, tg, batch, seq);
                    p[at] = keep - h;
                    double down = Reference.loss(cfg, m.layout(), p, in, tg, batch, seq);
                    p[at] = keep;
                    double num = (up - down) / (2 * h);
                    assertEquals(num, m.grads[at], 2e-4 + 2e-3 * Math.abs(num), cfg.family() + " " + s.name() + "[" + j + "]");
                    checked++;
                }
            }
            assertTrue(checked > 50, "checked " + checked);
        }
    }

    @Test
    void lmHeadInRowChunksEqualsTheWholeHead() {
        ModelConfig cfg = tinyQwen();
        int batch = 2, seq = 7;                          // 14 rows: chunks of 4, 4, 4 and 2
        TrainModel whole = model(cfg, batch, seq, 21);
        TrainModel chunked = new TrainModel(cfg, batch, seq, whole.layout(), 4);
        System.arraycopy(whole.params, 0, chunked.params, 0, whole.params.length);
        Random rng = new Random(4);
        int[] in = tokens(rng, batch * seq, cfg.vocabSize()), tg = tokens(rng, batch * seq, cfg.vocabSize());
        assertEquals(whole.forwardBackward(in, tg, 1f), chunked.forwardBackward(in, tg, 1f), 1e-6);
        for (int i = 0; i < whole.grads.length; i++)
            assertEquals(whole.grads[i], chunked.grads[i], 1e-5 * Math.max(1e-2, Math.abs(whole.grads[i])), "gradient " + i);
    }

    @Test
    void lmHeadChunksHoldAtMost512MiBOfLogitsSplitEvenly() {
        assertEquals(1024, TrainModel.headRows(1024, 8192), "32 MiB of logits: one chunk");
        assertEquals(512, TrainModel.headRows(1024, 151936), "622 MB of logits: two even chunks");
        assertEquals(344, TrainModel.headRows(1024, 300_000), "1.2 GB of logits: three even chunks (342 rows, rounded up to 4)");
        assertEquals(128, TrainModel.headRows(128, 151936));
        assertEquals(4, TrainModel.headRows(1, 151936), "at least one 4-row tile");
        assertEquals(4, TrainModel.headRows(64, 200_000_000), "even when 4 rows exceed the budget");
    }

    @Test
    void tiedLmHeadIsTheEmbeddingWithOneGradient() {
        ModelConfig cfg = tinyQwen();
        TrainModel m = model(cfg, 1, 4, 1);
        assertFalse(m.layout().has("lm_head.weight"));
        assertEquals(m.layout().slot("model.embed_tokens.weight"), m.layout().lmHead());
        // a token never seen as input still gets an lm_head gradient through the tied matrix
        int[] in = {1, 2, 3, 4}, tg = {9, 9, 9, 9};
        m.zeroGrads();
        m.forwardBackward(in, tg, 1f);
        int row9 = m.layout().slot("model.embed_tokens.weight").offset() + 9 * cfg.hiddenSize();
        double s = 0;
        for (int i = 0; i < cfg.hiddenSize(); i++) s += Math.abs(m.grads[row9 + i]);
        assertTrue(s > 1e-4, "lm_head gradient lands in the embedding row of the target");
    }

    /** ARCH-004: grouped-query attention equals full attention with K/V heads repeated. */
    @Test
    void groupedQueryAttentionEqualsRepeatedKv() {
        ModelConfig gqa = tinyQwen();   // 4 heads over 2 kv heads
        ModelConfig full = new ModelConfig("qwen2", 32, 2, 4, 4, 8, 48, 61, 64, 10000.0, 1e-6, true, true, -1, -1);
        TrainModel a = model(gqa, 1, 6, 21);
        TrainModel b = new TrainModel(full, 1, 6);
        int hd = gqa.headDim(), C = gqa.hiddenSize();
        for (ParamLayout.Slot s : b.layout().slots()) {
            ParamLayout.Slot src = a.layout().slot(s.name());
            boolean kv = s.name().contains("k_proj") || s.name().contains("v_proj");
            for (int i = 0; i < s.size(); i++) {
                int j = i;
                if (kv) {   // kv head h of the full model reads kv head h/2 of the GQA model
                    int width = s.name().endsWith(".bias") ? 1 : C;
                    int row = i / width, col = i % width, head = row / hd;
                    j = ((head / 2) * hd + row % hd) * width + col;
                }
                b.params[s.offset() + i] = a.params[src.offset() + j];
            }
        }
        int[] in = {5, 9, 1, 33, 60, 2};
        float[] la = a.logits(in), lb = b.logits(in);
        for (int i = 0; i < la.length; i++) assertEquals(la[i], lb[i], 1e-5, "logit " + i);
    }

    @Test
    void seededInitIsReproducibleAndFollowsTheSpec() {
        ModelConfig cfg = tinyQwen();
        TrainModel a = new TrainModel(cfg, 1, 4), b = new TrainModel(cfg, 1, 4);
        a.initRandom(42);
        b.initRandom(42);
        assertArrayEquals(a.params, b.params);
        ParamLayout.Slot norm = a.layout().slot("model.norm.weight"), bias = a.layout().slot("model.layers.0.self_attn.q_proj.bias");
        assertEquals(1f, a.params[norm.offset() + 5]);
        assertEquals(0f, a.params[bias.offset() + 5]);
        ParamLayout.Slot emb = a.layout().slot("model.embed_tokens.weight");
        double ss = 0;
        for (int i = 0; i < emb.size(); i++) ss += a.params[emb.offset() + i] * a.params[emb.offset() + i];
        assertEquals(0.02, Math.sqrt(ss / emb.size()), 0.002, "std of normal(0, 0.02)");
    }
}
