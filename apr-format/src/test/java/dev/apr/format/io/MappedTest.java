package dev.apr.format.io;

import dev.apr.format.AprException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class MappedTest {
    @TempDir Path dir;

    @Test
    void mapsFilesLargerThanTwoGiB() throws IOException {
        Path p = dir.resolve("sparse.bin");
        long size = 3L << 30; // sparse: costs no disk
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
            f.seek(size - 3);
            f.write(new byte[] {7, 8, 9});
            f.seek((5L << 29) + 1);
            f.write(42);
        }
        try (Mapped m = Mapped.open(p)) {
            assertEquals(size, m.size());
            assertEquals(9, m.segment().get(ValueLayout.JAVA_BYTE, size - 1));
            assertEquals(42, m.segment().get(ValueLayout.JAVA_BYTE, (5L << 29) + 1));
        }
    }

    @Test
    void closeUnmaps() throws IOException {
        Path p = dir.resolve("f.bin");
        Files.write(p, new byte[] {1, 2, 3});
        Mapped m = Mapped.open(p);
        var seg = m.segment();
        m.close();
        assertThrows(IllegalStateException.class, () -> seg.get(ValueLayout.JAVA_BYTE, 0));
        m.close(); // twice is harmless
    }

    @Test
    void missingFileAndEmptyFile() throws IOException {
        AprException e = assertThrows(AprException.class, () -> Mapped.open(dir.resolve("nope")));
        assertEquals("FILE_NOT_FOUND", e.code());
        assertEquals(2, e.exitCode());
        Path empty = dir.resolve("empty");
        Files.write(empty, new byte[0]);
        try (Mapped m = Mapped.open(empty)) {
            assertEquals(0, m.size());
        }
    }

    @Test
    void atomicWriteReplacesAndLeavesNoTemporaryFile() throws IOException {
        Path p = dir.resolve("sub/out.txt");
        AtomicWrite.writeString(p, "one");
        AtomicWrite.writeString(p, "two");
        assertEquals("two", Files.readString(p));
        assertThrows(RuntimeException.class, () -> AtomicWrite.write(p, ch -> {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {1}));
            throw new IllegalStateException("boom");
        }));
        assertEquals("two", Files.readString(p), "a failed write leaves the old file");
        try (var s = Files.list(p.getParent())) {
            assertEquals(List.of(p), s.toList(), "no temporary file left behind");
        }
    }
}
