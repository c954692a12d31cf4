package dev.apr.train;

import dev.apr.model.ModelConfig;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each tensor of a model lives inside the trainer's one flat fp32 parameter array (and the
 * gradient and AdamW moment arrays laid out the same way). Tensors follow
 * {@link ModelConfig#expectedTensors()} with their Hugging Face names; a tied model has no
 * {@code lm_head.weight}: the embedding is used for both (one tensor, one gradient).
 */
public final class ParamLayout {

    /** One tensor: name, shape, offset into the flat array, element count. */
    public record Slot(String name, long[] shape, int offset, int size) {
        /** Weight decay applies to matrices only (not norms, not biases). */
        public boolean isMatrix() { return shape.length == 2; }
    }

    private final ModelConfig config;
    private final Map<String, Slot> slots = new LinkedHashMap<>();
    private final long total;

    public ParamLayout(ModelConfig config) {
        this.config = config;
        long off = 0;
        for (Map.Entry<String, long[]> e : config.expectedTensors().entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n = Math.multiplyExact(n, d);
            // align each tensor to 16 floats (64 bytes) so vector loads of a row start on a line
            off = (off + 15) & ~15L;
            slots.put(e.getKey(), new Slot(e.getKey(), e.getValue(), (int) Math.min(off, Integer.MAX_VALUE), (int) n));
            off += n;
        }
        total = (off + 15) & ~15L;
    }

    /** Refuses models whose parameters do not fit one Java array (2^31 - 1 floats), before allocating. */
    public int totalChecked() {
        if (total > Integer.MAX_VALUE - 64)
            throw dev.apr.format.AprException.badInput("TRAIN_MODEL_TOO_LARGE", "model has " + config.parameterCount()
                    + " parameters; the trainer holds at most " + (Integer.MAX_VALUE - 64) + " fp32 values per buffer");
        return (int) total;
    }

    public ModelConfig config() { return config; }

    public long total() { return total; }

    public Slot slot(String name) {
        Slot s = slots.get(name);
        if (s == null) throw new IllegalArgumentException("no tensor " + name);
        return s;
    }

    public boolean has(String name) { return slots.containsKey(name); }

    public List<Slot> slots() { return Collections.unmodifiableList(new ArrayList<>(slots.values())); }

    /** The lm_head slot: the embedding when tied. */
    public Slot lmHead() {
        return config.tieWordEmbeddings() ? slot("model.embed_tokens.weight") : slot("lm_head.weight");
    }

    public Slot layer(int i, String suffix) { return slot("model.layers." + i + "." + suffix); }
}
