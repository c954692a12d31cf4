package dev.apr.model.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * apr's fp32 matrix multiply, {@code C[M,N] (+)= A[M,K] · B[K,N]}, GotoBLAS style: training's
 * forward and backward of every linear layer, the lm_head and attention run through it. (Inference
 * reads quantized weights in place through {@link WeightMatrix} instead.)
 *
 * <p>One kernel serves forward and backward: A is read through two strides (so {@code dout^T}
 * needs no transposed copy), B is row-major with a leading dimension or,
 * through {@link #gemmBt}, a weight matrix read as its transpose; C is row-major. A row-major A is
 * read in place by the micro-kernel (four row streams) whenever B is packed; otherwise A is packed into a
 * small k-major buffer per block (a transposed A, a weight gradient's dYᵀ, 4 values per k at a time).
 * Packing A cost 10–15 % on the narrow products (N = 256: each packed value meets only 512 FLOPs):
 * Zen 5, one thread, train-bench shapes: head dX 146 → 166–169 GFLOP/s, head dW 124 → 141–145
 * (the whole vocab-151936 step gains only ~2 %, within this machine's noise). B is streamed from a cache-sized block [KC x NC] (copied into contiguous 64-column panels always for a
 * transposed B, and for a row-major B when a task has more than one A panel to run over it: the latter made
 * training steps about 10% faster at vocab 8192, 3% at 151936,
 * measured with TrainBench on this 2-core Zen 4), and the micro-kernel keeps a 4 x 64 tile of C
 * in 16 vector registers: per k, 4 broadcasts and 4 loads feed 16 fused multiply-adds.
 * Rows of C are split over the thread team, so no two threads write the same element.
 */
public final class Matmul {
    private Matmul() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    private static final VectorSpecies<Float> Q = FloatVector.SPECIES_128;   // MR floats: one row of a packed panel
    static final int MR = 4;            // rows of the micro-tile
    static final int NR = 4 * L;        // columns of the micro-tile (64 with AVX-512)
    // block sizes: the A panel MC x KC and the B block KC x NC stay in L2, and one 64-column B panel
    // (KC x 64 floats, 32 KiB) in a 48 KiB L1 while 16 row tiles pass over it. KC 128 against 256, the six
    // training shapes alternating in one JVM (Zen 5, 2 threads): +4-15 % each (head dW 265 -> 302 GFLOP/s);
    // 64 was slower again. Whole-K packing of B for the weight gradients (C visited once) measured slower.
    // (Tunable for benchmarks.)
    static final int KC = Integer.getInteger("apr.gemm.kc", 128);
    static final int NC = Integer.getInteger("apr.gemm.nc", 512);
    static final int MC = Integer.getInteger("apr.gemm.mc", 64);

    private static final ThreadLocal<float[]> PACK = ThreadLocal.withInitial(() -> new float[MC * KC]);
    private static final ThreadLocal<float[]> PACK_B = ThreadLocal.withInitial(() -> new float[KC * ((NC + NR - 1) / NR * NR)]);
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[MR * NR]);
    static final boolean PACK_B_ON = !Boolean.getBoolean("apr.gemm.nopackb");   // for benchmarks
    static final boolean DIRECT_A = !Boolean.getBoolean("apr.gemm.packa");      // for benchmarks

    /**
     * {@code C(i,j) (+)= sum_k A(i,k) B(k,j)} where {@code A(i,k) = a[aOff + i*ars + k*acs]},
     * {@code B(k,j) = b[bOff + k*ldb + j]}, {@code C(i,j) = c[cOff + i*ldc + j]}.
     * With {@code accumulate == false} C is overwritten.
     */
    public static void gemm(int m, int n, int k,
                            float[] a, int aOff, int ars, int acs,
                            float[] b, int bOff, int ldb,
                            float[] c, int cOff, int ldc, boolean accumulate) {
        gemm(m, n, k, a, aOff, ars, acs, b, bOff, ldb, 1, c, cOff, ldc, accumulate);
    }

    /**
     * {@code C(i,j) (+)= sum_k A(i,k) W(j,k)}: B is W transposed, W row-major {@code [n, k]} with leading
     * dimension ldw ({@code W(j,k) = w[wOff + j*ldw + k]}). A linear layer's forward {@code x · Wᵀ} reads
     * the weights where they are: the transposition happens while packing B panels, so no transposed copy
     * of the model is kept or refreshed after each update.
     */
    public static void gemmBt(int m, int n, int k,
                              float[] a, int aOff, int ars, int acs,
                              float[] w, int wOff, int ldw,
                              float[] c, int cOff, int ldc, boolean accumulate) {
        gemm(m, n, k, a, aOff, ars, acs, w, wOff, 1, ldw, c, cOff, ldc, accumulate);
    }

    /**
     * {@code C(i,j) (+)= sum_k A(i,k) B(k,j)} on the calling thread with A and B read where they are
     * (A through two strides as in {@link #gemm}, B row-major), nothing packed: for small products whose
     * operands already sit in cache, such as attention's per-block scores and values, where packing cost
     * as much as the arithmetic. Shapes that are not whole 4 x {@code NR} tiles go through {@link #gemm}.
     */
    public static void gemmInPlace(int m, int n, int k,
                                   float[] a, int aOff, int ars, int acs,
                                   float[] b, int bOff, int ldb,
                                   float[] c, int cOff, int ldc, boolean accumulate) {
        if (m % MR != 0 || n % NR != 0) {
            gemm(m, n, k, a, aOff, ars, acs, b, bOff, ldb, c, cOff, ldc, accumulate);
            return;
        }
        for (int j = 0; j < n; j += NR)
            for (int i = 0; i < m; i += MR)
                kernel4x4(k, a, aOff + i * ars, ars, acs, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc, accumulate);
    }

    /** B(k,j) = b[bOff + k*brs + j*bcs]: bcs == 1 is row-major B, brs == 1 is B given as its transpose. */
    private static void gemm(int m, int n, int k,
                             float[] a, int aOff, int ars, int acs,
                             float[] b, int bOff, int brs, int bcs,
                             float[] c, int cOff, int ldc, boolean accumulate) {
        if (m <= 0 || n <= 0) return;
        // Tasks form a grid of row chunks x column chunks (NC wide); no two tasks share a C element.
        // Column chunks let a short, wide product (the lm_head forward) use every B element for
        // all rows; when B is large (the lm_head input gradient, K = vocab) row chunks are capped
        // at the thread count so B streams from memory as few times as possible. About two tasks per
        // thread: each task packs its own B, and four per thread measured 4-6 % slower for the
        // vocab-8192 training step (layer shapes 5-16 %), alternating in one JVM; eight, slower again.
        int threads = Parallel.shared().threads();
        int colChunks = (n + NC - 1) / NC;
        int maxRowChunks = (m + MR - 1) / MR;
        int rowChunks = Math.max(1, Math.min(maxRowChunks, (2 * threads + colChunks - 1) / colChunks));
        if ((long) k * n * 4 > (2 << 20)) rowChunks = Math.min(rowChunks, threads);
        // A task of at most one MC block of rows reads B unpacked (a copy would serve one panel only); where
        // all tasks are row chunks of one column chunk (no size imbalance to even out), fewer and larger
        // tasks that share a packed B measured better: 256 x 256 x 1024 weight gradient 210-245 -> 285-336
        // GFLOP/s, the vocab-8192 training step faster in 5 of 6 alternating runs (median +4 to +18 %)
        if (colChunks == 1) rowChunks = Math.min(rowChunks, Math.max(threads, m / (2 * MC)));
        if ((long) m * n * k < 1 << 16) { rowChunks = 1; colChunks = 1; }      // tiny: not worth a fork
        final int rowSize = ((m + rowChunks - 1) / rowChunks + MR - 1) / MR * MR;
        final int rc = (m + rowSize - 1) / rowSize, cc = colChunks;
        final int colSize = cc == 1 ? n : NC;
        Parallel.range(rc * cc, 1, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                int i0 = (t / cc) * rowSize, i1 = Math.min(m, i0 + rowSize);
                int j0 = (t % cc) * colSize, j1 = Math.min(n, j0 + colSize);
                block(i0, i1, j1 - j0, k, a, aOff, ars, acs, b, bOff + j0 * bcs, brs, bcs, c, cOff + j0, ldc, accumulate);
            }
        });
    }

    /** Rows [i0, i1) of C, single thread. */
    private static void block(int i0, int i1, int n, int k,
                              float[] a, int aOff, int ars, int acs,
                              float[] b, int bOff, int brs, int bcs,
                              float[] c, int cOff, int ldc, boolean accumulate) {
        float[] ap = PACK.get(), bp = PACK_B.get(), tile = TILE.get();
        // row-major B is copied only when several A panels will read the copy; a transposed B always is
        boolean packB = bcs != 1 || (PACK_B_ON && i1 - i0 > MC);
        // C is overwritten by the first K block's tiles where B is packed (no zeroing pass over C, no
        // reading the zeros back: the lm_head's logits are 600 MB; head forward +6-20 %, the vocab-151936
        // training step +3.5 %, A/B in one JVM); the other paths start from zeros
        if (!accumulate && (!packB || k == 0))
            for (int i = i0; i < i1; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
        // a row-major A is read in place by the micro-kernel (only a short last row tile is packed)
        boolean directA = acs == 1 && packB && DIRECT_A;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean overwrite = !accumulate && pc == 0;
                if (packB) packB(bp, kc, nc, b, bOff + pc * brs + jc * bcs, brs, bcs);
                for (int ic = i0; ic < i1; ic += MC) {
                    int mc = Math.min(MC, i1 - ic), aBlock = aOff + ic * ars + pc * acs;
                    if (directA) {
                        int full = mc - mc % MR;
                        if (full < mc) pack(ap, mc - full, kc, a, aBlock + full * ars, ars, acs);
                        panelPacked(mc, nc, kc, a, aBlock, ars, ap, bp, tile, c, cOff + ic * ldc + jc, ldc, overwrite);
                    } else {
                        pack(ap, mc, kc, a, aBlock, ars, acs);
                        if (packB) panelPacked(mc, nc, kc, null, 0, 0, ap, bp, tile, c, cOff + ic * ldc + jc, ldc, overwrite);
                        else panel(mc, nc, kc, ap, b, bOff + pc * brs + jc, brs, c, cOff + ic * ldc + jc, ldc);
                    }
                }
            }
        }
    }

    /** Packs A[mc x kc] into micro-panels of MR rows, k-major: ap[p*MR*kc + kk*MR + r]; short panels padded with 0. */
    private static void pack(float[] ap, int mc, int kc, float[] a, int off, int ars, int acs) {
        if (ars == 1 && MR == Q.length()) {
            // A given as its transpose (a weight gradient's dYᵀ): each k is a contiguous run of mc values,
            // read once, 4 at a time into the 4 rows of a panel (row by row would touch a new page per k)
            int full = mc - mc % MR;
            for (int kk = 0; kk < kc; kk++) {
                int src = off + kk * acs;
                for (int p = 0; p < full; p += MR) FloatVector.fromArray(Q, a, src + p).intoArray(ap, p * kc + kk * MR);
                for (int r = 0; full < mc && r < MR; r++) ap[full * kc + kk * MR + r] = full + r < mc ? a[src + full + r] : 0f;
            }
            return;
        }
        for (int p = 0; p < mc; p += MR) {
            int base = p * kc;
            int rows = Math.min(MR, mc - p);
            for (int r = 0; r < MR; r++) {
                if (r < rows) {
                    int src = off + (p + r) * ars;
                    for (int kk = 0; kk < kc; kk++) ap[base + kk * MR + r] = a[src + kk * acs];
                } else {
                    for (int kk = 0; kk < kc; kk++) ap[base + kk * MR + r] = 0f;
                }
            }
        }
    }

    /**
     * Copies B[kc x nc] into NR-wide column panels, k-major: {@code bp[jp*kc + kk*NR + col]}; the last
     * panel is padded with zeros. A row-major B is copied row by row; a transposed B is scattered into
     * the panel with scalar stores (7.5 % of a qwen2-0.5b training step, JFR: the price of keeping no transposed copy).
     */
    private static void packB(float[] bp, int kc, int nc, float[] b, int bOff, int brs, int bcs) {
        if (bcs == 1) {
            // k outer: each source row is read once, front to back, into the panels (panel by panel read
            // each row in NR-wide pieces: the lm_head input gradient's copy 13 -> 9.4 % of its time, perf)
            for (int kk = 0; kk < kc; kk++) {
                int src = bOff + kk * brs;
                for (int jp = 0; jp < nc; jp += NR) {
                    int w = Math.min(NR, nc - jp), d = jp * kc + kk * NR;
                    System.arraycopy(b, src + jp, bp, d, w);
                    if (w < NR) java.util.Arrays.fill(bp, d + w, d + NR, 0f);
                }
            }
            return;
        }
        // a transposed B, source row by source row: sequential reads the hardware prefetcher follows (the
        // lm_head's weight streams from memory), strided writes into the L1-resident panel. Reading k by k
        // across 64 rows measured 15.5 % of the head's logits GEMM against 12.3 % (perf, 512 rows)
        for (int jp = 0; jp < nc; jp += NR) {
            int w = Math.min(NR, nc - jp), dst = jp * kc;
            for (int col = 0; col < NR; col++) {
                int d = dst + col, src = bOff + (jp + col) * bcs;
                if (col < w) for (int kk = 0; kk < kc; kk++) bp[d + kk * NR] = b[src + kk * brs];
                else for (int kk = 0; kk < kc; kk++) bp[d + kk * NR] = 0f;
            }
        }
    }

    /**
     * C[mc x nc] += A · packed B, A packed (a == null) or read in place from its rows
     * {@code a[aBlock + i*ars + k]} with only a short last row tile packed at the start of ap. Full
     * 4 x 64 tiles go straight to C; an edge tile (short of rows or columns, read from the zero padding
     * of the packs) is computed into a scratch tile and its valid part added, so nothing outside C is written.
     */
    private static void panelPacked(int mc, int nc, int kc, float[] a, int aBlock, int ars, float[] ap, float[] bp,
                                    float[] tile, float[] c, int cOff, int ldc, boolean overwrite) {
        for (int j = 0; j < nc; j += NR) {
            int w = Math.min(NR, nc - j);
            for (int p = 0; p < mc; p += MR) {
                int rows = Math.min(MR, mc - p);
                boolean inPlace = a != null && rows == MR;
                float[] src = inPlace ? a : ap;
                int so = inPlace ? aBlock + p * ars : a != null ? 0 : p * kc, rs = inPlace ? ars : 1, ks = inPlace ? 1 : MR;
                if (rows == MR && w == NR) {
                    kernel4x4(kc, src, so, rs, ks, bp, j * kc, NR, c, cOff + p * ldc + j, ldc, !overwrite);
                } else {
                    kernel4x4(kc, src, so, rs, ks, bp, j * kc, NR, tile, 0, NR, false);
                    for (int r = 0; r < rows; r++)
                        for (int col = 0, o = cOff + (p + r) * ldc + j; col < w; col++)
                            c[o + col] = overwrite ? tile[r * NR + col] : c[o + col] + tile[r * NR + col];
                }
            }
        }
    }

    private static void panel(int mc, int nc, int kc, float[] ap, float[] b, int bOff, int ldb,
                              float[] c, int cOff, int ldc) {
        int j = 0;
        for (; j + NR <= nc; j += NR) {
            int p = 0;
            for (; p + MR <= mc; p += MR) kernel4x4(kc, ap, p * kc, 1, MR, b, bOff + j, ldb, c, cOff + p * ldc + j, ldc, true);
            for (; p < mc; p++) kernelRow(kc, ap, p - p % MR, p % MR, NR, b, bOff + j, ldb, c, cOff + p * ldc + j);
        }
        for (; j + L <= nc; j += L) {
            for (int p = 0; p < mc; p++) kernelRow(kc, ap, p - p % MR, p % MR, L, b, bOff + j, ldb, c, cOff + p * ldc + j);
        }
        for (; j < nc; j++) {                                    // scalar column tail
            for (int p = 0; p < mc; p++) {
                int base = (p - p % MR) * kc, r = p % MR;
                float s = 0f;
                for (int kk = 0; kk < kc; kk++) s += ap[base + kk * MR + r] * b[bOff + kk * ldb + j];
                c[cOff + p * ldc + j] += s;
            }
        }
    }

    /**
     * The 4 x 64 micro-kernel: 16 accumulators stay in registers across the whole k loop. Row r of A
     * at step kk is {@code a[aOff + r*rs + kk*ks]}: a packed panel (rs 1, ks 4) or rows in place (rs = row stride, ks 1).
     */
    static void kernel4x4(int kc, float[] ap, int aOff, int rs, int ks, float[] b, int bOff, int ldb,
                                  float[] c, int cOff, int ldc, boolean load) {
        int c0 = cOff, c1 = cOff + ldc, c2 = cOff + 2 * ldc, c3 = cOff + 3 * ldc;
        int r1 = rs, r2 = 2 * rs, r3 = 3 * rs;
        FloatVector z = FloatVector.zero(S);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
        FloatVector a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
        if (load) {   // C += A·B; otherwise C = A·B
            a00 = FloatVector.fromArray(S, c, c0); a01 = FloatVector.fromArray(S, c, c0 + L);
            a02 = FloatVector.fromArray(S, c, c0 + 2 * L); a03 = FloatVector.fromArray(S, c, c0 + 3 * L);
            a10 = FloatVector.fromArray(S, c, c1); a11 = FloatVector.fromArray(S, c, c1 + L);
            a12 = FloatVector.fromArray(S, c, c1 + 2 * L); a13 = FloatVector.fromArray(S, c, c1 + 3 * L);
            a20 = FloatVector.fromArray(S, c, c2); a21 = FloatVector.fromArray(S, c, c2 + L);
            a22 = FloatVector.fromArray(S, c, c2 + 2 * L); a23 = FloatVector.fromArray(S, c, c2 + 3 * L);
            a30 = FloatVector.fromArray(S, c, c3); a31 = FloatVector.fromArray(S, c, c3 + L);
            a32 = FloatVector.fromArray(S, c, c3 + 2 * L); a33 = FloatVector.fromArray(S, c, c3 + 3 * L);
        }
        for (int kk = 0, ak = aOff, bk = bOff; kk < kc; kk++, ak += ks, bk += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bk), b1 = FloatVector.fromArray(S, b, bk + L),
                    b2 = FloatVector.fromArray(S, b, bk + 2 * L), b3 = FloatVector.fromArray(S, b, bk + 3 * L);
            FloatVector x = FloatVector.broadcast(S, ap[ak]);
            a00 = x.fma(b0, a00); a01 = x.fma(b1, a01); a02 = x.fma(b2, a02); a03 = x.fma(b3, a03);
            x = FloatVector.broadcast(S, ap[ak + r1]);
            a10 = x.fma(b0, a10); a11 = x.fma(b1, a11); a12 = x.fma(b2, a12); a13 = x.fma(b3, a13);
            x = FloatVector.broadcast(S, ap[ak + r2]);
            a20 = x.fma(b0, a20); a21 = x.fma(b1, a21); a22 = x.fma(b2, a22); a23 = x.fma(b3, a23);
            x = FloatVector.broadcast(S, ap[ak + r3]);
            a30 = x.fma(b0, a30); a31 = x.fma(b1, a31); a32 = x.fma(b2, a32); a33 = x.fma(b3, a33);
        }
        a00.intoArray(c, c0); a01.intoArray(c, c0 + L); a02.intoArray(c, c0 + 2 * L); a03.intoArray(c, c0 + 3 * L);
        a10.intoArray(c, c1); a11.intoArray(c, c1 + L); a12.intoArray(c, c1 + 2 * L); a13.intoArray(c, c1 + 3 * L);
        a20.intoArray(c, c2); a21.intoArray(c, c2 + L); a22.intoArray(c, c2 + 2 * L); a23.intoArray(c, c2 + 3 * L);
        a30.intoArray(c, c3); a31.intoArray(c, c3 + L); a32.intoArray(c, c3 + 2 * L); a33.intoArray(c, c3 + 3 * L);
    }

    /** One row of C, {@code width} columns (a multiple of L): the edge case of the micro-kernel. */
    private static void kernelRow(int kc, float[] ap, int panelRow, int r, int width, float[] b, int bOff, int ldb,
                                  float[] c, int cOff) {
        int base = panelRow * kc;
        for (int v = 0; v < width; v += L) {
            FloatVector acc = FloatVector.fromArray(S, c, cOff + v);
            for (int kk = 0; kk < kc; kk++)
                acc = FloatVector.broadcast(S, ap[base + kk * MR + r]).fma(FloatVector.fromArray(S, b, bOff + kk * ldb + v), acc);
            acc.intoArray(c, cOff + v);
        }
    }
}
