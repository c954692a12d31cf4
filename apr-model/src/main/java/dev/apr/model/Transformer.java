package dev.apr.model;

import dev.apr.format.AprException;
import dev.apr.format.ModelFile;
import dev.apr.model.kernel.Matmul;
import dev.apr.model.kernel.Ops;
import dev.apr.model.kernel.Parallel;
import dev.apr.model.kernel.WeightMatrix;

/**
 * The forward pass of a Llama / Qwen2 decoder: token embedding, then per layer
 * {@code x += o(attn(rope(q(n(x))), rope(k(n(x))), v(n(x))))} and {@code x += down(silu(gate(n(x)))·up(n(x)))},
 * then the final RMSNorm and the LM head (tied to the embedding or separate).
 *
 * <p>Weights are read in place from the {@link ModelFile} (any of F32/F16/BF16/Q8_0/Q5_0/Q4_K/Q6_K);
 * activations and the KV cache are float32. One call of {@link #forward} runs a batch of new
 * tokens (prefill: register-blocked matrix-matrix kernels) or a single token (decode:
 * matrix-vector kernels) on top of what the {@link State} already holds; both give the same
 * logits up to float rounding.
 *
 * <pre>{@code
 * try (ModelFile f = ModelFiles.open(path)) {
 *     Transformer model = Transformer.load(f);
 *     Transformer.State s = model.newState(2048);
 *     float[] logits = model.forward(s, promptIds, false);   // [vocab] for the last prompt token
 *     logits = model.forward(s, new int[] {next}, false);     // one more token
 *     model.forward(s, next2, logits);                         // one more, into the caller's array
 * }
 * }</pre>
 */
public final class Transformer {

    /** One decoder layer's weights. Norms and biases are small and copied to floats. */
    record Layer(float[] attnNorm, WeightMatrix wq, WeightMatrix wk, WeightMatrix wv,
                 float[] bq, float[] bk, float[] bv, WeightMatrix wo,
                 float[] ffnNorm, WeightMatrix gate, WeightMatrix up, WeightMatrix down) {}

    private final ModelConfig config;
    private final WeightMatrix embed;
    private final Layer[] layers;
    private final float[] finalNorm;
    private final WeightMatrix lmHead;
    /** llama GGUF files store q/k rows permuted for adjacent-pair RoPE (spec §4.4, §8): rotate pairs. */
    private final boolean interleavedRope;
    private final float eps;
    /** RoPE's inverse frequency per rotated pair (scaled for Llama 3.1-style models). */
    private final double[] invFreq;

    private Transformer(ModelConfig config, WeightMatrix embed, Layer[] layers, float[] finalNorm, WeightMatrix lmHead,
                       boolean interleavedRope) {
        this.config = config;
        this.embed = embed;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
        this.interleavedRope = interleavedRope;
        this.eps = (float) config.rmsNormEps();
        this.invFreq = config.ropeInvFreq();
    }

    /** Loads the model a checkpoint describes (config from the file's own metadata). */
    public static Transformer load(ModelFile f) {
        return load(f, Weights.config(f));
    }

    /**
     * Loads the weights of {@code c} from {@code f}, looked up by HF name (GGUF names are mapped, in a
     * GGUF or in an APR that kept them), each checked against its expected shape. The file must stay
     * open while the model is used.
     */
    public static Transformer load(ModelFile f, ModelConfig c) {
        long h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), ff = c.intermediateSize(), v = c.vocabSize();
        WeightMatrix embed = Weights.matrix(f, "model.embed_tokens.weight", v, h);
        Layer[] layers = new Layer[c.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "model.layers." + i + ".";
            boolean bias = c.attentionBias();
            layers[i] = new Layer(
                    Weights.vector(f, p + "input_layernorm.weight", h),
                    Weights.matrix(f, p + "self_attn.q_proj.weight", q, h),
                    Weights.matrix(f, p + "self_attn.k_proj.weight", kv, h),
                    Weights.matrix(f, p + "self_attn.v_proj.weight", kv, h),
                    bias ? Weights.vector(f, p + "self_attn.q_proj.bias", q) : null,
                    bias ? Weights.vector(f, p + "self_attn.k_proj.bias", kv) : null,
                    bias ? Weights.vector(f, p + "self_attn.v_proj.bias", kv) : null,
                    Weights.matrix(f, p + "self_attn.o_proj.weight", h, q),
                    Weights.vector(f, p + "post_attention_layernorm.weight", h),
                    Weights.matrix(f, p + "mlp.gate_proj.weight", ff, h),
                    Weights.matrix(f, p + "mlp.up_proj.weight", ff, h),
                    Weights.matrix(f, p + "mlp.down_proj.weight", h, ff));
        }
        float[] norm = Weights.vector(f, "model.norm.weight", h);
        WeightMatrix head;
        if (c.tieWordEmbeddings()) head = embed;
        else head = Weights.matrix(f, "lm_head.weight", v, h);
        return new Transformer(c, embed, layers, norm, head, Weights.interleavedRope(f, c));
    }

    public ModelConfig config() { return config; }

    /** Bytes of weights one decode step reads (all layers plus the LM head): the decode bandwidth bill. */
    public long weightBytesPerToken() {
        long n = lmHead.byteSize();
        for (Layer l : layers)
            n += l.wq.byteSize() + l.wk.byteSize() + l.wv.byteSize() + l.wo.byteSize()
                    + l.gate.byteSize() + l.up.byteSize() + l.down.byteSize();
        return n;
    }

    // ---- state: KV cache and position ---------------------------------------------------------

    /** The KV cache of one sequence and how many positions it holds. Not thread-safe. */
    public final class State {
        private final int capacity;
        private final float[][] keys, values;   // [layer][pos * kvDim + kvHead * headDim + i]
        private int position;
        private Activations decode;               // one token's work arrays, reused by every decode step

        State(int capacity) {
            this.capacity = capacity;
            long perLayer = (long) capacity * config.kvDim();
            if (perLayer > Integer.MAX_VALUE - 16)
                throw AprException.badInput("CONTEXT_TOO_LONG", "context length " + capacity + ": expected at most "
                        + (Integer.MAX_VALUE / config.kvDim()) + " positions for kv dim " + config.kvDim());
            keys = new float[config.numLayers()][(int) perLayer];
            values = new float[config.numLayers()][(int) perLayer];
        }

        /** Number of tokens already processed (the position of the next token). */
        public int position() { return position; }

        public int capacity() { return capacity; }

        /** Forgets everything: the next token is at position 0. */
        public void reset() { position = 0; }

        private Activations decodeActivations() {
            if (decode == null) decode = new Activations(1);
            return decode;
        }
    }

    /**
     * The work arrays of one forward call over T tokens. Decode keeps one set per state: allocating
     * them afresh each token (with the logits, 0.7 MB for a 0.5B model) cost about a millisecond per
     * token, 4 % of a decode step, more than the norms, RoPE and adds between the matrix products.
     */
    private final class Activations {
        final float[] x, xn, q, k, v, att, proj, gate, up, cos, sin, h;

        Activations(int T) {
            int E = config.hiddenSize(), Q = config.qDim(), KV = config.kvDim(), F = config.intermediateSize(), D = config.headDim();
            x = new float[T * E]; xn = new float[T * E]; proj = new float[T * E]; h = new float[T * E];
            q = new float[T * Q]; att = new float[T * Q];
            k = new float[T * KV]; v = new float[T * KV];
            gate = new float[T * F]; up = new float[T * F];
            cos = new float[T * D / 2]; sin = new float[T * D / 2];
        }
    }

    /**
     * A fresh KV cache for up to {@code contextLength} tokens (at most the model's
     * max_position_embeddings).
     */
    public State newState(int contextLength) {
        if (contextLength < 1 || contextLength > config.maxPositions())
            throw AprException.badInput("CONTEXT_TOO_LONG", "context length: expected 1.." + config.maxPositions()
                    + " (max_position_embeddings), got " + contextLength);
        return new State(contextLength);
    }

    // ---- forward --------------------------------------------------------------------------------

    /**
     * Runs {@code tokens} at the state's next positions and appends them to its cache. Returns the
     * logits of the last token ({@code [vocab]}), or of every token ({@code [T, vocab]}) when
     * {@code allLogits}.
     */
    public float[] forward(State s, int[] tokens, boolean allLogits) {
        int n = allLogits ? tokens.length : 1;
        float[] logits = new float[n * config.vocabSize()];
        forward(s, tokens, allLogits, logits, tokens.length == 1 ? s.decodeActivations() : new Activations(tokens.length));
        return logits;
    }

    /**
     * One decode step without allocating: runs {@code token} at the state's next position and
     * writes its logits to {@code logits[0 .. vocab)}, reusing the state's work arrays.
     */
    public void forward(State s, int token, float[] logits) {
        if (logits.length < config.vocabSize())
            throw new IllegalArgumentException("forward: logits holds " + logits.length + " floats, need " + config.vocabSize());
        forward(s, new int[] {token}, false, logits, s.decodeActivations());
    }

    private void forward(State s, int[] tokens, boolean allLogits, float[] logits, Activations a) {
        int T = tokens.length;
        if (T == 0) throw new IllegalArgumentException("forward: no tokens");
        if (s.position + T > s.capacity)
            throw AprException.badInput("CONTEXT_FULL", "context: " + s.position + " + " + T
                    + " tokens exceed the context length " + s.capacity);
        for (int t : tokens)
            if (t < 0 || t >= config.vocabSize())
                throw AprException.badInput("BAD_TOKEN", "token id: expected 0.." + (config.vocabSize() - 1) + ", got " + t);

        final int E = config.hiddenSize(), Q = config.qDim(), KV = config.kvDim(), F = config.intermediateSize();
        final int D = config.headDim(), pos0 = s.position;

        final float[] x = a.x, xn = a.xn, q = a.q, k = a.k, v = a.v, att = a.att, proj = a.proj, gate = a.gate, up = a.up;
        for (int t = 0; t < T; t++) embed.row(tokens[t], x, t * E);

        // RoPE angles of the new positions, shared by every layer and head
        final float[] cos = a.cos, sin = a.sin;
        for (int t = 0; t < T; t++) Ops.ropeAngles(pos0 + t, invFreq, cos, sin, t * D / 2);

        for (int li = 0; li < layers.length; li++) {
            Layer l = layers[li];
            // attention block
            for (int t = 0; t < T; t++) Ops.rmsnorm(xn, t * E, x, t * E, l.attnNorm, E, eps);
            if (T == 1) WeightMatrix.matvec(new WeightMatrix[] {l.wq, l.wk, l.wv}, xn, 0, new float[][] {q, k, v});
            else WeightMatrix.matmul(new WeightMatrix[] {l.wq, l.wk, l.wv}, xn, T, new float[][] {q, k, v});
            for (int t = 0; t < T; t++) {
                if (l.bq != null) {
                    Ops.add(q, t * Q, l.bq, 0, Q);
                    Ops.add(k, t * KV, l.bk, 0, KV);
                    Ops.add(v, t * KV, l.bv, 0, KV);
                }
                Ops.rope(q, t * Q, config.numHeads(), D, cos, sin, t * D / 2, interleavedRope);
                Ops.rope(k, t * KV, config.numKvHeads(), D, cos, sin, t * D / 2, interleavedRope);
            }
            System.arraycopy(k, 0, s.keys[li], pos0 * KV, T * KV);
            System.arraycopy(v, 0, s.values[li], pos0 * KV, T * KV);
            attention(s.keys[li], s.values[li], q, att, T, pos0);
            linear(l.wo, att, T, proj);
            Ops.add(x, 0, proj, 0, T * E);

            // MLP block (SwiGLU)
            for (int t = 0; t < T; t++) Ops.rmsnorm(xn, t * E, x, t * E, l.ffnNorm, E, eps);
            if (T == 1) WeightMatrix.matvec(new WeightMatrix[] {l.gate, l.up}, xn, 0, new float[][] {gate, up});
            else WeightMatrix.matmul(new WeightMatrix[] {l.gate, l.up}, xn, T, new float[][] {gate, up});
            Ops.siluMul(gate, 0, up, 0, T * F);
            linear(l.down, gate, T, proj);
            Ops.add(x, 0, proj, 0, T * E);
        }
        s.position += T;

        // final norm and LM head, for the last token or all of them
        int first = allLogits ? 0 : T - 1, n = T - first;
        float[] h = a.h;
        for (int t = 0; t < n; t++) Ops.rmsnorm(h, t * E, x, (first + t) * E, finalNorm, E, eps);
        linear(lmHead, h, n, logits);
    }

    private static void linear(WeightMatrix w, float[] x, int tokens, float[] y) {
        if (tokens == 1) w.matvec(x, 0, y, 0);
        else w.matmul(x, tokens, y);
    }

    /** Query rows per attention block in prefill (bounds the score buffer at QUERY_BLOCK × context). */
    private static final int QUERY_BLOCK = 64;

    /**
     * Causal grouped-query attention for T new tokens at positions pos0.. (their K/V already in
     * the cache): query head h reads KV head h / (heads / kvHeads). From 16 tokens on as matrix products
     * ({@link #blockAttention}); below that, work items are (token, head).
     */
    private void attention(float[] keys, float[] values, float[] q, float[] out, int T, int pos0) {
        if (T >= 16) { blockAttention(keys, values, q, out, T, pos0); return; }
        final int H = config.numHeads(), D = config.headDim(), KV = config.kvDim(), Q = config.qDim();
        final int group = H / config.numKvHeads();
        final float scale = (float) (1.0 / Math.sqrt(D));
        Parallel.range(T * H, 1, (i0, i1) -> {
            float[] scores = new float[pos0 + T];
            for (int item = i0; item < i1; item++) {
                int t = item / H, head = item % H, kvOff = (head / group) * D;
                int qOff = t * Q + head * D, n = pos0 + t + 1;   // causal: positions 0..pos0+t
                for (int p = 0; p < n; p++) scores[p] = Ops.dot(q, qOff, keys, p * KV + kvOff, D) * scale;
                Ops.softmax(scores, 0, n);
                int oOff = t * Q + head * D;
                java.util.Arrays.fill(out, oOff, oOff + D, 0f);
                for (int p = 0; p < n; p++) Ops.axpy(out, oOff, scores[p], values, p * KV + kvOff, D);
            }
        });
    }

    /**
     * Prefill attention as two matrix products per head and block of queries: scores = Q·Kᵀ over
     * the block's visible context, causal mask and softmax row by row, then out = P·V (the same sums
     * as the per-token path, through the register-blocked kernel instead of one lane reduction per
     * position). Heads × blocks go over the pool; each product runs on its thread.
     */
    private void blockAttention(float[] keys, float[] values, float[] q, float[] out, int T, int pos0) {
        final int H = config.numHeads(), D = config.headDim(), KV = config.kvDim(), Q = config.qDim();
        final int group = H / config.numKvHeads();
        final float scale = (float) (1.0 / Math.sqrt(D));
        int blocks = (T + QUERY_BLOCK - 1) / QUERY_BLOCK, ctx = pos0 + T;
        // each KV head's keys transposed once ([D, ctx]), for all the query heads of its group
        float[] kt = new float[config.numKvHeads() * D * ctx];
        for (int p = 0; p < ctx; p++)
            for (int c = 0; c < KV; c++) kt[c * ctx + p] = keys[p * KV + c];
        Parallel.range(blocks * H, 1, (i0, i1) -> {
            float[] scores = new float[Math.min(QUERY_BLOCK, T) * ctx];
            for (int item = i0; item < i1; item++) {
                int head = item % H, t0 = (item / H) * QUERY_BLOCK, m = Math.min(QUERY_BLOCK, T - t0);
                int kvOff = (head / group) * D, n = pos0 + t0 + m;          // context the block's last query sees
                Matmul.gemm(m, n, D, q, t0 * Q + head * D, Q, 1, kt, kvOff * ctx, ctx, scores, 0, n, false);
                for (int r = 0; r < m; r++) {
                    int visible = pos0 + t0 + r + 1, row = r * n;
                    for (int p = 0; p < visible; p++) scores[row + p] *= scale;
                    Ops.softmax(scores, row, visible);
                    java.util.Arrays.fill(scores, row + visible, row + n, 0f);   // causal mask
                }
                Matmul.gemm(m, D, n, scores, 0, n, 1, values, kvOff, KV, out, t0 * Q + head * D, Q, false);
            }
        });
    }
}
