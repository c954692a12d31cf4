package dev.apr.format.gguf;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face <-> GGUF tensor names for the {@code llama} and {@code qwen2} architectures
 * (specs/gguf-safetensors.md §4.2). Both architectures use the same names; qwen2 simply never has
 * o-proj or MLP biases, and only llama may carry {@code rope_freqs.weight} (which has no HF name).
 */
public final class GgufNames {
    private GgufNames() {}

    private static final String[][] GLOBAL = {
            {"model.embed_tokens.weight", "token_embd.weight"},
            {"model.norm.weight", "output_norm.weight"},
            {"lm_head.weight", "output.weight"},
    };

    // HF suffix after "model.layers.N." -> GGUF suffix after "blk.N."
    private static final String[][] LAYER = {
            {"input_layernorm.weight", "attn_norm.weight"},
            {"self_attn.q_proj.weight", "attn_q.weight"},
            {"self_attn.q_proj.bias", "attn_q.bias"},
            {"self_attn.k_proj.weight", "attn_k.weight"},
            {"self_attn.k_proj.bias", "attn_k.bias"},
            {"self_attn.v_proj.weight", "attn_v.weight"},
            {"self_attn.v_proj.bias", "attn_v.bias"},
            {"self_attn.o_proj.weight", "attn_output.weight"},
            {"self_attn.o_proj.bias", "attn_output.bias"},
            {"post_attention_layernorm.weight", "ffn_norm.weight"},
            {"mlp.gate_proj.weight", "ffn_gate.weight"},
            {"mlp.gate_proj.bias", "ffn_gate.bias"},
            {"mlp.up_proj.weight", "ffn_up.weight"},
            {"mlp.up_proj.bias", "ffn_up.bias"},
            {"mlp.down_proj.weight", "ffn_down.weight"},
            {"mlp.down_proj.bias", "ffn_down.bias"},
    };

    private static final Pattern HF_LAYER = Pattern.compile("model\\.layers\\.(0|[1-9][0-9]{0,5})\\.(.+)");
    private static final Pattern GGUF_LAYER = Pattern.compile("blk\\.(0|[1-9][0-9]{0,5})\\.(.+)");

    /** The GGUF name of an HF tensor name, or null when it has none. */
    public static String toGguf(String hf) {
        for (String[] g : GLOBAL) if (g[0].equals(hf)) return g[1];
        Matcher m = HF_LAYER.matcher(hf);
        if (m.matches())
            for (String[] l : LAYER) if (l[0].equals(m.group(2))) return "blk." + m.group(1) + "." + l[1];
        return null;
    }

    /** The HF name of a GGUF tensor name, or null when it has none (e.g. {@code rope_freqs.weight}). */
    public static String toHf(String gguf) {
        for (String[] g : GLOBAL) if (g[1].equals(gguf)) return g[0];
        Matcher m = GGUF_LAYER.matcher(gguf);
        if (m.matches())
            for (String[] l : LAYER) if (l[1].equals(m.group(2))) return "model.layers." + m.group(1) + "." + l[0];
        return null;
    }

    /** The layer index of a per-layer name in either naming, or -1. */
    public static int layer(String name) {
        Matcher m = HF_LAYER.matcher(name);
        if (m.matches()) return Integer.parseInt(m.group(1));
        m = GGUF_LAYER.matcher(name);
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }
}
