package dev.apr.train;

import dev.apr.model.ModelConfig;
import dev.apr.model.kernel.Matmul;
import dev.apr.train.kernel.Ops;
import dev.apr.model.kernel.Parallel;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A decoder-only transformer (Llama / Qwen2) for training, llm.c style: fp32 parameters and
 * gradients in flat arrays ({@link ParamLayout}), an explicit forward pass that keeps the
 * activations the backward pass needs, and the backward pass written op by op beside it.
 *
 * <p>Per layer: RMSNorm → q/k/v projections (+ bias for qwen2) → RoPE (HF rotate-half) → causal
 * grouped-query attention → o_proj + residual → RMSNorm → SwiGLU MLP + residual. Then the final
 * norm and the lm_head (the embedding matrix when tied) with cross-entropy, fused in row chunks so
 * no [B*T, vocab] logits buffer is ever held.
 *
 * <p>Linear forward passes read each weight where it is ({@code x · Wᵀ} through
 * {@link Matmul#gemmBt}, which transposes while packing), so the optimizer's update is what the next
 * forward sees, with no transposed copy to keep in step. Attention keeps only the per-row log-sum-exp and recomputes the
 * probabilities in the backward pass (memory O(T), not O(T^2)).
 */
public final class TrainModel {
    final ModelConfig cfg;
    final ParamLayout layout;
    final int batch, seq, rows;                 // rows = batch * seq
    final int C, H, KV, HD, QD, KVD, F, V, nLayers;

    /** Flat fp32 parameters and their gradients (same layout). */
    public final float[] params, grads;

    // rope tables [seq, HD/2]
    private final float[] cos, sin;

    // saved activations, one array per layer
    private final float[][] resid, ln1, rstd1, q, k, v, lse, att, mid, ln2, rstd2, gate, up, act;
    private final float[] residOut, lnf, rstdf;
    private int[] tokens;

    // backward scratch
    private final float[] dResid, dLn, dq, dk, dv, dAtt, dGate, dUp, dAct;

    // the fused lm_head chunk: logits (then softmax gradient) of HEAD_ROWS rows
    private final int headRows;
    private final float[] headBuf;

    public TrainModel(ModelConfig cfg, int batch, int seq) {
        this(cfg, batch, seq, new ParamLayout(cfg));
    }

    public TrainModel(ModelConfig cfg, int batch, int seq, ParamLayout layout) {
        this(cfg, batch, seq, layout, headRows(Math.multiplyExact(batch, seq), cfg.vocabSize()));
    }

    /** With lm_head chunks of headRows rows (a multiple of 4): tests compare chunked and whole heads. */
    TrainModel(ModelConfig cfg, int batch, int seq, ParamLayout layout, int headRows) {
        this.cfg = cfg;
        this.layout = layout;
        this.batch = batch;
        this.seq = seq;
        this.rows = Math.multiplyExact(batch, seq);
        C = cfg.hiddenSize(); H = cfg.numHeads(); KV = cfg.numKvHeads(); HD = cfg.headDim();
        QD = cfg.qDim(); KVD = cfg.kvDim(); F = cfg.intermediateSize(); V = cfg.vocabSize(); nLayers = cfg.numLayers();
        int total = layout.totalChecked();
        params = new float[total];
        grads = new float[total];

        float[][] tables = Layers.ropeTables(seq, cfg.ropeInvFreq());
        cos = tables[0];
        sin = tables[1];

        resid = new float[nLayers][]; ln1 = new float[nLayers][]; rstd1 = new float[nLayers][];
        q = new float[nLayers][]; k = new float[nLayers][]; v = new float[nLayers][]; lse = new float[nLayers][];
        att = new float[nLayers][]; mid = new float[nLayers][]; ln2 = new float[nLayers][]; rstd2 = new float[nLayers][];
        gate = new float[nLayers][]; up = new float[nLayers][]; act = new float[nLayers][];
        for (int l = 0; l < nLayers; l++) {
            resid[l] = new float[rows * C]; ln1[l] = new float[rows * C]; rstd1[l] = new float[rows];
            q[l] = new float[rows * QD]; k[l] = new float[rows * KVD]; v[l] = new float[rows * KVD];
            lse[l] = new float[batch * H * seq]; att[l] = new float[rows * QD];
            mid[l] = new float[rows * C]; ln2[l] = new float[rows * C]; rstd2[l] = new float[rows];
            gate[l] = new float[rows * F]; up[l] = new float[rows * F]; act[l] = new float[rows * F];
        }
        residOut = new float[rows * C]; lnf = new float[rows * C]; rstdf = new float[rows];
        dResid = new float[rows * C]; dLn = new float[rows * C];
        dq = new float[rows * QD]; dk = new float[rows * KVD]; dv = new float[rows * KVD]; dAtt = new float[rows * QD];
        dGate = new float[rows * F]; dUp = new float[rows * F]; dAct = new float[rows * F];

        // at most 512 MiB of logits per chunk (see headRows)
        this.headRows = headRows;
        headBuf = new float[headRows * V];
    }

    /** Nanoseconds spent per phase since construction (for benchmarks and progress reports). */
    public long timeForward, timeHead, timeBackward, timeAttention;
    /** Inside the head: logits GEMM, softmax/CE, input-gradient GEMM, weight-gradient GEMM. */
    public final long[] headTimes = new long[4];

    /**
     * Rows per lm_head chunk: all rows when their logits fit in 512 MiB, else the rows split evenly
     * into the fewest chunks that do (a multiple of 4; the system property apr.headRows caps it for
     * benchmarks). Each chunk repacks the whole lm_head weight for its logits GEMM and streams it
     * from memory for the input gradient, so fewer chunks mean less of both: 512-row chunks against
     * 256 made the vocab-151936 training step 5-8 % faster (Zen 5, train-bench, CPU-time tok/s,
     * alternating). The size depends on the shapes only, so a run's bytes do not depend on the heap.
     */
    static int headRows(int rows, int vocab) {
        long budget = Math.min(Integer.getInteger("apr.headRows", Integer.MAX_VALUE), (128L << 20) / vocab);
        int cap = (int) Math.max(4, budget / 4 * 4);
        int chunks = (rows + cap - 1) / cap;
        return Math.max(4, ((rows + chunks - 1) / chunks + 3) / 4 * 4);
    }

    public ModelConfig config() { return cfg; }

    public ParamLayout layout() { return layout; }

    public int batchSize() { return batch; }

    public int seqLength() { return seq; }

    /** Seeded init: matrices normal(0, 0.02), norms 1, biases 0. The same seed gives the same weights. */
    public void initRandom(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        for (ParamLayout.Slot s : layout.slots()) {
            if (s.name().endsWith("norm.weight")) Arrays.fill(params, s.offset(), s.offset() + s.size(), 1f);
            else if (s.name().endsWith(".bias")) Arrays.fill(params, s.offset(), s.offset() + s.size(), 0f);
            else for (int i = 0; i < s.size(); i++) params[s.offset() + i] = (float) (0.02 * rng.nextGaussian());
        }
    }

    public void zeroGrads() {
        Parallel.range(grads.length, 1 << 16, (a, b) -> Arrays.fill(grads, a, b, 0f));
    }

    // =====================================================================================
    // forward
    // =====================================================================================

    /** Mean cross-entropy (nats) of {@code targets} given {@code inputs}; forward only (validation). */
    public double loss(int[] inputs, int[] targets) {
        forwardBody(inputs);
        return head(targets, 0f);
    }

    /**
     * Forward and backward: returns the mean loss of this micro-batch and ADDS
     * {@code gradScale * d(mean loss)/d(params)} into {@link #grads} (gradScale = 1/accumulation).
     */
    public double forwardBackward(int[] inputs, int[] targets, float gradScale) {
        long t0 = System.nanoTime();
        forwardBody(inputs);
        long t1 = System.nanoTime();
        Arrays.fill(dLn, 0f);
        double loss = head(targets, gradScale);
        long t2 = System.nanoTime();
        backwardBody();
        long t3 = System.nanoTime();
        timeForward += t1 - t0;
        timeHead += t2 - t1;
        timeBackward += t3 - t2;
        return loss;
    }

    /** Full logits [rows, vocab] (for tests and small models only). */
    public float[] logits(int[] inputs) {
        forwardBody(inputs);
        float[] out = new float[rows * V];
        Matmul.gemmBt(rows, V, C, lnf, 0, C, 1, params, layout.lmHead().offset(), C, out, 0, V, false);
        return out;
    }

    private void forwardBody(int[] inputs) {
        if (inputs.length != rows) throw new IllegalArgumentException("expected " + rows + " input tokens, got " + inputs.length);
        for (int t : inputs)
            if (t < 0 || t >= V) throw new IllegalArgumentException("token id " + t + " outside vocabulary [0, " + V + ")");
        this.tokens = inputs;
        // embedding lookup
        int emb = layout.slot("model.embed_tokens.weight").offset();
        float[] x0 = nLayers > 0 ? resid[0] : residOut;
        Parallel.range(rows, 64, (a, b) -> {
            for (int n = a; n < b; n++) System.arraycopy(params, emb + inputs[n] * C, x0, n * C, C);
        });
        for (int l = 0; l < nLayers; l++) {
            float[] x = resid[l];
            float[] out = l + 1 < nLayers ? resid[l + 1] : residOut;
            rmsnorm(ln1[l], rstd1[l], x, layout.layer(l, "input_layernorm.weight").offset());
            linear(q[l], ln1[l], l, "self_attn.q_proj", C, QD);
            linear(k[l], ln1[l], l, "self_attn.k_proj", C, KVD);
            linear(v[l], ln1[l], l, "self_attn.v_proj", C, KVD);
            rope(q[l], H, false);
            rope(k[l], KV, false);
            long ta = System.nanoTime();
            attentionForward(l);
            timeAttention += System.nanoTime() - ta;
            // mid = x + att @ Wo^T
            System.arraycopy(x, 0, mid[l], 0, rows * C);
            Matmul.gemmBt(rows, C, QD, att[l], 0, QD, 1, params, layout.layer(l, "self_attn.o_proj.weight").offset(), QD,
                    mid[l], 0, C, true);
            rmsnorm(ln2[l], rstd2[l], mid[l], layout.layer(l, "post_attention_layernorm.weight").offset());
            linear(gate[l], ln2[l], l, "mlp.gate_proj", C, F);
            linear(up[l], ln2[l], l, "mlp.up_proj", C, F);
            Layers.swiglu(act[l], gate[l], up[l], rows * F);
            System.arraycopy(mid[l], 0, out, 0, rows * C);
            Matmul.gemmBt(rows, C, F, act[l], 0, F, 1, params, layout.layer(l, "mlp.down_proj.weight").offset(), F, out, 0, C, true);
        }
        rmsnorm(lnf, rstdf, residOut, layout.slot("model.norm.weight").offset());
    }

    /** out[rows, outDim] = in[rows, inDim] @ W^T (+ bias). */
    private void linear(float[] out, float[] in, int l, String name, int inDim, int outDim) {
        Matmul.gemmBt(rows, outDim, inDim, in, 0, inDim, 1, params, layout.layer(l, name + ".weight").offset(), inDim,
                out, 0, outDim, false);
        String bias = "model.layers." + l + "." + name + ".bias";
        if (layout.has(bias)) {
            int bo = layout.slot(bias).offset();
            Parallel.range(rows, 64, (a, b) -> {
                for (int n = a; n < b; n++) Ops.add(params, bo, out, n * outDim, outDim);
            });
        }
    }

    // =====================================================================================
    // lm_head + cross-entropy, fused forward and backward in row chunks
    // =====================================================================================

    /**
     * Mean cross-entropy over all rows. With {@code gradScale != 0} also writes dL/d(lnf) into
     * {@link #dLn} and adds the lm_head weight gradient, chunk by chunk: logits of a chunk become
     * softmax - onehot in place, then feed two GEMMs, and are forgotten.
     */
    private double head(int[] targets, float gradScale) {
        if (targets.length != rows) throw new IllegalArgumentException("expected " + rows + " targets, got " + targets.length);
        for (int t : targets)
            if (t < 0 || t >= V) throw new IllegalArgumentException("target id " + t + " outside vocabulary [0, " + V + ")");
        ParamLayout.Slot lm = layout.lmHead();
        double total = 0;
        double[] rowLoss = new double[headRows];
        for (int r0 = 0; r0 < rows; r0 += headRows) {
            int n = Math.min(headRows, rows - r0);
            final int base = r0;
            long h0 = System.nanoTime();
            Matmul.gemmBt(n, V, C, lnf, base * C, C, 1, params, lm.offset(), C, headBuf, 0, V, false);
            long h1 = System.nanoTime();
            headTimes[0] += h1 - h0;
            float g = gradScale / rows;
            // d(mean loss)/dz = (softmax - onehot) / rows, times gradScale
            Layers.crossEntropy(headBuf, n, V, targets, base, rowLoss, g);
            long h2 = System.nanoTime();
            headTimes[1] += h2 - h1;
            for (int i = 0; i < n; i++) total += rowLoss[i];
            if (gradScale != 0f) {
                // dLnf[chunk] = dZ @ W_lm ;  dW_lm += dZ^T @ lnf[chunk]
                Matmul.gemm(n, C, V, headBuf, 0, V, 1, params, lm.offset(), C, dLn, base * C, C, true);
                long h3 = System.nanoTime();
                Matmul.gemm(V, C, n, headBuf, 0, 1, V, lnf, base * C, C, grads, lm.offset(), C, true);
                headTimes[2] += h3 - h2;
                headTimes[3] += System.nanoTime() - h3;
            }
        }
        return total / rows;
    }

    // =====================================================================================
    // backward
    // =====================================================================================

    private void backwardBody() {
        // final norm: dLn holds dL/d(lnf)
        Arrays.fill(dResid, 0f);
        rmsnormBackward(dResid, dLn, residOut, rstdf, layout.slot("model.norm.weight").offset());
        for (int l = nLayers - 1; l >= 0; l--) {
            float[] x = resid[l];
            // out = mid + act @ Wd^T
            ParamLayout.Slot wd = layout.layer(l, "mlp.down_proj.weight");
            Matmul.gemm(rows, F, C, dResid, 0, C, 1, params, wd.offset(), F, dAct, 0, F, false);
            Matmul.gemm(C, F, rows, dResid, 0, 1, C, act[l], 0, F, grads, wd.offset(), F, true);
            // act = silu(gate) * up
            Layers.swigluBackward(dGate, dUp, dAct, gate[l], up[l], rows * F);
            ParamLayout.Slot wg = layout.layer(l, "mlp.gate_proj.weight"), wu = layout.layer(l, "mlp.up_proj.weight");
            Matmul.gemm(rows, C, F, dGate, 0, F, 1, params, wg.offset(), C, dLn, 0, C, false);
            Matmul.gemm(rows, C, F, dUp, 0, F, 1, params, wu.offset(), C, dLn, 0, C, true);
            Matmul.gemm(F, C, rows, dGate, 0, 1, F, ln2[l], 0, C, grads, wg.offset(), C, true);
            Matmul.gemm(F, C, rows, dUp, 0, 1, F, ln2[l], 0, C, grads, wu.offset(), C, true);
            // mid: dResid already holds the residual path; add the norm path
            rmsnormBackward(dResid, dLn, mid[l], rstd2[l], layout.layer(l, "post_attention_layernorm.weight").offset());
            // mid = x + att @ Wo^T
            ParamLayout.Slot wo = layout.layer(l, "self_attn.o_proj.weight");
            Matmul.gemm(rows, QD, C, dResid, 0, C, 1, params, wo.offset(), QD, dAtt, 0, QD, false);
            Matmul.gemm(C, QD, rows, dResid, 0, 1, C, att[l], 0, QD, grads, wo.offset(), QD, true);
            long ta = System.nanoTime();
            attentionBackward(l);
            timeAttention += System.nanoTime() - ta;
            rope(dq, H, true);
            rope(dk, KV, true);
            // q/k/v projections (+ bias)
            Arrays.fill(dLn, 0f);
            linearBackward(dq, l, "self_attn.q_proj", QD);
            linearBackward(dk, l, "self_attn.k_proj", KVD);
            linearBackward(dv, l, "self_attn.v_proj", KVD);
            rmsnormBackward(dResid, dLn, x, rstd1[l], layout.layer(l, "input_layernorm.weight").offset());
        }
        // embedding: scatter-add rows (serial: the same token may repeat)
        int emb = layout.slot("model.embed_tokens.weight").offset();
        for (int n = 0; n < rows; n++) Ops.add(dResid, n * C, grads, emb + tokens[n] * C, C);
    }

    /** dLn += dOut @ W ; dW += dOut^T @ ln1 ; dBias += colsum(dOut). */
    private void linearBackward(float[] dOut, int l, String name, int outDim) {
        ParamLayout.Slot w = layout.layer(l, name + ".weight");
        Matmul.gemm(rows, C, outDim, dOut, 0, outDim, 1, params, w.offset(), C, dLn, 0, C, true);
        Matmul.gemm(outDim, C, rows, dOut, 0, 1, outDim, ln1[l], 0, C, grads, w.offset(), C, true);
        String bias = "model.layers." + l + "." + name + ".bias";
        if (layout.has(bias)) {
            int bo = layout.slot(bias).offset();
            for (int n = 0; n < rows; n++) Ops.add(dOut, n * outDim, grads, bo, outDim);
        }
    }

    private void rmsnorm(float[] y, float[] rstd, float[] x, int wOff) {
        Layers.rmsnorm(y, rstd, x, params, wOff, rows, C, (float) cfg.rmsNormEps());
    }

    private void rmsnormBackward(float[] dx, float[] dy, float[] x, float[] rstd, int wOff) {
        Layers.rmsnormBackward(dx, grads, wOff, dy, x, rstd, params, wOff, rows, C);
    }

    private void rope(float[] x, int heads, boolean inverse) {
        Layers.rope(x, rows, seq, heads, HD, cos, sin, inverse);
    }

    private void attentionForward(int l) {
        Layers.attention(att[l], lse[l], q[l], k[l], v[l], batch, seq, H, KV, HD);
    }

    private void attentionBackward(int l) {
        Arrays.fill(dq, 0f);
        Arrays.fill(dk, 0f);
        Arrays.fill(dv, 0f);
        Layers.attentionBackward(dq, dk, dv, dAtt, att[l], lse[l], q[l], k[l], v[l], batch, seq, H, KV, HD);
    }
}
