package dev.apr.format.apr;

import dev.apr.format.DType;
import dev.apr.format.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.*;

class AprRoundTripTest {
    @TempDir Path dir;

    static AprWriter sample() {
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("architecture", "qwen2");
        md.put("hidden_size", 4);
        md.put("tokenizer.vocabulary", List.of("a", "b", "ü"));
        return new AprWriter().metadata(md).flag("HAS_VOCAB")
                .tensor("b.weight", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6})
                .tensor("a.bias", DType.BF16, new long[] {3}, new byte[] {1, 2, 3, 4, 5, 6})
                .tensor("c.q8", DType.APR_Q8, new long[] {2}, new byte[] {0, 0, (byte) 0x80, 0x3f, 5, -5});
    }

    @Test
    void writesTheSpecLayoutByteForByte() throws IOException {
        Path p = dir.resolve("m.apr");
        sample().write(p);
        byte[] b = Files.readAllBytes(p);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        assertArrayEquals(new byte[] {'A', 'P', 'R', 0}, java.util.Arrays.copyOf(b, 4));
        assertEquals(2, b[4]);
        assertEquals(0, b[5]);
        assertEquals(AprFlags.HAS_VOCAB | AprFlags.LAYOUT_ROW_MAJOR, bb.getShort(6) & 0xffff);
        assertEquals(3, bb.getInt(8));
        assertEquals(64, bb.getLong(12));
        int mdSize = bb.getInt(20);
        long indexOff = bb.getLong(24), dataOff = bb.getLong(32);
        assertEquals(64 + (mdSize + 63) / 64 * 64, indexOff);
        assertEquals(0, dataOff % 64);
        // metadata: compact JSON, typed keys first, required keys present
        String json = new String(b, 64, mdSize, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(json.startsWith("{\"model_type\":\"qwen2\",\"license\":null,\"data_source\":null,\"data_license\":null,"
                + "\"total_size\":"), json);
        assertTrue(json.contains("\"param_count\":11"), json);
        for (int i = 64 + mdSize; i < indexOff; i++) assertEquals(0, b[i], "metadata padding is zero");
        // first index entry is the byte-wise smallest name: a.bias
        assertEquals(6, bb.getShort((int) indexOff));
        assertEquals("a.bias", new String(b, (int) indexOff + 2, 6));
        assertEquals(30, b[(int) indexOff + 8], "BF16 code");
        assertEquals(1, b[(int) indexOff + 9], "ndim");
        assertEquals(3, bb.getLong((int) indexOff + 10));
        assertEquals(0, bb.getLong((int) indexOff + 18), "first offset");
        assertEquals(6, bb.getLong((int) indexOff + 26), "unpadded size");
        // second tensor starts at 64 (first padded to 64)
        int e2 = (int) indexOff + 34;
        assertEquals("b.weight", new String(b, e2 + 2, 8));
        assertEquals(64, bb.getLong(e2 + 2 + 8 + 2 + 16));
        // header CRC over 0..40 + 44..64, footer CRC over everything before it
        CRC32 c = new CRC32();
        c.update(b, 0, 40);
        c.update(b, 44, 20);
        assertEquals((int) c.getValue(), bb.getInt(40));
        CRC32 f = new CRC32();
        f.update(b, 0, b.length - 4);
        assertEquals((int) f.getValue(), bb.getInt(b.length - 4));
        assertEquals(dataOff + 64 + 64 + 64 + 4, b.length);
    }

    @Test
    void readsBackWhatItWrote() {
        Path p = dir.resolve("m.apr");
        sample().write(p);
        try (AprFile f = AprFile.open(p)) {
            assertEquals("2.0", f.version());
            assertEquals(List.of("HAS_VOCAB", "LAYOUT_ROW_MAJOR"), f.flags());
            assertTrue(f.hasFlag("HAS_VOCAB"));
            assertFalse(f.hasFlag("QUANTIZED"));
            assertTrue(f.footerChecksumValid());
            assertEquals(List.of("a.bias", "b.weight", "c.q8"), f.tensors().stream().map(Tensor::name).toList());
            Tensor w = f.tensor("b.weight");
            assertEquals(DType.F32, w.dtype());
            assertArrayEquals(new long[] {2, 3}, w.shape());
            assertEquals(6f, w.data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 5));
            assertEquals(DType.APR_Q8, f.tensor("c.q8").dtype());
            assertEquals(List.of("a", "b", "ü"), f.metadata().get("tokenizer.vocabulary"));
            assertNull(f.metadata().get("license"));
            assertTrue(f.metadata().containsKey("license"));
            assertEquals(6L + 24 + 6, ((Number) f.metadata().get("total_size")).longValue());
        }
    }

    @Test
    void writeReadWriteIsByteIdentical() throws IOException {
        Path p1 = dir.resolve("1.apr"), p2 = dir.resolve("2.apr");
        sample().write(p1);
        try (AprFile f = AprFile.open(p1)) {
            AprWriter w = new AprWriter().metadata(f.rawMetadata()).flags(f.flagBits());
            for (Tensor t : f.tensors()) w.tensor(t);
            w.write(p2);
        }
        assertArrayEquals(Files.readAllBytes(p1), Files.readAllBytes(p2));
    }

    @Test
    void insertionOrderDoesNotChangeTheBytes() throws IOException {
        Path p1 = dir.resolve("1.apr"), p2 = dir.resolve("2.apr");
        new AprWriter().put("z", 1).put("a", Map.of("y", 1, "x", 2)).put("architecture", "llama")
                .tensor("x", new long[] {1}, new float[] {1}).tensor("w", new long[] {1}, new float[] {2}).write(p1);
        new AprWriter().put("architecture", "llama").put("a", Map.of("x", 2, "y", 1)).put("z", 1)
                .tensor("w", new long[] {1}, new float[] {2}).tensor("x", new long[] {1}, new float[] {1}).write(p2);
        assertArrayEquals(Files.readAllBytes(p1), Files.readAllBytes(p2));
    }

    @Test
    void aliasesArePromotedToTypedKeys() {
        Path p = dir.resolve("a.apr");
        new AprWriter().put("n_embd", 896).put("num_hidden_layers", 24).put("num_key_value_heads", 2)
                .put("context_length", 32768).write(p);
        try (AprFile f = AprFile.open(p)) {
            assertEquals(896, f.metadata().get("hidden_size"));
            assertEquals(24, f.metadata().get("num_layers"));
            assertEquals(2, f.metadata().get("num_kv_heads"));
            assertEquals(32768, f.metadata().get("max_position_embeddings"));
            assertNull(f.rawMetadata().get("hidden_size"));
        }
        // the spellings realizar (the Rust APR runtime) accepts as serde aliases
        Path r = dir.resolve("r.apr");
        new AprWriter().put("hidden_dim", 64).put("n_heads", 4).put("intermediate_dim", 128).put("layer_norm_eps", 1e-5).write(r);
        try (AprFile f = AprFile.open(r)) {
            assertEquals(64, f.metadata().get("hidden_size"));
            assertEquals(4, f.metadata().get("num_heads"));
            assertEquals(128, f.metadata().get("intermediate_size"));
            assertEquals(1e-5, ((Number) f.metadata().get("rms_norm_eps")).doubleValue());
        }
    }

    @Test
    void everyAprDtypeCodeRoundTrips() {
        Path p = dir.resolve("d.apr");
        AprWriter w = new AprWriter();
        DType[] types = {DType.F32, DType.F16, DType.F64, DType.I32, DType.I64, DType.I8, DType.U8, DType.Q4_K,
                DType.Q6_K, DType.BF16, DType.APR_Q4, DType.APR_Q8};
        for (DType t : types) {
            long[] shape = {2, 256};
            w.tensor("t." + t, t, shape, new byte[(int) AprFormat.tensorBytes(t, shape)]);
        }
        w.write(p);
        try (AprFile f = AprFile.open(p)) {
            for (DType t : types) assertEquals(t, f.tensor("t." + t).dtype());
            assertEquals(2 * 144, f.tensor("t.Q4_K").byteSize());
            assertEquals(2 * 210, f.tensor("t.Q6_K").byteSize());
            assertEquals(16 * 18, f.tensor("t.APR_Q4").byteSize());
            assertEquals(4 + 512, f.tensor("t.APR_Q8").byteSize());
        }
    }
}
