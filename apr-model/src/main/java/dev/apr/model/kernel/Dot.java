package dev.apr.model.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of contiguous {@code float[]} rows: the inner loops of decode for dequantized rows
 * ({@link DequantMatrix}) and of prefill ({@link WeightMatrix#matmul}: four dequantized weight rows
 * against four tokens at a time). General matrix products are {@link Matmul}'s.
 */
public final class Dot {
    private Dot() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    /**
     * out[r*4+s] = dot(A row r, B row s) over n elements for a full 4×4 tile, 16 vector
     * accumulators; rows of A and of B are {@code k} floats apart.
     */
    static void dot4x4(float[] a, int ao, float[] b, int bo, int k, int n, float[] out) {
        int kv = n - n % L;
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
        for (int p = kv; p < n; p++) {
            for (int r = 0; r < 4; r++)
                for (int s = 0; s < 4; s++) out[r * 4 + s] += a[ao + r * k + p] * b[bo + s * k + p];
        }
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
}
