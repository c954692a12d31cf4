package dev.apr.format.apr;

import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.ModelFiles;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.*;

/** Corrupt and hostile APR files: each refused with one AprException (exit 2) naming the file and field. */
class AprHostileTest {
    @TempDir Path dir;
    byte[] good;
    int mdSize;
    long indexOff, dataOff;

    @BeforeEach
    void makeGoodFile() throws IOException {
        Path p = dir.resolve("good.apr");
        new AprWriter().put("architecture", "llama").put("hidden_size", 2)
                .tensor("a", new long[] {2}, new float[] {1, 2})
                .tensor("b", DType.F16, new long[] {2, 2}, new byte[8])
                .tensor("c", DType.I8, new long[] {3}, new byte[] {1, 2, 3})
                .write(p);
        good = Files.readAllBytes(p);
        ByteBuffer bb = le(good);
        mdSize = bb.getInt(20);
        indexOff = bb.getLong(24);
        dataOff = bb.getLong(32);
    }

    static ByteBuffer le(byte[] b) { return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN); }

    /** Recomputes both CRCs so that a structural check, not the checksum, is what trips. */
    static byte[] fixCrcs(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b, 0, 40);
        c.update(b, 44, 20);
        le(b).putInt(40, (int) c.getValue());
        CRC32 f = new CRC32();
        f.update(b, 0, b.length - 4);
        le(b).putInt(b.length - 4, (int) f.getValue());
        return b;
    }

    AprException refused(byte[] bytes, String code, String... fragments) throws IOException {
        Path p = dir.resolve("bad.apr");
        Files.write(p, bytes);
        AprException e = assertThrows(AprException.class, () -> AprFile.open(p).close());
        assertEquals(code, e.code(), e.getMessage());
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
        for (String f : fragments) assertTrue(e.getMessage().contains(f), e.getMessage());
        return e;
    }

    @Test
    void truncatedAtEverySectionBoundary() throws IOException {
        long[] cuts = {0, 3, 4, 40, 63, 64, 67, 64 + mdSize / 2, 64 + mdSize, indexOff, indexOff + 10, dataOff,
                dataOff + 4, good.length - 4, good.length - 1};
        for (long cut : cuts) {
            Path p = dir.resolve("cut" + cut + ".apr");
            Files.write(p, Arrays.copyOf(good, (int) cut));
            AprException e = assertThrows(AprException.class, () -> AprFile.open(p).close(), "cut at " + cut);
            assertEquals(2, e.exitCode());
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
            assertTrue(Arrays.asList("APR_TRUNCATED", "APR_BAD_OFFSET", "APR_BAD_CHECKSUM", "APR_BAD_MAGIC").contains(e.code()),
                    "cut " + cut + ": " + e.code() + " " + e.getMessage());
        }
    }

    @Test
    void badMagic() throws IOException {
        byte[] b = good.clone();
        b[0] = 'X';
        refused(b, "APR_BAD_MAGIC", "magic", "58 50 52 00");
    }

    @Test
    void v1MagicIsRecognisedAndRefused() throws IOException {
        byte[] b = good.clone();
        b[3] = 'N';
        refused(b, "APR_V1_UNSUPPORTED", "APRN", "v1");
        Path p = dir.resolve("bad.apr");
        AprException e = assertThrows(AprException.class, () -> ModelFiles.open(p));
        assertEquals("APR_V1_UNSUPPORTED", e.code());
    }

    @Test
    void badHeaderChecksum() throws IOException {
        byte[] b = good.clone();
        b[41] ^= 1;
        refused(b, "APR_BAD_CHECKSUM", "header CRC-32");
    }

    @Test
    void badFooterChecksum() throws IOException {
        byte[] b = good.clone();
        b[(int) dataOff] ^= 1; // tensor byte changed, CRC not updated
        refused(b, "APR_BAD_CHECKSUM", "footer CRC-32");
        Path p = dir.resolve("bad.apr");
        try (AprFile f = AprFile.open(p, false)) {
            assertFalse(f.footerChecksumValid());
        }
    }

    @Test
    void wrongVersion() throws IOException {
        byte[] b = good.clone();
        b[4] = 3;
        refused(fixCrcs(b), "APR_BAD_VERSION", "expected 2.x, got 3.0");
    }

    @Test
    void columnMajorIsForbidden() throws IOException {
        byte[] b = good.clone();
        le(b).putShort(6, (short) AprFlags.LAYOUT_COLUMN_MAJOR);
        refused(fixCrcs(b), "APR_COLUMN_MAJOR", "LAYOUT_COLUMN_MAJOR");
    }

    @Test
    void compressedFlagIsRefused() throws IOException {
        byte[] b = good.clone();
        le(b).putShort(6, (short) (AprFlags.LZ4_COMPRESSED | AprFlags.LAYOUT_ROW_MAJOR));
        refused(fixCrcs(b), "APR_UNSUPPORTED_FLAGS", "LZ4_COMPRESSED");
    }

    @Test
    void offsetsPastTheEnd() throws IOException {
        byte[] b = good.clone();
        le(b).putLong(32, 1L << 40);
        refused(fixCrcs(b), "APR_BAD_OFFSET", "data_offset", "1099511627776");
        b = good.clone();
        le(b).putLong(24, -1L); // u64 max
        refused(fixCrcs(b), "APR_BAD_OFFSET", "tensor_index_offset", "18446744073709551615");
        b = good.clone();
        le(b).putLong(12, 128);
        refused(fixCrcs(b), "APR_BAD_OFFSET", "metadata_offset");
    }

    @Test
    void absurdMetadataSize() throws IOException {
        byte[] b = good.clone();
        le(b).putInt(20, 0x7fffffff);
        refused(fixCrcs(b), "APR_BAD_SIZE", "metadata_size", "16 MiB");
        b = good.clone();
        le(b).putInt(20, (int) (good.length));
        refused(fixCrcs(b), "APR_TRUNCATED", "metadata_size");
    }

    @Test
    void absurdTensorCount() throws IOException {
        byte[] b = good.clone();
        le(b).putInt(8, -1); // 4294967295 entries: refused before any list is sized by it
        refused(fixCrcs(b), "APR_BAD_COUNT", "tensor_count", "4294967295");
    }

    @Test
    void absurdNameLengthAndNdim() throws IOException {
        byte[] b = good.clone();
        le(b).putShort((int) indexOff, (short) 300);
        refused(fixCrcs(b), "APR_BAD_INDEX", "name_len", "<= 256", "300");
        b = good.clone();
        b[(int) indexOff + 2 + 1 + 1] = 9; // entry "a": ndim byte
        refused(fixCrcs(b), "APR_BAD_INDEX", "ndim", "<= 8");
    }

    @Test
    void absurdDims() throws IOException {
        byte[] b = good.clone();
        le(b).putLong((int) indexOff + 2 + 1 + 2, 1L << 40); // dim 0 of "a"
        refused(fixCrcs(b), "APR_BAD_SIZE", "tensor 'a' size", "4398046511104 bytes for F32");
        b = good.clone();
        le(b).putLong((int) indexOff + 2 + 1 + 2, 1L << 62); // 2^62 floats: byte count overflows
        refused(fixCrcs(b), "APR_BAD_SHAPE", "4611686018427387904");
        b = good.clone();
        le(b).putLong((int) indexOff + 2 + 1 + 2, -1L);
        refused(fixCrcs(b), "APR_BAD_SHAPE", "18446744073709551615");
    }

    @Test
    void unknownDtype() throws IOException {
        byte[] b = good.clone();
        b[(int) indexOff + 2 + 1] = 2; // code 2 is not an APR dtype
        refused(fixCrcs(b), "APR_BAD_DTYPE", "tensor 'a' dtype", "got 2");
    }

    @Test
    void legacyQuantCodesAreRead() throws IOException {
        byte[] b = good.clone();
        int e3 = (int) indexOff + (2 + 1 + 2 + 8 + 16) + (2 + 1 + 2 + 16 + 16); // entry "c": I8 [3], 3 bytes
        assertEquals('c', b[e3 + 2]);
        b[e3 + 3] = 9;                      // legacy APR_Q8: 4 + 3 bytes expected
        le(b).putLong(e3 + 5, 3);           // dims unchanged
        le(b).putLong(e3 + 5 + 8 + 8, 7);   // size 7
        Path p = dir.resolve("q8.apr");
        Files.write(p, fixCrcs(b));
        try (AprFile f = AprFile.open(p)) {
            assertEquals(DType.APR_Q8, f.tensor("c").dtype());
        }
    }

    @Test
    void unsortedIndex() throws IOException {
        byte[] b = good.clone();
        b[(int) indexOff + 2] = 'z'; // "a" renamed "z", now before "b"
        refused(fixCrcs(b), "APR_UNSORTED_INDEX", "'b' after 'z'");
    }

    @Test
    void duplicateNames() throws IOException {
        byte[] b = good.clone();
        int e2 = (int) indexOff + (2 + 1 + 2 + 8 + 16);
        b[e2 + 2] = 'a';
        refused(fixCrcs(b), "APR_DUPLICATE_TENSOR", "tensor 'a'");
    }

    @Test
    void overlappingTensors() throws IOException {
        byte[] b = good.clone();
        int e2 = (int) indexOff + (2 + 1 + 2 + 8 + 16);
        le(b).putLong(e2 + 2 + 1 + 2 + 16, 4); // "b" now starts inside "a"
        refused(fixCrcs(b), "APR_OVERLAP", "tensor 'b' offset", "end of 'a'");
    }

    @Test
    void tensorPastTheDataSection() throws IOException {
        byte[] b = good.clone();
        le(b).putLong((int) indexOff + 2 + 1 + 2 + 8, 1L << 50);
        refused(fixCrcs(b), "APR_BAD_OFFSET", "tensor 'a' offset+size");
    }

    @Test
    void badJsonMetadata() throws IOException {
        byte[] b = good.clone();
        b[64] = '[';
        refused(fixCrcs(b), "BAD_JSON", "metadata", "at byte");
        b = good.clone();
        b[64 + mdSize - 1] = ',';
        refused(fixCrcs(b), "BAD_JSON", "metadata");
    }

    @Test
    void badUtf8InMetadata() throws IOException {
        byte[] b = good.clone();
        String json = new String(b, 64, mdSize, StandardCharsets.UTF_8);
        int at = json.indexOf("llama");
        b[64 + at] = (byte) 0xff;
        refused(fixCrcs(b), "BAD_UTF8", "invalid UTF-8 at byte " + at);
    }

    @Test
    void badUtf8InTensorName() throws IOException {
        byte[] b = good.clone();
        b[(int) indexOff + 2] = (byte) 0xc3; // a lone lead byte
        refused(fixCrcs(b), "BAD_UTF8", "tensor index entry 0 name");
    }

    @Test
    void randomMutationsOnlyEverGiveAprException() throws IOException {
        Random r = new Random(42);
        Path p = dir.resolve("fuzz.apr");
        int refusedCount = 0;
        for (int iter = 0; iter < 400; iter++) {
            byte[] b = good.clone();
            int kind = r.nextInt(4);
            if (kind == 0) {                         // flip a few bytes
                for (int k = 0; k < 1 + r.nextInt(4); k++) b[r.nextInt(b.length)] ^= (byte) (1 + r.nextInt(255));
            } else if (kind == 1) {                  // write a random u64 somewhere in the header or index
                int at = r.nextInt((int) dataOff - 8);
                le(b).putLong(at, r.nextBoolean() ? r.nextLong() : r.nextInt(1 << 20));
            } else if (kind == 2) {                  // truncate
                b = Arrays.copyOf(b, r.nextInt(b.length));
            } else {                                 // set one byte to an extreme
                b[r.nextInt(b.length)] = r.nextBoolean() ? (byte) 0xff : 0;
            }
            if (r.nextBoolean() && b.length >= 68) fixCrcs(b);
            Files.write(p, b);
            try (AprFile f = AprFile.open(p)) {
                assertEquals(3, f.tensors().size()); // a harmless mutation (e.g. inside padding)
            } catch (AprException e) {
                refusedCount++;
                assertEquals(2, e.exitCode(), e.getMessage());
                assertFalse(e.getMessage().contains("\n"));
            }
        }
        assertTrue(refusedCount > 300, "most mutations are caught: " + refusedCount);
    }
}
