package dev.apr.cli;

import dev.apr.format.DType;
import dev.apr.format.Json;
import dev.apr.format.Tensor;
import dev.apr.format.apr.AprFile;
import dev.apr.format.safetensors.SafeTensorsFile;
import dev.apr.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.apr.cli.TinyAprModels.apr;
import static org.junit.jupiter.api.Assertions.*;

/** {@code apr export --format safetensors}, and SafeTensors export -> {@code apr import} round trips. */
class ExportSafeTensorsTest {
    @TempDir Path dir;

    /** A tied qwen2 model stamped with the real Qwen tokenizer through the CLI. */
    Path stampedQwen() {
        Path raw = TinyAprModels.write(dir.resolve("raw.apr"), TinyAprModels.qwen2(true), DType.BF16,
                Map.of("tokenizer.bos_token_id", 151643, "tokenizer.eos_token_id", 151643));
        Path apr = dir.resolve("tiny.apr");
        var r = apr("stamp", raw.toString(), "--license", "apache-2.0", "--tokenizer", TinyAprModels.QWEN_TOKENIZER.toString(),
                "-o", apr.toString());
        assertEquals(0, r.exit(), r.err());
        return apr;
    }

    @Test
    void exportsTheTwelveFileSetsSafeTensorsPart() {
        Path apr = stampedQwen();
        Path stage = dir.resolve("staging");
        var r = apr("export", apr.toString(), "--format", "safetensors", "-o", stage.resolve("tiny.safetensors").toString());
        assertEquals(0, r.exit(), r.err());
        for (String f : List.of("tiny.safetensors", "config.json", "generation_config.json", "tokenizer.json",
                "tokenizer_config.json", "vocab.json", "merges.txt"))
            assertTrue(Files.isRegularFile(stage.resolve(f)), f + " written; stdout: " + r.out());
        assertTrue(r.out().contains("tiny.safetensors"), r.out());
        // again without -f: refused, listing what exists
        var again = apr("export", apr.toString(), "--format", "safetensors", "-o", stage.resolve("tiny.safetensors").toString());
        assertNotEquals(0, again.exit());
        assertTrue(again.err().contains("OUTPUT_EXISTS"), again.err());
        assertEquals(0, apr("export", apr.toString(), "--format", "safetensors", "-f", "-o",
                stage.resolve("tiny.safetensors").toString()).exit());
    }

    @Test
    void jsonResultAndDtypeOption() {
        Path apr = TinyAprModels.write(dir.resolve("l.apr"), TinyAprModels.llama(300, false), DType.F32,
                Map.of("tokenizer.bos_token_id", 1, "tokenizer.eos_token_id", 2));
        Path st = dir.resolve("out/l.safetensors");
        var r = apr("export", apr.toString(), "--format", "safetensors", "--dtype", "f16", "-o", st.toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        Map<String, Object> j = Json.parseObject(r.out().strip().getBytes(), "stdout", false);
        assertEquals("float16", j.get("torch_dtype"));
        assertEquals(false, j.get("tokenizer_written"));
        assertTrue(r.err().contains("tokenizer files NOT written"), r.err());
        try (SafeTensorsFile s = SafeTensorsFile.open(st)) {
            assertEquals(DType.F16, s.tensor("lm_head.weight").dtype());
        }
        var bad = apr("export", apr.toString(), "--format", "safetensors", "--dtype", "q4", "-o", dir.resolve("x.safetensors").toString());
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains("--dtype"), bad.err());
    }

    @Test
    void untiedWithoutLmHeadIsRefused() throws Exception {
        // write a complete untied model, then an APR without its head
        ModelConfig c = TinyAprModels.llama(300, false);
        Path full = TinyAprModels.write(dir.resolve("full.apr"), c, DType.F32, Map.of("tokenizer.bos_token_id", 1, "tokenizer.eos_token_id", 2));
        Path headless = dir.resolve("headless.apr");
        try (AprFile f = AprFile.open(full)) {
            var w = new dev.apr.format.apr.AprWriter().metadata(f.rawMetadata());
            for (Tensor t : f.tensors()) if (!t.name().equals("lm_head.weight")) w.tensor(t);
            w.write(headless);
        }
        var r = apr("export", headless.toString(), "--format", "safetensors", "-o", dir.resolve("h.safetensors").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("[LM_HEAD_MISSING]"), r.err());
        assertFalse(Files.exists(dir.resolve("h.safetensors")));
    }

    @Test
    void exportThenImportGivesIdenticalTensors() {
        Path apr = stampedQwen();
        Path hf = dir.resolve("hf");
        assertEquals(0, apr("export", apr.toString(), "--format", "safetensors", "-o", hf.resolve("model.safetensors").toString()).exit());
        Path back = dir.resolve("back.apr");
        var r = apr("import", hf.toString(), "-o", back.toString());
        assertEquals(0, r.exit(), r.err());
        try (AprFile a = AprFile.open(apr); AprFile b = AprFile.open(back)) {
            assertEquals(a.tensors(), b.tensors()); // names, dtypes, shapes and bytes
            assertEquals(ModelConfig.fromAprMetadata(a.metadata(), "a"), ModelConfig.fromAprMetadata(b.metadata(), "b"));
            assertTrue(b.hasFlag(dev.apr.format.apr.AprFlags.HAS_VOCAB));
            assertEquals(a.metadata().get("tokenizer.vocabulary"), b.metadata().get("tokenizer.vocabulary"));
            assertEquals(a.metadata().get("tokenizer.merges"), b.metadata().get("tokenizer.merges"));
        }
    }

    @Test
    void untiedLlamaRoundTripsThroughImport() {
        Path apr = TinyAprModels.write(dir.resolve("l.apr"), TinyAprModels.llama(300, false), DType.BF16,
                Map.of("tokenizer.bos_token_id", 1, "tokenizer.eos_token_id", 2));
        Path hf = dir.resolve("hf");
        assertEquals(0, apr("export", apr.toString(), "--format", "safetensors", "-o", hf.resolve("model.safetensors").toString()).exit());
        var r = apr("import", hf.toString(), "-o", dir.resolve("back.apr").toString());
        assertEquals(0, r.exit(), r.err());
        try (AprFile a = AprFile.open(apr); AprFile b = AprFile.open(dir.resolve("back.apr"))) {
            assertEquals(a.tensors(), b.tensors());
            assertEquals(DType.BF16, b.tensor("lm_head.weight").dtype());
            assertEquals(300, b.tensor("lm_head.weight").shape()[0], "untied lm_head: vocab rows");
            assertEquals(ModelConfig.fromAprMetadata(a.metadata(), "a"), ModelConfig.fromAprMetadata(b.metadata(), "b"));
        }
    }
}
