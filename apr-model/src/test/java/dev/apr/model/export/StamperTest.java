package dev.apr.model.export;

import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.Json;
import dev.apr.format.apr.AprFile;
import dev.apr.format.apr.AprFlags;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class StamperTest {
    @TempDir Path dir;

    static Stamper.Options licence(String l) { return new Stamper.Options(l, null, null, null, null, null, null); }

    static Stamper.Options tokenizer(Path d) { return new Stamper.Options(null, null, null, null, null, null, d); }

    static MemorySegment tensorSection(AprFile f) {
        return f.bytes().asSlice(f.tensorIndexOffset(), f.fileSize() - 4 - f.tensorIndexOffset());
    }

    @Test
    void provenanceFieldsAreWrittenAndTensorsCopiedByteForByte() throws Exception {
        Path in = TinyApr.write(dir.resolve("in.apr"), TinyApr.llama(300, false), DType.BF16, AprFlags.QUANTIZED, Map.of());
        Path out = dir.resolve("out.apr");
        Stamper.Result r = Stamper.stamp(in, out, new Stamper.Options("apache-2.0", "the-stack-smol (python subset)",
                "cc-by-4.0", null, null, null, null), false);
        try (AprFile a = AprFile.open(in); AprFile b = AprFile.open(out)) {
            assertEquals("Apache-2.0", b.metadata().get("license"));
            assertEquals("CC-BY-4.0", b.metadata().get("data_license"));
            assertEquals("the-stack-smol (python subset)", b.metadata().get("data_source"));
            assertNull(a.metadata().get("license"));
            // flags kept (QUANTIZED), tensors byte-identical, both CRCs valid (open checks them)
            assertEquals(a.flagBits(), b.flagBits());
            assertTrue(b.hasFlag(AprFlags.QUANTIZED));
            assertTrue(b.footerChecksumValid());
            assertEquals(-1, tensorSection(a).mismatch(tensorSection(b)));
            assertEquals(a.tensors(), b.tensors());
            // every other key unchanged
            for (var e : a.rawMetadata().entrySet())
                if (!List.of("license", "data_license", "data_source").contains(e.getKey()))
                    assertEquals(e.getValue(), b.rawMetadata().get(e.getKey()), e.getKey());
        }
        assertEquals(Files.size(out), r.bytes());
        assertTrue(r.changed().contains("license: null -> Apache-2.0"), r.changed().toString());
        assertEquals(3, r.changed().size(), r.changed().toString());
    }

    /** Older aprender files number APR_Q4/APR_Q8 8/9 (specs/apr-v2.md): a stamp keeps those index bytes. */
    @Test
    void legacyDtypeCodesAreCopiedAsStored() throws Exception {
        Path in = dir.resolve("legacy.apr");
        new dev.apr.format.apr.AprWriter().put("model_type", "x")
                .tensor("a.q4", DType.APR_Q4, new long[] {40}, new byte[36])
                .tensor("b.q8", DType.APR_Q8, new long[] {4}, new byte[] {0, 0, 0, 63, 1, 2, 3, 4}).write(in);
        // renumber both to the legacy codes in the index, then fix the footer CRC (the header CRC does not cover the index)
        byte[] b = Files.readAllBytes(in);
        int index;
        try (AprFile f = AprFile.open(in)) { index = (int) f.tensorIndexOffset(); }
        int q4 = index + 2 + 4, q8 = q4 + 2 + 8 + 16 + 2 + 4;   // name_len, name, then the dtype byte
        assertEquals(128, b[q4] & 0xff);
        assertEquals(129, b[q8] & 0xff);
        b[q4] = 8;
        b[q8] = 9;
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b, 0, b.length - 4);
        java.nio.ByteBuffer.wrap(b, b.length - 4, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue());
        Files.write(in, b);

        Path out = dir.resolve("legacy-stamped.apr");
        Stamper.stamp(in, out, licence("mit"), false);   // verifies the tensor section byte for byte itself
        try (AprFile a = AprFile.open(in); AprFile s = AprFile.open(out)) {
            assertEquals(DType.APR_Q4, s.tensor("a.q4").dtype());
            assertEquals(8, s.storedCode("a.q4"));
            assertEquals(9, s.storedCode("b.q8"));
            assertEquals(-1, tensorSection(a).mismatch(tensorSection(s)));
        }
    }

    @Test
    void tokenizerIsEmbeddedWithHasVocab() throws Exception {
        Path in = TinyApr.write(dir.resolve("in.apr"), TinyApr.qwen2(true), DType.BF16, 0, Map.of());
        Path out = dir.resolve("out.apr");
        Stamper.Result r = Stamper.stamp(in, out, tokenizer(TinyApr.QWEN_TOKENIZER), false);
        assertTrue(r.flagNames().contains("HAS_VOCAB"));
        try (AprFile a = AprFile.open(in); AprFile b = AprFile.open(out)) {
            assertFalse(a.hasFlag(AprFlags.HAS_VOCAB));
            assertTrue(b.hasFlag(AprFlags.HAS_VOCAB));
            Map<String, Object> md = b.metadata();
            List<?> vocab = (List<?>) md.get("tokenizer.vocabulary");
            assertEquals(151669, vocab.size());
            assertEquals(151669, ((Number) md.get("tokenizer.vocab_size")).intValue());
            assertEquals("!", vocab.get(0));
            assertEquals("<|endoftext|>", vocab.get(151643));
            assertEquals("<|im_end|>", vocab.get(151645));
            List<?> merges = (List<?>) md.get("tokenizer.merges");
            assertEquals(151387, merges.size());
            assertEquals("\u0120 \u0120", merges.get(0));
            assertEquals("BPE", md.get("tokenizer.model_type"));
            assertEquals("qwen2", md.get("tokenizer.pre_type"));
            // tokenizer_config.json: eos <|im_end|>, bos null -> the model's existing id (none in this file)
            assertEquals(151645, ((Number) md.get("tokenizer.eos_token_id")).intValue());
            assertNull(md.get("tokenizer.bos_token_id"));
            // the whole tokenizer.json travels (minified: the same JSON value)
            Object embedded = Json.parse(((String) md.get("tokenizer.json")).getBytes(StandardCharsets.UTF_8), "embedded", false);
            assertEquals(Json.readObject(TinyApr.QWEN_TOKENIZER.resolve("tokenizer.json"), false), embedded);
            Map<String, Object> tc = Json.readObject(TinyApr.QWEN_TOKENIZER.resolve("tokenizer_config.json"), false);
            assertEquals(tc.get("chat_template"), md.get("chat_template"));
            assertEquals("chatml", md.get("chat_format"));
            assertEquals(Files.readString(TinyApr.QWEN_TOKENIZER.resolve("tokenizer_config.json")), md.get("tokenizer_config.json"));
            Map<?, ?> special = (Map<?, ?>) md.get("special_tokens");
            assertEquals("<|im_end|>", special.get("eos_token"));
            assertEquals("<|endoftext|>", special.get("pad_token"));
            assertEquals("<|im_start|>", special.get("im_start_token"));
            assertTrue(b.metadataSize() < 16 << 20, "metadata " + b.metadataSize());
            assertEquals(-1, tensorSection(a).mismatch(tensorSection(b)));
        }
    }

    /**
     * apr run on a stamped APR must tokenize and chat as on the tokenizer directory it was stamped
     * from (and so as on the GGUF / HF files exported from it): the same special ids and the
     * chat template's default system prompt (a Qwen2.5-style template here).
     */
    @Test
    void stampedTokenizerReadsAsTheDirectoryDoes() throws Exception {
        Path tok = Files.createDirectories(dir.resolve("tok"));
        Files.copy(TinyApr.QWEN_TOKENIZER.resolve("tokenizer.json"), tok.resolve("tokenizer.json"));
        Map<String, Object> cfg = new java.util.LinkedHashMap<>(Json.readObject(TinyApr.QWEN_TOKENIZER.resolve("tokenizer_config.json"), false));
        cfg.put("chat_template", "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
                + "{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}{%- endif %}");
        Files.write(tok.resolve("tokenizer_config.json"), Json.compact(cfg));
        Path in = TinyApr.write(dir.resolve("in.apr"), TinyApr.qwen2(true), DType.BF16, 0, Map.of());
        Stamper.stamp(in, dir.resolve("out.apr"), tokenizer(tok), false);
        var fromDir = dev.apr.model.tokenizer.Tokenizer.load(tok);
        try (AprFile b = AprFile.open(dir.resolve("out.apr"))) {
            var fromApr = dev.apr.model.ModelTokenizer.load(b);
            assertEquals(151645, fromApr.eosId());
            assertEquals(fromDir.eosId(), fromApr.eosId());
            assertEquals(151643, fromApr.padId());
            assertEquals(fromDir.chatTemplate(), fromApr.chatTemplate());
            assertEquals("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.", fromApr.defaultSystemPrompt());
            var chat = List.of(dev.apr.model.tokenizer.Message.user("hi <|im_end|> 你好"));
            assertArrayEquals(fromDir.encodeChat(chat), fromApr.encodeChat(chat));
            assertEquals(151644, fromApr.encodeChat(chat)[0]);
        }
    }

    @Test
    void bosFallsBackToTheModelsExistingId() throws Exception {
        Path in = TinyApr.write(dir.resolve("in.apr"), TinyApr.qwen2(true), DType.BF16, 0,
                Map.of("tokenizer.bos_token_id", 151643, "tokenizer.eos_token_id", 151643));
        Path out = dir.resolve("out.apr");
        Stamper.stamp(in, out, tokenizer(TinyApr.QWEN_TOKENIZER), false);
        try (AprFile b = AprFile.open(out)) {
            assertEquals(151643, ((Number) b.metadata().get("tokenizer.bos_token_id")).intValue());
            // tokenizer_config.json's eos wins over the model's
            assertEquals(151645, ((Number) b.metadata().get("tokenizer.eos_token_id")).intValue());
        }
    }

    @Test
    void stampingTwiceGivesIdenticalBytesAndAThirdTimeChangesNothing() throws Exception {
        Path in = TinyApr.write(dir.resolve("in.apr"), TinyApr.qwen2(true), DType.F16, 0, Map.of());
        Stamper.Options o = new Stamper.Options("MIT", "local corpus", "CC0-1.0", "qwen2", "Qwen2ForCausalLM", "qwen2",
                TinyApr.QWEN_TOKENIZER);
        Stamper.stamp(in, dir.resolve("a.apr"), o, false);
        Stamper.stamp(in, dir.resolve("b.apr"), o, false);
        assertEquals(-1, Files.mismatch(dir.resolve("a.apr"), dir.resolve("b.apr")));
        AprException e = assertThrows(AprException.class, () -> Stamper.stamp(dir.resolve("a.apr"), dir.resolve("c.apr"), o, false));
        assertEquals("NOTHING_CHANGES", e.code());
        assertFalse(Files.exists(dir.resolve("c.apr")));
    }

    @Test
    void architectureNamesAreSetAndMustAgree() throws Exception {
        Path in = TinyApr.write(dir.resolve("in.apr"), TinyApr.llama(300, true), DType.F32,
                0, Map.of("hf_architecture", "", "hf_model_type", ""));
        // the file's own hf names are blank; setting them for the llama family works
        Path out = dir.resolve("out.apr");
        Stamper.stamp(in, out, new Stamper.Options(null, null, null, null, "LlamaForCausalLM", "llama", null), false);
        try (AprFile b = AprFile.open(out)) {
            assertEquals("LlamaForCausalLM", b.metadata().get("hf_architecture"));
            assertEquals("llama", b.metadata().get("hf_model_type"));
        }
        AprException e = assertThrows(AprException.class, () -> Stamper.stamp(out, dir.resolve("x.apr"),
                new Stamper.Options(null, null, null, null, "Qwen2ForCausalLM", null, null), false));
        assertEquals("ARCHITECTURE_MISMATCH", e.code());
        e = assertThrows(AprException.class, () -> Stamper.stamp(out, dir.resolve("x.apr"),
                new Stamper.Options(null, null, null, "mistral", null, null, null), false));
        assertEquals("UNKNOWN_ARCHITECTURE", e.code());
        assertTrue(e.getMessage().contains("'mistral'"), e.getMessage());
    }

    @Test
    void tokenizerLargerThanTheModelIsRefused() {
        Path in = TinyApr.write(dir.resolve("in.apr"), TinyApr.llama(1000, true), DType.F32, 0, Map.of());
        AprException e = assertThrows(AprException.class,
                () -> Stamper.stamp(in, dir.resolve("out.apr"), tokenizer(TinyApr.QWEN_TOKENIZER), false));
        assertEquals("VOCAB_MISMATCH", e.code());
        assertTrue(e.getMessage().contains("1000") && e.getMessage().contains("151669"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("out.apr")));
    }

    @Test
    void legacyVocabAndMergesWithAddedTokensFromTokenizerConfig() throws Exception {
        Path tok = Files.createDirectories(dir.resolve("tok"));
        Files.writeString(tok.resolve("vocab.json"), "{\"a\":0,\"b\":1,\"ab\":2,\"\\u0120a\":3}");
        Files.writeString(tok.resolve("merges.txt"), "#version: 0.2\na b\n\u0120 a\n");
        Files.writeString(tok.resolve("tokenizer_config.json"), "{\"eos_token\":\"<|endoftext|>\",\"added_tokens_decoder\":"
                + "{\"5\":{\"content\":\"<|endoftext|>\",\"special\":true}}}");
        Path in = TinyApr.write(dir.resolve("in.apr"), TinyApr.llama(300, true), DType.F32, 0, Map.of());
        Stamper.Result r = Stamper.stamp(in, dir.resolve("out.apr"), tokenizer(tok), false);
        try (AprFile b = AprFile.open(dir.resolve("out.apr"))) {
            assertEquals(List.of("a", "b", "ab", "\u0120a", "[PAD4]", "<|endoftext|>"), b.metadata().get("tokenizer.vocabulary"));
            assertEquals(List.of("a b", "\u0120 a"), b.metadata().get("tokenizer.merges"));
            assertEquals(5, ((Number) b.metadata().get("tokenizer.eos_token_id")).intValue());
            assertFalse(b.metadata().containsKey("tokenizer.json"));
        }
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("no tokenizer.json")), r.warnings().toString());
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("[PAD<id>]")), r.warnings().toString());
    }

    @Test
    void refusals() throws Exception {
        Path in = TinyApr.write(dir.resolve("in.apr"), TinyApr.llama(300, true), DType.F32, 0, Map.of());
        Path exists = Files.writeString(dir.resolve("exists.apr"), "x");
        AprException e = assertThrows(AprException.class, () -> Stamper.stamp(in, exists, licence("MIT"), false));
        assertEquals("OUTPUT_EXISTS", e.code());
        assertEquals("x", Files.readString(exists));
        Stamper.stamp(in, exists, licence("MIT"), true); // -f overwrites
        try (AprFile f = AprFile.open(exists)) { assertEquals("MIT", f.metadata().get("license")); }

        e = assertThrows(AprException.class, () -> Stamper.stamp(in, dir.resolve("o.apr"), licence("Apache2"), false));
        assertEquals("UNKNOWN_LICENSE", e.code());
        assertEquals(AprException.BAD_INPUT, e.exitCode());
        e = assertThrows(AprException.class, () -> Stamper.stamp(in, dir.resolve("o.apr"),
                new Stamper.Options(null, null, "cc-by-44", null, null, null, null), false));
        assertTrue(e.getMessage().startsWith("--data-license"), e.getMessage());

        Path empty = Files.createDirectories(dir.resolve("empty"));
        e = assertThrows(AprException.class, () -> Stamper.stamp(in, dir.resolve("o.apr"), tokenizer(empty), false));
        assertEquals(AprException.BAD_INPUT, e.exitCode());
        assertTrue(e.getMessage().contains("tokenizer.json or vocab.json + merges.txt"), e.getMessage());
        e = assertThrows(AprException.class, () -> Stamper.stamp(in, dir.resolve("o.apr"), tokenizer(dir.resolve("nope")), false));
        assertEquals("TOKENIZER_MISSING", e.code());

        e = assertThrows(AprException.class, () -> Stamper.stamp(in, dir.resolve("o.apr"),
                new Stamper.Options(null, null, null, null, null, null, null), false));
        assertEquals(AprException.USAGE, e.exitCode());
        assertFalse(Files.exists(dir.resolve("o.apr")));
        // no temporary files left behind
        try (var s = Files.list(dir)) { assertEquals(0, s.filter(p -> p.getFileName().toString().startsWith(".")).count()); }
    }
}
