package dev.apr.model.export;

import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.gguf.GgufFile;
import dev.apr.format.gguf.GgufValueType;
import dev.apr.format.quant.Dequantize;
import dev.apr.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

class GgufExporterTest {
    @TempDir Path dir;

    // hidden 64 (K-quants fall back), intermediate 256 (ffn_down can be Q4_K), 300 + 4 tokens in 320 rows
    static final ModelConfig QWEN = new ModelConfig("qwen2", 64, 2, 4, 2, 16, 256, 320, 2048, 1e6, 1e-6, true, true, 300, 302);
    static final ModelConfig LLAMA = new ModelConfig("llama", 64, 2, 4, 2, 16, 256, 320, 4096, 5e5, 1e-5, false, false, 300, 302);

    static MemoryModel model(ModelConfig cfg) {
        MemoryModel m = new MemoryModel(cfg, 7);
        m.md.put("tokenizer.json", MemoryModel.smallTokenizerJson(300));
        m.md.put("chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}");
        m.md.put("name", "tiny");
        return m;
    }

    @Test void qwen2Int4HasEveryKeyWithItsExactType() {
        MemoryModel m = model(QWEN);
        Path out = dir.resolve("q.gguf");
        GgufExporter.Report rep = GgufExporter.export(m, out, GgufQuant.Q4_K_M);
        assertEquals(out.toFile().length(), rep.bytes());
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals("qwen2", g.architecture());
            assertEquals(15, g.u32("general.file_type"));
            assertEquals(2, g.u32("general.quantization_version"));
            assertEquals(2048, g.u32("qwen2.context_length"));
            assertEquals(64, g.u32("qwen2.embedding_length"));
            assertEquals(2, g.u32("qwen2.block_count"));
            assertEquals(256, g.u32("qwen2.feed_forward_length"));
            assertEquals(4, g.u32("qwen2.attention.head_count"));
            assertEquals(2, g.u32("qwen2.attention.head_count_kv"));
            assertEquals(1e6f, g.f32("qwen2.rope.freq_base"));
            assertEquals(1e-6f, g.f32("qwen2.attention.layer_norm_rms_epsilon"));
            assertFalse(g.has("general.alignment"));
            assertFalse(g.has("qwen2.rope.dimension_count"));
            assertEquals("gpt2", g.string("tokenizer.ggml.model"));
            assertEquals("qwen2", g.string("tokenizer.ggml.pre"));
            List<String> tokens = g.array("tokenizer.ggml.tokens", GgufValueType.STRING);
            List<Integer> types = g.array("tokenizer.ggml.token_type", GgufValueType.INT32);
            assertEquals(320, tokens.size());
            assertEquals("t7", tokens.get(7));
            assertEquals("<|im_end|>", tokens.get(302));
            assertEquals("[PAD310]", tokens.get(310));
            assertEquals(List.of(1, 3, 3, 3, 4, 5), List.of(types.get(0), types.get(300), types.get(301), types.get(302), types.get(303), types.get(304)));
            assertEquals(List.of("t 1", "t 2"), g.array("tokenizer.ggml.merges", GgufValueType.STRING));
            assertEquals(300, g.u32("tokenizer.ggml.bos_token_id"));
            assertEquals(302, g.u32("tokenizer.ggml.eos_token_id"));
            assertEquals(300, g.u32("tokenizer.ggml.padding_token_id"));
            assertFalse(g.bool("tokenizer.ggml.add_bos_token"));
            assertEquals("{% for m in messages %}{{ m.content }}{% endfor %}", g.string("tokenizer.chat_template"));

            Map<String, DType> t = new TreeMap<>();
            g.tensors().forEach(x -> t.put(x.name(), x.dtype()));
            assertEquals(2 * 12 + 2, t.size());   // tied: no output.weight
            assertEquals(DType.Q8_0, t.get("token_embd.weight"));   // output head, 64 wide
            assertEquals(DType.Q5_0, t.get("blk.0.attn_q.weight"));
            assertEquals(DType.Q6_K, t.get("blk.1.ffn_down.weight"));   // use_more_bits(1, 2)
            assertEquals(DType.Q4_K, t.get("blk.0.ffn_down.weight"));
            assertEquals(DType.F32, t.get("blk.0.attn_q.bias"));
            assertArrayEquals(new long[] {64, 256}, g.tensor("blk.0.ffn_down.weight").shape());

            // values survive: Q4_K within its step, F32 exactly, qwen2 q not permuted
            float[] down = Dequantize.toFloats(g.tensor("blk.0.ffn_down.weight"));
            float[] src = m.values.get("model.layers.0.mlp.down_proj.weight");
            double se = 0, sx = 0;
            for (int i = 0; i < src.length; i++) { se += (down[i] - src[i]) * (down[i] - src[i]); sx += src[i] * src[i]; }
            assertTrue(Math.sqrt(se / sx) < 0.15, "Q4_K rel rms " + Math.sqrt(se / sx));
            assertArrayEquals(m.values.get("model.layers.1.self_attn.q_proj.bias"), Dequantize.toFloats(g.tensor("blk.1.attn_q.bias")));
        }
        // the fallbacks are reported by name
        assertTrue(rep.notes().stream().anyMatch(n -> n.startsWith("blk.0.attn_q.weight: Q4_K -> Q5_0")), rep.notes().toString());
        assertTrue(rep.notes().stream().anyMatch(n -> n.startsWith("token_embd.weight: Q6_K -> Q8_0")), rep.notes().toString());
    }

    @Test void llamaQandKArePermutedAndEverythingElseIsByteIdentical() {
        MemoryModel m = model(LLAMA);
        Path out = dir.resolve("l.gguf");
        GgufExporter.export(m, out, GgufQuant.F32);
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals(16, g.u32("llama.rope.dimension_count"));
            assertEquals(320, g.u32("llama.vocab_size"));
            assertEquals(5e5f, g.f32("llama.rope.freq_base"));
            assertEquals(0, g.u32("general.file_type"));
            assertEquals(320L * 64, g.tensor("output.weight").elementCount());   // untied: lm_head written, vocab x hidden
            float[] q = Dequantize.toFloats(g.tensor("blk.0.attn_q.weight"));
            float[] hf = m.values.get("model.layers.0.self_attn.q_proj.weight");
            int D = 16, cols = 64;
            for (int head = 0; head < 4; head++)
                for (int j = 0; j < D / 2; j++)
                    for (int c = 0; c < cols; c++) {
                        assertEquals(hf[(head * D + j) * cols + c], q[(head * D + 2 * j) * cols + c]);
                        assertEquals(hf[(head * D + j + D / 2) * cols + c], q[(head * D + 2 * j + 1) * cols + c]);
                    }
            float[] k = Dequantize.toFloats(g.tensor("blk.1.attn_k.weight"));
            float[] hk = m.values.get("model.layers.1.self_attn.k_proj.weight");
            assertEquals(hk[(16 + 3) * cols + 5], k[(16 + 6) * cols + 5]);   // kv head 1, j = 3
            assertNotEquals(hk[1 * cols], k[1 * cols]);
            for (String name : List.of("model.layers.0.self_attn.v_proj.weight", "model.embed_tokens.weight", "lm_head.weight"))
                assertArrayEquals(m.values.get(name), Dequantize.toFloats(g.tensor(dev.apr.format.gguf.GgufNames.toGguf(name))), name);
        }
    }

    /** The conversion reports its progress: from 0, never backwards, ending at the tensor data's exact size. */
    @Test void progressCountsEveryTensorByteOnce() {
        MemoryModel m = model(QWEN);
        List<long[]> seen = new java.util.ArrayList<>();
        Path out = dir.resolve("p.gguf");
        GgufExporter.export(m, out, GgufQuant.Q4_K_M, (label, done, total) -> seen.add(new long[] {done, total}));
        long data = 0;
        try (GgufFile g = GgufFile.open(out)) {
            for (var t : g.tensors()) data += t.data().byteSize();
        }
        assertEquals(0, seen.getFirst()[0]);
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i)[0] >= seen.get(i - 1)[0]);
            assertEquals(data, seen.get(i)[1]);
        }
        assertEquals(data, seen.getLast()[0]);
        assertTrue(seen.size() >= 2 * 12 + 2, "an update per tensor at least: " + seen.size());
    }

    @Test void q8_0AndF16ExportsDecodeCloseToTheSource() {
        MemoryModel m = model(QWEN);
        for (GgufQuant q : List.of(GgufQuant.Q8_0, GgufQuant.F16)) {
            Path out = dir.resolve(q + ".gguf");
            GgufExporter.export(m, out, q);
            try (GgufFile g = GgufFile.open(out)) {
                assertEquals(q.fileType, g.u32("general.file_type"));
                assertEquals(q == GgufQuant.Q8_0 ? DType.Q8_0 : DType.F16, g.tensor("blk.0.ffn_up.weight").dtype());
                float[] src = m.values.get("model.layers.0.mlp.up_proj.weight");
                float[] got = Dequantize.toFloats(g.tensor("blk.0.ffn_up.weight"));
                for (int i = 0; i < src.length; i++) assertEquals(src[i], got[i], q == GgufQuant.Q8_0 ? 0.002f : 1e-4f);
            }
        }
    }

    @Test void refusesModelsLlamaCppCouldNotLoad() throws IOException {
        MemoryModel noTok = new MemoryModel(QWEN, 1);
        AprException e = assertThrows(AprException.class, () -> GgufExporter.export(noTok, dir.resolve("a.gguf"), GgufQuant.F32));
        assertEquals("EXPORT_NO_TOKENIZER", e.code());
        assertEquals(2, e.exitCode());

        MemoryModel extra = model(QWEN);
        extra.put("model.layers.0.self_attn.o_proj.bias", new long[] {64}, new float[64]);
        assertEquals("EXPORT_UNKNOWN_TENSOR", assertThrows(AprException.class,
                () -> GgufExporter.export(extra, dir.resolve("b.gguf"), GgufQuant.F32)).code());

        MemoryModel missing = model(QWEN);
        missing.tensors.remove("model.layers.1.self_attn.v_proj.bias");
        assertEquals("EXPORT_MISSING_TENSOR", assertThrows(AprException.class,
                () -> GgufExporter.export(missing, dir.resolve("c.gguf"), GgufQuant.F32)).code());

        MemoryModel bigVocab = model(QWEN.withVocabSize(302));   // tokenizer has ids up to 303
        assertEquals("EXPORT_VOCAB_MISMATCH", assertThrows(AprException.class,
                () -> GgufExporter.export(bigVocab, dir.resolve("d.gguf"), GgufQuant.F32)).code());
        try (var s = Files.list(dir)) { assertEquals(0, s.count()); }   // nothing half-written
    }

    /** The real Qwen tokenizer gives exactly the tokens, types and merges llama.cpp's converter wrote. */
    @Test void realQwenTokenizerMatchesTheConverterOutput() throws IOException {
        Path td = Path.of(System.getProperty("apr.testdata"));
        Map<String, Object> md = Map.of("tokenizer.json", Files.readString(td.resolve("qwen3-tokenizer/tokenizer.json")));
        GgufVocab v = GgufVocab.fromAprMetadata(md, 151936, 151643, 151645, "test");
        int[] count = new int[6];
        for (int t : v.tokenTypes()) count[t]++;
        assertEquals(151643, count[GgufVocab.NORMAL]);
        assertEquals(267, count[GgufVocab.UNUSED]);
        assertEquals(151936 - 151643 - 267, count[GgufVocab.CONTROL] + count[GgufVocab.USER_DEFINED]);
        assertEquals("qwen2", v.pre());
        assertEquals(151643, v.pad());
        try (GgufFile g = GgufFile.open(td.resolve("qwen2-h256-q4km/model-q4_k_m.gguf"))) {
            assertEquals(g.array("tokenizer.ggml.tokens", GgufValueType.STRING), v.tokens());
            assertEquals(g.array("tokenizer.ggml.token_type", GgufValueType.INT32), v.tokenTypes());
            assertEquals(g.array("tokenizer.ggml.merges", GgufValueType.STRING), v.merges());
        }
    }

    /**
     * An APR as the Rust aprender importer writes it (vocabulary padded to vocab_size with repeated
     * "<unk>", its token types, no pre_type, no tokenizer.json) exports the converter's vocabulary too.
     */
    @Test void aprenderStyleVocabularyMatchesTheConverterOutput() throws IOException {
        Path td = Path.of(System.getProperty("apr.testdata"));
        try (GgufFile g = GgufFile.open(td.resolve("qwen2-h256-q4km/model-q4_k_m.gguf"))) {
            List<String> tokens = g.array("tokenizer.ggml.tokens", GgufValueType.STRING);
            List<Object> vocab = new java.util.ArrayList<>();
            for (String t : tokens) vocab.add(t.startsWith("[PAD") ? "<unk>" : t);
            Map<String, Object> md = Map.of("tokenizer.vocabulary", vocab,
                    "tokenizer.merges", g.array("tokenizer.ggml.merges", GgufValueType.STRING),
                    "tokenizer.token_type", g.array("tokenizer.ggml.token_type", GgufValueType.INT32));
            GgufVocab v = GgufVocab.fromAprMetadata(md, 151936, 151643, 151645, "rust.apr");
            assertEquals(tokens, v.tokens());
            assertEquals(g.array("tokenizer.ggml.token_type", GgufValueType.INT32), v.tokenTypes());
            assertEquals("qwen2", v.pre(), "recognised from <|endoftext|> at 151643");
        }
    }

    @Test void llama3StyleDigitGroupsSelectLlamaBpeWithBos() {
        String tj = MemoryModel.smallTokenizerJson(300).replace("\\\\p{N}|", "\\\\p{N}{1,3}|");
        assertTrue(tj.contains("p{N}{1,3}"), tj.substring(0, 400));
        GgufVocab v = GgufVocab.fromAprMetadata(Map.of("tokenizer.json", tj, "tokenizer_config.json", "{\"add_bos_token\": true}"),
                320, 300, 302, "test");
        assertEquals("llama-bpe", v.pre());
        assertTrue(v.addBos());
        // BOS as apr run decides it: no add_bos_token and no post-processor template, no BOS
        assertFalse(GgufVocab.fromAprMetadata(Map.of("tokenizer.json", tj), 320, 300, 302, "test").addBos());
        assertEquals(-1, v.pad());   // no Qwen <|endoftext|> convention for llama-bpe without a pad_token
        AprException e = assertThrows(AprException.class, () -> GgufVocab.fromAprMetadata(
                Map.of("tokenizer.json", tj, "tokenizer.pre_type", "gpt-4o"), 320, 300, 302, "test"));
        assertEquals("EXPORT_UNKNOWN_PRE_TOKENIZER", e.code());
    }

    /** SmolLM's Digits + ByteLevel pre-tokenizer is llama.cpp's "smollm", GPT-2's ByteLevel alone "gpt-2"; neither adds a BOS. */
    @Test void smollmAndGpt2PreTokenizersSelectTheirLlamaCppNames() {
        String base = MemoryModel.smallTokenizerJson(300);
        String pre = base.substring(base.indexOf("\"pre_tokenizer\""), base.indexOf("\"model\""));
        String smol = base.replace(pre, "\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Digits\",\"individual_digits\":true},"
                + "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":true}]},");
        GgufVocab v = GgufVocab.fromAprMetadata(Map.of("tokenizer.json", smol), 320, -1, 302, "test");
        assertEquals("smollm", v.pre());
        assertFalse(v.addBos());
        String gpt2 = base.replace(pre, "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":true},");
        assertEquals("gpt-2", GgufVocab.fromAprMetadata(Map.of("tokenizer.json", gpt2), 320, -1, 302, "test").pre());
        // Digits in runs (individual_digits false) is no llama.cpp pre type: refused, not guessed
        String runs = smol.replace("\"individual_digits\":true", "\"individual_digits\":false");
        assertEquals("EXPORT_UNKNOWN_PRE_TOKENIZER", assertThrows(AprException.class,
                () -> GgufVocab.fromAprMetadata(Map.of("tokenizer.json", runs), 320, -1, 302, "test")).code());
    }
}
