package dev.apr.train;

import dev.apr.model.ModelConfig;

/**
 * A plain double-precision transformer written independently of the trainer (straight loops, no
 * kernels): the oracle for finite differences and for the forward pass.
 */
final class Reference {
    private Reference() {}

    static double[] rmsnorm(double[] x, double[] w, int wOff, int rows, int c, double eps) {
        double[] y = new double[rows * c];
        for (int n = 0; n < rows; n++) {
            double ss = 0;
            for (int i = 0; i < c; i++) ss += x[n * c + i] * x[n * c + i];
            double r = 1 / Math.sqrt(ss / c + eps);
            for (int i = 0; i < c; i++) y[n * c + i] = x[n * c + i] * r * w[wOff + i];
        }
        return y;
    }

    /** HF rotate_half: out = x*cos + rotate_half(x)*sin with rotate_half(x) = [-x2, x1]. */
    static double[] rope(double[] x, int rows, int seq, int heads, int hd, double theta) {
        double[] y = x.clone();
        int half = hd / 2;
        for (int n = 0; n < rows; n++) {
            int pos = n % seq;
            for (int h = 0; h < heads; h++) {
                int b = n * heads * hd + h * hd;
                for (int i = 0; i < hd; i++) {
                    double invFreq = 1 / Math.pow(theta, (2.0 * (i % half)) / hd);
                    double ang = pos * invFreq;
                    double rot = i < half ? -x[b + i + half] : x[b + i - half];
                    y[b + i] = x[b + i] * Math.cos(ang) + rot * Math.sin(ang);
                }
            }
        }
        return y;
    }

    /** Causal attention; query head h reads kv head h / (H/KV) (repeat_kv). */
    static double[] attention(double[] q, double[] k, double[] v, int batch, int seq, int H, int KV, int hd) {
        double[] o = new double[batch * seq * H * hd];
        int group = H / KV;
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < H; h++)
                for (int t = 0; t < seq; t++) {
                    double[] s = new double[t + 1];
                    double m = Double.NEGATIVE_INFINITY;
                    for (int t2 = 0; t2 <= t; t2++) {
                        double d = 0;
                        for (int i = 0; i < hd; i++)
                            d += q[(b * seq + t) * H * hd + h * hd + i] * k[(b * seq + t2) * KV * hd + (h / group) * hd + i];
                        s[t2] = d / Math.sqrt(hd);
                        m = Math.max(m, s[t2]);
                    }
                    double sum = 0;
                    for (int t2 = 0; t2 <= t; t2++) sum += (s[t2] = Math.exp(s[t2] - m));
                    for (int t2 = 0; t2 <= t; t2++)
                        for (int i = 0; i < hd; i++)
                            o[(b * seq + t) * H * hd + h * hd + i] += s[t2] / sum * v[(b * seq + t2) * KV * hd + (h / group) * hd + i];
                }
        return o;
    }

    static double silu(double x) { return x / (1 + Math.exp(-x)); }

    /** y[rows, out] = x[rows, in] W^T (+ b) with W [out, in] at wOff. */
    static double[] linear(double[] x, int rows, int in, int out, double[] p, int wOff, int bOff) {
        double[] y = new double[rows * out];
        for (int n = 0; n < rows; n++)
            for (int o = 0; o < out; o++) {
                double s = bOff >= 0 ? p[bOff + o] : 0;
                for (int i = 0; i < in; i++) s += x[n * in + i] * p[wOff + o * in + i];
                y[n * out + o] = s;
            }
        return y;
    }

    /** Mean cross-entropy of logits [rows, vocab]. */
    static double crossEntropy(double[] logits, int rows, int vocab, int[] targets) {
        double total = 0;
        for (int n = 0; n < rows; n++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) m = Math.max(m, logits[n * vocab + j]);
            double s = 0;
            for (int j = 0; j < vocab; j++) s += Math.exp(logits[n * vocab + j] - m);
            total += Math.log(s) + m - logits[n * vocab + targets[n]];
        }
        return total / rows;
    }

    /** Logits [batch*seq, vocab] of the whole model with parameters p laid out by {@code layout}. */
    static double[] logits(ModelConfig cfg, ParamLayout layout, double[] p, int[] tokens, int batch, int seq) {
        int rows = batch * seq, C = cfg.hiddenSize(), H = cfg.numHeads(), KV = cfg.numKvHeads(), hd = cfg.headDim();
        int F = cfg.intermediateSize(), V = cfg.vocabSize();
        double[] x = new double[rows * C];
        int emb = layout.slot("model.embed_tokens.weight").offset();
        for (int n = 0; n < rows; n++)
            for (int i = 0; i < C; i++) x[n * C + i] = p[emb + tokens[n] * C + i];
        for (int l = 0; l < cfg.numLayers(); l++) {
            String pre = "model.layers." + l + ".";
            double[] h = rmsnorm(x, p, layout.slot(pre + "input_layernorm.weight").offset(), rows, C, cfg.rmsNormEps());
            double[] q = linear(h, rows, C, H * hd, p, layout.slot(pre + "self_attn.q_proj.weight").offset(), bias(layout, pre + "self_attn.q_proj.bias"));
            double[] k = linear(h, rows, C, KV * hd, p, layout.slot(pre + "self_attn.k_proj.weight").offset(), bias(layout, pre + "self_attn.k_proj.bias"));
            double[] v = linear(h, rows, C, KV * hd, p, layout.slot(pre + "self_attn.v_proj.weight").offset(), bias(layout, pre + "self_attn.v_proj.bias"));
            q = rope(q, rows, seq, H, hd, cfg.ropeTheta());
            k = rope(k, rows, seq, KV, hd, cfg.ropeTheta());
            double[] a = attention(q, k, v, batch, seq, H, KV, hd);
            double[] o = linear(a, rows, H * hd, C, p, layout.slot(pre + "self_attn.o_proj.weight").offset(), -1);
            for (int i = 0; i < x.length; i++) x[i] += o[i];
            double[] h2 = rmsnorm(x, p, layout.slot(pre + "post_attention_layernorm.weight").offset(), rows, C, cfg.rmsNormEps());
            double[] g = linear(h2, rows, C, F, p, layout.slot(pre + "mlp.gate_proj.weight").offset(), -1);
            double[] u = linear(h2, rows, C, F, p, layout.slot(pre + "mlp.up_proj.weight").offset(), -1);
            for (int i = 0; i < g.length; i++) g[i] = silu(g[i]) * u[i];
            double[] d = linear(g, rows, F, C, p, layout.slot(pre + "mlp.down_proj.weight").offset(), -1);
            for (int i = 0; i < x.length; i++) x[i] += d[i];
        }
        double[] hf = rmsnorm(x, p, layout.slot("model.norm.weight").offset(), rows, C, cfg.rmsNormEps());
        return linear(hf, rows, C, V, p, layout.lmHead().offset(), -1);
    }

    static double loss(ModelConfig cfg, ParamLayout layout, double[] p, int[] in, int[] tg, int batch, int seq) {
        return crossEntropy(logits(cfg, layout, p, in, batch, seq), batch * seq, cfg.vocabSize(), tg);
    }

    private static int bias(ParamLayout layout, String name) {
        return layout.has(name) ? layout.slot(name).offset() : -1;
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
