package dev.apr.model.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise and row-wise kernels of a transformer layer on {@code float[]} slices:
 * RMSNorm, softmax, SiLU·mul (SwiGLU), RoPE, add, dot and axpy. Vector lanes first, scalar tail.
 */
public final class Ops {
    private Ops() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    /**
     * {@code out[i] = x[i] / sqrt(mean(x²) + eps) · w[i]} over n elements (HF LlamaRMSNorm:
     * the mean of squares in float, then scale, then weight).
     */
    public static void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] w, int n, float eps) {
        int nv = n - n % L, i = 0;
        FloatVector ss = FloatVector.zero(S);
        for (; i < nv; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            ss = v.fma(v, ss);
        }
        float sum = ss.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += x[xOff + i] * x[xOff + i];
        float scale = (float) (1.0 / Math.sqrt(sum / n + eps));
        for (i = 0; i < nv; i += L)
            FloatVector.fromArray(S, x, xOff + i).mul(scale).mul(FloatVector.fromArray(S, w, i)).intoArray(out, outOff + i);
        for (; i < n; i++) out[outOff + i] = x[xOff + i] * scale * w[i];
    }

    /** In-place softmax of x[off .. off+n), with max subtraction; returns nothing, sums to 1. */
    public static void softmax(float[] x, int off, int n) {
        int nv = n - n % L, i = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (nv > 0) {
            FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; i < nv; i += L) m = m.max(FloatVector.fromArray(S, x, off + i));
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) max = Math.max(max, x[off + i]);
        FloatVector sumV = FloatVector.zero(S);
        for (i = 0; i < nv; i += L) {
            FloatVector e = FloatVector.fromArray(S, x, off + i).sub(max).lanewise(VectorOperators.EXP);
            e.intoArray(x, off + i);
            sumV = sumV.add(e);
        }
        float sum = sumV.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (i = 0; i < nv; i += L) FloatVector.fromArray(S, x, off + i).mul(inv).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] *= inv;
    }

    /** SwiGLU: {@code gate[i] = silu(gate[i]) · up[i]} where silu(g) = g / (1 + e^−g). */
    public static void siluMul(float[] gate, int gOff, float[] up, int uOff, int n) {
        int nv = n - n % L, i = 0;
        for (; i < nv; i += L) {
            FloatVector g = FloatVector.fromArray(S, gate, gOff + i);
            FloatVector silu = g.div(g.neg().lanewise(VectorOperators.EXP).add(1f));
            silu.mul(FloatVector.fromArray(S, up, uOff + i)).intoArray(gate, gOff + i);
        }
        for (; i < n; i++) {
            float g = gate[gOff + i];
            gate[gOff + i] = (float) (g / (1 + Math.exp(-g))) * up[uOff + i];
        }
    }

    /** {@code x[xOff+i] += y[yOff+i]} for n elements. */
    public static void add(float[] x, int xOff, float[] y, int yOff, int n) {
        int nv = n - n % L, i = 0;
        for (; i < nv; i += L)
            FloatVector.fromArray(S, x, xOff + i).add(FloatVector.fromArray(S, y, yOff + i)).intoArray(x, xOff + i);
        for (; i < n; i++) x[xOff + i] += y[yOff + i];
    }

    /** {@code Σ a[ao+i]·b[bo+i]} for n elements. */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        return Dot.dot(a, ao, b, bo, n);
    }

    /** {@code y[yOff+i] += alpha · x[xOff+i]} for n elements. */
    public static void axpy(float[] y, int yOff, float alpha, float[] x, int xOff, int n) {
        int nv = n - n % L, i = 0;
        FloatVector a = FloatVector.broadcast(S, alpha);
        for (; i < nv; i += L)
            FloatVector.fromArray(S, x, xOff + i).fma(a, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        for (; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    /**
     * The RoPE angles of one position: {@code cos[i], sin[i]} of {@code pos·invFreq[i]} for
     * i < D/2 (invFreq: θ^(−2i/D), scaled for Llama 3.1-style models), computed in double and
     * rounded once.
     */
    public static void ropeAngles(int pos, double[] invFreq, float[] cos, float[] sin, int off) {
        for (int i = 0; i < invFreq.length; i++) {
            double angle = pos * invFreq[i];
            cos[off + i] = (float) Math.cos(angle);
            sin[off + i] = (float) Math.sin(angle);
        }
    }

    /**
     * Rotates {@code heads} consecutive heads of size D at x[off..] in place. HF "rotate half"
     * (NeoX) pairs element i with i + D/2; {@code interleaved} (llama.cpp NORM mode, used by llama
     * GGUF files whose q/k rows were permuted) pairs 2i with 2i+1. Both use angle index i.
     */
    public static void rope(float[] x, int off, int heads, int headDim, float[] cos, float[] sin, int csOff, boolean interleaved) {
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < half; i++) {
                int a = interleaved ? base + 2 * i : base + i;
                int b = interleaved ? a + 1 : a + half;
                float c = cos[csOff + i], s = sin[csOff + i];
                float x0 = x[a], x1 = x[b];
                x[a] = x0 * c - x1 * s;
                x[b] = x1 * c + x0 * s;
            }
        }
    }
}
