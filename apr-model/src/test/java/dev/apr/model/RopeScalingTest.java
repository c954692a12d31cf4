package dev.apr.model;

import dev.apr.format.AprException;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Llama 3.1/3.2 RoPE scaling against the two reference formulas, computed outside this project
 * (numpy, float32 as the originals, so equal within a few float32 ulps): Transformers' {@code _compute_llama3_parameters} for the
 * inverse frequencies and llama.cpp's {@code convert_hf_to_gguf} for the {@code rope_freqs}
 * divisors, for Llama-3.2-1B's config (rope_theta 500000, head_dim 64, factor 32, low 1, high 4,
 * original context 8192).
 */
class RopeScalingTest {
    static final RopeScaling LLAMA32 = new RopeScaling(32, 1, 4, 8192);

    @Test
    void inverseFrequenciesEqualTransformers() {
        double[] f = LLAMA32.invFreq(500000, 64);
        assertEquals(32, f.length);
        Map<Integer, Double> hf = Map.of(0, 1.0, 5, 0.12868738174438477, 14, 0.0032114461064338684,
                15, 0.0012905480107292533, 16, 0.000429556705057621, 17, 9.708286233944818e-05,
                20, 8.570255886297673e-06, 31, 9.41830720080361e-08);
        for (var e : hf.entrySet()) assertEquals(e.getValue(), f[e.getKey()], 1e-6 * e.getValue(), "inv_freq[" + e.getKey() + "]");
    }

    @Test
    void ggufDivisorsEqualTheConverterAndReadBack() {
        float[] d = LLAMA32.ggufFactors(500000, 64);
        for (int i = 0; i < 15; i++) assertEquals(1f, d[i], 1e-6f, "divisor " + i);
        assertEquals(1.6513291597366333f, d[15], 2e-6f);
        assertEquals(3.292262554168701f, d[16], 4e-6f);
        assertEquals(9.666729927062988f, d[17], 1e-5f);
        for (int i = 18; i < 32; i++) assertEquals(32f, d[i], 0f, "divisor " + i);
        assertEquals(LLAMA32, RopeScaling.fromGgufFactors(d, 500000, 64, "x.gguf"));
        RopeScaling llama31 = new RopeScaling(8, 1, 4, 8192);
        assertEquals(llama31, RopeScaling.fromGgufFactors(llama31.ggufFactors(500000, 128), 500000, 128, "x.gguf"));
        d[17] *= 1.01f;   // not a published parameter set: refused, not guessed
        AprException e = assertThrows(AprException.class, () -> RopeScaling.fromGgufFactors(d, 500000, 64, "x.gguf"));
        assertEquals("GGUF_UNSUPPORTED_ROPE", e.code());
        assertTrue(e.getMessage().startsWith("x.gguf: tensor 'rope_freqs.weight'"), e.getMessage());
    }

    static Map<String, Object> llamaConfig() {
        Map<String, Object> c = new HashMap<>(Map.of("model_type", "llama", "hidden_size", 64, "num_hidden_layers", 2,
                "num_attention_heads", 4, "num_key_value_heads", 2, "intermediate_size", 128, "vocab_size", 300,
                "rms_norm_eps", 1e-5, "max_position_embeddings", 131072));
        c.put("head_dim", 64);
        return c;
    }

    @Test
    @SuppressWarnings("unchecked")
    void configJsonForms() {
        Map<String, Object> v4 = llamaConfig();
        v4.put("rope_theta", 500000.0);
        v4.put("rope_scaling", Map.of("factor", 32.0, "low_freq_factor", 1.0, "high_freq_factor", 4.0,
                "original_max_position_embeddings", 8192, "rope_type", "llama3"));
        ModelConfig a = ModelConfig.fromHfConfig(v4, "config.json");
        assertEquals(LLAMA32, a.ropeScaling());
        assertArrayEquals(LLAMA32.invFreq(500000, 64), a.ropeInvFreq());
        // written back as Llama 3.2's own config.json has it, and read back equal (HF and APR metadata)
        assertEquals(Map.of("factor", 32.0, "high_freq_factor", 4.0, "low_freq_factor", 1.0,
                "original_max_position_embeddings", 8192, "rope_type", "llama3"), a.toHfConfig("float32").get("rope_scaling"));
        assertEquals(a, ModelConfig.fromHfConfig(a.toHfConfig("float32"), "back"));
        assertEquals(a, ModelConfig.fromAprMetadata(a.toAprMetadata(), "back.apr"));

        // Transformers 5: one rope_parameters object, rope_theta inside
        Map<String, Object> v5 = llamaConfig();
        Map<String, Object> rp = new HashMap<>((Map<String, Object>) v4.get("rope_scaling"));
        rp.put("rope_theta", 500000.0);
        v5.put("rope_parameters", rp);
        assertEquals(a, ModelConfig.fromHfConfig(v5, "config.json"));
        Map<String, Object> plain = llamaConfig();
        plain.put("rope_parameters", Map.of("rope_type", "default", "rope_theta", 250000.0));
        ModelConfig p = ModelConfig.fromHfConfig(plain, "config.json");
        assertEquals(250000.0, p.ropeTheta(), "rope_theta inside rope_parameters, not the default 10000");
        assertNull(p.ropeScaling());

        // other scaling types, and llama3 on qwen2, are refused by name
        Map<String, Object> yarn = llamaConfig();
        yarn.put("rope_scaling", Map.of("rope_type", "yarn", "factor", 4.0));
        AprException e = assertThrows(AprException.class, () -> ModelConfig.fromHfConfig(yarn, "config.json"));
        assertEquals("UNSUPPORTED_CONFIG", e.code());
        assertTrue(e.getMessage().contains("rope_scaling.rope_type") && e.getMessage().contains("\"yarn\""), e.getMessage());
        Map<String, Object> partial = llamaConfig();
        partial.put("rope_scaling", Map.of("rope_type", "llama3", "factor", 8.0));
        e = assertThrows(AprException.class, () -> ModelConfig.fromHfConfig(partial, "config.json"));
        assertTrue(e.getMessage().contains("rope_scaling.low_freq_factor: expected a number, got nothing"), e.getMessage());
        Map<String, Object> qwen = new HashMap<>(v4);
        qwen.put("model_type", "qwen2");
        assertEquals("UNSUPPORTED_CONFIG", assertThrows(AprException.class, () -> ModelConfig.fromHfConfig(qwen, "config.json")).code());
        Map<String, Object> clash = new HashMap<>(v5);
        clash.put("rope_theta", 10000.0);
        assertEquals("BAD_CONFIG", assertThrows(AprException.class, () -> ModelConfig.fromHfConfig(clash, "config.json")).code());
    }
}
