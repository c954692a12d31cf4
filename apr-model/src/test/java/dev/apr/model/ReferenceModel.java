package dev.apr.model;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * A plain double-precision Llama/Qwen2 forward pass written for the tests, straight from the HF
 * modeling code (RMSNorm, rotate-half RoPE, GQA with causal mask, SwiGLU), independent of the
 * production kernels. Weights are HF-named float arrays.
 */
final class ReferenceModel {
    final ModelConfig c;
    final Map<String, float[]> w;

    ReferenceModel(ModelConfig c, Map<String, float[]> w) { this.c = c; this.w = w; }

    /** Random weights of every tensor c expects (std 0.15, norms around 1). */
    static Map<String, float[]> randomWeights(ModelConfig c, long seed) {
        Random r = new Random(seed);
        Map<String, float[]> m = new HashMap<>();
        for (var e : c.expectedTensors().entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            float[] a = new float[(int) n];
            boolean norm = e.getKey().endsWith("norm.weight");
            for (int i = 0; i < a.length; i++) a[i] = norm ? 1f + 0.2f * (float) r.nextGaussian() : 0.15f * (float) r.nextGaussian();
            m.put(e.getKey(), a);
        }
        return m;
    }

    /** Logits [T][vocab] for the tokens at positions 0..T-1. */
    double[][] logits(int[] tokens) {
        int T = tokens.length, E = c.hiddenSize(), H = c.numHeads(), KVH = c.numKvHeads(), D = c.headDim();
        int F = c.intermediateSize(), V = c.vocabSize();
        double[][] x = new double[T][E];
        float[] emb = w.get("model.embed_tokens.weight");
        for (int t = 0; t < T; t++) for (int i = 0; i < E; i++) x[t][i] = emb[tokens[t] * E + i];
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            double[][] q = new double[T][], k = new double[T][], v = new double[T][];
            for (int t = 0; t < T; t++) {
                double[] h = rmsnorm(x[t], w.get(p + "input_layernorm.weight"));
                q[t] = linear(p + "self_attn.q_proj", h, H * D);
                k[t] = linear(p + "self_attn.k_proj", h, KVH * D);
                v[t] = linear(p + "self_attn.v_proj", h, KVH * D);
                rope(q[t], H, t);
                rope(k[t], KVH, t);
            }
            for (int t = 0; t < T; t++) {
                double[] att = new double[H * D];
                for (int hd = 0; hd < H; hd++) {
                    int kvh = hd / (H / KVH);
                    double[] s = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int u = 0; u <= t; u++) {
                        double d = 0;
                        for (int i = 0; i < D; i++) d += q[t][hd * D + i] * k[u][kvh * D + i];
                        s[u] = d / Math.sqrt(D);
                        max = Math.max(max, s[u]);
                    }
                    double sum = 0;
                    for (int u = 0; u <= t; u++) sum += s[u] = Math.exp(s[u] - max);
                    for (int u = 0; u <= t; u++)
                        for (int i = 0; i < D; i++) att[hd * D + i] += s[u] / sum * v[u][kvh * D + i];
                }
                double[] o = linear(p + "self_attn.o_proj", att, E);
                for (int i = 0; i < E; i++) x[t][i] += o[i];
            }
            for (int t = 0; t < T; t++) {
                double[] h = rmsnorm(x[t], w.get(p + "post_attention_layernorm.weight"));
                double[] g = linear(p + "mlp.gate_proj", h, F), u = linear(p + "mlp.up_proj", h, F);
                for (int i = 0; i < F; i++) g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
                double[] d = linear(p + "mlp.down_proj", g, E);
                for (int i = 0; i < E; i++) x[t][i] += d[i];
            }
        }
        String head = c.tieWordEmbeddings() ? "model.embed_tokens" : "lm_head";
        double[][] out = new double[T][];
        for (int t = 0; t < T; t++) out[t] = linear(head, rmsnorm(x[t], w.get("model.norm.weight")), V);
        return out;
    }

    private double[] rmsnorm(double[] x, float[] g) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double s = 1 / Math.sqrt(ss / x.length + c.rmsNormEps());
        double[] o = new double[x.length];
        for (int i = 0; i < x.length; i++) o[i] = x[i] * s * g[i];
        return o;
    }

    /** W·x (+ bias when the tensor exists). */
    private double[] linear(String name, double[] x, int out) {
        float[] W = w.get(name + ".weight"), b = w.get(name + ".bias");
        double[] y = new double[out];
        for (int r = 0; r < out; r++) {
            double s = b == null ? 0 : b[r];
            for (int i = 0; i < x.length; i++) s += W[r * x.length + i] * x[i];
            y[r] = s;
        }
        return y;
    }

    /** HF rotate_half: element i pairs with i + D/2, angle pos·θ^(−2i/D). */
    private void rope(double[] x, int heads, int pos) {
        int D = c.headDim();
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < D / 2; i++) {
                double a = pos * Math.pow(c.ropeTheta(), -2.0 * i / D);
                double x0 = x[h * D + i], x1 = x[h * D + i + D / 2];
                x[h * D + i] = x0 * Math.cos(a) - x1 * Math.sin(a);
                x[h * D + i + D / 2] = x1 * Math.cos(a) + x0 * Math.sin(a);
            }
    }
}
