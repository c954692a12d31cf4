package dev.apr.model;

import dev.apr.format.AprException;
import dev.apr.format.ModelFile;
import dev.apr.format.Tensor;
import dev.apr.model.kernel.WeightMatrix;

import java.util.Arrays;
import java.util.List;
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
        if (v instanceof Number n) return n.doubleValue();
        if (v == null && dflt != null) return dflt;
        throw AprException.badInput("BAD_CONFIG", src + ": " + key + ": expected a number, got " + (v == null ? "nothing" : v));
    }

    /** The file's name for an HF tensor name (identity except for GGUF). */
    static String fileName(ModelFile f, String hf) {
        if (!f.format().equals("GGUF")) return hf;
        if (hf.equals("model.embed_tokens.weight")) return "token_embd.weight";
        if (hf.equals("model.norm.weight")) return "output_norm.weight";
        if (hf.equals("lm_head.weight")) return "output.weight";
        if (hf.startsWith("model.layers.")) {
            int dot = hf.indexOf('.', 13);
            String layer = hf.substring(13, dot), rest = hf.substring(dot + 1);
            for (String[] m : LAYER_NAMES) if (m[0].equals(rest)) return "blk." + layer + "." + m[1];
        }
        return hf;
    }

    private static final String[][] LAYER_NAMES = {
            {"input_layernorm.weight", "attn_norm.weight"},
            {"self_attn.q_proj.weight", "attn_q.weight"}, {"self_attn.q_proj.bias", "attn_q.bias"},
            {"self_attn.k_proj.weight", "attn_k.weight"}, {"self_attn.k_proj.bias", "attn_k.bias"},
            {"self_attn.v_proj.weight", "attn_v.weight"}, {"self_attn.v_proj.bias", "attn_v.bias"},
            {"self_attn.o_proj.weight", "attn_output.weight"},
            {"post_attention_layernorm.weight", "ffn_norm.weight"},
            {"mlp.gate_proj.weight", "ffn_gate.weight"}, {"mlp.up_proj.weight", "ffn_up.weight"},
            {"mlp.down_proj.weight", "ffn_down.weight"},
    };

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

    /** Every tensor name in the file that the model does not use (extra weights are a bad sign). */
    static List<String> unused(ModelFile f, ModelConfig c) {
        var used = c.expectedTensors().keySet().stream().map(n -> fileName(f, n)).toList();
        return f.tensors().stream().map(Tensor::name).filter(n -> !used.contains(n)).toList();
    }
}
