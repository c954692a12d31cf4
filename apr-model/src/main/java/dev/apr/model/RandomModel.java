package dev.apr.model;

import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.ModelFile;
import dev.apr.format.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A model of a preset shape with random weights, held in native memory: what {@code apr bench
 * random:qwen2-0.5b[:f32|f16|bf16|q8_0|q4_k_m]} runs, so benchmarks need no files.
 *
 * <p>Float types hold N(0, 0.02)-like values; quantized types hold random valid blocks (random
 * quants, small positive scales). {@code q4_k_m} follows llama-quantize's Q4_K_M recipe
 * (specs/gguf-safetensors.md §3.7): Q4_K where a row is a multiple of 256 (else Q5_0), Q6_K/Q8_0
 * for ffn_down/attn_v on the "more bits" layers, Q8_0/Q6_K for the embedding, F32 norms and biases.
 */
public final class RandomModel implements ModelFile {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String spec;
    private final ModelConfig config;
    private final Arena arena = Arena.ofShared();
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private long state = 0x9E3779B97F4A7C15L;

    /** Parses {@code random:PRESET[:TYPE]} (the "random:" prefix optional). */
    public static RandomModel parse(String spec) {
        String s = spec.startsWith("random:") ? spec.substring(7) : spec;
        String[] parts = s.split(":");
        if (parts.length > 2 || parts[0].isEmpty())
            throw new AprException("BAD_SOURCE", AprException.USAGE, "source '" + spec + "': expected random:PRESET[:f32|f16|bf16|q8_0|q4_k_m]");
        String type = parts.length == 2 ? parts[1].toLowerCase(Locale.ROOT) : "f16";
        if (!List.of("f32", "f16", "bf16", "q8_0", "q4_k_m").contains(type))
            throw new AprException("BAD_SOURCE", AprException.USAGE, "source '" + spec + "': weight type: expected f32, f16, bf16, q8_0 or q4_k_m, got " + type);
        return new RandomModel(spec, ModelConfig.preset(parts[0]), type);
    }

    public RandomModel(String spec, ModelConfig config, String type) {
        this.spec = spec;
        this.config = config;
        int n = config.numLayers();
        for (var e : config.expectedTensors().entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            DType t;
            if (shape.length == 1) t = DType.F32;
            else t = switch (type) {
                case "f32" -> DType.F32;
                case "f16" -> DType.F16;
                case "bf16" -> DType.BF16;
                case "q8_0" -> DType.Q8_0;
                default -> q4km(name, shape[1], n);
            };
            tensors.put(name, new Tensor(name, t, shape, fill(t, shape)));
        }
    }

    /** The type llama-quantize Q4_K_M picks for this weight (no imatrix). */
    private static DType q4km(String name, long cols, int layers) {
        boolean kQuantOk = cols % 256 == 0;
        if (name.equals("model.embed_tokens.weight") || name.equals("lm_head.weight")) return kQuantOk ? DType.Q6_K : DType.Q8_0;
        int layer = Integer.parseInt(name.split("\\.")[2]);
        boolean moreBits = layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
        if (moreBits && (name.contains("v_proj") || name.contains("down_proj"))) {
            if (name.contains("v_proj")) return kQuantOk ? DType.Q6_K : DType.Q8_0;
            return kQuantOk ? DType.Q6_K : DType.Q8_0;
        }
        return kQuantOk ? DType.Q4_K : DType.Q5_0;
    }

    private long next() {   // xorshift64*: fast, reproducible
        state ^= state >>> 12; state ^= state << 25; state ^= state >>> 27;
        return state * 0x2545F4914F6CDD1DL;
    }

    /** A float in [-1, 1). */
    private float uniform() { return (next() >>> 40) * 0x1p-23f - 1f; }

    private MemorySegment fill(DType t, long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        long bytes = t.byteSize(n);
        MemorySegment seg = arena.allocate(bytes, 64);
        if (t == DType.F32 && shape.length == 1) {
            for (long i = 0; i < n; i++) seg.set(F32, 4 * i, 1f + 0.1f * uniform());   // norms (and biases) near 1
            return seg;
        }
        switch (t) {
            case F32 -> { for (long i = 0; i < n; i++) seg.set(F32, 4 * i, 0.035f * uniform()); }
            case F16 -> { for (long i = 0; i < n; i++) seg.set(I16, 2 * i, Float.floatToFloat16(0.035f * uniform())); }
            case BF16 -> { for (long i = 0; i < n; i++) seg.set(I16, 2 * i, dev.apr.format.Floats.f32ToBf16(0.035f * uniform())); }
            default -> {
                for (long i = 0; i + 8 <= bytes; i += 8) seg.set(ValueLayout.JAVA_LONG_UNALIGNED, i, next());
                for (long i = bytes - bytes % 8; i < bytes; i++) seg.set(ValueLayout.JAVA_BYTE, i, (byte) next());
                // sane scales in every block so values stay small and finite
                short small = Float.floatToFloat16(0.0005f);
                for (long b = 0; b < bytes; b += t.blockBytes) {
                    switch (t) {
                        case Q8_0, Q5_0 -> seg.set(I16, b, small);
                        case Q4_K -> { seg.set(I16, b, small); seg.set(I16, b + 2, small); }
                        case Q6_K -> seg.set(I16, b + 208, small);
                        default -> throw new IllegalStateException(t.toString());
                    }
                }
            }
        }
        return seg;
    }

    public ModelConfig config() { return config; }

    @Override public Path path() { return Path.of(spec.replace(':', '_')); }
    @Override public String format() { return "random"; }
    @Override public Map<String, Object> metadata() { return Map.of(); }
    @Override public List<Tensor> tensors() { return new ArrayList<>(tensors.values()); }
    @Override public Tensor tensor(String name) { return tensors.get(name); }
    @Override public void close() { arena.close(); }
}
