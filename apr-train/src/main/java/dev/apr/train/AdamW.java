package dev.apr.train;

import dev.apr.train.kernel.Ops;
import dev.apr.model.kernel.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * AdamW with fp32 moments in flat arrays laid out like the parameters: β1 0.9, β2 0.95, ε 1e-8,
 * decoupled weight decay (0.01) on matrices only, bias-corrected moments (llm.c's update:
 * {@code p -= lr * (m̂ / (sqrt(v̂) + ε) + wd * p)}). Global-norm gradient clipping is done here too.
 */
public final class AdamW {
    public static final float BETA1 = 0.9f, BETA2 = 0.95f, EPS = 1e-8f, WEIGHT_DECAY = 0.01f, CLIP_NORM = 1.0f;

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private final ParamLayout layout;
    public final float[] m, v;
    /** Number of updates applied so far (0 after init: only weights inherit). */
    private long step;

    public AdamW(ParamLayout layout) {
        this.layout = layout;
        int n = layout.totalChecked();
        m = new float[n];
        v = new float[n];
    }

    public long step() { return step; }

    /** Restores a saved state (resume). */
    public void restore(long step, float[] m, float[] v) {
        if (m.length != this.m.length || v.length != this.v.length)
            throw new IllegalArgumentException("optimizer state size " + m.length + " != " + this.m.length);
        System.arraycopy(m, 0, this.m, 0, m.length);
        System.arraycopy(v, 0, this.v, 0, v.length);
        this.step = step;
    }

    /** The L2 norm of all gradients (in double). */
    public static double gradNorm(float[] grads) {
        // many small calls rather than one per thread: a call over 250M floats (0.5B) would run its first
        // minutes in the interpreter's vector fallback, waiting for on-stack replacement to reach C2
        int chunk = 1 << 16;
        int parts = (grads.length + chunk - 1) / chunk;
        double[] partial = new double[parts];
        Parallel.range(parts, 1, (a, b) -> {
            for (int p = a; p < b; p++) {
                int lo = p * chunk, hi = Math.min(grads.length, lo + chunk);
                partial[p] = Ops.sumSquares(grads, lo, hi - lo);
            }
        });
        double s = 0;
        for (double d : partial) s += d;   // fixed order: deterministic
        return Math.sqrt(s);
    }

    /**
     * Clips the gradient to global norm {@link #CLIP_NORM} (scale = clip / (norm + 1e-6) when norm
     * exceeds it, as PyTorch does) and applies one AdamW update with learning rate {@code lr}.
     * Returns the pre-clip norm.
     */
    public double update(float[] params, float[] grads, float lr) {
        return update(params, grads, lr, gradNorm(grads));
    }

    /** As {@link #update(float[], float[], float)} with the gradient norm already measured. */
    public double update(float[] params, float[] grads, float lr, double norm) {
        float clip = norm > CLIP_NORM ? (float) (CLIP_NORM / (norm + 1e-6)) : 1f;
        step++;
        float bc1 = (float) (1 - Math.pow(BETA1, step)), bc2 = (float) (1 - Math.pow(BETA2, step));
        for (ParamLayout.Slot s : layout.slots()) {
            float wd = s.isMatrix() ? WEIGHT_DECAY : 0f;
            int off = s.offset(), size = s.size();
            Parallel.range(size, 1 << 14, (a, b) -> apply(params, grads, off + a, off + b, lr, wd, clip, bc1, bc2));
        }
        return norm;
    }

    private void apply(float[] p, float[] g, int lo, int hi, float lr, float wd, float clip, float bc1, float bc2) {
        int i = lo;
        int L = S.length();
        for (; i + L <= hi; i += L) {
            FloatVector gv = FloatVector.fromArray(S, g, i).mul(clip);
            FloatVector mv = FloatVector.fromArray(S, m, i).mul(BETA1).add(gv.mul(1 - BETA1));
            FloatVector vv = FloatVector.fromArray(S, v, i).mul(BETA2).add(gv.mul(gv).mul(1 - BETA2));
            mv.intoArray(m, i);
            vv.intoArray(v, i);
            FloatVector pv = FloatVector.fromArray(S, p, i);
            FloatVector upd = mv.div(bc1).div(vv.div(bc2).sqrt().add(EPS)).add(pv.mul(wd));
            pv.sub(upd.mul(lr)).intoArray(p, i);
        }
        for (; i < hi; i++) {
            float gi = g[i] * clip;
            m[i] = BETA1 * m[i] + (1 - BETA1) * gi;
            v[i] = BETA2 * v[i] + (1 - BETA2) * gi * gi;
            float mh = m[i] / bc1, vh = v[i] / bc2;
            p[i] -= lr * (mh / ((float) Math.sqrt(vh) + EPS) + wd * p[i]);
        }
    }
}
