package dev.apr.train;

import dev.apr.model.kernel.Matmul;
import dev.apr.train.kernel.Ops;
import dev.apr.model.kernel.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The training ops, forward and backward side by side, on plain float arrays of {@code rows}
 * rows (rows = batch * seq, row n is position n % seq of sequence n / seq). Backward functions
 * ADD into their gradient outputs. Each is checked against finite differences of a
 * double-precision reference in the tests.
 */
final class Layers {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private Layers() {}

    // ---- RMSNorm -------------------------------------------------------------------------

    /** y = x / sqrt(mean(x^2) + eps) * w, per row of width c; keeps 1/rms per row. */
    static void rmsnorm(float[] y, float[] rstd, float[] x, float[] w, int wOff, int rows, int c, float eps) {
        Parallel.range(rows, 16, (a, b) -> {
            for (int n = a; n < b; n++) {
                float r = (float) (1.0 / Math.sqrt(Ops.sumSquares(x, n * c, c) / c + eps));
                rstd[n] = r;
                for (int i = 0; i < c; i++) y[n * c + i] = x[n * c + i] * r * w[wOff + i];
            }
        });
    }

    /** dx += r * (dy*w) - x * r^3 / c * sum(dy*w*x);  dw += sum_rows dy * x * r. */
    static void rmsnormBackward(float[] dx, float[] dw, int dwOff, float[] dy, float[] x, float[] rstd,
                                float[] w, int wOff, int rows, int c) {
        Parallel.range(rows, 16, (a, b) -> {
            for (int n = a; n < b; n++) {
                int o = n * c;
                float r = rstd[n];
                double dot = Ops.dot3(dy, o, w, wOff, x, o, c);
                float c2 = (float) (dot * r * r * r / c);
                for (int i = 0; i < c; i++) dx[o + i] += r * dy[o + i] * w[wOff + i] - x[o + i] * c2;
            }
        });
        // a column sum over rows, split by columns so threads never share an element
        Parallel.range(c, 16, (a, b) -> {
            for (int n = 0; n < rows; n++) {
                float r = rstd[n];
                int o = n * c;
                for (int i = a; i < b; i++) dw[dwOff + i] += dy[o + i] * x[o + i] * r;
            }
        });
    }

    // ---- RoPE (HF rotate-half) ----------------------------------------------------------

    /** cos/sin tables [seq, hd/2]: angle = position · invFreq[i] (θ^(−2i/hd), or its Llama 3.1 scaling). */
    static float[][] ropeTables(int seq, double[] invFreq) {
        int half = invFreq.length;
        float[] cos = new float[seq * half], sin = new float[seq * half];
        for (int t = 0; t < seq; t++) dev.apr.model.kernel.Ops.ropeAngles(t, invFreq, cos, sin, t * half);   // the forward pass's angles
        return new float[][] {cos, sin};
    }

    /**
     * In place on [rows, heads*hd]: pairs (i, i + hd/2) turn by their angle. {@code inverse}
     * applies the transposed rotation, which is the backward pass of a rotation.
     */
    static void rope(float[] x, int rows, int seq, int heads, int hd, float[] cos, float[] sin, boolean inverse) {
        int half = hd / 2, width = heads * hd;
        Parallel.range(rows, 16, (a, b) -> {
            for (int n = a; n < b; n++) {
                int t = n % seq;
                for (int h = 0; h < heads; h++) {
                    int base = n * width + h * hd;
                    for (int i = 0; i < half; i++) {
                        float co = cos[t * half + i], s = inverse ? -sin[t * half + i] : sin[t * half + i];
                        float x1 = x[base + i], x2 = x[base + i + half];
                        x[base + i] = x1 * co - x2 * s;
                        x[base + i + half] = x2 * co + x1 * s;
                    }
                }
            }
        });
    }

    // ---- causal grouped-query attention -------------------------------------------------

    /** Query rows per block: the causal mask lets block [r0, r1) skip every key after r1. */
    static final int ATT_BLOCK = 64;

    /**
     * O[rows, H*hd] = softmax(Q K^T / sqrt(hd), causal) V, K/V heads shared by groups of H/KV query
     * heads. Keeps the log-sum-exp of each score row [batch, H, seq] so the backward pass can
     * recompute the probabilities. One task per (sequence, kv head); within it, blocks of query
     * rows go through the GEMM micro-kernel, unpacked, on operands that sit in cache: S = Q K^T (only
     * keys up to the block's end), then P V. (Through the packing GEMM, attention forward + backward
     * took 5.4 ms per layer at batch 4 x seq 256, 4/2 heads of 64; in place, 3.7 ms. Zen 5, 2 threads.)
     */
    static void attention(float[] O, float[] lse, float[] Q, float[] K, float[] V,
                          int batch, int seq, int H, int KV, int hd) {
        int group = H / KV, qd = H * hd, kvd = KV * hd;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.range(batch * KV, 1, (a, b) -> {
            float[] kT = new float[hd * seq], s = new float[ATT_BLOCK * seq];
            for (int task = a; task < b; task++) {
                int bt = task / KV, kvh = task % KV;
                int kOff = bt * seq * kvd + kvh * hd;
                transpose(K, kOff, kvd, kT, seq, hd);
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    for (int r0 = 0; r0 < seq; r0 += ATT_BLOCK) {
                        int r1 = Math.min(seq, r0 + ATT_BLOCK), rb = r1 - r0;
                        int qOff = (bt * seq + r0) * qd + h * hd;
                        Matmul.gemmInPlace(rb, r1, hd, Q, qOff, qd, 1, kT, 0, seq, s, 0, seq, false);
                        for (int i = 0; i < rb; i++) {
                            int t = r0 + i, row = i * seq;
                            Ops.scale(s, row, t + 1, scale);
                            float m = Ops.max(s, row, t + 1);
                            double sum = Ops.expShiftSum(s, row, t + 1, m);
                            Ops.scale(s, row, t + 1, (float) (1.0 / sum));
                            Arrays.fill(s, row + t + 1, row + r1, 0f);
                            lse[(bt * H + h) * seq + t] = (float) (m + Math.log(sum));
                        }
                        Matmul.gemmInPlace(rb, hd, r1, s, 0, seq, 1, V, kOff, kvd, O, qOff, qd, false);
                    }
                }
            }
        });
    }

    /** dst[d * seq + t] = src[off + t * stride + d] for t < seq, d < hd (one head's K or V, transposed). */
    private static void transpose(float[] src, int off, int stride, float[] dst, int seq, int hd) {
        for (int t = 0; t < seq; t++)
            for (int d = 0; d < hd; d++) dst[d * seq + t] = src[off + t * stride + d];
    }

    /**
     * Adds dQ, dK, dV given dO. With P recomputed from the saved log-sum-exp, per block of query rows:
     * dV += P^T dO; dP = dO V^T; dS = P ∘ (dP - rowsum(dO ∘ O)) / sqrt(hd); dQ += dS K; dK += dS^T Q.
     */
    static void attentionBackward(float[] dQ, float[] dK, float[] dV, float[] dO,
                                  float[] O, float[] lse, float[] Q, float[] K, float[] V,
                                  int batch, int seq, int H, int KV, int hd) {
        int group = H / KV, qd = H * hd, kvd = KV * hd;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.range(batch * KV, 1, (a, b) -> {
            float[] kT = new float[hd * seq], vT = new float[hd * seq];
            float[] p = new float[ATT_BLOCK * seq], dp = new float[ATT_BLOCK * seq];
            for (int task = a; task < b; task++) {
                int bt = task / KV, kvh = task % KV;
                int kOff = bt * seq * kvd + kvh * hd;
                transpose(K, kOff, kvd, kT, seq, hd);
                transpose(V, kOff, kvd, vT, seq, hd);
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    for (int r0 = 0; r0 < seq; r0 += ATT_BLOCK) {
                        int r1 = Math.min(seq, r0 + ATT_BLOCK), rb = r1 - r0;
                        int qOff = (bt * seq + r0) * qd + h * hd;
                        Matmul.gemmInPlace(rb, r1, hd, Q, qOff, qd, 1, kT, 0, seq, p, 0, seq, false);
                        Matmul.gemmInPlace(rb, r1, hd, dO, qOff, qd, 1, vT, 0, seq, dp, 0, seq, false);
                        for (int i = 0; i < rb; i++) {
                            int t = r0 + i, row = i * seq;
                            float l = lse[(bt * H + h) * seq + t];
                            float dDotO = Ops.dot(dO, qOff + i * qd, O, qOff + i * qd, hd);
                            Ops.softmaxBackwardRow(p, dp, row, t + 1, scale, l, dDotO);
                            Arrays.fill(p, row + t + 1, row + r1, 0f);
                            Arrays.fill(dp, row + t + 1, row + r1, 0f);
                        }
                        Matmul.gemmInPlace(rb, hd, r1, dp, 0, seq, 1, K, kOff, kvd, dQ, qOff, qd, true);
                        Matmul.gemmInPlace(r1, hd, rb, dp, 0, 1, seq, Q, qOff, qd, dK, kOff, kvd, true);
                        Matmul.gemmInPlace(r1, hd, rb, p, 0, 1, seq, dO, qOff, qd, dV, kOff, kvd, true);
                    }
                }
            }
        });
    }

    // ---- SwiGLU --------------------------------------------------------------------------

    static float silu(float x) { return x / (1f + (float) Math.exp(-x)); }

    /** h = silu(g) * u, elementwise over n values. */
    static void swiglu(float[] h, float[] g, float[] u, int n) {
        Parallel.range(n, 4096, (a, b) -> {
            int i = a;
            for (; i + L <= b; i += L) {
                FloatVector gv = FloatVector.fromArray(S, g, i);
                FloatVector s = gv.neg().lanewise(VectorOperators.EXP).add(1f);   // 1 + e^-g
                gv.div(s).mul(FloatVector.fromArray(S, u, i)).intoArray(h, i);
            }
            for (; i < b; i++) h[i] = silu(g[i]) * u[i];
        });
    }

    /** dg = dh * u * silu'(g), du = dh * silu(g) (overwritten, not added); silu'(g) = s (1 + g (1 - s)). */
    static void swigluBackward(float[] dg, float[] du, float[] dh, float[] g, float[] u, int n) {
        Parallel.range(n, 4096, (a, b) -> {
            int i = a;
            for (; i + L <= b; i += L) {
                FloatVector gv = FloatVector.fromArray(S, g, i), dhv = FloatVector.fromArray(S, dh, i);
                FloatVector one = FloatVector.broadcast(S, 1f);
                FloatVector s = one.div(gv.neg().lanewise(VectorOperators.EXP).add(one));
                dhv.mul(gv).mul(s).intoArray(du, i);
                dhv.mul(FloatVector.fromArray(S, u, i)).mul(s).mul(gv.mul(one.sub(s)).add(one)).intoArray(dg, i);
            }
            for (; i < b; i++) {
                float s = 1f / (1f + (float) Math.exp(-g[i]));
                du[i] = dh[i] * g[i] * s;
                dg[i] = dh[i] * u[i] * s * (1f + g[i] * (1f - s));
            }
        });
    }

    // ---- cross-entropy on one chunk of logits -------------------------------------------

    /**
     * For each of {@code n} rows of logits [n, vocab]: returns the row losses
     * (log-sum-exp - logit[target]) in {@code rowLoss}; with {@code g != 0} replaces the logits by
     * g * (softmax - onehot(target)), the gradient of g * loss.
     */
    static void crossEntropy(float[] logits, int n, int vocab, int[] targets, int tOff, double[] rowLoss, float g) {
        Parallel.range(n, 1, (a, b) -> {
            for (int i = a; i < b; i++) {
                int o = i * vocab, target = targets[tOff + i];
                float m = Ops.max(logits, o, vocab);
                float zt = logits[o + target];
                double sum = Ops.expShiftSum(logits, o, vocab, m);
                rowLoss[i] = Math.log(sum) + m - zt;
                if (g != 0f) {
                    Ops.scale(logits, o, vocab, (float) (g / sum));
                    logits[o + target] -= g;
                }
            }
        });
    }
}
