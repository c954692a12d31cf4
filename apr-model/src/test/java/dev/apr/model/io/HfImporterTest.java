package dev.apr.model.io;

import dev.apr.format.AprException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class HfImporterTest {
    @Test
    void unsupportedConfigFieldsAreRefused() {
        Path f = Path.of("config.json");
        assertEquals("UNSUPPORTED_CONFIG", assertThrows(AprException.class,
                () -> HfImporter.checkSupported(Map.of("rope_scaling", Map.of("type", "linear", "factor", 2.0)), f)).code());
        AprException e = assertThrows(AprException.class, () -> HfImporter.checkSupported(Map.of("hidden_act", "gelu"), f));
        assertTrue(e.getMessage().contains("hidden_act: expected \"silu\", got \"gelu\""), e.getMessage());
        assertEquals(2, e.exitCode());
        HfImporter.checkSupported(Map.of("hidden_act", "silu", "use_sliding_window", false), f); // accepted
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
