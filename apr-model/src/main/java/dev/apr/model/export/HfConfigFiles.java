package dev.apr.model.export;

import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.PyJson;
import dev.apr.model.ModelConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The two Transformers files that sit beside an exported {@code .safetensors}:
 * {@code config.json} for the model's real class and {@code generation_config.json}
 * (specs/gguf-safetensors.md §7). Both are written with {@link PyJson}, as
 * {@code save_pretrained} writes them.
 */
public final class HfConfigFiles {
    private HfConfigFiles() {}

    /** The version config.json names ({@link ModelConfig#toHfConfig}); kept equal here. */
    static final String TRANSFORMERS_VERSION = "4.45.0";

    /**
     * config.json: every field Transformers' class reads, with this model's values (the class
     * defaults are a 7B Qwen2 / a 2048-context Llama with bos 1, eos 2, never this model).
     * {@code torchDtype} is "float32", "float16" or "bfloat16".
     */
    public static Map<String, Object> config(ModelConfig c, String torchDtype) {
        boolean llama = c.family().equals("llama");
        if (llama && c.eosTokenId() < 0)
            throw AprException.badInput("MISSING_TOKEN_IDS", "config.json: eos_token_id: expected the"
                    + " tokenizer's id (LlamaConfig would default it to 2), got none (bos " + c.bosTokenId()
                    + ", eos " + c.eosTokenId() + "); stamp the model with 'apr stamp --tokenizer DIR' first");
        Map<String, Object> m = new LinkedHashMap<>(c.toHfConfig(torchDtype));
        // A tokenizer without a BOS token (Qwen's on a Llama-shaped model): an explicit null, which
        // LlamaConfig keeps as None, where a missing key would become its default 1, a real token
        if (llama && c.bosTokenId() < 0) m.put("bos_token_id", null);
        // Qwen2.5's own config.json carries use_mrope: false (multimodal RoPE off); write it too
        if (c.family().equals("qwen2")) m.putIfAbsent("use_mrope", false);
        return m;
    }

    /**
     * generation_config.json with deterministic defaults (do_sample false), the tokenizer's
     * bos/pad ids and every end-of-generation id (a single eos is written as an int, several
     * as a list, as Qwen2.5-Instruct does: {@code [151645, 151643]}). Negative ids are omitted.
     */
    public static Map<String, Object> generationConfig(int bos, List<Integer> eos, int pad) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (bos >= 0) m.put("bos_token_id", bos);
        List<Integer> eosIds = new ArrayList<>();
        for (int e : eos) if (e >= 0 && !eosIds.contains(e)) eosIds.add(e);
        if (eosIds.size() == 1) m.put("eos_token_id", eosIds.getFirst());
        else if (!eosIds.isEmpty()) m.put("eos_token_id", eosIds);
        if (pad >= 0) m.put("pad_token_id", pad);
        m.put("do_sample", false);
        m.put("transformers_version", TRANSFORMERS_VERSION);
        return m;
    }

    /** Transformers' name of a float dtype ({@code torch_dtype}). */
    public static String torchDtype(DType t) {
        return switch (t) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> throw AprException.badInput("BAD_DTYPE", "torch_dtype: expected F32, F16 or BF16, got " + t);
        };
    }
}
