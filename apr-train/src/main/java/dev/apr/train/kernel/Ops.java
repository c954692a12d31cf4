package dev.apr.train.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Small vectorized helpers over float arrays (dot, axpy, sums) used by the training ops. */
public final class Ops {
    private Ops() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    /** sum_i a[ao+i] * b[bo+i]. */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        float s = 0f;
        if (n >= L) {
            FloatVector acc = FloatVector.zero(S);
            for (; i + L <= n; i += L) acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
            s = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /** y[yo+i] += alpha * x[xo+i]. */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(S, alpha);
        for (; i + L <= n; i += L)
            FloatVector.fromArray(S, x, xo + i).fma(va, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    /** y[yo+i] += x[xo+i]. */
    public static void add(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (; i + L <= n; i += L)
            FloatVector.fromArray(S, x, xo + i).add(FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] += x[xo + i];
    }

    /** Σ a[ao+i]·b[bo+i]·c[co+i] over n values: float lanes, summed into a double every 64 vectors. */
    public static double dot3(float[] a, int ao, float[] b, int bo, float[] c, int co, int n) {
        int i = 0, block = 0;
        double s = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i + L <= n; i += L) {
            acc = FloatVector.fromArray(S, a, ao + i).mul(FloatVector.fromArray(S, b, bo + i)).fma(FloatVector.fromArray(S, c, co + i), acc);
            if (++block == 64) { s += acc.reduceLanes(VectorOperators.ADD); acc = FloatVector.zero(S); block = 0; }
        }
        s += acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += (double) a[ao + i] * b[bo + i] * c[co + i];
        return s;
    }

    /** sum of squares in double (the clip norm must not lose small gradients). */
    public static double sumSquares(float[] x, int xo, int n) {
        int i = 0;
        double s = 0;
        FloatVector acc = FloatVector.zero(S);
        int block = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            acc = v.fma(v, acc);
            if (++block == 64) { s += acc.reduceLanes(VectorOperators.ADD); acc = FloatVector.zero(S); block = 0; }
        }
        s += acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += (double) x[xo + i] * x[xo + i];
        return s;
    }

    /** x[xo+i] *= alpha. */
    public static void scale(float[] x, int xo, int n, float alpha) {
        int i = 0;
        for (; i + L <= n; i += L) FloatVector.fromArray(S, x, xo + i).mul(alpha).intoArray(x, xo + i);
        for (; i < n; i++) x[xo + i] *= alpha;
    }

    /** max of x[xo .. xo+n). */
    public static float max(float[] x, int xo, int n) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (n >= L) {
            FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; i + L <= n; i += L) acc = acc.max(FloatVector.fromArray(S, x, xo + i));
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) m = Math.max(m, x[xo + i]);
        return m;
    }

    /** x[i] = exp(x[i] - shift) in place; returns the sum (in double). */
    public static double expShiftSum(float[] x, int xo, int n, float shift) {
        int i = 0;
        double s = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i + L <= n; i += L) {
            FloatVector e = FloatVector.fromArray(S, x, xo + i).sub(shift).lanewise(VectorOperators.EXP);
            e.intoArray(x, xo + i);
            acc = acc.add(e);
        }
        s += acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[xo + i] - shift);
            x[xo + i] = e;
            s += e;
        }
        return s;
    }

    /**
     * One row of attention's backward pass: p = exp(p·scale − lse) (the probabilities, recomputed
     * from the scores) and dp = p·(dp − dDotO)·scale (the scores' gradient), over n values.
     */
    public static void softmaxBackwardRow(float[] p, float[] dp, int off, int n, float scale, float lse, float dDotO) {
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector pr = FloatVector.fromArray(S, p, off + i).mul(scale).sub(lse).lanewise(VectorOperators.EXP);
            pr.intoArray(p, off + i);
            pr.mul(FloatVector.fromArray(S, dp, off + i).sub(dDotO)).mul(scale).intoArray(dp, off + i);
        }
        for (; i < n; i++) {
            float pr = (float) Math.exp(p[off + i] * scale - lse);
            p[off + i] = pr;
            dp[off + i] = pr * (dp[off + i] - dDotO) * scale;
        }
    }
}
