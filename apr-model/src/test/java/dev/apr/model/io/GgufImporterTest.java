package dev.apr.model.io;

import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.Tensor;
import dev.apr.format.TokenizerJson;
import dev.apr.format.apr.AprFile;
import dev.apr.format.apr.AprWriter;
import dev.apr.format.gguf.GgufFile;
import dev.apr.format.gguf.GgufNames;
import dev.apr.format.gguf.GgufValueType;
import dev.apr.model.ModelConfig;
import dev.apr.model.export.GgufExporter;
import dev.apr.model.export.GgufQuant;
import dev.apr.model.export.GgufVocab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class GgufImporterTest {
    @TempDir Path dir;

    static Path testdata() { return Path.of(System.getProperty("apr.testdata")); }

    @Test void importsTheLlamaCppFixtureKeepingKQuants() throws IOException {
        Path gguf = testdata().resolve("qwen2-h256-q4km/model-q4_k_m.gguf");
        Path apr = dir.resolve("fixture.apr");
        GgufImporter.Result r = GgufImporter.importGguf(gguf, apr);
        assertEquals(Map.of(DType.F32, 11, DType.Q4_K, 12, DType.Q6_K, 3), r.dtypes());
        ModelConfig c = r.config();
        assertEquals(new ModelConfig("qwen2", 256, 2, 4, 2, 64, 512, 151936, c.maxPositions(), 1e6, 1e-6, true, true,
                c.bosTokenId(), c.eosTokenId()), c);
        try (GgufFile g = GgufFile.open(gguf); AprFile a = AprFile.open(apr)) {
            for (Tensor t : g.tensors()) {
                Tensor x = a.tensor(GgufNames.toHf(t.name()));
                assertNotNull(x, t.name());
                assertEquals(t.dtype(), x.dtype(), t.name());
                assertArrayEquals(t.shape(), x.shape(), t.name());
                assertEquals(-1, t.data().mismatch(x.data()), t.name());   // bytes kept as they are
            }
            // the rebuilt tokenizer.json reads back and re-exports to exactly the fixture's vocabulary
            String tj = (String) a.metadata().get("tokenizer.json");
            TokenizerJson tok = TokenizerJson.parse(tj.getBytes(StandardCharsets.UTF_8), Path.of("rebuilt"));
            assertEquals(151643, tok.vocab().size());
            assertEquals(g.array("tokenizer.ggml.merges", GgufValueType.STRING).size(), tok.merges().size());
            GgufVocab v = GgufVocab.fromAprMetadata(a.metadata(), 151936, c.bosTokenId(), c.eosTokenId(), "apr");
            assertEquals(g.array("tokenizer.ggml.tokens", GgufValueType.STRING), v.tokens());
            assertEquals(g.array("tokenizer.ggml.token_type", GgufValueType.INT32), v.tokenTypes());
            assertEquals(g.array("tokenizer.ggml.merges", GgufValueType.STRING), v.merges());
            assertEquals("qwen2", v.pre());
        }
    }

    static Path tinyApr(Path file, ModelConfig cfg, long seed) {
        AprWriter w = new AprWriter().metadata(cfg.toAprMetadata());
        StringBuilder sb = new StringBuilder("{\"added_tokens\":[{\"id\":300,\"content\":\"<|endoftext|>\",\"special\":true}],"
                + "\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"" + dev.apr.model.tokenizer.PreTokenizerRegex.QWEN2.replace("\\", "\\\\")
                + "\"},\"behavior\":\"Isolated\"},\"model\":{\"type\":\"BPE\",\"vocab\":{");
        for (int i = 0; i < 300; i++) sb.append(i > 0 ? "," : "").append("\"w").append(i).append("\":").append(i);
        w.put("tokenizer.json", sb.append("},\"merges\":[\"w 1\"]}}").toString());
        w.put("tokenizer.bos_token_id", 300).put("tokenizer.eos_token_id", 300);
        Random r = new Random(seed);
        for (var e : cfg.expectedTensors().entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            float[] x = new float[(int) n];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            w.tensor(e.getKey(), e.getValue(), x);
        }
        w.write(file);
        return file;
    }

    /** APR -> GGUF f32 -> APR gives the same tensors, for qwen2 and for llama (q/k permuted and back). */
    @Test void f32ExportThenImportRoundTrips() {
        ModelConfig qwen = new ModelConfig("qwen2", 64, 2, 4, 2, 16, 128, 304, 2048, 1e6, 1e-6, true, true, 300, 300);
        ModelConfig llama = new ModelConfig("llama", 64, 2, 4, 2, 16, 128, 304, 4096, 5e5, 1e-5, true, false, 300, 300);
        // Llama 3.1's RoPE scaling travels as rope_freqs.weight and comes back as the same parameters
        ModelConfig llama31 = new ModelConfig("llama", 64, 2, 4, 2, 16, 128, 304, 131072, 5e5, 1e-5, false, true, 300, 300,
                new dev.apr.model.RopeScaling(8, 1, 4, 8192));
        for (ModelConfig cfg : new ModelConfig[] {qwen, llama, llama31}) {
            String name = cfg.family() + (cfg.ropeScaling() != null ? "31" : "");
            Path src = tinyApr(dir.resolve(name + ".apr"), cfg, 11);
            Path gguf = dir.resolve(name + ".gguf");
            try (AprFile a = AprFile.open(src)) {
                GgufExporter.export(a, gguf, GgufQuant.F32);
            }
            Path back = dir.resolve(name + "-back.apr");
            GgufImporter.Result r = GgufImporter.importGguf(gguf, back);
            assertEquals(cfg, r.config());
            try (AprFile a = AprFile.open(src); AprFile b = AprFile.open(back); GgufFile g = GgufFile.open(gguf)) {
                assertEquals(a.tensors().size(), b.tensors().size());
                for (Tensor t : a.tensors()) assertEquals(t, b.tensor(t.name()), cfg.family() + " " + t.name());
                assertEquals(cfg.ropeScaling() != null, g.tensor("rope_freqs.weight") != null, name);
                // and the GGUF really held llama q/k in the other order
                String q = "model.layers.0.self_attn.q_proj.weight";
                boolean same = a.tensor(q).data().mismatch(g.tensor("blk.0.attn_q.weight").data()) == -1;
                assertEquals(cfg.family().equals("qwen2"), same, cfg.family());
            }
        }
    }

    @Test void refusesWhatItCannotRepresent() throws IOException {
        ModelConfig llama = new ModelConfig("llama", 64, 1, 4, 2, 16, 128, 304, 4096, 5e5, 1e-5, false, true, 300, 300);
        Path gguf = dir.resolve("x.gguf");
        try (AprFile a = AprFile.open(tinyApr(dir.resolve("x.apr"), llama, 1))) {
            GgufExporter.export(a, gguf, GgufQuant.F32);
        }
        byte[] b = Files.readAllBytes(gguf);
        // rename the architecture to one apr does not model ("llama" -> "gemma" keeps the length)
        String s = new String(b, StandardCharsets.ISO_8859_1).replaceFirst("llama", "gemma");
        Files.write(gguf, s.getBytes(StandardCharsets.ISO_8859_1));
        AprException e = assertThrows(AprException.class, () -> GgufImporter.importGguf(gguf, dir.resolve("y.apr")));
        assertEquals("UNKNOWN_ARCHITECTURE", e.code());
        assertEquals(2, e.exitCode());
        assertFalse(Files.exists(dir.resolve("y.apr")));
    }

    /**
     * A tiny llama GGUF as llama.cpp's converter writes a Llama-3.1/3.2 file: a rope_freqs.weight
     * tensor (or, in older files, a rope.scaling.type key). Both import and the run path (which
     * reads the file in place) refuse it by name: plain RoPE would compute another function.
     */
    @Test void ropeScalingIsRefusedByImportAndByRun() {
        int h = 32, f = 64, v = 300;
        for (boolean freqsTensor : new boolean[] {true, false}) {
            Path gguf = dir.resolve("scaled-" + freqsTensor + ".gguf");
            dev.apr.format.gguf.GgufWriter w = new dev.apr.format.gguf.GgufWriter();
            w.putString("general.architecture", "llama");
            w.putU32("llama.context_length", 2048);
            w.putU32("llama.embedding_length", h);
            w.putU32("llama.block_count", 1);
            w.putU32("llama.feed_forward_length", f);
            w.putU32("llama.attention.head_count", 4);
            w.putU32("llama.attention.head_count_kv", 2);
            w.putF32("llama.rope.freq_base", 500000f);
            w.putF32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
            if (!freqsTensor) w.putString("llama.rope.scaling.type", "linear");
            Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
            shapes.put("token_embd.weight", new long[] {v, h});
            shapes.put("blk.0.attn_norm.weight", new long[] {h});
            shapes.put("blk.0.attn_q.weight", new long[] {h, h});
            shapes.put("blk.0.attn_k.weight", new long[] {h / 2, h});
            shapes.put("blk.0.attn_v.weight", new long[] {h / 2, h});
            shapes.put("blk.0.attn_output.weight", new long[] {h, h});
            shapes.put("blk.0.ffn_norm.weight", new long[] {h});
            shapes.put("blk.0.ffn_gate.weight", new long[] {f, h});
            shapes.put("blk.0.ffn_up.weight", new long[] {f, h});
            shapes.put("blk.0.ffn_down.weight", new long[] {h, f});
            shapes.put("output_norm.weight", new long[] {h});
            if (freqsTensor) shapes.put("rope_freqs.weight", new long[] {h / 8});
            for (var e : shapes.entrySet()) {
                long n = 1;
                for (long d : e.getValue()) n *= d;
                w.addTensor(e.getKey(), DType.F32, e.getValue(), java.lang.foreign.MemorySegment.ofArray(new float[(int) n]));
            }
            w.write(gguf);
            AprException imp = assertThrows(AprException.class, () -> GgufImporter.importGguf(gguf, dir.resolve("out.apr")));
            assertEquals("GGUF_UNSUPPORTED_ROPE", imp.code());
            assertTrue(imp.getMessage().contains(freqsTensor ? "rope_freqs.weight" : "llama.rope.scaling.type: expected none, got linear"),
                    imp.getMessage());
            assertFalse(Files.exists(dir.resolve("out.apr")));
            try (var file = dev.apr.format.ModelFiles.open(gguf)) {
                AprException run = assertThrows(AprException.class, () -> dev.apr.model.Transformer.load(file));
                assertEquals(imp.getMessage(), run.getMessage());
            }
        }
    }
}
