package dev.apr.model.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Prefill's product {@code y[t, r] = W[r]·x[t]} for a block of tokens, in outer-product form: the
 * tokens lie across the vector lanes and each weight is broadcast, so the 4 × (4 vectors of tokens)
 * register tile needs no horizontal sums, and every loaded vector of activations feeds four
 * multiply-adds (the dot-product form needs one load per multiply-add of each 4×4 tile, and 16 lane
 * reductions per tile). This is the GotoBLAS micro-kernel {@link Matmul} uses for training, with the
 * dequantized weight rows read in place as its broadcast operand.
 *
 * <p>The activations are transposed once per product into token blocks of {@link #NT} tokens
 * ({@code xt[block][col][NT]}; the last block is half as wide when its tokens fit, else padded with
 * zeros); rows are dequantized into a per-thread panel of {@link #PANEL} rows, which then meets every
 * token block in column chunks of {@link #KC} (one chunk of a token block, 32 KiB with AVX-512, stays
 * in L1 while the panel's eight row tiles pass over it). Each output is one fp32 sum over the columns
 * in order, the same dot product matvec computes up to float rounding.
 *
 * <p>Measured (Zen 5, one thread, T = 128, thread CPU time, alternating with the dot-product kernel in
 * one JVM): 896×4864 F32 108 → 146 GFLOP/s, F16 120 → 147, Q8_0 110 → 155, Q4_K 98 → 118; on two
 * threads with these block sizes (panel 32, KC 128; panel 16 and KC 256/512 measured slower)
 * F16 / Q8_0 reach 262–318 GFLOP/s on the 0.5B model's shapes. Below one block of tokens the
 * padding would waste most lanes, so {@link WeightMatrix#matmul} keeps the dot-product kernel there.
 */
final class Prefill {
    private Prefill() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Tokens per block: four vectors of lanes. */
    static final int NT = 4 * L;
    /** Weight rows dequantized together (eight register tiles of four rows). */
    static final int PANEL = 32;
    /** Columns per pass of the micro-kernel over one token block. */
    static final int KC = 128;

    /** Largest transposed-activation buffer kept per calling thread between products (16 MiB). */
    private static final int KEEP_FLOATS = 4 << 20;
    private static final ThreadLocal<float[]> XT = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> W = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> C = ThreadLocal.withInitial(() -> new float[PANEL * NT]);

    /**
     * {@code ys[i][t*rows_i + r] = ms[i] row r · x[t*cols ..]} for every matrix (all with the same
     * column count): q/k/v or gate/up share one transposition of x and one parallel region, whose
     * panels run over the rows of all the matrices.
     */
    static void matmul(WeightMatrix[] ms, float[] x, int tokens, float[][] ys) {
        if (tokens < NT) throw new IllegalArgumentException("prefill blocks need at least " + NT + " tokens, got " + tokens);
        int cols = ms[0].cols;
        int blocks = (tokens + NT - 1) / NT;
        float[] xt = XT.get();
        int need = blocks * cols * NT;
        if (xt.length < need) {
            xt = new float[need];
            if (need <= KEEP_FLOATS) XT.set(xt);   // a long prompt's buffer is not kept after the call
        }
        transpose(x, tokens, cols, blocks, xt);
        float[] xtf = xt;
        int[] firstPanel = new int[ms.length + 1];
        for (int i = 0; i < ms.length; i++) firstPanel[i + 1] = firstPanel[i] + (ms[i].rows + PANEL - 1) / PANEL;
        int panels = firstPanel[ms.length];
        int grain = Math.max(1, Math.min(2, panels / (4 * Parallel.shared().threads())));
        Parallel.range(panels, grain, (p0, p1) -> {
            float[] w = W.get();
            if (w.length < PANEL * cols) W.set(w = new float[PANEL * cols]);
            float[] c = C.get();
            for (int p = p0; p < p1; p++) {
                int mi = 0;
                while (p >= firstPanel[mi + 1]) mi++;
                panel(ms[mi], (p - firstPanel[mi]) * PANEL, w, xtf, tokens, blocks, c, ys[mi]);
            }
        });
    }

    /** Rows [r0, r0 + PANEL) of one matrix against every token block. */
    private static void panel(WeightMatrix m, int r0, float[] w, float[] xt, int tokens, int blocks, float[] c, float[] y) {
        int rows = m.rows, cols = m.cols;
        int nr = Math.min(PANEL, rows - r0), tiles = (nr + 3) / 4;
        for (int i = 0; i < nr; i++) m.row(r0 + i, w, i * cols);
        Arrays.fill(w, nr * cols, tiles * 4 * cols, 0f);   // a partial last tile multiplies zeros
        for (int b = 0; b < blocks; b++) {
            int t0 = b * NT, nt = Math.min(NT, tokens - t0), width = width(nt);
            Arrays.fill(c, 0f);
            for (int k0 = 0; k0 < cols; k0 += KC) {
                int kc = Math.min(KC, cols - k0), xo = b * cols * NT + k0 * width;
                for (int tile = 0; tile < tiles; tile++) {
                    if (width == NT) Matmul.kernel4x4(kc, w, tile * 4 * cols + k0, cols, 1, xt, xo, NT, c, tile * 4 * NT, NT, true);
                    else halfKernel(kc, w, tile * 4 * cols + k0, cols, xt, xo, c, tile * 4 * NT);
                }
            }
            for (int j = 0; j < nt; j++)
                for (int i = 0; i < nr; i++) y[(t0 + j) * rows + r0 + i] = c[i * NT + j];
        }
    }

    /** A block of nt tokens is NT wide, or half that when its tokens fit (the last block of a prompt). */
    private static int width(int nt) { return nt <= NT / 2 ? NT / 2 : NT; }

    /**
     * {@code xt[b*cols*NT + k*width + j] = x[(b*NT + j)*cols + k]} where width is the block's
     * {@link #width}; zero past the last token.
     */
    private static void transpose(float[] x, int tokens, int cols, int blocks, float[] xt) {
        int chunks = (cols + KC - 1) / KC;
        Parallel.range(blocks * chunks, 1, (a, e) -> {
            for (int task = a; task < e; task++) {
                int b = task / chunks, k0 = (task % chunks) * KC, k1 = Math.min(cols, k0 + KC);
                int width = width(Math.min(NT, tokens - b * NT));
                for (int j = 0; j < width; j++) {
                    int t = b * NT + j, dst = b * cols * NT + k0 * width + j;
                    if (t < tokens) {
                        for (int k = k0, src = t * cols + k0; k < k1; k++, src++, dst += width) xt[dst] = x[src];
                    } else {
                        for (int k = k0; k < k1; k++, dst += width) xt[dst] = 0f;
                    }
                }
            }
        });
    }

    /**
     * {@code c[co + i*NT + j] += Σ_k w[wo + i*ldw + k] · xt[xo + k*2L + j]} for 4 rows i and a half-width
     * block of 2L tokens j: 4 rows × 2 vectors, 8 accumulators (full blocks use {@link Matmul}'s 4 × 4-vector
     * micro-kernel with the weight rows as its in-place A).
     */
    private static void halfKernel(int kc, float[] w, int wo, int ldw, float[] xt, int xo, float[] c, int co) {
        int w1 = wo + ldw, w2 = w1 + ldw, w3 = w2 + ldw;
        int c1 = co + NT, c2 = c1 + NT, c3 = c2 + NT;
        FloatVector a00 = FloatVector.fromArray(S, c, co), a01 = FloatVector.fromArray(S, c, co + L);
        FloatVector a10 = FloatVector.fromArray(S, c, c1), a11 = FloatVector.fromArray(S, c, c1 + L);
        FloatVector a20 = FloatVector.fromArray(S, c, c2), a21 = FloatVector.fromArray(S, c, c2 + L);
        FloatVector a30 = FloatVector.fromArray(S, c, c3), a31 = FloatVector.fromArray(S, c, c3 + L);
        for (int k = 0, xk = xo; k < kc; k++, xk += 2 * L) {
            FloatVector b0 = FloatVector.fromArray(S, xt, xk), b1 = FloatVector.fromArray(S, xt, xk + L);
            FloatVector v = FloatVector.broadcast(S, w[wo + k]);
            a00 = v.fma(b0, a00); a01 = v.fma(b1, a01);
            v = FloatVector.broadcast(S, w[w1 + k]);
            a10 = v.fma(b0, a10); a11 = v.fma(b1, a11);
            v = FloatVector.broadcast(S, w[w2 + k]);
            a20 = v.fma(b0, a20); a21 = v.fma(b1, a21);
            v = FloatVector.broadcast(S, w[w3 + k]);
            a30 = v.fma(b0, a30); a31 = v.fma(b1, a31);
        }
        a00.intoArray(c, co); a01.intoArray(c, co + L);
        a10.intoArray(c, c1); a11.intoArray(c, c1 + L);
        a20.intoArray(c, c2); a21.intoArray(c, c2 + L);
        a30.intoArray(c, c3); a31.intoArray(c, c3 + L);
    }
}
