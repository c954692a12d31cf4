package dev.apr.cli;

import dev.apr.format.DType;
import dev.apr.format.Json;
import dev.apr.format.apr.AprFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.apr.cli.TinyAprModels.apr;
import static org.junit.jupiter.api.Assertions.*;

class StampCommandTest {
    @TempDir Path dir;

    Path tiny() { return TinyAprModels.write(dir.resolve("in.apr"), TinyAprModels.llama(300, true), DType.F32, Map.of()); }

    @Test
    void stampsLicenceAndProvenance() {
        Path in = tiny(), out = dir.resolve("out.apr");
        var r = apr("stamp", in.toString(), "--license", "apache-2.0", "--data-source", "my corpus",
                "--data-license", "CC-BY-SA-4.0", "-o", out.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("license: null -> Apache-2.0"), r.out());
        assertTrue(r.out().contains("data_license: null -> CC-BY-SA-4.0"), r.out());
        try (AprFile f = AprFile.open(out)) {
            assertEquals("Apache-2.0", f.metadata().get("license"));
            assertEquals("my corpus", f.metadata().get("data_source"));
        }
    }

    @Test
    void tokenizerSetsHasVocabAndJsonOutputSaysSo() {
        Path in = TinyAprModels.write(dir.resolve("q.apr"), TinyAprModels.qwen2(true), DType.BF16, Map.of());
        Path out = dir.resolve("out.apr");
        var r = apr("stamp", in.toString(), "--tokenizer", TinyAprModels.QWEN_TOKENIZER.toString(), "-o", out.toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        Map<String, Object> j = Json.parseObject(r.out().strip().getBytes(), "stdout", false);
        assertEquals(List.of("HAS_VOCAB", "LAYOUT_ROW_MAJOR"), j.get("flags"));
        assertEquals(out.toString(), j.get("output"));
    }

    @Test
    void refusesWhenNothingWouldChange() {
        Path in = tiny(), out = dir.resolve("out.apr");
        assertEquals(0, apr("stamp", in.toString(), "--license", "MIT", "-o", out.toString()).exit());
        var r = apr("stamp", out.toString(), "--license", "mit", "-o", dir.resolve("again.apr").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("[NOTHING_CHANGES]"), r.err());
        assertFalse(Files.exists(dir.resolve("again.apr")));
    }

    @Test
    void refusesAnExistingOutputWithoutForce() throws Exception {
        Path in = tiny(), out = Files.writeString(dir.resolve("out.apr"), "keep me");
        var r = apr("stamp", in.toString(), "--license", "MIT", "-o", out.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("[OUTPUT_EXISTS]") && r.err().contains("-f"), r.err());
        assertEquals("keep me", Files.readString(out));
        assertEquals(0, apr("stamp", in.toString(), "--license", "MIT", "-o", out.toString(), "-f").exit());
        try (AprFile f = AprFile.open(out)) { assertEquals("MIT", f.metadata().get("license")); }
    }

    @Test
    void refusesAnUnknownSpdxIdWithCloseMatches() {
        var r = apr("stamp", tiny().toString(), "--license", "apache", "-o", dir.resolve("o.apr").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("[UNKNOWN_LICENSE]"), r.err());
        assertTrue(r.err().contains("did you mean Apache-1.0, Apache-1.1, Apache-2.0"), r.err());
    }

    @Test
    void refusesATokenizerLargerThanTheModel() {
        var r = apr("stamp", tiny().toString(), "--tokenizer", TinyAprModels.QWEN_TOKENIZER.toString(), "-o", dir.resolve("o.apr").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("[VOCAB_MISMATCH]") && r.err().contains("vocab_size 300"), r.err());
    }

    @Test
    void refusesMissingTokenizerFiles() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("tok"));
        var r = apr("stamp", tiny().toString(), "--tokenizer", empty.toString(), "-o", dir.resolve("o.apr").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("tokenizer.json or vocab.json + merges.txt"), r.err());
    }

    @Test
    void refusesNoChangeRequestedAndMissingOutputAsUsage() {
        Path in = tiny();
        var r = apr("stamp", in.toString(), "-o", dir.resolve("o.apr").toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("[NOTHING_TO_STAMP]"), r.err());
        r = apr("stamp", in.toString(), "--license", "MIT");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("-o"), r.err());
    }
}
