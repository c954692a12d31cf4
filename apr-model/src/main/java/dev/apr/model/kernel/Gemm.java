package dev.apr.model.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Plain fp32 matrix products on row-major {@code float[]} matrices, for training (forward and
 * backward of linear layers) and anything else that holds its weights as floats.
 *
 * <p>All three shapes a linear layer {@code Y = X·Wᵀ} needs (X {@code [T, in]}, W {@code [out, in]}):
 * <ul>
 *   <li>{@link #matmulABt} forward: {@code Y[T,out] = X[T,in] · W[out,in]ᵀ};</li>
 *   <li>{@link #matmulAB} input gradient: {@code dX[T,in] = dY[T,out] · W[out,in]};</li>
 *   <li>{@link #matmulAtB} weight gradient: {@code dW[out,in] = dY[T,out]ᵀ · X[T,in]}.</li>
 * </ul>
 * Each takes offsets into its arrays (flat parameter/activation buffers, llm.c style) and an
 * {@code accumulate} flag: true adds into C ({@code C += …}, for gradients), false overwrites C.
 * Work is split over the shared {@link Parallel} pool; results do not depend on the thread count
 * (every output element is summed in the same order by exactly one thread).
 */
public final class Gemm {
    private Gemm() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    // ---- C = A · Bᵀ ---------------------------------------------------------------------------

    /** {@code C[m,n] (+)= A[m,k] · B[n,k]ᵀ}. */
    public static void matmulABt(float[] c, float[] a, float[] b, int m, int n, int k, boolean accumulate) {
        matmulABt(c, 0, a, 0, b, 0, m, n, k, accumulate);
    }

    /** {@code C[m,n] (+)= A[m,k] · B[n,k]ᵀ} with A at aOff, B at bOff, C at cOff (all row-major, dense). */
    public static void matmulABt(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff,
                                 int m, int n, int k, boolean accumulate) {
        check(c, cOff, (long) m * n, "C");
        check(a, aOff, (long) m * k, "A");
        check(b, bOff, (long) n * k, "B");
        // split the longer side into blocks of 4-tiles; each task covers whole rows of the other side
        if (n >= m) {
            int tiles = (n + 3) / 4;
            Parallel.range(tiles, grain(tiles), (t0, t1) ->
                    abtBlock(c, cOff, a, aOff, b, bOff, 0, m, t0 * 4, Math.min(n, t1 * 4), n, k, accumulate));
        } else {
            int tiles = (m + 3) / 4;
            Parallel.range(tiles, grain(tiles), (t0, t1) ->
                    abtBlock(c, cOff, a, aOff, b, bOff, t0 * 4, Math.min(m, t1 * 4), 0, n, n, k, accumulate));
        }
    }

    private static int grain(int tiles) {
        int threads = Parallel.shared().threads();
        return Math.max(1, Math.min(16, tiles / (4 * threads)));
    }

    private static void abtBlock(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff,
                                 int i0, int i1, int j0, int j1, int n, int k, boolean acc) {
        int kv = k - k % L;
        float[] out = new float[16];
        for (int i = i0; i < i1; i += 4) {
            int mi = Math.min(4, i1 - i);
            for (int j = j0; j < j1; j += 4) {
                int nj = Math.min(4, j1 - j);
                if (mi == 4 && nj == 4) dot4x4(a, aOff + i * k, b, bOff + j * k, k, kv, out);
                else dotSmall(a, aOff + i * k, mi, b, bOff + j * k, nj, k, kv, out);
                for (int r = 0; r < mi; r++) {
                    int ci = cOff + (i + r) * n + j;
                    for (int s = 0; s < nj; s++) c[ci + s] = acc ? c[ci + s] + out[r * 4 + s] : out[r * 4 + s];
                }
            }
        }
    }

    /** out[r*4+s] = dot(A row r, B row s) for a full 4×4 tile, 16 vector accumulators. */
    static void dot4x4(float[] a, int ao, float[] b, int bo, int k, int kv, float[] out) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        int a1 = ao + k, a2 = a1 + k, a3 = a2 + k, b1 = bo + k, b2 = b1 + k, b3 = b2 + k;
        for (int p = 0; p < kv; p += L) {
            FloatVector x0 = FloatVector.fromArray(S, a, ao + p), x1 = FloatVector.fromArray(S, a, a1 + p);
            FloatVector x2 = FloatVector.fromArray(S, a, a2 + p), x3 = FloatVector.fromArray(S, a, a3 + p);
            FloatVector w = FloatVector.fromArray(S, b, bo + p);
            c00 = x0.fma(w, c00); c10 = x1.fma(w, c10); c20 = x2.fma(w, c20); c30 = x3.fma(w, c30);
            w = FloatVector.fromArray(S, b, b1 + p);
            c01 = x0.fma(w, c01); c11 = x1.fma(w, c11); c21 = x2.fma(w, c21); c31 = x3.fma(w, c31);
            w = FloatVector.fromArray(S, b, b2 + p);
            c02 = x0.fma(w, c02); c12 = x1.fma(w, c12); c22 = x2.fma(w, c22); c32 = x3.fma(w, c32);
            w = FloatVector.fromArray(S, b, b3 + p);
            c03 = x0.fma(w, c03); c13 = x1.fma(w, c13); c23 = x2.fma(w, c23); c33 = x3.fma(w, c33);
        }
        out[0] = c00.reduceLanes(VectorOperators.ADD); out[1] = c01.reduceLanes(VectorOperators.ADD);
        out[2] = c02.reduceLanes(VectorOperators.ADD); out[3] = c03.reduceLanes(VectorOperators.ADD);
        out[4] = c10.reduceLanes(VectorOperators.ADD); out[5] = c11.reduceLanes(VectorOperators.ADD);
        out[6] = c12.reduceLanes(VectorOperators.ADD); out[7] = c13.reduceLanes(VectorOperators.ADD);
        out[8] = c20.reduceLanes(VectorOperators.ADD); out[9] = c21.reduceLanes(VectorOperators.ADD);
        out[10] = c22.reduceLanes(VectorOperators.ADD); out[11] = c23.reduceLanes(VectorOperators.ADD);
        out[12] = c30.reduceLanes(VectorOperators.ADD); out[13] = c31.reduceLanes(VectorOperators.ADD);
        out[14] = c32.reduceLanes(VectorOperators.ADD); out[15] = c33.reduceLanes(VectorOperators.ADD);
        for (int p = kv; p < k; p++) {
            for (int r = 0; r < 4; r++)
                for (int s = 0; s < 4; s++) out[r * 4 + s] += a[ao + r * k + p] * b[bo + s * k + p];
        }
    }

    private static void dotSmall(float[] a, int ao, int mi, float[] b, int bo, int nj, int k, int kv, float[] out) {
        for (int r = 0; r < mi; r++)
            for (int s = 0; s < nj; s++) out[r * 4 + s] = dot(a, ao + r * k, b, bo + s * k, k);
    }

    /** Σ a[ao+p]·b[bo+p] for p in [0, k): vector lanes, then a scalar tail. */
    public static float dot(float[] a, int ao, float[] b, int bo, int k) {
        int kv = k - k % L;
        FloatVector acc = FloatVector.zero(S);
        for (int p = 0; p < kv; p += L)
            acc = FloatVector.fromArray(S, a, ao + p).fma(FloatVector.fromArray(S, b, bo + p), acc);
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (int p = kv; p < k; p++) s += a[ao + p] * b[bo + p];
        return s;
    }

    // ---- C = A · B ----------------------------------------------------------------------------

    /** {@code C[m,n] (+)= A[m,k] · B[k,n]}. */
    public static void matmulAB(float[] c, float[] a, float[] b, int m, int n, int k, boolean accumulate) {
        matmulAB(c, 0, a, 0, b, 0, m, n, k, accumulate);
    }

    /** {@code C[m,n] (+)= A[m,k] · B[k,n]} with offsets (row-major, dense). */
    public static void matmulAB(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff,
                                int m, int n, int k, boolean accumulate) {
        check(c, cOff, (long) m * n, "C");
        check(a, aOff, (long) m * k, "A");
        check(b, bOff, (long) k * n, "B");
        // A element (i, p) is at aOff + i*k + p: row stride k, column stride 1
        rankUpdate(c, cOff, a, aOff, k, 1, b, bOff, m, n, k, accumulate);
    }

    // ---- C = Aᵀ · B ---------------------------------------------------------------------------

    /** {@code C[m,n] (+)= A[k,m]ᵀ · B[k,n]}. */
    public static void matmulAtB(float[] c, float[] a, float[] b, int m, int n, int k, boolean accumulate) {
        matmulAtB(c, 0, a, 0, b, 0, m, n, k, accumulate);
    }

    /** {@code C[m,n] (+)= A[k,m]ᵀ · B[k,n]} with offsets (row-major, dense). */
    public static void matmulAtB(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff,
                                 int m, int n, int k, boolean accumulate) {
        check(c, cOff, (long) m * n, "C");
        check(a, aOff, (long) k * m, "A");
        check(b, bOff, (long) k * n, "B");
        // Aᵀ element (i, p) is A[p, i] at aOff + p*m + i: row stride 1, column stride m
        rankUpdate(c, cOff, a, aOff, 1, m, b, bOff, m, n, k, accumulate);
    }

    /**
     * C[i, j] (+)= Σ_p A'(i,p)·B[p, j], where A'(i,p) = a[aOff + i*ars + p*acs]: broadcast one A'
     * element, FMA it with a row slice of B. Tiles of 4 rows × 2 vectors of columns keep 8
     * accumulators in registers over the whole k loop.
     */
    private static void rankUpdate(float[] c, int cOff, float[] a, int aOff, int ars, int acs,
                                   float[] b, int bOff, int m, int n, int k, boolean acc) {
        int colTiles = (n + 2 * L - 1) / (2 * L);
        int rowTiles = (m + 3) / 4;
        // parallelize over whichever tile dimension has more tiles; every C element has one owner
        if (rowTiles >= colTiles) {
            Parallel.range(rowTiles, grain(rowTiles), (t0, t1) ->
                    rankBlock(c, cOff, a, aOff, ars, acs, b, bOff, t0 * 4, Math.min(m, t1 * 4), 0, n, n, k, acc));
        } else {
            Parallel.range(colTiles, grain(colTiles), (t0, t1) ->
                    rankBlock(c, cOff, a, aOff, ars, acs, b, bOff, 0, m, t0 * 2 * L, Math.min(n, t1 * 2 * L), n, k, acc));
        }
    }

    private static void rankBlock(float[] c, int cOff, float[] a, int aOff, int ars, int acs,
                                  float[] b, int bOff, int i0, int i1, int j0, int j1, int n, int k, boolean acc) {
        for (int i = i0; i < i1; i += 4) {
            int mi = Math.min(4, i1 - i);
            int j = j0;
            if (mi == 4) {
                for (; j + 2 * L <= j1; j += 2 * L) rank4x2(c, cOff, a, aOff, ars, acs, b, bOff, i, j, n, k, acc);
            }
            for (; j + L <= j1; j += L)
                for (int r = 0; r < mi; r++) rank1x1(c, cOff, a, aOff, ars, acs, b, bOff, i + r, j, n, k, acc);
            for (; j < j1; j++)
                for (int r = 0; r < mi; r++) {
                    float s = 0;
                    int ai = aOff + (i + r) * ars;
                    for (int p = 0; p < k; p++) s += a[ai + p * acs] * b[bOff + p * n + j];
                    int ci = cOff + (i + r) * n + j;
                    c[ci] = acc ? c[ci] + s : s;
                }
        }
    }

    private static void rank4x2(float[] c, int cOff, float[] a, int aOff, int ars, int acs,
                                float[] b, int bOff, int i, int j, int n, int k, boolean acc) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        int a0 = aOff + i * ars, a1 = a0 + ars, a2 = a1 + ars, a3 = a2 + ars;
        for (int p = 0; p < k; p++) {
            int bp = bOff + p * n + j, ap = p * acs;
            FloatVector b0 = FloatVector.fromArray(S, b, bp), b1 = FloatVector.fromArray(S, b, bp + L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + ap]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[a1 + ap]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[a2 + ap]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[a3 + ap]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        }
        store(c, cOff + i * n + j, c00, acc); store(c, cOff + i * n + j + L, c01, acc);
        store(c, cOff + (i + 1) * n + j, c10, acc); store(c, cOff + (i + 1) * n + j + L, c11, acc);
        store(c, cOff + (i + 2) * n + j, c20, acc); store(c, cOff + (i + 2) * n + j + L, c21, acc);
        store(c, cOff + (i + 3) * n + j, c30, acc); store(c, cOff + (i + 3) * n + j + L, c31, acc);
    }

    private static void rank1x1(float[] c, int cOff, float[] a, int aOff, int ars, int acs,
                                float[] b, int bOff, int i, int j, int n, int k, boolean acc) {
        FloatVector s = FloatVector.zero(S);
        int ai = aOff + i * ars;
        for (int p = 0; p < k; p++)
            s = FloatVector.broadcast(S, a[ai + p * acs]).fma(FloatVector.fromArray(S, b, bOff + p * n + j), s);
        store(c, cOff + i * n + j, s, acc);
    }

    private static void store(float[] c, int off, FloatVector v, boolean acc) {
        if (acc) v = v.add(FloatVector.fromArray(S, c, off));
        v.intoArray(c, off);
    }

    private static void check(float[] arr, int off, long len, String what) {
        if (off < 0 || off + len > arr.length)
            throw new IllegalArgumentException("Gemm: " + what + " needs " + len + " floats at offset " + off
                    + " but the array holds " + arr.length);
    }
}
