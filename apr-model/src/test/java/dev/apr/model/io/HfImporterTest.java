package dev.apr.model.io;

import dev.apr.format.AprException;
import dev.apr.model.ModelConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class HfImporterTest {
    /** config.json fields apr does not compute are refused by the one config reader (import, run, pretrain). */
    @Test
    void unsupportedConfigFieldsAreRefused() {
        Map<String, Object> base = Map.of("model_type", "llama", "hidden_size", 64, "num_hidden_layers", 2,
                "num_attention_heads", 4, "intermediate_size", 128, "vocab_size", 300, "rms_norm_eps", 1e-5);
        java.util.function.Function<Map<String, Object>, AprException> refusal = extra -> {
            Map<String, Object> c = new java.util.HashMap<>(base);
            c.putAll(extra);
            return assertThrows(AprException.class, () -> ModelConfig.fromHfConfig(c, "config.json"));
        };
        AprException e = refusal.apply(Map.of("rope_scaling", Map.of("type", "linear", "factor", 2.0)));
        assertEquals("UNSUPPORTED_CONFIG", e.code());
        assertTrue(e.getMessage().startsWith("config.json: rope_scaling.rope_type: expected \"default\" or \"llama3\""), e.getMessage());
        e = refusal.apply(Map.of("hidden_act", "gelu"));
        assertTrue(e.getMessage().contains("hidden_act: expected \"silu\", got \"gelu\""), e.getMessage());
        assertEquals(2, e.exitCode());
        assertEquals("UNSUPPORTED_CONFIG", refusal.apply(Map.of("mlp_bias", true)).code());
        assertEquals("UNSUPPORTED_CONFIG", refusal.apply(Map.of("use_sliding_window", true)).code());
        Map<String, Object> ok = new java.util.HashMap<>(base);
        ok.putAll(Map.of("hidden_act", "silu", "use_sliding_window", false, "mlp_bias", false));
        ok.put("rope_scaling", null);
        assertEquals(64, ModelConfig.fromHfConfig(ok, "config.json").hiddenSize()); // accepted
    }

    @Test
    void targetDtypeParsing() {
        assertEquals(HfImporter.TargetDType.BF16, HfImporter.TargetDType.parse("bf16"));
        assertEquals(HfImporter.TargetDType.KEEP, HfImporter.TargetDType.parse("KEEP"));
        AprException e = assertThrows(AprException.class, () -> HfImporter.TargetDType.parse("q4"));
        assertEquals(1, e.exitCode());
    }

    @Test
    void qwenPreTokenizerPatternMatchesTheFixture() {
        Path qwen = Path.of(System.getProperty("apr.testdata"), "qwen3-tokenizer/tokenizer.json");
        var tok = dev.apr.format.TokenizerJson.read(qwen);
        assertTrue(tok.preTokenizers().stream().anyMatch(s -> HfImporter.QWEN2_PATTERN.equals(s.regex())));
    }
}
