package dev.apr.hub.publish;

import dev.apr.format.DType;
import dev.apr.format.ModelFile;
import dev.apr.format.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The checks llama.cpp's loader makes on a GGUF (specs/gguf-safetensors.md §1.5-1.6, §4), applied
 * to a GGUF opened with apr's GGUF reader: required keys, alignment, the exact tensor set with
 * the expected shapes (vocabulary = length of {@code tokenizer.ggml.tokens}), K-quant rows a
 * multiple of 256. Shapes here are row-major ({@code [out, in]}), i.e. GGUF {@code ne} reversed.
 */
public final class GgufRules {
    private GgufRules() {}

    public static void check(ModelFile gguf, String source, List<String> p) {
        Map<String, Object> md = gguf.metadata();
        Object archObj = md.get("general.architecture");
        if (!(archObj instanceof String arch)) {
            p.add(source + ": general.architecture: expected a string (qwen2 or llama), got " + archObj);
            return;
        }
        if (!arch.equals("qwen2") && !arch.equals("llama")) {
            p.add(source + ": general.architecture: expected qwen2 or llama, got " + arch);
            return;
        }
        Object align = md.get("general.alignment");
        if (align != null && !(align instanceof Number n && n.longValue() > 0 && Long.bitCount(n.longValue()) == 1))
            p.add(source + ": general.alignment: expected a power of two, got " + align);
        Long ctx = num(md, arch + ".context_length", source, p, true);
        Long e = num(md, arch + ".embedding_length", source, p, true);
        Long layers = num(md, arch + ".block_count", source, p, true);
        Long f = num(md, arch + ".feed_forward_length", source, p, true);
        Long h = num(md, arch + ".attention.head_count", source, p, true);
        Long k = num(md, arch + ".attention.head_count_kv", source, p, false);
        if (!(md.get(arch + ".attention.layer_norm_rms_epsilon") instanceof Number))
            p.add(source + ": " + arch + ".attention.layer_norm_rms_epsilon: required, missing");
        if (arch.equals("qwen2") && !(md.get(arch + ".rope.freq_base") instanceof Number))
            p.add(source + ": qwen2.rope.freq_base: missing (llama.cpp would use 10000, wrong for Qwen2)");
        Object tokens = md.get("tokenizer.ggml.tokens");
        if (!(tokens instanceof List<?> tl) || tl.isEmpty()) {
            p.add(source + ": tokenizer.ggml.tokens: required, expected a non-empty string array");
            return;
        }
        if (!(md.get("tokenizer.ggml.model") instanceof String)) p.add(source + ": tokenizer.ggml.model: required, missing");
        if (ctx == null || e == null || layers == null || f == null || h == null) return;
        if (k == null) k = h;
        if (e % h != 0) { p.add(source + ": embedding_length " + e + " is not a multiple of head_count " + h); return; }
        long d = num(md, arch + ".attention.key_length", source, p, false) instanceof Long kl ? kl : e / h;
        Object rot = md.get(arch + ".rope.dimension_count");
        if (arch.equals("llama") && rot instanceof Number r && r.longValue() != d)
            p.add(source + ": llama.rope.dimension_count: expected the head dim " + d + ", got " + r + " (invalid n_rot)");
        long v = tl.size();

        Map<String, long[]> required = new LinkedHashMap<>(), optional = new LinkedHashMap<>();
        required.put("token_embd.weight", new long[] {v, e});
        required.put("output_norm.weight", new long[] {e});
        optional.put("output.weight", new long[] {v, e});
        for (int i = 0; i < layers; i++) {
            String b = "blk." + i + ".";
            required.put(b + "attn_norm.weight", new long[] {e});
            required.put(b + "attn_q.weight", new long[] {h * d, e});
            required.put(b + "attn_k.weight", new long[] {k * d, e});
            required.put(b + "attn_v.weight", new long[] {k * d, e});
            required.put(b + "attn_output.weight", new long[] {e, h * d});
            required.put(b + "ffn_norm.weight", new long[] {e});
            required.put(b + "ffn_gate.weight", new long[] {f, e});
            required.put(b + "ffn_up.weight", new long[] {f, e});
            required.put(b + "ffn_down.weight", new long[] {e, f});
            Map<String, long[]> bias = arch.equals("qwen2") ? required : optional;
            bias.put(b + "attn_q.bias", new long[] {h * d});
            bias.put(b + "attn_k.bias", new long[] {k * d});
            bias.put(b + "attn_v.bias", new long[] {k * d});
            if (arch.equals("llama")) {
                optional.put(b + "attn_output.bias", new long[] {e});
                optional.put(b + "ffn_gate.bias", new long[] {f});
                optional.put(b + "ffn_up.bias", new long[] {f});
                optional.put(b + "ffn_down.bias", new long[] {e});
            }
        }
        if (arch.equals("llama")) optional.put("rope_freqs.weight", new long[] {d / 2});
        for (var r : required.entrySet())
            if (gguf.tensor(r.getKey()) == null) p.add(source + ": tensor '" + r.getKey() + "' not found");
        for (Tensor t : gguf.tensors()) {
            long[] want = required.containsKey(t.name()) ? required.get(t.name()) : optional.get(t.name());
            if (want == null) {
                p.add(source + ": tensor '" + t.name() + "' is not used by llama.cpp's " + arch + " loader (wrong number of tensors)");
                continue;
            }
            if (!Arrays.equals(trimOnes(t.shape()), want))
                p.add(source + ": tensor '" + t.name() + "' has wrong shape; expected " + Arrays.toString(want) + ", got " + t.shapeString());
            if ((t.dtype() == DType.Q4_K || t.dtype() == DType.Q6_K) && t.cols() % 256 != 0)
                p.add(source + ": tensor '" + t.name() + "' is " + t.dtype() + " but its row length " + t.cols() + " is not a multiple of 256");
        }
    }

    /** Leading 1-dims of a row-major shape are trailing 1-dims of ne, which llama.cpp ignores. */
    private static long[] trimOnes(long[] s) {
        int i = 0;
        while (i < s.length - 1 && s[i] == 1) i++;
        return Arrays.copyOfRange(s, i, s.length);
    }

    private static Long num(Map<String, Object> md, String key, String source, List<String> p, boolean required) {
        Object o = md.get(key);
        if (o instanceof Number n && n.longValue() > 0) return n.longValue();
        if (o == null && !required) return null;
        p.add(source + ": " + key + ": " + (o == null ? "required, missing" : "expected a positive integer, got " + o));
        return null;
    }
}
