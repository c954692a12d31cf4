package dev.apr.model.export;

import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.gguf.GgufNames;
import dev.apr.model.ModelConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Which GGML type each tensor of a model gets in a GGUF export, decided from shapes alone (so a
 * 0.5B plan costs nothing). The Q4_K_M rules are llama.cpp's {@code llama_tensor_get_type}
 * without an importance matrix (spec §3.7):
 * <ul>
 * <li>1-D tensors (norms, biases) stay F32; only 2-D weights are quantized;</li>
 * <li>the output head ({@code output.weight}, or {@code token_embd.weight} when tied) is Q6_K, or
 *     Q8_0 when its row length is not a multiple of 256;</li>
 * <li>{@code attn_v} and {@code ffn_down} get Q6_K on "use_more_bits" layers, Q4_K elsewhere;</li>
 * <li>everything else Q4_K; a K-quant whose block does not divide the row falls back
 *     (Q4_K to Q5_0, Q6_K to Q8_0), and to F16 if the fallback does not divide it either.</li>
 * </ul>
 */
public final class GgufPlan {
    private GgufPlan() {}

    /** One tensor of the export: HF name and GGUF name, row-major shape, wanted and written type. */
    public record Entry(String hfName, String ggufName, long[] shape, DType wanted, DType type, boolean permute, String reason) {
        /** True when llama.cpp's fallback replaced the wanted type. */
        public boolean fellBack() { return wanted != type; }

        @Override public String toString() {
            return ggufName + " " + Arrays.toString(shape) + " " + type + (fellBack() ? " (wanted " + wanted + ": " + reason + ")" : "");
        }
    }

    /** The plan for a model of this config, in HF order (the order the converter writes). */
    public static List<Entry> plan(ModelConfig cfg, GgufQuant q) {
        return plan(cfg, cfg.expectedTensors(), q);
    }

    /** The plan for these HF tensors (name to row-major shape) of a model of this config. */
    public static List<Entry> plan(ModelConfig cfg, Map<String, long[]> tensors, GgufQuant q) {
        boolean hasOutput = tensors.containsKey("lm_head.weight") && !cfg.tieWordEmbeddings();
        List<Entry> out = new ArrayList<>();
        for (var e : tensors.entrySet()) {
            String hf = e.getKey();
            if (hf.equals("lm_head.weight") && !hasOutput) continue;   // tied: llama.cpp reuses token_embd
            String gg = GgufNames.toGguf(hf);
            if (gg == null)
                throw AprException.badInput("EXPORT_UNKNOWN_TENSOR", "tensor '" + hf + "': name: expected a "
                        + cfg.family() + " tensor (model.layers.N.self_attn.q_proj.weight, ...), got a name GGUF "
                        + cfg.family() + " has no place for");
            long[] shape = e.getValue();
            boolean permute = cfg.family().equals("llama")
                    && (gg.endsWith("attn_q.weight") || gg.endsWith("attn_q.bias") || gg.endsWith("attn_k.weight") || gg.endsWith("attn_k.bias"));
            boolean isOutput = gg.equals("output.weight") || (!hasOutput && gg.equals("token_embd.weight"));
            DType wanted = wanted(q, gg, shape, isOutput, GgufNames.layer(hf), cfg.numLayers());
            long rowLen = shape.length == 0 ? 1 : shape[shape.length - 1];
            DType type = wanted;
            String reason = null;
            if (rowLen % type.blockSize != 0) {
                DType fb = switch (type) {
                    case Q4_K -> DType.Q5_0;
                    case Q5_K -> DType.Q5_1;
                    case Q6_K -> DType.Q8_0;
                    default -> DType.F16;
                };
                if (rowLen % fb.blockSize != 0) fb = DType.F16;
                reason = "ne[0] = " + rowLen + " is not a multiple of " + type.blockSize;
                type = fb;
            }
            out.add(new Entry(hf, gg, shape, wanted, type, permute, reason));
        }
        return out;
    }

    private static DType wanted(GgufQuant q, String gg, long[] shape, boolean isOutput, int layer, int nLayers) {
        if (shape.length < 2) return DType.F32;          // norms and biases stay F32 in every recipe
        return switch (q) {
            case F32 -> DType.F32;
            case F16 -> DType.F16;
            case Q8_0 -> DType.Q8_0;
            case Q4_K_M -> {
                // the output head: Q6_K, which the row-length fallback turns into Q8_0 when needed
                if (isOutput) yield DType.Q6_K;
                if ((gg.endsWith("attn_v.weight") || gg.endsWith("ffn_down.weight")) && useMoreBits(layer, nLayers))
                    yield DType.Q6_K;
                yield DType.Q4_K;
            }
        };
    }

    /** llama.cpp's {@code use_more_bits}: the first and last eighth of the layers, and every third between. */
    public static boolean useMoreBits(int i, int n) {
        return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    }
}
