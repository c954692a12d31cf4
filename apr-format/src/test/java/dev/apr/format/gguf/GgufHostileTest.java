package dev.apr.format.gguf;

import dev.apr.format.AprException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** Corrupt and hostile GGUF files are refused with a stable code and exit 2, before big allocations. */
class GgufHostileTest {
    @TempDir Path dir;

    private Path file(byte[] b) throws IOException {
        Path p = dir.resolve("t.gguf");
        Files.write(p, b);
        return p;
    }

    private AprException refused(byte[] b, String code) throws IOException {
        Path p = file(b);
        AprException e = assertThrows(AprException.class, () -> GgufFile.open(p).close());
        assertEquals(code, e.code(), e.getMessage());
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        return e;
    }

    /** A valid file: one UINT32 KV, two F32 tensors of 3 and 8 elements. */
    private static GgufBytes valid(Consumer<GgufBytes> kvs, int nKv) {
        GgufBytes g = new GgufBytes().header(2, 1 + nKv);
        g.str("general.architecture").u32(8).str("qwen2");
        kvs.accept(g);
        g.info("a", 0, 0, 3).info("b", 0, 32, 8).padTo(32);
        g.zeros(12).padTo(32).zeros(32);
        return g;
    }

    @Test void validFileOpens() throws IOException {
        try (GgufFile f = GgufFile.open(file(valid(g -> {}, 0).bytes()))) {
            assertEquals(2, f.tensors().size());
            assertEquals(12, f.tensor("a").byteSize());
            assertEquals(f.dataStart() + 32, f.tensor("b").data().address() - f.tensor("a").data().address() + f.dataStart());
        }
    }

    @Test void badMagicVersionAndCounts() throws IOException {
        byte[] b = valid(g -> {}, 0).bytes();
        b[0] = 'X';
        assertTrue(refused(b, "GGUF_BAD_MAGIC").getMessage().contains("magic"));
        refused(new GgufBytes().raw("GGUF".getBytes()).u32(1).u64(0).u64(0).bytes(), "GGUF_BAD_VERSION");
        refused(new GgufBytes().raw("GGUF".getBytes()).u32(4).u64(0).u64(0).bytes(), "GGUF_BAD_VERSION");
        AprException be = refused(new GgufBytes().raw("GGUF".getBytes()).u32(0x03000000).u64(0).u64(0).bytes(), "GGUF_BAD_VERSION");
        assertTrue(be.getMessage().contains("big-endian"));
        // a billion KVs in a 40-byte file: refused from the counts alone
        refused(new GgufBytes().header(0, 1_000_000_000L).zeros(16).bytes(), "GGUF_BAD_COUNT");
        refused(new GgufBytes().header(-1, 0).bytes(), "GGUF_BAD_COUNT");
        refused(new GgufBytes().header(Long.MAX_VALUE, 0).bytes(), "GGUF_BAD_COUNT");
        refused(new byte[10], "GGUF_TRUNCATED");
    }

    @Test void absurdStringAndArrayLengths() throws IOException {
        refused(new GgufBytes().header(0, 1).u64(Long.MAX_VALUE).zeros(8).bytes(), "GGUF_BAD_STRING");
        refused(new GgufBytes().header(0, 1).u64(1L << 40).zeros(8).bytes(), "GGUF_BAD_STRING");
        // an array claiming 2^40 UINT32 elements
        refused(new GgufBytes().header(0, 1).str("k").u32(9).u32(4).u64(1L << 40).zeros(16).bytes(), "GGUF_BAD_COUNT");
        // an array of strings claiming more strings than 8-byte lengths fit
        refused(new GgufBytes().header(0, 1).str("k").u32(9).u32(8).u64(3).zeros(16).bytes(), "GGUF_BAD_COUNT");
    }

    @Test void badKeysTypesAndUtf8() throws IOException {
        refused(new GgufBytes().header(0, 1).str("k").u32(13).zeros(8).bytes(), "GGUF_BAD_TYPE");
        refused(new GgufBytes().header(0, 1).str("k").u32(9).u32(99).u64(0).bytes(), "GGUF_BAD_TYPE");
        refused(new GgufBytes().header(0, 1).str("").u32(4).u32(1).bytes(), "GGUF_BAD_KEY");
        refused(new GgufBytes().header(0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(2).bytes(), "GGUF_DUPLICATE_KEY");
        byte[] badUtf8 = {(byte) 0xc3, (byte) 0x28};
        refused(new GgufBytes().header(0, 1).u64(2).raw(badUtf8).u32(4).u32(1).bytes(), "GGUF_BAD_UTF8");
        refused(new GgufBytes().header(0, 1).str("k").u32(8).u64(2).raw(badUtf8).bytes(), "GGUF_BAD_UTF8");
    }

    @Test void alignmentMustBeUint32PowerOfTwo() throws IOException {
        refused(valid(g -> g.str("general.alignment").u32(5).u32(32), 1).bytes(), "GGUF_BAD_ALIGNMENT");
        refused(valid(g -> g.str("general.alignment").u32(4).u32(48), 1).bytes(), "GGUF_BAD_ALIGNMENT");
        refused(valid(g -> g.str("general.alignment").u32(4).u32(0), 1).bytes(), "GGUF_BAD_ALIGNMENT");
    }

    @Test void tensorInfoChecks() throws IOException {
        // misaligned offset (running sum says 32)
        refused(new GgufBytes().header(2, 0).info("a", 0, 0, 3).info("b", 0, 12, 8).padTo(32).zeros(64).bytes(), "GGUF_BAD_OFFSET");
        // overlapping: both at 0
        AprException e = refused(new GgufBytes().header(2, 0).info("a", 0, 0, 3).info("b", 0, 0, 8).padTo(32).zeros(64).bytes(), "GGUF_BAD_OFFSET");
        assertTrue(e.getMessage().contains("tensor 'b': offset: expected 32"), e.getMessage());
        // a gap
        refused(new GgufBytes().header(2, 0).info("a", 0, 0, 3).info("b", 0, 64, 8).padTo(32).zeros(128).bytes(), "GGUF_BAD_OFFSET");
        // data past the end of the file
        refused(new GgufBytes().header(1, 0).info("a", 0, 0, 1024).padTo(32).zeros(64).bytes(), "GGUF_TRUNCATED");
        // removed (4) and unknown (99) type codes
        refused(new GgufBytes().header(1, 0).info("a", 4, 0, 32).padTo(32).zeros(64).bytes(), "GGUF_BAD_TENSOR_TYPE");
        refused(new GgufBytes().header(1, 0).info("a", 99, 0, 32).padTo(32).zeros(64).bytes(), "GGUF_BAD_TENSOR_TYPE");
        // Q4_K row of 896 is not whole blocks
        refused(new GgufBytes().header(1, 0).info("a", 12, 0, 896, 1).padTo(32).zeros(1024).bytes(), "GGUF_BAD_TENSOR");
        // 5 dims, negative dim, overflowing dims, a 64-byte name, a duplicate name
        refused(new GgufBytes().header(1, 0).info("a", 0, 0, 1, 1, 1, 1, 1).padTo(32).zeros(64).bytes(), "GGUF_BAD_TENSOR");
        refused(new GgufBytes().header(1, 0).info("a", 0, 0, -4).padTo(32).zeros(64).bytes(), "GGUF_BAD_TENSOR");
        refused(new GgufBytes().header(1, 0).info("a", 0, 0, 1L << 40, 1L << 40).padTo(32).zeros(64).bytes(), "GGUF_BAD_TENSOR");
        refused(new GgufBytes().header(1, 0).info("x".repeat(64), 0, 0, 8).padTo(32).zeros(64).bytes(), "GGUF_BAD_TENSOR");
        refused(new GgufBytes().header(2, 0).info("a", 0, 0, 8).info("a", 0, 32, 8).padTo(32).zeros(64).bytes(), "GGUF_DUPLICATE_TENSOR");
    }

    @Test void missingOrWronglyTypedKeysAreNamed() throws IOException {
        try (GgufFile f = GgufFile.open(file(valid(g -> g.str("qwen2.block_count").u32(5).u32(2), 1).bytes()))) {
            AprException e = assertThrows(AprException.class, () -> f.u32("qwen2.block_count"));
            assertEquals("GGUF_WRONG_TYPE", e.code());
            assertTrue(e.getMessage().contains("expected type UINT32, got INT32"), e.getMessage());
            assertEquals("GGUF_MISSING_KEY", assertThrows(AprException.class, () -> f.string("general.name")).code());
        }
    }
}
