package dev.apr.format.io;

import dev.apr.format.AprException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A whole file memory-mapped read-only through FFM. Works for files of any size (a
 * MemorySegment is long-indexed, unlike a ByteBuffer). The mapping lives in a shared arena, so
 * any thread may read it; {@link #close()} unmaps it, after which every slice is invalid.
 */
public final class Mapped implements AutoCloseable {
    private final Path path;
    private final Arena arena;
    private final MemorySegment segment;

    private Mapped(Path path, Arena arena, MemorySegment segment) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
    }

    public static Mapped open(Path path) {
        if (Files.isDirectory(path))
            throw AprException.badInput("NOT_A_FILE", path + ": expected a file, got a directory");
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            Arena arena = Arena.ofShared();
            try {
                // an empty file cannot be mapped on every platform; an empty heap segment reads the same
                MemorySegment seg = size == 0 ? MemorySegment.ofArray(new byte[0])
                        : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                return new Mapped(path, arena, seg);
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        } catch (NoSuchFileException e) {
            throw AprException.badInput("FILE_NOT_FOUND", path + ": no such file");
        } catch (AccessDeniedException e) {
            throw AprException.badInput("FILE_UNREADABLE", path + ": permission denied");
        } catch (IOException e) {
            throw new AprException("IO_ERROR", AprException.BAD_INPUT, path + ": cannot map file: " + e.getMessage(), e);
        }
    }

    public Path path() { return path; }

    public MemorySegment segment() { return segment; }

    public long size() { return segment.byteSize(); }

    @Override public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
