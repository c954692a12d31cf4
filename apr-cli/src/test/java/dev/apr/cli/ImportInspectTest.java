package dev.apr.cli;

import dev.apr.format.DType;
import dev.apr.format.Floats;
import dev.apr.format.Json;
import dev.apr.format.Tensor;
import dev.apr.format.apr.AprFile;
import dev.apr.format.safetensors.SafeTensorsFile;
import dev.apr.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** apr import and apr inspect, in-process, on tiny checkpoints the test writes itself. */
class ImportInspectTest {
    @TempDir Path tmp;

    record Run(int code, String out, String err) {}

    static synchronized Run apr(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = AprCli.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void tinyQwen2ImportsWithItsTokenizerAndInspects() throws IOException {
        ModelConfig cfg = TinyHf.qwen2();
        Path hf = TinyHf.write(tmp.resolve("qwen2-tiny"), cfg, Map.of(), null, 0, true);
        Path apr = tmp.resolve("q.apr");
        Run imp = apr("import", hf.toString(), "-o", apr.toString());
        assertEquals(0, imp.code(), imp.err());
        assertTrue(imp.out().contains("HAS_VOCAB"), imp.out());

        Run ins = apr("inspect", apr.toString());
        assertEquals(0, ins.code(), ins.err());
        String o = ins.out();
        assertTrue(o.contains("format:       APR 2.0"), o);
        assertTrue(o.contains("flags:        HAS_VOCAB LAYOUT_ROW_MAJOR"), o);
        assertTrue(o.contains("checksums:    header valid, footer valid"), o);
        assertTrue(o.contains("architecture: qwen2 (Qwen2ForCausalLM)"), o);
        assertTrue(o.contains("  hidden_size: 64\n") && o.contains("  num_layers: 2\n") && o.contains("  num_kv_heads: 2\n"), o);
        assertTrue(o.contains("parameters:   " + cfg.parameterCount() + "\n"), o);
        assertTrue(o.contains("tokenizer.vocabulary: [151669 items]"), o);

        try (AprFile f = AprFile.open(apr)) {
            Map<String, Object> md = f.metadata();
            assertEquals("qwen2", md.get("model_type"));
            assertEquals("qwen2", md.get("architecture"));
            assertEquals(64, md.get("hidden_size"));
            assertEquals(151936, md.get("vocab_size"));
            assertEquals(2, md.get("rope_type"));
            assertEquals(cfg.parameterCount(), ((Number) md.get("param_count")).longValue());
            assertEquals("safetensors", md.get("original_format"));
            assertEquals(Map.of("format", "pt"), md.get("source_metadata"));
            assertEquals(151669, md.get("tokenizer.vocab_size"));
            List<?> vocab = (List<?>) md.get("tokenizer.vocabulary");
            assertEquals("<|endoftext|>", vocab.get(151643));
            assertEquals("!", vocab.get(0));
            List<?> merges = (List<?>) md.get("tokenizer.merges");
            assertEquals(151387, merges.size());
            assertEquals("Ġ Ġ", merges.get(0));
            assertEquals("BPE", md.get("tokenizer.model_type"));
            assertEquals("qwen2", md.get("tokenizer.pre_type"));
            assertEquals(151643, md.get("tokenizer.bos_token_id"));
            assertEquals(151645, md.get("tokenizer.eos_token_id"));
            assertEquals(true, md.get("tied_embeddings"));
            assertTrue(md.containsKey("license") && md.get("license") == null);
            @SuppressWarnings("unchecked") Map<String, Object> special = (Map<String, Object>) md.get("special_tokens");
            assertEquals("<|im_end|>", special.get("eos_token"));
            assertEquals("<|im_start|>", special.get("im_start_token"));
            // the embedded tokenizer.json is the original file's JSON, minified
            Object embedded = Json.parse(((String) md.get("tokenizer.json")).getBytes(StandardCharsets.UTF_8), "embedded", false);
            assertEquals(Json.readObject(TinyHf.TESTDATA.resolve("qwen3-tokenizer/tokenizer.json"), false), embedded);
            assertNull(f.tensor("lm_head.weight"));
            assertEquals(cfg.expectedTensors().size(), f.tensors().size());
            try (SafeTensorsFile src = SafeTensorsFile.open(hf)) {
                for (Tensor t : src.tensors()) assertEquals(t, f.tensor(t.name()), t.name());
            }
        }

        // rewriting the imported file from what the reader gives back reproduces it byte for byte
        Path again = tmp.resolve("again.apr");
        try (AprFile f = AprFile.open(apr)) {
            dev.apr.format.apr.AprWriter w = new dev.apr.format.apr.AprWriter().metadata(f.rawMetadata()).flags(f.flagBits());
            f.tensors().forEach(w::tensor);
            w.write(again);
        }
        assertEquals(-1L, Files.mismatch(apr, again));

        Run js = apr("inspect", apr.toString(), "--json", "--tensors");
        assertEquals(0, js.code(), js.err());
        Map<String, Object> j = Json.parseObject(js.out().strip().getBytes(StandardCharsets.UTF_8), "inspect --json", false);
        assertEquals("APR", j.get("format"));
        assertEquals(List.of("HAS_VOCAB", "LAYOUT_ROW_MAJOR"), j.get("flags"));
        assertEquals(cfg.parameterCount(), ((Number) j.get("parameters")).longValue());
        assertEquals(cfg.expectedTensors().size(), ((List<?>) j.get("tensors")).size());
        assertEquals(1, js.out().strip().lines().count(), "one JSON object on one line");
    }

    @Test
    void tinyLlamaImportsToF32() throws IOException {
        ModelConfig cfg = TinyHf.llama();
        Path hf = TinyHf.write(tmp.resolve("llama-tiny"), cfg, Map.of(), null, 0, true);
        Path apr = tmp.resolve("l.apr");
        Run imp = apr("import", hf.toString(), "-o", apr.toString(), "--dtype", "f32");
        assertEquals(0, imp.code(), imp.err());
        Run ins = apr("inspect", apr.toString(), "--tensors");
        assertEquals(0, ins.code(), ins.err());
        assertTrue(ins.out().contains("architecture: llama (LlamaForCausalLM)"), ins.out());
        assertTrue(ins.out().contains("  head_dim: 16\n"), ins.out());
        assertTrue(ins.out().contains("parameters:   " + cfg.parameterCount() + "\n"), ins.out());
        assertTrue(ins.out().contains("lm_head.weight"), "untied llama keeps its head");
        try (AprFile f = AprFile.open(apr); SafeTensorsFile src = SafeTensorsFile.open(hf)) {
            Tensor s = src.tensor("model.layers.1.mlp.down_proj.weight"), d = f.tensor(s.name());
            assertEquals(DType.F32, d.dtype());
            assertArrayEquals(s.shape(), d.shape());
            for (long i = 0; i < s.elementCount(); i += 97)
                assertEquals(Floats.bf16ToF32(s.data().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i)),
                        d.data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i));
            assertEquals(false, f.metadata().get("tied_embeddings"));
        }
    }

    @Test
    void shardedCheckpointAndInspectOfTheDirectory() throws IOException {
        ModelConfig cfg = TinyHf.qwen2();
        Path hf = TinyHf.write(tmp.resolve("sharded"), cfg, Map.of(), null, 4 << 20, false);
        assertTrue(Files.exists(hf.resolve("model.safetensors.index.json")));
        Run ins = apr("inspect", hf.toString());
        assertEquals(0, ins.code(), ins.err());
        assertTrue(ins.out().contains("format:       SafeTensors"), ins.out());
        assertTrue(ins.out().contains("model-00001-of-"), ins.out());
        assertTrue(ins.out().contains("architecture: qwen2 (Qwen2ForCausalLM)"), ins.out());
        Path apr = tmp.resolve("s.apr");
        Run imp = apr("import", hf.toString(), "-o", apr.toString(), "--json");
        assertEquals(0, imp.code(), imp.err());
        assertTrue(imp.err().contains("no tokenizer.json"), imp.err());
        Map<String, Object> j = Json.parseObject(imp.out().strip().getBytes(StandardCharsets.UTF_8), "import --json", false);
        assertEquals(false, j.get("has_vocab"));
        assertEquals(cfg.parameterCount(), ((Number) j.get("parameters")).longValue());
    }

    @Test
    void tiedModelWithAnLmHeadDropsItAndSaysSo() throws IOException {
        ModelConfig cfg = TinyHf.qwen2();
        Path hf = TinyHf.write(tmp.resolve("tied"), cfg, Map.of("lm_head.weight", new long[] {151936, 64}), null, 0, false);
        Path apr = tmp.resolve("t.apr");
        Run imp = apr("import", hf.toString(), "-o", apr.toString());
        assertEquals(0, imp.code(), imp.err());
        assertTrue(imp.err().contains("dropped lm_head.weight"), imp.err());
        try (AprFile f = AprFile.open(apr)) {
            assertNull(f.tensor("lm_head.weight"));
        }
    }

    // ---- refused input: one line on stderr, exit 2 --------------------------------------------

    static void refused(Run r, String code, String... fragments) {
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("error [" + code + "]"), r.err());
        assertEquals(1, r.err().strip().lines().filter(l -> l.contains("error [")).count(), r.err());
        for (String f : fragments) assertTrue(r.err().contains(f), r.err());
    }

    @Test
    void missingUnexpectedAndMisshapenTensorsAreRefusedByName() throws IOException {
        ModelConfig cfg = TinyHf.llama();
        Path a = TinyHf.write(tmp.resolve("missing"), cfg, Map.of(), "model.layers.1.self_attn.k_proj.weight", 0, false);
        refused(apr("import", a.toString(), "-o", tmp.resolve("x.apr").toString()), "MISSING_TENSOR",
                "model.layers.1.self_attn.k_proj.weight");
        Path b = TinyHf.write(tmp.resolve("extra"), cfg, Map.of("model.layers.0.self_attn.q_proj.bias", new long[] {64}), null, 0, false);
        refused(apr("import", b.toString(), "-o", tmp.resolve("x.apr").toString()), "UNEXPECTED_TENSOR",
                "model.layers.0.self_attn.q_proj.bias");
        Path c = TinyHf.write(tmp.resolve("shape"), cfg, Map.of(), "model.norm.weight", 0, false);
        // rewrite with a wrong-shaped norm
        Path c2 = tmp.resolve("shape2");
        Files.createDirectories(c2);
        Files.copy(c.resolve("config.json"), c2.resolve("config.json"));
        try (SafeTensorsFile st = SafeTensorsFile.open(c)) {
            dev.apr.format.safetensors.SafeTensorsWriter w = new dev.apr.format.safetensors.SafeTensorsWriter();
            st.tensors().forEach(w::tensor);
            w.tensor("model.norm.weight", DType.BF16, new long[] {63}, new byte[126]);
            w.write(c2.resolve("model.safetensors"));
        }
        refused(apr("import", c2.toString(), "-o", tmp.resolve("x.apr").toString()), "BAD_TENSOR_SHAPE",
                "model.norm.weight", "[64]", "[63]");
        assertFalse(Files.exists(tmp.resolve("x.apr")), "nothing written");
    }

    @Test
    void unknownArchitectureIsRefused() throws IOException {
        Path d = tmp.resolve("bert");
        Files.createDirectories(d);
        Files.writeString(d.resolve("config.json"), "{\"model_type\":\"bert\",\"architectures\":[\"BertModel\"]}");
        refused(apr("import", d.toString(), "-o", tmp.resolve("x.apr").toString()), "UNKNOWN_ARCHITECTURE", "bert");
    }

    @Test
    void badInputsGiveExitTwo() throws IOException {
        Path missing = tmp.resolve("nope");
        refused(apr("inspect", missing.toString()), "FILE_NOT_FOUND", missing.toString());
        refused(apr("import", missing.toString(), "-o", tmp.resolve("x.apr").toString()), "NOT_A_DIRECTORY");
        Path junk = tmp.resolve("junk.bin");
        Files.write(junk, new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0, 0});
        refused(apr("inspect", junk.toString()), "UNKNOWN_FORMAT", "50 4b 03 04");
        Path v1 = tmp.resolve("old.apr");
        Files.write(v1, "APRN and some more bytes to make it long enough".getBytes(StandardCharsets.US_ASCII));
        refused(apr("inspect", v1.toString()), "APR_V1_UNSUPPORTED", "APRN");
        Path badJson = tmp.resolve("badjson");
        Files.createDirectories(badJson);
        Files.writeString(badJson.resolve("config.json"), "{\"model_type\": \"qwen2\",}");
        refused(apr("import", badJson.toString(), "-o", tmp.resolve("x.apr").toString()), "BAD_JSON", "config.json", "at byte");
        assertEquals(1, apr("import", badJson.toString(), "-o", tmp.resolve("x.apr").toString(), "--dtype", "q4").code());
    }

    @Test
    void truncatedAndCorruptAprFilesThroughTheCli() throws IOException {
        ModelConfig cfg = TinyHf.llama();
        Path hf = TinyHf.write(tmp.resolve("m"), cfg, Map.of(), null, 0, false);
        Path apr = tmp.resolve("m.apr");
        assertEquals(0, apr("import", hf.toString(), "-o", apr.toString(), "-q").code());
        byte[] b = Files.readAllBytes(apr);
        Path cut = tmp.resolve("cut.apr");
        Files.write(cut, Arrays.copyOf(b, b.length / 2));
        Run r = apr("inspect", cut.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains(cut.toString()), r.err());
        Path flipped = tmp.resolve("flip.apr");
        b[b.length - 100] ^= 0x55;
        Files.write(flipped, b);
        Run f = apr("inspect", flipped.toString());
        assertTrue(f.out().contains("footer INVALID"), f.out());
        refused(f, "APR_BAD_CHECKSUM", "footer CRC-32");
    }

    @Test
    void ggufInspectGoesThroughModelFiles() {
        Path gguf = TinyHf.TESTDATA.resolve("qwen2-h256-q4km/model-q4_k_m.gguf");
        Run r = apr("inspect", gguf.toString(), "--tensors");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("format:       GGUF 3\n"), r.out());
        assertTrue(r.out().contains("architecture: qwen2\n"), r.out());
        assertTrue(r.out().contains("  embedding_length: 256\n"), r.out());
        assertTrue(r.out().contains("tokenizer.ggml.tokens: [151936 items]"), r.out());
        assertTrue(r.out().contains("blk.0.attn_q.weight"), r.out());
    }

    @Test
    void ggufImportKeepsKQuantBlocksAndEmbedsTheTokenizer() {
        Path gguf = TinyHf.TESTDATA.resolve("qwen2-h256-q4km/model-q4_k_m.gguf");
        Path apr = tmp.resolve("g.apr");
        Run r = apr("import", gguf.toString(), "-o", apr.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"Q4_K\":"), r.out());
        assertTrue(r.out().contains("\"Q6_K\":"), r.out());
        Run i = apr("inspect", apr.toString());
        assertEquals(0, i.code(), i.err());
        assertTrue(i.out().contains("HAS_VOCAB"), i.out());
    }
}
