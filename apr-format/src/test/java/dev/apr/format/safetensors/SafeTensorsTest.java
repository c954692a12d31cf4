package dev.apr.format.safetensors;

import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.ModelFile;
import dev.apr.format.ModelFiles;
import dev.apr.format.Tensor;
import dev.apr.format.apr.AprFile;
import dev.apr.format.apr.AprWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class SafeTensorsTest {
    @TempDir Path dir;

    /** A file as the Rust crate's own doc example spells it: header, then 16 bytes of I32. */
    static byte[] file(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        for (int i = 0; i < dataBytes; i++) b.put((byte) i);
        return b.array();
    }

    @Test
    void readsAReferenceFile() throws IOException {
        Path p = dir.resolve("ref.safetensors");
        Files.write(p, file("{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 16));
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            Tensor t = f.tensor("test");
            assertEquals(DType.I32, t.dtype());
            assertArrayEquals(new long[] {2, 2}, t.shape());
            assertEquals(0x03020100, t.data().get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
            assertTrue(f.headerMetadata().isEmpty());
        }
    }

    @Test
    void writerFollowsTheReferenceLayout() throws IOException {
        Path p = dir.resolve("w.safetensors");
        new SafeTensorsWriter()
                .tensor("z.bf16", DType.BF16, new long[] {2}, new byte[4])
                .tensor("b.f32", new long[] {1}, new float[] {1.5f})
                .tensor("a.f32", new long[] {2}, new float[] {1, 2})
                .tensor("s.scalar", DType.F16, new long[] {}, new byte[2])
                .tensor("e.empty", DType.F32, new long[] {0, 3}, new byte[0])
                .write(p);
        byte[] b = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, n % 8, "header padded to a multiple of 8");
        String header = new String(b, 8, (int) n, StandardCharsets.UTF_8);
        // __metadata__ first; then F32 (larger alignment) by name, then BF16 before F16 (Rust Dtype order)
        assertEquals("{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a.f32\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b.f32\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
                + "\"e.empty\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[12,12]},"
                + "\"z.bf16\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[12,16]},"
                + "\"s.scalar\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[16,18]}}", header.stripTrailing());
        assertTrue(header.endsWith(" ") || header.endsWith("}"));
        assertEquals(8 + n + 18, b.length, "no trailing bytes");
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertEquals(Map.of("format", "pt"), f.headerMetadata());
            assertEquals(1.5f, f.tensor("b.f32").data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
            assertEquals(0, f.tensor("e.empty").byteSize());
            assertArrayEquals(new long[0], f.tensor("s.scalar").shape());
        }
    }

    @Test
    void everyDtypeStringIsRead() throws IOException {
        String[] names = {"BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F8_E8M0", "F4",
                "F6_E2M3", "F6_E3M2", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64", "C64"};
        int[] bits = {8, 8, 8, 8, 8, 8, 8, 8, 4, 6, 6, 16, 16, 16, 16, 32, 32, 32, 64, 64, 64, 64};
        StringBuilder h = new StringBuilder("{");
        long off = 0;
        for (int i = 0; i < names.length; i++) {
            long bytes = 8L * bits[i] / 8; // shape [8]
            h.append(i > 0 ? "," : "").append("\"t").append(i).append("\":{\"dtype\":\"").append(names[i])
                    .append("\",\"shape\":[8],\"data_offsets\":[").append(off).append(",").append(off + bytes).append("]}");
            off += bytes;
        }
        h.append("}");
        Path p = dir.resolve("all.safetensors");
        Files.write(p, file(h.toString(), (int) off));
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            for (int i = 0; i < names.length; i++) {
                assertEquals(names[i], f.tensor("t" + i).dtype().safetensorsName);
                assertEquals(bits[i], f.tensor("t" + i).byteSize());
            }
        }
    }

    @Test
    void shardedDirectoryWithConfig() throws IOException {
        SafeTensorsWriter w = new SafeTensorsWriter();
        for (int i = 0; i < 5; i++) w.tensor("layer." + i, new long[] {16}, new float[16]);
        List<Path> files = w.writeSharded(dir, 150);
        assertEquals(List.of("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors", "model.safetensors.index.json"),
                files.stream().map(f -> f.getFileName().toString()).toList());
        String idx = Files.readString(dir.resolve("model.safetensors.index.json"));
        assertTrue(idx.contains("\"total_size\" : 320"), idx);
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"llama\",\"hidden_size\":16}");
        try (ModelFile f = ModelFiles.open(dir)) {
            assertEquals("SafeTensors", f.format());
            assertEquals(5, f.tensors().size());
            assertArrayEquals(new long[] {16}, f.tensor("layer.4").shape());
            @SuppressWarnings("unchecked") Map<String, Object> cfg = (Map<String, Object>) f.metadata().get("config");
            assertEquals("llama", cfg.get("model_type"));
        }
    }

    @Test
    void tensorsSurviveAprAndBackUnchanged() {
        Random r = new Random(7);
        byte[] bf = new byte[2 * 3 * 2];
        r.nextBytes(bf);
        float[] f32 = {1, -2, 3.25f, Float.MIN_VALUE};
        Path st1 = dir.resolve("1.safetensors"), apr = dir.resolve("m.apr"), st2 = dir.resolve("2.safetensors");
        new SafeTensorsWriter().tensor("w", DType.BF16, new long[] {2, 3}, bf).tensor("v", new long[] {4}, f32).write(st1);
        try (SafeTensorsFile in = SafeTensorsFile.open(st1)) {
            AprWriter w = new AprWriter();
            in.tensors().forEach(w::tensor);
            w.write(apr);
        }
        try (AprFile a = AprFile.open(apr)) {
            SafeTensorsWriter w = new SafeTensorsWriter();
            a.tensors().forEach(w::tensor);
            w.write(st2);
        }
        try (SafeTensorsFile x = SafeTensorsFile.open(st1); SafeTensorsFile y = SafeTensorsFile.open(st2)) {
            for (Tensor t : x.tensors()) assertEquals(t, y.tensor(t.name()), t.name());
        }
    }

    // ---- hostile input ------------------------------------------------------------------------

    AprException refused(byte[] bytes, String code, String... fragments) throws IOException {
        Path p = dir.resolve("bad.safetensors");
        Files.write(p, bytes);
        AprException e = assertThrows(AprException.class, () -> SafeTensorsFile.open(p).close());
        assertEquals(code, e.code(), e.getMessage());
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        for (String f : fragments) assertTrue(e.getMessage().contains(f), e.getMessage());
        return e;
    }

    static final String OK = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]}}";

    @Test
    void truncatedAndAbsurdHeaderLengths() throws IOException {
        refused(new byte[5], "ST_TRUNCATED", "header length");
        byte[] b = file(OK, 12);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 100_000_001L);
        refused(b, "ST_HEADER_TOO_LARGE", "<= 100000000", "100000001");
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        refused(b, "ST_HEADER_TOO_LARGE", "18446744073709551615");
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, b.length);
        refused(b, "ST_TRUNCATED", "header length");
        refused(Arrays.copyOf(file(OK, 12), 8 + OK.length() + 11), "ST_BAD_LENGTH", "file size");
    }

    @Test
    void trailingBytesAreRefused() throws IOException {
        refused(file(OK, 13), "ST_BAD_LENGTH", "expected 128 bytes", "got 129 bytes");
    }

    @Test
    void gapsAndOverlaps() throws IOException {
        refused(file(OK.replace("[8,12]", "[9,13]"), 13), "ST_BAD_OFFSET", "tensor 'b'", "expected 8");
        refused(file(OK.replace("[8,12]", "[4,8]").replace("\"F16\"", "\"F16\""), 12), "ST_BAD_OFFSET", "tensor 'b'");
        refused(file(OK.replace("[0,8]", "[4,12]"), 12), "ST_BAD_OFFSET", "expected 0");
    }

    @Test
    void sizeMustMatchShapeAndDtype() throws IOException {
        refused(file(OK.replace("\"shape\":[2],\"data_offsets\":[0,8]", "\"shape\":[3],\"data_offsets\":[0,8]"), 12),
                "ST_BAD_SIZE", "tensor 'a'", "12 bytes");
        refused(file(OK.replace("[0,8]", "[8,0]"), 12), "ST_BAD_OFFSET", "begin <= end");
        refused(file(OK.replace("\"shape\":[2]", "\"shape\":[4611686018427387904, 4]"), 12), "ST_BAD_SHAPE");
        refused(file(OK.replace("\"shape\":[2]", "\"shape\":[-2]"), 12), "ST_BAD_HEADER", "non-negative");
    }

    @Test
    void unknownDtypeString() throws IOException {
        refused(file(OK.replace("\"F16\"", "\"f16\""), 12), "ST_BAD_DTYPE", "\"f16\"");
        refused(file(OK.replace("\"F16\"", "\"Q4_K\""), 12), "ST_BAD_DTYPE", "\"Q4_K\"");
    }

    @Test
    void duplicateKeysAreRefused() throws IOException {
        String dup = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]}}";
        refused(file(dup, 12), "BAD_JSON", "Duplicate field 'a'");
    }

    @Test
    void metadataMustBeStrings() throws IOException {
        refused(file("{\"__metadata__\":{\"format\":\"pt\",\"n\":1}," + OK.substring(1), 12), "ST_BAD_METADATA", "__metadata__.n", "a string");
        refused(file("{\"__metadata__\":[1]," + OK.substring(1), 12), "ST_BAD_METADATA", "__metadata__");
        Path p = dir.resolve("nullmd.safetensors");
        Files.write(p, file("{\"__metadata__\":null," + OK.substring(1), 12));
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertTrue(f.headerMetadata().isEmpty());
        }
    }

    @Test
    void badJsonAndBadUtf8() throws IOException {
        refused(file(OK.substring(0, OK.length() - 1), 12), "BAD_JSON", "header", "at byte");
        refused(file("[1,2]", 0), "BAD_JSON", "expected a JSON object");
        byte[] b = file(OK, 12);
        b[8 + 2] = (byte) 0xfe; // inside the name "a"
        refused(b, "BAD_UTF8", "invalid UTF-8 at byte 2");
    }

    @Test
    void shardIndexMayNotEscapeTheDirectory() throws IOException {
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\":{\"a\":\"../secret.safetensors\"}}");
        AprException e = assertThrows(AprException.class, () -> SafeTensorsFile.open(dir));
        assertEquals("ST_BAD_INDEX", e.code());
        assertTrue(e.getMessage().contains("../secret.safetensors"), e.getMessage());
    }

    @Test
    void missingShardAndUnlistedTensor() throws IOException {
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\":{\"a\":\"s1.safetensors\"}}");
        AprException e = assertThrows(AprException.class, () -> SafeTensorsFile.open(dir));
        assertEquals("ST_MISSING_SHARD", e.code());
        Files.write(dir.resolve("s1.safetensors"), file(OK, 12));
        e = assertThrows(AprException.class, () -> SafeTensorsFile.open(dir));
        assertEquals("ST_INDEX_MISMATCH", e.code());
        assertTrue(e.getMessage().contains("weight_map['b']"), e.getMessage());
    }

    @Test
    void emptyDirectoryIsRefusedByName() {
        AprException e = assertThrows(AprException.class, () -> SafeTensorsFile.open(dir));
        assertEquals("ST_NO_WEIGHTS", e.code());
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
    }

    @Test
    void unknownFormatNamesTheFirstBytes() throws IOException {
        Path p = dir.resolve("x.bin");
        Files.write(p, new byte[] {1, 2, 3, (byte) 0xab, 5, 6, 7, 8, 9, 10});
        AprException e = assertThrows(AprException.class, () -> ModelFiles.open(p));
        assertEquals("UNKNOWN_FORMAT", e.code());
        assertTrue(e.getMessage().contains("01 02 03 ab 05 06 07 08"), e.getMessage());
    }

    @Test
    void randomMutationsOnlyEverGiveAprException() throws IOException {
        ByteArrayOutputStream base = new ByteArrayOutputStream();
        base.write(file(OK, 12));
        byte[] good = base.toByteArray();
        Random r = new Random(3);
        Path p = dir.resolve("fuzz.safetensors");
        int refusedCount = 0;
        for (int iter = 0; iter < 400; iter++) {
            byte[] b = good.clone();
            switch (r.nextInt(3)) {
                case 0 -> { for (int k = 0; k < 1 + r.nextInt(3); k++) b[r.nextInt(b.length)] = (byte) r.nextInt(256); }
                case 1 -> b = Arrays.copyOf(b, r.nextInt(b.length + 4));
                default -> ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, r.nextBoolean() ? r.nextLong() : r.nextInt(200));
            }
            Files.write(p, b);
            try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
                assertTrue(f.tensors().size() <= 2);
            } catch (AprException e) {
                refusedCount++;
                assertEquals(2, e.exitCode());
                assertFalse(e.getMessage().contains("\n"));
            }
        }
        assertTrue(refusedCount > 200, "refused " + refusedCount);
    }
}
