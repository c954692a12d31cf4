package dev.apr.model;

import dev.apr.format.AprException;
import dev.apr.format.ModelFile;
import dev.apr.format.Tensor;
import dev.apr.format.gguf.GgufNames;
import dev.apr.model.kernel.WeightMatrix;

import java.util.Arrays;
import java.util.Map;

/**
 * Finds a model's tensors in a {@link ModelFile} by their Hugging Face names, whatever the file's
 * own naming (GGUF files use {@code blk.N.attn_q.weight} …), and derives the {@link ModelConfig}
 * the file describes (APR metadata, config.json next to SafeTensors, or GGUF keys).
 */
public final class Weights {
    private Weights() {}

    /** The model config a checkpoint describes. */
    public static ModelConfig config(ModelFile f) {
        String src = f.path().toString();
        Map<String, Object> md = f.metadata();
        return switch (f.format()) {
            case "APR" -> ModelConfig.fromAprMetadata(md, src);
            case "SafeTensors" -> {
                if (!(md.get("config") instanceof Map<?, ?> c))
                    throw AprException.badInput("MISSING_CONFIG", src + ": config.json: expected next to the SafeTensors file, got nothing");
                @SuppressWarnings("unchecked") Map<String, Object> cfg = (Map<String, Object>) c;
                yield ModelConfig.fromHfConfig(cfg, src + "/config.json");
            }
            case "GGUF" -> ggufConfig(f);
            default -> throw AprException.badInput("UNKNOWN_FORMAT", src + ": format: expected APR, SafeTensors or GGUF, got " + f.format());
        };
    }

    /** The architecture keys of a GGUF file (specs/gguf-safetensors.md §4.1) as a ModelConfig. */
    static ModelConfig ggufConfig(ModelFile f) {
        String src = f.path().toString();
        Map<String, Object> md = f.metadata();
        Object archV = md.get("general.architecture");
        String arch = archV == null ? null : archV.toString();
        if (!"qwen2".equals(arch) && !"llama".equals(arch))
            throw AprException.badInput("UNKNOWN_ARCHITECTURE", src + ": general.architecture: expected qwen2 or llama, got "
                    + (arch == null ? "nothing" : "'" + arch + "'"));
        Tensor embed = f.tensor("token_embd.weight");
        if (embed == null) throw AprException.badInput("MISSING_TENSOR", src + ": tensor token_embd.weight: expected, got nothing");
        int hidden = ggufInt(md, arch + ".embedding_length", src, null);
        int heads = ggufInt(md, arch + ".attention.head_count", src, null);
        int kv = ggufInt(md, arch + ".attention.head_count_kv", src, heads);
        int headDim = ggufInt(md, arch + ".attention.key_length", src, hidden / heads);
        boolean qwen = arch.equals("qwen2");
        return new ModelConfig(arch, hidden,
                ggufInt(md, arch + ".block_count", src, null), heads, kv, headDim,
                ggufInt(md, arch + ".feed_forward_length", src, null),
                (int) embed.shape()[0],
                ggufInt(md, arch + ".context_length", src, null),
                ggufNum(md, arch + ".rope.freq_base", src, 10000.0),
                ggufNum(md, arch + ".attention.layer_norm_rms_epsilon", src, null),
                qwen || f.tensor("blk.0.attn_q.bias") != null,
                f.tensor("output.weight") == null,
                md.get("tokenizer.ggml.bos_token_id") instanceof Number n ? n.intValue() : -1,
                md.get("tokenizer.ggml.eos_token_id") instanceof Number n ? n.intValue() : -1);
    }

    private static int ggufInt(Map<String, Object> md, String key, String src, Integer dflt) {
        Object v = md.get(key);
        if (v instanceof Number n) return n.intValue();
        if (v == null && dflt != null) return dflt;
        throw AprException.badInput("BAD_CONFIG", src + ": " + key + ": expected an integer, got " + (v == null ? "nothing" : v));
    }

    private static double ggufNum(Map<String, Object> md, String key, String src, Double dflt) {
        Object v = md.get(key);
        // a FLOAT32 key means the decimal it was written from (1e-6f -> 1e-6, not 9.99999997e-7)
        if (v instanceof Float fl) return Double.parseDouble(Float.toString(fl));
        if (v instanceof Number n) return n.doubleValue();
        if (v == null && dflt != null) return dflt;
        throw AprException.badInput("BAD_CONFIG", src + ": " + key + ": expected a number, got " + (v == null ? "nothing" : v));
    }

    /** The file's name for an HF tensor name (identity except for GGUF). */
    static String fileName(ModelFile f, String hf) {
        if (!f.format().equals("GGUF")) return hf;
        String g = GgufNames.toGguf(hf);
        return g == null ? hf : g;
    }

    /** The tensor with this HF name, checked against the expected shape. */
    static Tensor tensor(ModelFile f, String hf, long[] shape) {
        String name = fileName(f, hf);
        Tensor t = f.tensor(name);
        if (t == null)
            throw AprException.badInput("MISSING_TENSOR", f.path() + ": tensor " + name + ": expected " + Arrays.toString(shape) + ", got nothing");
        if (!Arrays.equals(t.shape(), shape))
            throw AprException.badInput("BAD_TENSOR_SHAPE", f.path() + ": tensor " + name + ": shape: expected "
                    + Arrays.toString(shape) + ", got " + t.shapeString());
        return t;
    }

    static WeightMatrix matrix(ModelFile f, String hf, long rows, long cols) {
        return WeightMatrix.of(tensor(f, hf, new long[] {rows, cols}));
    }

    /** A 1-D tensor (norm weight, bias) in any float dtype, as floats. */
    static float[] vector(ModelFile f, String hf, long n) {
        Tensor t = tensor(f, hf, new long[] {n});
        float[] v = new float[(int) n];
        WeightMatrix.of(t.name(), t.dtype(), t.data(), 1, n).row(0, v, 0);
        return v;
    }
}
