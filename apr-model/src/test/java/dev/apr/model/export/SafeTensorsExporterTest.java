package dev.apr.model.export;

import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.Floats;
import dev.apr.format.Json;
import dev.apr.format.Tensor;
import dev.apr.format.apr.AprFile;
import dev.apr.format.quant.Dequantize;
import dev.apr.format.safetensors.SafeTensorsFile;
import dev.apr.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class SafeTensorsExporterTest {
    @TempDir Path dir;

    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort SH = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A tied qwen2 model stamped with the real Qwen tokenizer, bos known from its config. */
    Path stampedQwen() {
        Path in = TinyApr.write(dir.resolve("raw.apr"), TinyApr.qwen2(true), DType.BF16, 0,
                Map.of("tokenizer.bos_token_id", 151643, "tokenizer.eos_token_id", 151643));
        Path out = dir.resolve("model.apr");
        Stamper.stamp(in, out, new Stamper.Options("Apache-2.0", null, null, null, null, null, TinyApr.QWEN_TOKENIZER), false);
        return out;
    }

    static SafeTensorsExporter.Result export(Path apr, Path out, SafeTensorsExporter.Target t, boolean force) {
        try (AprFile f = AprFile.open(apr)) {
            return SafeTensorsExporter.export(f, out, t, force);
        }
    }

    @Test
    void tiedQwenExportsTensorsConfigsAndTokenizerFiles() throws Exception {
        Path apr = stampedQwen();
        Path stage = Files.createDirectories(dir.resolve("staging"));
        Path st = stage.resolve("tiny.safetensors");
        SafeTensorsExporter.Result r = export(apr, st, SafeTensorsExporter.Target.KEEP, false);
        assertTrue(r.tokenizerWritten());
        assertEquals("bfloat16", r.torchDtype());
        for (String f : List.of("tiny.safetensors", "config.json", "generation_config.json", "tokenizer.json",
                "tokenizer_config.json", "vocab.json", "merges.txt"))
            assertTrue(Files.isRegularFile(stage.resolve(f)), f);

        try (AprFile a = AprFile.open(apr); SafeTensorsFile s = SafeTensorsFile.open(st)) {
            assertEquals("pt", s.headerMetadata().get("format"));
            assertNull(s.tensor("lm_head.weight"), "tied: no lm_head");
            assertEquals(a.tensors().size(), s.tensors().size());
            for (Tensor t : a.tensors()) assertEquals(t, s.tensor(t.name()), t.name()); // same dtype, shape, bytes
            // tokenizer.json is the embedded text, tokenizer_config.json the upstream file
            assertEquals(a.metadata().get("tokenizer.json"), Files.readString(stage.resolve("tokenizer.json")));
        }
        assertEquals(-1, Files.mismatch(stage.resolve("tokenizer_config.json"), TinyApr.QWEN_TOKENIZER.resolve("tokenizer_config.json")));
        String merges = Files.readString(stage.resolve("merges.txt"));
        assertTrue(merges.startsWith("#version: 0.2\n\u0120 \u0120\n"), merges.substring(0, 40));
        Map<String, Object> vocab = Json.readObject(stage.resolve("vocab.json"), true);
        assertEquals(151643, vocab.size()); // base vocabulary, added tokens live in tokenizer_config/tokenizer.json
        assertEquals(0, vocab.get("!"));

        Map<String, Object> cfg = Json.readObject(stage.resolve("config.json"), true);
        assertEquals(List.of("Qwen2ForCausalLM"), cfg.get("architectures"));
        assertEquals(true, cfg.get("tie_word_embeddings"));
        assertEquals(151936, cfg.get("vocab_size"));
        assertEquals(32, cfg.get("hidden_size"));
        assertEquals("bfloat16", cfg.get("torch_dtype"));
        assertEquals(151643, cfg.get("bos_token_id"));
        assertEquals(151645, cfg.get("eos_token_id"));
        assertEquals("{\n  \"bos_token_id\": 151643,\n  \"do_sample\": false,\n  \"eos_token_id\": [\n    151645,\n    151643\n  ],\n"
                + "  \"pad_token_id\": 151643,\n  \"transformers_version\": \"4.45.0\"\n}\n",
                Files.readString(stage.resolve("generation_config.json")));
    }

    @Test
    void untiedLlamaKeepsLmHeadAndConvertsToBf16() throws Exception {
        ModelConfig c = TinyApr.llama(300, false);
        Path apr = TinyApr.write(dir.resolve("l.apr"), c, DType.F32, 0, Map.of());
        Path st = dir.resolve("out/l.safetensors");
        SafeTensorsExporter.Result r = export(apr, st, SafeTensorsExporter.Target.BF16, false);
        assertEquals("bfloat16", r.torchDtype());
        assertFalse(r.tokenizerWritten());
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("tokenizer files NOT written")), r.warnings().toString());
        assertFalse(Files.exists(dir.resolve("out/tokenizer.json")));
        try (AprFile a = AprFile.open(apr); SafeTensorsFile s = SafeTensorsFile.open(st)) {
            Tensor head = s.tensor("lm_head.weight");
            assertNotNull(head, "untied: lm_head present");
            assertEquals(DType.BF16, head.dtype());
            assertArrayEquals(new long[] {300, 32}, head.shape());
            Tensor src = a.tensor("lm_head.weight");
            for (long i = 0; i < src.elementCount(); i += 97)
                assertEquals(Floats.f32ToBf16(src.data().getAtIndex(F, i)), head.data().getAtIndex(SH, i), "element " + i);
            assertEquals(c.expectedTensors().size(), s.tensors().size());
        }
        Map<String, Object> cfg = Json.readObject(dir.resolve("out/config.json"), true);
        assertEquals(false, cfg.get("tie_word_embeddings"));
        assertEquals("llama", cfg.get("model_type"));
        assertEquals(1, cfg.get("bos_token_id"));
        assertEquals(2, cfg.get("eos_token_id"));
        assertEquals(10000.0, cfg.get("rope_theta"));
    }

    @Test
    void untiedModelWithoutLmHeadIsRefused() {
        Path apr = TinyApr.write(dir.resolve("l.apr"), TinyApr.llama(300, false), DType.F32, 0, Map.of(),
                Map.of(), Set.of("lm_head.weight"), Map.of());
        AprException e = assertThrows(AprException.class,
                () -> export(apr, dir.resolve("o/l.safetensors"), SafeTensorsExporter.Target.KEEP, false));
        assertEquals("LM_HEAD_MISSING", e.code());
        assertTrue(e.getMessage().contains("random head"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("o/l.safetensors")));
    }

    @Test
    void tiedModelCarryingAnLmHeadDropsIt() throws Exception {
        Path apr = TinyApr.write(dir.resolve("t.apr"), TinyApr.llama(300, true), DType.F16, 0, Map.of(),
                Map.of(), Set.of(), Map.of("lm_head.weight", new long[] {300, 32}));
        Path st = dir.resolve("t.safetensors");
        SafeTensorsExporter.Result r = export(apr, st, SafeTensorsExporter.Target.KEEP, false);
        assertTrue(r.warnings().stream().anyMatch(w -> w.startsWith("lm_head.weight dropped")), r.warnings().toString());
        try (SafeTensorsFile s = SafeTensorsFile.open(st)) {
            assertNull(s.tensor("lm_head.weight"));
            assertEquals(DType.F16, s.tensor("model.norm.weight").dtype());
        }
        assertEquals("float16", Json.readObject(dir.resolve("config.json"), true).get("torch_dtype"));
    }

    @Test
    void q4kTensorsAreDequantizedToF32() throws Exception {
        String name = "model.layers.0.mlp.down_proj.weight"; // [32, 64]: each row padded to 256 in APR
        Path apr = TinyApr.write(dir.resolve("q.apr"), TinyApr.llama(300, true), DType.BF16, 0, Map.of(),
                Map.of(name, DType.Q4_K), Set.of(), Map.of());
        Path st = dir.resolve("q.safetensors");
        SafeTensorsExporter.Result r = export(apr, st, SafeTensorsExporter.Target.KEEP, false);
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("dequantized to F32")), r.warnings().toString());
        try (AprFile a = AprFile.open(apr); SafeTensorsFile s = SafeTensorsFile.open(st)) {
            Tensor q = a.tensor(name), f = s.tensor(name);
            assertEquals(DType.F32, f.dtype());
            assertArrayEquals(new long[] {32, 64}, f.shape());
            byte[] row3 = q.data().asSlice(3 * 144, 144).toArray(ValueLayout.JAVA_BYTE);
            float[] expect = Dequantize.decode(DType.Q4_K, row3, 256);
            for (int i = 0; i < 64; i++) assertEquals(expect[i], f.data().getAtIndex(F, 3 * 64 + i), "row 3 col " + i);
            assertEquals(DType.BF16, s.tensor("model.norm.weight").dtype()); // others kept
        }
        assertEquals("bfloat16", r.torchDtype()); // most weights are still BF16
    }

    @Test
    void aprOnlyQuantizationIsRefused() {
        Path apr = TinyApr.write(dir.resolve("q8.apr"), TinyApr.llama(300, true), DType.F32, 0, Map.of(),
                Map.of("model.layers.1.mlp.up_proj.weight", DType.APR_Q8), Set.of(), Map.of());
        AprException e = assertThrows(AprException.class,
                () -> export(apr, dir.resolve("q8.safetensors"), SafeTensorsExporter.Target.KEEP, false));
        assertEquals("UNSUPPORTED_DTYPE", e.code());
        assertTrue(e.getMessage().contains("model.layers.1.mlp.up_proj.weight") && e.getMessage().contains("APR_Q8"), e.getMessage());
    }

    @Test
    void existingFilesAreNotOverwrittenWithoutForce() throws Exception {
        Path apr = TinyApr.write(dir.resolve("m.apr"), TinyApr.llama(300, true), DType.F32, 0, Map.of());
        Path stage = Files.createDirectories(dir.resolve("s"));
        Files.writeString(stage.resolve("config.json"), "{\"mine\":1}");
        AprException e = assertThrows(AprException.class,
                () -> export(apr, stage.resolve("m.safetensors"), SafeTensorsExporter.Target.KEEP, false));
        assertEquals("OUTPUT_EXISTS", e.code());
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
        assertFalse(Files.exists(stage.resolve("m.safetensors")));
        assertEquals("{\"mine\":1}", Files.readString(stage.resolve("config.json")));
        export(apr, stage.resolve("m.safetensors"), SafeTensorsExporter.Target.KEEP, true);
        assertEquals("llama", Json.readObject(stage.resolve("config.json"), true).get("model_type"));
    }

    @Test
    void badOutputNameAndDtypeAreUsageErrors() {
        Path apr = TinyApr.write(dir.resolve("m.apr"), TinyApr.llama(300, true), DType.F32, 0, Map.of());
        AprException e = assertThrows(AprException.class,
                () -> export(apr, dir.resolve("m.bin"), SafeTensorsExporter.Target.KEEP, false));
        assertEquals(AprException.USAGE, e.exitCode());
        e = assertThrows(AprException.class, () -> SafeTensorsExporter.Target.parse("int8"));
        assertEquals("BAD_DTYPE", e.code());
        assertEquals(SafeTensorsExporter.Target.F16, SafeTensorsExporter.Target.parse("f16"));
        assertEquals(SafeTensorsExporter.Target.KEEP, SafeTensorsExporter.Target.parse("Keep"));
    }

    @Test
    void generatedTokenizerConfigWhenNoneWasEmbedded() throws Exception {
        // a tokenizer dir with tokenizer.json only
        Path tok = Files.createDirectories(dir.resolve("tok"));
        Files.copy(TinyApr.QWEN_TOKENIZER.resolve("tokenizer.json"), tok.resolve("tokenizer.json"));
        Path in = TinyApr.write(dir.resolve("raw.apr"), TinyApr.qwen2(true), DType.BF16, 0, Map.of());
        Path apr = dir.resolve("m.apr");
        Stamper.stamp(in, apr, new Stamper.Options(null, null, null, null, null, null, tok), false);
        Path stage = dir.resolve("stage");
        SafeTensorsExporter.Result r = export(apr, stage.resolve("m.safetensors"), SafeTensorsExporter.Target.KEEP, false);
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("tokenizer_config.json generated")), r.warnings().toString());
        Map<String, Object> tc = Json.readObject(stage.resolve("tokenizer_config.json"), true);
        assertTrue(tc.containsKey("added_tokens_decoder"), tc.keySet().toString());
        assertEquals(new String(Files.readAllBytes(stage.resolve("tokenizer.json")), StandardCharsets.UTF_8),
                Json.compactString(Json.readObject(TinyApr.QWEN_TOKENIZER.resolve("tokenizer.json"), false)));
    }

    /**
     * An APR imported from GGUF holds tokenizer.json and its special tokens but no tokenizer_config.json:
     * the generated one names the model's specials (the GGUF's bos/eos/pad), not a guess from the
     * vocabulary ("<s>" is a plain piece of Qwen's).
     */
    @Test
    void generatedTokenizerConfigKeepsTheModelsSpecialTokens() throws Exception {
        Map<String, Object> md = Map.of("tokenizer.json", Files.readString(TinyApr.QWEN_TOKENIZER.resolve("tokenizer.json")),
                "special_tokens", Map.of("bos_token", "<|endoftext|>", "eos_token", "<|im_end|>", "pad_token", "<|endoftext|>"),
                "tokenizer.bos_token_id", 151643, "tokenizer.eos_token_id", 151645);
        Path apr = TinyApr.write(dir.resolve("imported.apr"), TinyApr.qwen2(true), DType.BF16, dev.apr.format.apr.AprFlags.HAS_VOCAB, md);
        Path stage = dir.resolve("stage");
        export(apr, stage.resolve("m.safetensors"), SafeTensorsExporter.Target.KEEP, false);
        Map<String, Object> tc = Json.readObject(stage.resolve("tokenizer_config.json"), true);
        assertEquals("<|im_end|>", tc.get("eos_token"));
        assertEquals("<|endoftext|>", tc.get("bos_token"));
        assertEquals("<|endoftext|>", tc.get("pad_token"));
        assertEquals(false, tc.get("add_bos_token"));
    }
}
