package dev.apr.model;

import dev.apr.format.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransformerTest {
    @TempDir Path dir;

    /** qwen2: tied embeddings, q/k/v bias, GQA 4 heads over 2 kv heads, head dim 16. */
    static final ModelConfig QWEN = new ModelConfig("qwen2", 64, 2, 4, 2, 16, 128, 97, 512, 1e6, 1e-6, true, true, -1, -1);
    /** llama: untied head, no bias, 6 heads over 2 kv heads, head dim 8, hidden 48 (vector tails). */
    static final ModelConfig LLAMA = new ModelConfig("llama", 48, 2, 6, 2, 8, 96, 101, 512, 10000.0, 1e-5, false, false, -1, -1);

    static final int[] TOKENS = {5, 17, 3, 96, 0, 42, 42, 7, 60};

    static MemoryModelFile file(ModelConfig c, Map<String, float[]> w, DType dtype) {
        MemoryModelFile f = new MemoryModelFile("memory");
        for (var e : c.expectedTensors().entrySet()) {
            boolean oneD = e.getValue().length == 1;
            f.put(e.getKey(), oneD ? DType.F32 : dtype, e.getValue(), w.get(e.getKey()));
        }
        return f;
    }

    static void assertLogits(double[][] ref, float[] got, int vocab, double tol, String what) {
        assertEquals(ref.length * vocab, got.length, what + ": logits length");
        for (int t = 0; t < ref.length; t++)
            for (int i = 0; i < vocab; i++)
                assertEquals(ref[t][i], got[t * vocab + i], tol, what + ": token " + t + " logit " + i);
    }

    @Test
    void qwen2LogitsMatchDoubleReference() {
        var w = ReferenceModel.randomWeights(QWEN, 1);
        try (var f = file(QWEN, w, DType.F32)) {
            Transformer m = Transformer.load(f, QWEN);
            float[] got = m.forward(m.newState(64), TOKENS, true);
            assertLogits(new ReferenceModel(QWEN, w).logits(TOKENS), got, QWEN.vocabSize(), 1e-4, "qwen2");
        }
    }

    @Test
    void llamaLogitsMatchDoubleReference() {
        var w = ReferenceModel.randomWeights(LLAMA, 2);
        try (var f = file(LLAMA, w, DType.F32)) {
            Transformer m = Transformer.load(f, LLAMA);
            float[] got = m.forward(m.newState(64), TOKENS, true);
            assertLogits(new ReferenceModel(LLAMA, w).logits(TOKENS), got, LLAMA.vocabSize(), 1e-4, "llama");
        }
    }

    /**
     * A prompt of 100 tokens goes through the outer-product prefill (a full block of vector lanes
     * and a padded one), with the q/k/v and gate/up products grouped: still the reference logits.
     */
    @Test
    void longPromptLogitsMatchDoubleReference() {
        var w = ReferenceModel.randomWeights(QWEN, 7);
        int[] tokens = new java.util.Random(7).ints(100, 0, QWEN.vocabSize()).toArray();
        try (var f = file(QWEN, w, DType.F32)) {
            Transformer m = Transformer.load(f, QWEN);
            float[] got = m.forward(m.newState(128), tokens, true);
            assertLogits(new ReferenceModel(QWEN, w).logits(tokens), got, QWEN.vocabSize(), 1e-4, "qwen2, 100 tokens");
        }
    }

    /**
     * A prompt fed in two chunks (20 tokens, then 80 after them: query blocks of 64 and 16 over a
     * context that starts at 20) gives the logits of feeding it at once.
     */
    @Test
    void chunkedPrefillEqualsOneShot() {
        var w = ReferenceModel.randomWeights(QWEN, 8);
        int[] tokens = new java.util.Random(8).ints(100, 0, QWEN.vocabSize()).toArray();
        try (var f = file(QWEN, w, DType.F32)) {
            Transformer m = Transformer.load(f, QWEN);
            int V = QWEN.vocabSize();
            float[] all = m.forward(m.newState(128), tokens, true);
            Transformer.State s = m.newState(128);
            m.forward(s, java.util.Arrays.copyOf(tokens, 20), false);
            float[] rest = m.forward(s, java.util.Arrays.copyOfRange(tokens, 20, 100), true);
            for (int i = 0; i < rest.length; i++) assertEquals(all[20 * V + i], rest[i], 1e-4, "position " + (20 + i / V) + " logit " + i % V);
        }
    }

    @Test
    void prefillAndIncrementalDecodeGiveTheSameLogits() {
        var w = ReferenceModel.randomWeights(QWEN, 3);
        try (var f = file(QWEN, w, DType.F32)) {
            Transformer m = Transformer.load(f, QWEN);
            int V = QWEN.vocabSize();
            float[] all = m.forward(m.newState(64), TOKENS, true);
            // one token at a time
            Transformer.State s = m.newState(64);
            for (int t = 0; t < TOKENS.length; t++) {
                float[] step = m.forward(s, new int[] {TOKENS[t]}, false);
                for (int i = 0; i < V; i++) assertEquals(all[t * V + i], step[i], 1e-4, "decode step " + t + " logit " + i);
            }
            assertEquals(TOKENS.length, s.position());
            // prefill 5, then decode the rest
            s = m.newState(64);
            float[] last = m.forward(s, java.util.Arrays.copyOf(TOKENS, 5), false);
            for (int i = 0; i < V; i++) assertEquals(all[4 * V + i], last[i], 1e-4, "prefill last logit " + i);
            for (int t = 5; t < TOKENS.length; t++) {
                float[] step = m.forward(s, new int[] {TOKENS[t]}, false);
                for (int i = 0; i < V; i++) assertEquals(all[t * V + i], step[i], 1e-4, "mixed step " + t + " logit " + i);
            }
        }
    }

    /**
     * The allocation-free decode step (the state's reused work arrays, the caller's logits array)
     * gives the logits of the allocating call, also after a prefill and between two states whose
     * steps interleave. Equal up to float rounding, not bit for bit: the Vector API leaves the order
     * of a lane reduction open, and interpreted and compiled code sum the lanes differently.
     */
    @Test
    void decodeIntoReusedArraysEqualsTheAllocatingCall() {
        var w = ReferenceModel.randomWeights(QWEN, 5);
        try (var f = file(QWEN, w, DType.F32)) {
            Transformer m = Transformer.load(f, QWEN);
            Transformer.State fresh = m.newState(64), reused = m.newState(64), other = m.newState(64);
            m.forward(fresh, java.util.Arrays.copyOf(TOKENS, 3), false);
            m.forward(reused, java.util.Arrays.copyOf(TOKENS, 3), false);
            float[] logits = new float[QWEN.vocabSize() + 7], otherLogits = new float[QWEN.vocabSize()];
            java.util.Arrays.fill(logits, Float.NaN);   // nothing may depend on the arrays starting at zero
            for (int t = 3; t < TOKENS.length; t++) {
                float[] expected = m.forward(fresh, new int[] {TOKENS[t]}, false);
                m.forward(reused, TOKENS[t], logits);
                m.forward(other, TOKENS[TOKENS.length - 1 - t], otherLogits);
                for (int i = 0; i < expected.length; i++)
                    assertEquals(expected[i], logits[i], 1e-5f * Math.max(1f, Math.abs(expected[i])), "step " + t + " logit " + i);
                assertTrue(Float.isNaN(logits[QWEN.vocabSize()]), "nothing written past the vocabulary");
            }
            assertEquals(TOKENS.length, reused.position());
            assertThrows(IllegalArgumentException.class, () -> m.forward(other, 1, new float[QWEN.vocabSize() - 1]));
        }
    }

    /** ARCH-004: grouped-query attention equals full attention with each K/V head repeated. */
    @Test
    void gqaEqualsFullAttentionWithRepeatedKv() {
        var w = ReferenceModel.randomWeights(QWEN, 4);
        ModelConfig full = new ModelConfig("qwen2", 64, 2, 4, 4, 16, 128, 97, 512, 1e6, 1e-6, true, true, -1, -1);
        Map<String, float[]> wf = new HashMap<>(w);
        int D = QWEN.headDim(), E = QWEN.hiddenSize(), group = QWEN.numHeads() / QWEN.numKvHeads();
        for (int l = 0; l < QWEN.numLayers(); l++)
            for (String proj : new String[] {"k_proj", "v_proj"}) {
                String p = "model.layers." + l + ".self_attn." + proj;
                float[] wt = w.get(p + ".weight"), b = w.get(p + ".bias");
                float[] wt4 = new float[full.kvDim() * E], b4 = new float[full.kvDim()];
                for (int h = 0; h < full.numKvHeads(); h++) {
                    int src = h / group;   // query head h reads kv head h / group
                    System.arraycopy(wt, src * D * E, wt4, h * D * E, D * E);
                    System.arraycopy(b, src * D, b4, h * D, D);
                }
                wf.put(p + ".weight", wt4);
                wf.put(p + ".bias", b4);
            }
        try (var fg = file(QWEN, w, DType.F32); var ff = file(full, wf, DType.F32)) {
            float[] a = Transformer.load(fg, QWEN).forward(Transformer.load(fg, QWEN).newState(16), TOKENS, true);
            Transformer mf = Transformer.load(ff, full);
            float[] b = mf.forward(mf.newState(16), TOKENS, true);
            for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], 1e-5, "logit " + i);
        }
    }

    @Test
    void tiedHeadEqualsUntiedCopyOfTheEmbedding() {
        var w = ReferenceModel.randomWeights(QWEN, 5);
        ModelConfig untied = new ModelConfig("qwen2", 64, 2, 4, 2, 16, 128, 97, 512, 1e6, 1e-6, true, false, -1, -1);
        Map<String, float[]> wu = new HashMap<>(w);
        wu.put("lm_head.weight", w.get("model.embed_tokens.weight").clone());
        try (var ft = file(QWEN, w, DType.F32); var fu = file(untied, wu, DType.F32)) {
            Transformer mt = Transformer.load(ft, QWEN), mu = Transformer.load(fu, untied);
            float[] a = mt.forward(mt.newState(16), TOKENS, true), b = mu.forward(mu.newState(16), TOKENS, true);
            // equal up to float rounding, not bit for bit: FloatVector.reduceLanes(ADD) may sum the lanes in any
            // order (its Javadoc), and the interpreted and the JIT-compiled kernels do differ; which one runs the
            // second model depends on compile timing (seen on CI: one logit off by one ulp; here: 1.2e-6 on 0.74)
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-5f * Math.max(1f, Math.abs(a[i])), "logit " + i);
            // and a different head gives different logits: the untied head is really used
            wu.put("lm_head.weight", ReferenceModel.randomWeights(QWEN, 6).get("model.embed_tokens.weight"));
            try (var fu2 = file(untied, wu, DType.F32)) {
                Transformer m2 = Transformer.load(fu2, untied);
                float[] c = m2.forward(m2.newState(16), TOKENS, true);
                assertLogits(new ReferenceModel(untied, wu).logits(TOKENS), c, 97, 1e-4, "untied");
            }
        }
    }

    @Test
    void halfPrecisionWeightsMatchReferenceOnRoundedWeights() {
        for (DType t : new DType[] {DType.F16, DType.BF16}) {
            var w = ReferenceModel.randomWeights(LLAMA, 7);
            Map<String, float[]> rounded = new HashMap<>();
            for (var e : w.entrySet()) {
                float[] a = e.getValue().clone();
                if (!e.getKey().endsWith("norm.weight"))
                    for (int i = 0; i < a.length; i++)
                        a[i] = t == DType.F16 ? Float.float16ToFloat(Float.floatToFloat16(a[i]))
                                : dev.apr.format.Floats.bf16ToF32(dev.apr.format.Floats.f32ToBf16(a[i]));
                rounded.put(e.getKey(), a);
            }
            try (var f = file(LLAMA, w, t)) {
                Transformer m = Transformer.load(f, LLAMA);
                float[] got = m.forward(m.newState(16), TOKENS, true);
                assertLogits(new ReferenceModel(LLAMA, rounded).logits(TOKENS), got, LLAMA.vocabSize(), 1e-4, t.toString());
            }
        }
    }

    /** Quantized weights (Q8_0 embedding, Q4_K/Q5_0 projections, Q6_K down) against the reference on the dequantized values. */
    @Test
    void quantizedModelMatchesReferenceOnDequantizedWeights() {
        ModelConfig c = new ModelConfig("qwen2", 256, 2, 4, 2, 64, 512, 67, 512, 1e6, 1e-6, true, true, -1, -1);
        Random r = new Random(8);
        Map<String, float[]> deq = ReferenceModel.randomWeights(c, 9);   // norms and biases stay F32
        MemoryModelFile f = new MemoryModelFile("memory");
        for (var e : c.expectedTensors().entrySet()) {
            String n = e.getKey();
            long[] shape = e.getValue();
            if (shape.length == 1) { f.put(n, DType.F32, shape, deq.get(n)); continue; }
            DType t = n.contains("embed") ? DType.Q8_0 : n.contains("down") ? DType.Q6_K
                    : n.contains("q_proj") || n.contains("up") ? DType.Q4_K : DType.Q5_0;
            int rows = (int) shape[0], cols = (int) shape[1];
            byte[] raw = QuantTestBlocks.randomBlocks(t, rows, cols, r);
            float[] vals = new float[rows * cols];
            QuantTestBlocks.dequant(t, raw, 0, rows * cols, vals, 0);
            deq.put(n, vals);
            f.putRaw(n, t, shape, raw);
        }
        try (f) {
            Transformer m = Transformer.load(f, c);
            float[] got = m.forward(m.newState(32), new int[] {1, 66, 30, 2, 2, 9}, true);
            double[][] ref = new ReferenceModel(c, deq).logits(new int[] {1, 66, 30, 2, 2, 9});
            double max = 0;
            for (double[] row : ref) for (double v : row) max = Math.max(max, Math.abs(v));
            assertLogits(ref, got, c.vocabSize(), 1e-5 * Math.max(1, max), "quantized");
        }
    }

    /** A llama GGUF stores q/k rows permuted for adjacent-pair RoPE (§4.4): the model must honour it. */
    @Test
    void llamaGgufWithPermutedQkMatchesHfReference() {
        var w = ReferenceModel.randomWeights(LLAMA, 10);
        MemoryModelFile f = new MemoryModelFile("GGUF");
        Map<String, Object> md = f.mutableMetadata();
        md.put("general.architecture", "llama");
        md.put("llama.embedding_length", 48L);
        md.put("llama.block_count", 2L);
        md.put("llama.attention.head_count", 6L);
        md.put("llama.attention.head_count_kv", 2L);
        md.put("llama.attention.key_length", 8L);
        md.put("llama.feed_forward_length", 96L);
        md.put("llama.context_length", 512L);
        md.put("llama.rope.freq_base", 10000.0f);
        md.put("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        int D = LLAMA.headDim(), E = LLAMA.hiddenSize();
        for (var e : LLAMA.expectedTensors().entrySet()) {
            String hf = e.getKey();
            float[] v = w.get(hf);
            if (hf.contains("q_proj") || hf.contains("k_proj")) {
                float[] p = v.clone();
                int rows = v.length / E;
                for (int row = 0; row < rows; row++) {
                    int head = row / D, r = row % D;
                    int src = head * D + (r % 2 == 0 ? r / 2 : r / 2 + D / 2);   // gguf row 2j <- hf j, 2j+1 <- hf j+D/2
                    System.arraycopy(v, src * E, p, row * E, E);
                }
                v = p;
            }
            f.put(Weights.fileName(f, hf), DType.F32, e.getValue(), v);
        }
        assertEquals("blk.1.attn_q.weight", Weights.fileName(f, "model.layers.1.self_attn.q_proj.weight"));
        // a real GGUF file, read as apr run reads one
        dev.apr.format.gguf.GgufWriter gw = new dev.apr.format.gguf.GgufWriter();
        for (var e : md.entrySet()) {
            switch (e.getValue()) {
                case String v -> gw.putString(e.getKey(), v);
                case Long v -> gw.putU32(e.getKey(), v);
                case Float v -> gw.putF32(e.getKey(), v);
                default -> throw new IllegalStateException(e.getKey());
            }
        }
        for (var t : f.tensors()) gw.addTensor(t.name(), t.dtype(), t.shape(), t.data());
        gw.write(dir.resolve("llama.gguf"));
        f.close();
        try (var g = dev.apr.format.ModelFiles.open(dir.resolve("llama.gguf"))) {
            Transformer m = Transformer.load(g);
            assertEquals(LLAMA, m.config());
            float[] got = m.forward(m.newState(64), TOKENS, true);
            assertLogits(new ReferenceModel(LLAMA, w).logits(TOKENS), got, LLAMA.vocabSize(), 1e-4, "llama gguf");

            // the Rust aprender tool converts a Llama GGUF to APR keeping its tensor names and bytes (rope_type 0)
            Map<String, Object> amd = new java.util.LinkedHashMap<>(LLAMA.toAprMetadata());
            amd.put("rope_type", 0);
            dev.apr.format.apr.AprWriter aw = new dev.apr.format.apr.AprWriter().metadata(amd);
            for (var t : g.tensors()) aw.tensor(t);
            aw.write(dir.resolve("llama-gguf-names.apr"));
        }
        try (var a = dev.apr.format.ModelFiles.open(dir.resolve("llama-gguf-names.apr"))) {
            assertEquals("APR", a.format());
            Transformer m = Transformer.load(a);
            float[] got = m.forward(m.newState(64), TOKENS, true);
            assertLogits(new ReferenceModel(LLAMA, w).logits(TOKENS), got, LLAMA.vocabSize(), 1e-4, "llama APR with GGUF names");
        }
    }

    @Test
    void refusesBadTokensOverfullContextAndMissingTensors() {
        var w = ReferenceModel.randomWeights(QWEN, 11);
        try (var f = file(QWEN, w, DType.F32)) {
            Transformer m = Transformer.load(f, QWEN);
            var s = m.newState(4);
            assertEquals("BAD_TOKEN", assertThrows(dev.apr.format.AprException.class, () -> m.forward(s, new int[] {97}, false)).code());
            assertEquals("CONTEXT_FULL", assertThrows(dev.apr.format.AprException.class, () -> m.forward(s, TOKENS, false)).code());
            ModelConfig untied = new ModelConfig("qwen2", 64, 2, 4, 2, 16, 128, 97, 512, 1e6, 1e-6, true, false, -1, -1);
            var e = assertThrows(dev.apr.format.AprException.class, () -> Transformer.load(f, untied));
            assertEquals("MISSING_TENSOR", e.code());
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("lm_head.weight"), e.getMessage());
        }
    }
}
