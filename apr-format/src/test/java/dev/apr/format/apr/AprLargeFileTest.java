package dev.apr.format.apr;

import dev.apr.format.DType;
import dev.apr.format.io.Mapped;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** An APR file over 2 GiB (offsets, chunked writes and CRC past the int range). Writes ~2.2 GB: slow. */
@Tag("slow")
class AprLargeFileTest {
    @TempDir Path dir;

    @Test
    void writesAndReadsATensorLargerThanTwoGiB() throws IOException {
        long n = (1L << 31) + 64;                         // bytes of a U8 tensor
        Path src = dir.resolve("src.bin");
        try (RandomAccessFile f = new RandomAccessFile(src.toFile(), "rw")) {
            f.setLength(n);                               // sparse source
            f.seek(n - 1);
            f.write(0x5a);
        }
        Path p = dir.resolve("big.apr");
        try (Mapped m = Mapped.open(src)) {
            new AprWriter().tensor("small", new long[] {1}, new float[] {3f})
                    .tensor("big", DType.U8, new long[] {n}, m.segment()).write(p);
        }
        try (AprFile f = AprFile.open(p)) {
            assertTrue(f.fileSize() > n);
            assertEquals(n, f.tensor("big").byteSize());
            assertEquals(0x5a, f.tensor("big").data().get(ValueLayout.JAVA_BYTE, n - 1));
            assertEquals(3f, f.tensor("small").data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
        }
    }
}
