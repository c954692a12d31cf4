package dev.apr.train;

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every op's backward pass against central finite differences of its double-precision reference
 * (Reference.java): L = sum(r ∘ op(x)) for a random r, so dL/dy = r.
 */
class LayersGradientTest {
    static final double H = 1e-5;

    static float[] randn(Random rng, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rng.nextGaussian() * scale);
        return a;
    }

    /** Central difference of L(x) = sum(r ∘ f(x)) with respect to every coordinate of x. */
    static double[] numericGrad(double[] x, double[] r, Function<double[], double[]> f) {
        double[] g = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            double keep = x[j];
            x[j] = keep + H;
            double up = dot(r, f.apply(x));
            x[j] = keep - H;
            double down = dot(r, f.apply(x));
            x[j] = keep;
            g[j] = (up - down) / (2 * H);
        }
        return g;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static void assertGradClose(double[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        double maxAbs = 0;
        for (double e : expected) maxAbs = Math.max(maxAbs, Math.abs(e));
        assertTrue(maxAbs > 1e-3, what + ": gradient is not trivially zero");
        for (int i = 0; i < expected.length; i++)
            assertEquals(expected[i], actual[i], tol * Math.max(1, maxAbs), what + "[" + i + "]");
    }

    /** 8 columns (scalar code) and 40 (vector lanes with a scalar tail). */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {8, 40})
    void rmsnormInputAndWeightGradients(int c) {
        Random rng = new Random(1);
        int rows = 3;
        float eps = 1e-6f;
        float[] x = randn(rng, rows * c, 1), w = randn(rng, c, 1), r = randn(rng, rows * c, 1);
        float[] y = new float[rows * c], rstd = new float[rows];
        Layers.rmsnorm(y, rstd, x, w, 0, rows, c, eps);
        double[] yRef = Reference.rmsnorm(Reference.toDouble(x), Reference.toDouble(w), 0, rows, c, eps);
        for (int i = 0; i < y.length; i++) assertEquals(yRef[i], y[i], 1e-5, "y[" + i + "]");

        float[] dx = new float[rows * c], dw = new float[c];
        Layers.rmsnormBackward(dx, dw, 0, r, x, rstd, w, 0, rows, c);
        double[] rd = Reference.toDouble(r), wd = Reference.toDouble(w), xd = Reference.toDouble(x);
        assertGradClose(numericGrad(xd.clone(), rd, xx -> Reference.rmsnorm(xx, wd, 0, rows, c, eps)), dx, 1e-4, "dx");
        assertGradClose(numericGrad(wd.clone(), rd, ww -> Reference.rmsnorm(xd, ww, 0, rows, c, eps)), dw, 1e-4, "dw");
    }

    @Test
    void ropeForwardMatchesRotateHalfAndBackwardIsTheTranspose() {
        Random rng = new Random(2);
        int batch = 2, seq = 5, heads = 3, hd = 8, rows = batch * seq;
        double theta = 10000;
        float[][] t = Layers.ropeTables(seq, dev.apr.model.RopeScaling.baseInvFreq(theta, hd));
        float[] x = randn(rng, rows * heads * hd, 1), r = randn(rng, x.length, 1);
        float[] y = x.clone();
        Layers.rope(y, rows, seq, heads, hd, t[0], t[1], false);
        double[] yRef = Reference.rope(Reference.toDouble(x), rows, seq, heads, hd, theta);
        for (int i = 0; i < y.length; i++) assertEquals(yRef[i], y[i], 1e-5, "y[" + i + "]");
        // position 0 is not rotated
        for (int i = 0; i < heads * hd; i++) assertEquals(x[i], y[i], 0f);

        float[] dx = r.clone();
        Layers.rope(dx, rows, seq, heads, hd, t[0], t[1], true);
        assertGradClose(numericGrad(Reference.toDouble(x), Reference.toDouble(r),
                xx -> Reference.rope(xx, rows, seq, heads, hd, theta)), dx, 1e-4, "dx");
    }

    @Test
    void groupedQueryAttentionGradients() {
        int batch = 2, seq = 5, H = 4, KV = 2, hd = 4;
        AttentionCase c = attentionCase(new Random(3), batch, seq, H, KV, hd, 1);
        c.assertAllGradients(batch, seq, H, KV, hd);
    }

    /** Sequences longer than one block of query rows (the blocked causal path). */
    @Test
    void attentionAcrossSeveralQueryBlocks() {
        int batch = 1, seq = Layers.ATT_BLOCK + 7, H = 2, KV = 1, hd = 4;
        AttentionCase c = attentionCase(new Random(13), batch, seq, H, KV, hd, 1);
        c.assertAllGradients(batch, seq, H, KV, hd);
    }

    /**
     * Head dim 64 and whole query blocks: the shapes (Qwen2.5-0.5B's head dim) where the per-block
     * products run unpacked in place. Forward against the reference; each gradient against a central
     * difference of the reference along one random direction (all coordinates would take minutes).
     */
    @Test
    void attentionWithHeadDim64() {
        Random rng = new Random(17);
        int batch = 1, seq = 2 * Layers.ATT_BLOCK, H = 2, KV = 1, hd = 64;
        AttentionCase c = attentionCase(rng, batch, seq, H, KV, hd, 0.3);
        Function<double[], Double> lossQ = x -> dotD(c.rd, Reference.attention(x, c.kd, c.vd, batch, seq, H, KV, hd));
        Function<double[], Double> lossK = x -> dotD(c.rd, Reference.attention(c.qd, x, c.vd, batch, seq, H, KV, hd));
        Function<double[], Double> lossV = x -> dotD(c.rd, Reference.attention(c.qd, c.kd, x, batch, seq, H, KV, hd));
        assertDirectionalDerivative(lossQ, c.qd, c.dq, rng, "dq");
        assertDirectionalDerivative(lossK, c.kd, c.dk, rng, "dk");
        assertDirectionalDerivative(lossV, c.vd, c.dv, rng, "dv");
    }

    /** Inputs (q and k scaled by qkScale), an output gradient r, and attention's gradients given r. */
    private record AttentionCase(double[] qd, double[] kd, double[] vd, double[] rd, float[] dq, float[] dk, float[] dv) {
        /** Every coordinate of every gradient against central differences of the reference. */
        void assertAllGradients(int batch, int seq, int H, int KV, int hd) {
            assertGradClose(numericGrad(qd.clone(), rd, x -> Reference.attention(x, kd, vd, batch, seq, H, KV, hd)), dq, 1e-4, "dq");
            assertGradClose(numericGrad(kd.clone(), rd, x -> Reference.attention(qd, x, vd, batch, seq, H, KV, hd)), dk, 1e-4, "dk");
            assertGradClose(numericGrad(vd.clone(), rd, x -> Reference.attention(qd, kd, x, batch, seq, H, KV, hd)), dv, 1e-4, "dv");
        }
    }

    /** Random inputs through attention forward (checked against the reference) and backward. */
    private static AttentionCase attentionCase(Random rng, int batch, int seq, int H, int KV, int hd, double qkScale) {
        int rows = batch * seq;
        float[] q = randn(rng, rows * H * hd, qkScale), k = randn(rng, rows * KV * hd, qkScale), v = randn(rng, rows * KV * hd, 1);
        float[] r = randn(rng, rows * H * hd, 1);
        float[] o = new float[rows * H * hd], lse = new float[batch * H * seq];
        Layers.attention(o, lse, q, k, v, batch, seq, H, KV, hd);
        double[] qd = Reference.toDouble(q), kd = Reference.toDouble(k), vd = Reference.toDouble(v);
        double[] oRef = Reference.attention(qd, kd, vd, batch, seq, H, KV, hd);
        for (int i = 0; i < o.length; i++) assertEquals(oRef[i], o[i], 1e-5, "o[" + i + "]");
        float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
        Layers.attentionBackward(dq, dk, dv, r, o, lse, q, k, v, batch, seq, H, KV, hd);
        return new AttentionCase(qd, kd, vd, Reference.toDouble(r), dq, dk, dv);
    }

    private static double dotD(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** (f(x + eps u) - f(x - eps u)) / 2 eps equals grad . u for a random direction u. */
    private static void assertDirectionalDerivative(Function<double[], Double> f, double[] x, float[] grad, Random rng, String what) {
        double[] u = new double[x.length], plus = x.clone(), minus = x.clone();
        double eps = 1e-4, analytic = 0;
        for (int i = 0; i < x.length; i++) {
            u[i] = rng.nextGaussian();
            plus[i] += eps * u[i];
            minus[i] -= eps * u[i];
            analytic += grad[i] * u[i];
        }
        double numeric = (f.apply(plus) - f.apply(minus)) / (2 * eps);
        assertEquals(numeric, analytic, 1e-4 * Math.max(1, Math.abs(numeric)), what + " along a random direction");
    }

    @Test
    void swigluGradients() {
        Random rng = new Random(4);
        int n = 24;
        float[] g = randn(rng, n, 2), u = randn(rng, n, 1), r = randn(rng, n, 1);
        float[] h = new float[n];
        Layers.swiglu(h, g, u, n);
        for (int i = 0; i < n; i++) assertEquals(Reference.silu(g[i]) * u[i], h[i], 1e-6);
        float[] dg = new float[n], du = new float[n];
        Layers.swigluBackward(dg, du, r, g, u, n);
        double[] gd = Reference.toDouble(g), ud = Reference.toDouble(u), rd = Reference.toDouble(r);
        Function<double[][], double[]> f = gu -> {
            double[] y = new double[n];
            for (int i = 0; i < n; i++) y[i] = Reference.silu(gu[0][i]) * gu[1][i];
            return y;
        };
        assertGradClose(numericGrad(gd.clone(), rd, x -> f.apply(new double[][] {x, ud})), dg, 1e-4, "dg");
        assertGradClose(numericGrad(ud.clone(), rd, x -> f.apply(new double[][] {gd, x})), du, 1e-4, "du");
    }

    @Test
    void crossEntropyLossAndGradient() {
        Random rng = new Random(5);
        int rows = 3, vocab = 37;
        float[] z = randn(rng, rows * vocab, 3);
        int[] targets = {0, 36, 17};
        float[] work = z.clone();
        double[] rowLoss = new double[rows];
        float g = 1f / rows;
        Layers.crossEntropy(work, rows, vocab, targets, 0, rowLoss, g);
        double mean = (rowLoss[0] + rowLoss[1] + rowLoss[2]) / rows;
        double[] zd = Reference.toDouble(z);
        assertEquals(Reference.crossEntropy(zd, rows, vocab, targets), mean, 1e-5);
        // the gradient of the mean loss: finite differences of the scalar loss
        double[] num = numericGrad(zd.clone(), new double[] {1}, x -> new double[] {Reference.crossEntropy(x, rows, vocab, targets)});
        assertGradClose(num, work, 1e-4, "dz");
        // uniform logits: loss is ln(vocab)
        float[] flat = new float[vocab];
        double[] one = new double[1];
        Layers.crossEntropy(flat, 1, vocab, new int[] {5}, 0, one, 0f);
        assertEquals(Math.log(vocab), one[0], 1e-6);
    }
}
