package dev.apr.model;

import dev.apr.format.AprException;
import dev.apr.format.ModelFile;
import dev.apr.format.Tensor;
import dev.apr.format.gguf.GgufFile;
import dev.apr.format.gguf.GgufNames;
import dev.apr.model.io.GgufImporter;
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

    /** A GGUF file's architecture keys, read as {@code apr import} reads them (one reader, the same refusals). */
    private static ModelConfig ggufConfig(ModelFile f) {
        if (!(f instanceof GgufFile g))
            throw new IllegalArgumentException(f.path() + ": a GGUF ModelFile that is not a GgufFile: " + f.getClass().getName());
        return GgufImporter.config(g, f.path().toString());
    }

    /**
     * Whether the file names its tensors as GGUF does ({@code blk.N.attn_q.weight} ...): every GGUF,
     * and an APR converted from a GGUF by the Rust aprender tool, which keeps the GGUF's names and bytes
     * for Llama models (apr's own APR files use the HF names).
     */
    static boolean ggufNamed(ModelFile f) {
        return f.format().equals("GGUF")
                || (f.tensor("token_embd.weight") != null && f.tensor("model.embed_tokens.weight") == null);
    }

    /**
     * Whether q/k rows are in GGUF's order for adjacent-pair RoPE (llama.cpp's converter permutes
     * Llama's q/k; Qwen2 keeps HF's split halves). An APR says so itself with {@code rope_type} 0.
     */
    static boolean interleavedRope(ModelFile f, ModelConfig c) {
        if (!ggufNamed(f) || !c.family().equals("llama")) return false;
        return !(f.format().equals("APR") && f.metadata().get("rope_type") instanceof Number n && n.intValue() == 2);
    }

    /** The file's name for an HF tensor name (identity except for GGUF-named files). */
    static String fileName(ModelFile f, String hf) {
        if (!ggufNamed(f)) return hf;
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
