package dev.apr.model;

import dev.apr.format.AprException;
import dev.apr.format.Json;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The shape of a decoder-only transformer of the {@code llama} or {@code qwen2} family.
 *
 * <p>Built from a named preset, a Hugging Face {@code config.json} (as a parsed map) or APR
 * metadata, and written back to both. Qwen2 always has q/k/v biases (HF hard-codes them);
 * Llama has them only with {@code attention_bias}.
 */
public record ModelConfig(
        String family,          // "llama" or "qwen2"
        int hiddenSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int intermediateSize,
        int vocabSize,
        int maxPositions,
        double ropeTheta,
        double rmsNormEps,
        boolean attentionBias,  // q/k/v bias (qwen2: always true)
        boolean tieWordEmbeddings,
        int bosTokenId,         // -1 when unknown
        int eosTokenId,         // -1 when unknown
        RopeScaling ropeScaling) {   // null: plain RoPE (llama only may scale, Llama 3.1/3.2 style)

    /** A model with plain RoPE. */
    public ModelConfig(String family, int hiddenSize, int numLayers, int numHeads, int numKvHeads, int headDim,
                       int intermediateSize, int vocabSize, int maxPositions, double ropeTheta, double rmsNormEps,
                       boolean attentionBias, boolean tieWordEmbeddings, int bosTokenId, int eosTokenId) {
        this(family, hiddenSize, numLayers, numHeads, numKvHeads, headDim, intermediateSize, vocabSize, maxPositions,
                ropeTheta, rmsNormEps, attentionBias, tieWordEmbeddings, bosTokenId, eosTokenId, null);
    }

    public ModelConfig {
        if (!family.equals("llama") && !family.equals("qwen2"))
            throw bad("architecture", "llama or qwen2", family);
        positive("hidden_size", hiddenSize);
        positive("num_layers", numLayers);
        positive("num_heads", numHeads);
        positive("num_kv_heads", numKvHeads);
        positive("head_dim", headDim);
        positive("intermediate_size", intermediateSize);
        positive("vocab_size", vocabSize);
        positive("max_position_embeddings", maxPositions);
        if (numHeads % numKvHeads != 0)
            throw bad("num_kv_heads", "a divisor of num_heads " + numHeads, numKvHeads);
        if (headDim % 2 != 0) throw bad("head_dim", "an even number (RoPE rotates pairs)", headDim);
        if (!(ropeTheta > 0) || !Double.isFinite(ropeTheta)) throw bad("rope_theta", "> 0", ropeTheta);
        if (!(rmsNormEps > 0) || !(rmsNormEps < 1)) throw bad("rms_norm_eps", "in (0, 1)", rmsNormEps);
        if (ropeScaling != null && !family.equals("llama")) throw bad("rope_scaling", "none for " + family, ropeScaling);
        // absurd sizes are refused before anyone allocates for them
        if ((long) numHeads * headDim > 1 << 16) throw bad("num_heads*head_dim", "<= 65536", (long) numHeads * headDim);
    }

    private static void positive(String field, int v) {
        if (v <= 0 || v > 1 << 24) throw bad(field, "a positive integer <= 16777216", v);
    }

    private static AprException bad(String field, String expected, Object actual) {
        return AprException.badInput("BAD_CONFIG", "model config: " + field + ": expected " + expected + ", got " + actual);
    }

    /** RoPE's inverse frequency of each rotated pair (headDim/2 of them), scaled when the model says so. */
    public double[] ropeInvFreq() {
        return ropeScaling == null ? RopeScaling.baseInvFreq(ropeTheta, headDim) : ropeScaling.invFreq(ropeTheta, headDim);
    }

    public int kvDim() { return numKvHeads * headDim; }

    public int qDim() { return numHeads * headDim; }

    public String hfArchitecture() { return family.equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM"; }

    /** Number of parameters, counting a tied lm_head once. */
    public long parameterCount() {
        long h = hiddenSize, q = qDim(), kv = kvDim(), f = intermediateSize;
        long perLayer = 2 * h                          // two norms
                + h * q + 2 * h * kv + q * h           // q, k, v, o
                + (attentionBias ? q + 2 * kv : 0)
                + 3 * h * f;                           // gate, up, down
        long n = (long) vocabSize * h + numLayers * perLayer + h;
        if (!tieWordEmbeddings) n += (long) vocabSize * h;
        return n;
    }

    /** The tensors of this architecture with their HF names and shapes, in a stable order. */
    public Map<String, long[]> expectedTensors() {
        Map<String, long[]> m = new LinkedHashMap<>();
        long h = hiddenSize, q = qDim(), kv = kvDim(), f = intermediateSize;
        m.put("model.embed_tokens.weight", new long[] {vocabSize, h});
        for (int i = 0; i < numLayers; i++) {
            String p = "model.layers." + i + ".";
            m.put(p + "input_layernorm.weight", new long[] {h});
            m.put(p + "self_attn.q_proj.weight", new long[] {q, h});
            m.put(p + "self_attn.k_proj.weight", new long[] {kv, h});
            m.put(p + "self_attn.v_proj.weight", new long[] {kv, h});
            if (attentionBias) {
                m.put(p + "self_attn.q_proj.bias", new long[] {q});
                m.put(p + "self_attn.k_proj.bias", new long[] {kv});
                m.put(p + "self_attn.v_proj.bias", new long[] {kv});
            }
            m.put(p + "self_attn.o_proj.weight", new long[] {h, q});
            m.put(p + "post_attention_layernorm.weight", new long[] {h});
            m.put(p + "mlp.gate_proj.weight", new long[] {f, h});
            m.put(p + "mlp.up_proj.weight", new long[] {f, h});
            m.put(p + "mlp.down_proj.weight", new long[] {h, f});
        }
        m.put("model.norm.weight", new long[] {h});
        if (!tieWordEmbeddings) m.put("lm_head.weight", new long[] {vocabSize, h});
        return m;
    }

    // ---- presets (specs/pretrain.md ARCH-001) -------------------------------------------------

    public static final List<String> PRESETS = List.of(
            "qwen2-0.5b", "qwen2-1.5b", "qwen2-7b", "llama-370m", "qwen2-tiny", "llama-tiny", "qwen2-h128", "qwen2-h256", "qwen2-h256-l2");

    public static ModelConfig preset(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "qwen2-0.5b" -> qwen2(896, 24, 14, 2, 4864, 151936, 32768, true);
            case "qwen2-1.5b" -> qwen2(1536, 28, 12, 2, 8960, 151936, 32768, true);
            case "qwen2-7b" -> qwen2(3584, 28, 28, 4, 18944, 152064, 32768, false);
            case "llama-370m" -> new ModelConfig("llama", 1024, 24, 16, 4, 64, 2816, 50257, 4096,
                    10000.0, 1e-5, false, true, -1, -1);
            // small shapes for tests and demos, with the Qwen vocabulary
            case "qwen2-tiny" -> qwen2(64, 2, 4, 2, 128, 151936, 2048, true);
            case "llama-tiny" -> new ModelConfig("llama", 64, 2, 4, 2, 16, 128, 151936, 2048,
                    10000.0, 1e-5, false, false, 151643, 151645);
            case "qwen2-h128" -> qwen2(128, 2, 4, 2, 352, 151936, 4096, true);
            case "qwen2-h256" -> qwen2(256, 4, 4, 2, 704, 151936, 4096, true);
            // the quickstart's model: every matrix row a multiple of 256, so int4 GGUF is all Q4_K/Q6_K
            case "qwen2-h256-l2" -> qwen2(256, 2, 4, 2, 768, 151936, 4096, true);
            default -> throw new AprException("UNKNOWN_PRESET", AprException.USAGE,
                    "--config: unknown preset '" + name + "'; expected one of " + PRESETS + " or a config.json path");
        };
    }

    private static ModelConfig qwen2(int h, int layers, int heads, int kv, int ff, int vocab, int maxPos, boolean tie) {
        return new ModelConfig("qwen2", h, layers, heads, kv, h / heads, ff, vocab, maxPos, 1e6, 1e-6, true, tie,
                151643, 151643);
    }

    // ---- Hugging Face config.json ----------------------------------------------------------

    /**
     * From a parsed HF {@code config.json}. {@code source} names the file in errors. Refuses
     * unknown model types and architectures (encoders, other families) by name.
     */
    public static ModelConfig fromHfConfig(Map<String, Object> c, String source) {
        Object mt = c.get("model_type");
        Object archs = c.get("architectures");
        String arch = archs instanceof List<?> l && !l.isEmpty() ? String.valueOf(l.get(0)) : null;
        String family;
        if ("qwen2".equals(mt)) family = "qwen2";
        else if ("llama".equals(mt)) family = "llama";
        else if (mt == null && "Qwen2ForCausalLM".equals(arch)) family = "qwen2";
        else if (mt == null && "LlamaForCausalLM".equals(arch)) family = "llama";
        else throw AprException.badInput("UNKNOWN_ARCHITECTURE", source + ": model_type: expected qwen2 or llama"
                    + " (Qwen2ForCausalLM / LlamaForCausalLM), got " + (mt == null ? "nothing" : "'" + mt + "'")
                    + (arch != null ? " (architectures: " + arch + ")" : ""));
        if (arch != null && !arch.equals(family.equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM"))
            throw AprException.badInput("UNKNOWN_ARCHITECTURE", source + ": architectures: expected "
                    + (family.equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM") + ", got " + arch);
        refuseUnsupported(c, source);
        int hidden = intField(c, "hidden_size", source, null);
        int heads = intField(c, "num_attention_heads", source, null);
        int kv = intField(c, "num_key_value_heads", source, heads);
        int headDim = intField(c, "head_dim", source, heads > 0 ? hidden / heads : 0);
        boolean qwen = family.equals("qwen2");
        // RoPE: Transformers 4 writes rope_theta + rope_scaling; Transformers 5 one rope_parameters object
        double theta = numField(c, "rope_theta", source, 10000.0);
        RopeScaling scaling = RopeScaling.fromHf(c.get("rope_scaling"), source, "rope_scaling");
        if (c.get("rope_parameters") instanceof Map<?, ?> rp) {
            @SuppressWarnings("unchecked") Map<String, Object> p = (Map<String, Object>) rp;
            double t = numField(p, "rope_theta", source + ": rope_parameters", theta);
            if (c.get("rope_theta") != null && t != theta)
                throw AprException.badInput("BAD_CONFIG", source + ": rope_parameters.rope_theta: expected rope_theta's " + theta + ", got " + t);
            theta = t;
            RopeScaling s2 = RopeScaling.fromHf(p, source, "rope_parameters");
            if (c.get("rope_scaling") != null && !java.util.Objects.equals(s2, scaling))
                throw AprException.badInput("BAD_CONFIG", source + ": rope_parameters: expected the same RoPE as rope_scaling, got both, differing");
            scaling = s2;
        } else if (c.get("rope_parameters") != null) {
            throw AprException.badInput("BAD_CONFIG", source + ": rope_parameters: expected an object, got " + Json.compactString(c.get("rope_parameters")));
        }
        if (scaling != null && qwen)
            throw unsupported(source, "rope_scaling", "null for qwen2 (apr scales RoPE for llama only)", Json.compactString(c.get("rope_scaling")));
        return new ModelConfig(family, hidden,
                intField(c, "num_hidden_layers", source, null), heads, kv, headDim,
                intField(c, "intermediate_size", source, null),
                intField(c, "vocab_size", source, null),
                intField(c, "max_position_embeddings", source, qwen ? 32768 : 2048),
                theta,
                numField(c, "rms_norm_eps", source, qwen ? 1e-6 : 1e-5),
                qwen || Boolean.TRUE.equals(c.get("attention_bias")),
                Boolean.TRUE.equals(c.getOrDefault("tie_word_embeddings", false)),
                tokenId(c.get("bos_token_id")), tokenId(c.get("eos_token_id")), scaling);
    }

    /**
     * Fields that change the computation but that this record does not model: refused, so that
     * no command (import, run, pretrain --config) computes another function than the checkpoint's.
     */
    private static void refuseUnsupported(Map<String, Object> c, String source) {
        Object act = c.get("hidden_act");
        if (act != null && !"silu".equals(act)) throw unsupported(source, "hidden_act", "\"silu\"", Json.compactString(act));
        if (Boolean.TRUE.equals(c.get("use_sliding_window"))) throw unsupported(source, "use_sliding_window", "false", "true");
        if (Boolean.TRUE.equals(c.get("mlp_bias"))) throw unsupported(source, "mlp_bias", "false", "true");
    }

    private static AprException unsupported(String source, String field, String expected, String actual) {
        return AprException.badInput("UNSUPPORTED_CONFIG", source + ": " + field + ": expected " + expected + ", got " + actual);
    }

    /** A complete HF config.json for this model's real class: every architecture field written. */
    public Map<String, Object> toHfConfig(String torchDtype) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of(hfArchitecture()));
        m.put("model_type", family);
        m.put("hidden_size", hiddenSize);
        m.put("intermediate_size", intermediateSize);
        m.put("num_hidden_layers", numLayers);
        m.put("num_attention_heads", numHeads);
        m.put("num_key_value_heads", numKvHeads);
        m.put("head_dim", headDim);
        m.put("max_position_embeddings", maxPositions);
        m.put("rms_norm_eps", rmsNormEps);
        m.put("rope_theta", ropeTheta);
        m.put("rope_scaling", ropeScaling == null ? null : ropeScaling.toHf());
        m.put("vocab_size", vocabSize);
        m.put("tie_word_embeddings", tieWordEmbeddings);
        m.put("hidden_act", "silu");
        m.put("attention_dropout", 0.0);
        if (family.equals("llama")) {
            m.put("attention_bias", attentionBias);
            m.put("mlp_bias", false);
        } else {
            m.put("use_sliding_window", false);
            m.put("sliding_window", maxPositions);
            m.put("max_window_layers", numLayers);
        }
        if (bosTokenId >= 0) m.put("bos_token_id", bosTokenId);
        if (eosTokenId >= 0) m.put("eos_token_id", eosTokenId);
        m.put("initializer_range", 0.02);
        m.put("use_cache", true);
        m.put("torch_dtype", torchDtype);
        m.put("transformers_version", "4.45.0");
        return m;
    }

    // ---- APR metadata ------------------------------------------------------------------------

    /**
     * From APR metadata (typed keys, aliases already promoted by the reader). Missing or bogus
     * architecture keys are refused naming the key.
     */
    public static ModelConfig fromAprMetadata(Map<String, Object> md, String source) {
        Object arch = md.get("architecture");
        if (arch == null) throw AprException.badInput("INIT_ARCH_MISSING", source + ": metadata key 'architecture' is missing");
        String family = String.valueOf(arch).toLowerCase(Locale.ROOT);
        if (!family.equals("qwen2") && !family.equals("llama"))
            throw AprException.badInput("UNKNOWN_ARCHITECTURE", source + ": metadata key 'architecture': expected qwen2 or llama, got '" + arch + "'");
        int hidden = intField(md, "hidden_size", source, null);
        int heads = intField(md, "num_heads", source, null);
        boolean qwen = family.equals("qwen2");
        Object tied = md.get("tied_embeddings");
        return new ModelConfig(family, hidden,
                intField(md, "num_layers", source, null), heads,
                intField(md, "num_kv_heads", source, heads),
                intField(md, "head_dim", source, heads > 0 ? hidden / heads : 0),
                intField(md, "intermediate_size", source, null),
                intField(md, "vocab_size", source, null),
                intField(md, "max_position_embeddings", source, null),
                numField(md, "rope_theta", source, null),
                numField(md, "rms_norm_eps", source, null),
                qwen || Boolean.TRUE.equals(md.get("attention_bias")),
                Boolean.TRUE.equals(tied),
                tokenId(md.get("tokenizer.bos_token_id")), tokenId(md.get("tokenizer.eos_token_id")),
                RopeScaling.fromHf(md.get("rope_scaling"), source, "rope_scaling"));
    }

    /** The typed APR architecture keys (specs/apr-v2.md) plus tied_embeddings / attention_bias. */
    public Map<String, Object> toAprMetadata() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_type", family);
        m.put("architecture", family);
        m.put("hf_architecture", hfArchitecture());
        m.put("hf_model_type", family);
        m.put("hidden_size", hiddenSize);
        m.put("num_layers", numLayers);
        m.put("num_heads", numHeads);
        m.put("num_kv_heads", numKvHeads);
        m.put("head_dim", headDim);
        m.put("vocab_size", vocabSize);
        m.put("intermediate_size", intermediateSize);
        m.put("max_position_embeddings", maxPositions);
        m.put("rope_theta", ropeTheta);
        m.put("rope_type", 2);
        if (ropeScaling != null) m.put("rope_scaling", ropeScaling.toHf());
        m.put("rms_norm_eps", rmsNormEps);
        m.put("attention_bias", attentionBias);
        m.put("tied_embeddings", tieWordEmbeddings);
        m.put("param_count", parameterCount());
        return m;
    }

    /** Same architecture, another vocabulary / tie choice etc. are made with the record's withers. */
    public ModelConfig withVocabSize(int v) {
        return new ModelConfig(family, hiddenSize, numLayers, numHeads, numKvHeads, headDim, intermediateSize, v,
                maxPositions, ropeTheta, rmsNormEps, attentionBias, tieWordEmbeddings, bosTokenId, eosTokenId, ropeScaling);
    }

    public ModelConfig withTokens(int bos, int eos) {
        return new ModelConfig(family, hiddenSize, numLayers, numHeads, numKvHeads, headDim, intermediateSize, vocabSize,
                maxPositions, ropeTheta, rmsNormEps, attentionBias, tieWordEmbeddings, bos, eos, ropeScaling);
    }

    // ---- field helpers -----------------------------------------------------------------------

    private static int intField(Map<String, Object> m, String key, String source, Integer dflt) {
        Object v = m.get(key);
        if (v == null) {
            if (dflt != null) return dflt;
            throw AprException.badInput("BAD_CONFIG", source + ": " + key + ": expected an integer, got nothing (key missing)");
        }
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                && n.doubleValue() >= Integer.MIN_VALUE && n.doubleValue() <= Integer.MAX_VALUE) return n.intValue();
        throw AprException.badInput("BAD_CONFIG", source + ": " + key + ": expected an integer, got " + describe(v));
    }

    private static double numField(Map<String, Object> m, String key, String source, Double dflt) {
        Object v = m.get(key);
        if (v == null) {
            if (dflt != null) return dflt;
            throw AprException.badInput("BAD_CONFIG", source + ": " + key + ": expected a number, got nothing (key missing)");
        }
        if (v instanceof Number n) return n.doubleValue();
        throw AprException.badInput("BAD_CONFIG", source + ": " + key + ": expected a number, got " + describe(v));
    }

    private static int tokenId(Object v) {
        if (v instanceof Number n) return n.intValue();
        if (v instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Number n) return n.intValue();
        return -1;
    }

    private static String describe(Object v) {
        return v instanceof String s ? "\"" + s + "\"" : String.valueOf(v);
    }
}
