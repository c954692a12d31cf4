package dev.apr.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apr.format.AprException;
import dev.apr.format.DType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The only class of the trainer that touches the APR v2 byte layout (specs/apr-v2.md): writes a
 * checkpoint of fp32 tensors and reads an {@code --init} file.
 *
 * <p>TEMPORARY: a minimal APR v2 writer/reader kept here until the format module's
 * {@code dev.apr.format.apr.AprWriter} / {@code AprFile} land on main; then this class delegates to
 * them (one reader and one writer per format) and keeps only the float conversion.
 */
final class AprCheckpointFile {
    private AprCheckpointFile() {}

    private static final byte[] MAGIC = {'A', 'P', 'R', 0};
    private static final int FLAG_ROW_MAJOR = 0x0400, FLAG_COLUMN_MAJOR = 0x0800;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A tensor to write: fp32 values {@code src[offset .. offset+count)}. */
    record Out(String name, long[] shape, float[] src, int offset) {
        long count() { long n = 1; for (long d : shape) n *= d; return n; }
    }

    /** A tensor read from a file (dtype, shape, bytes mapped from the file). */
    record In(String name, DType dtype, long[] shape, MemorySegment data) {
        long count() { long n = 1; for (long d : shape) n *= d; return n; }
    }

    /** An opened APR file: metadata and tensors; close to unmap. */
    record Opened(Path path, Map<String, Object> metadata, Map<String, In> tensors, Arena arena) implements AutoCloseable {
        @Override public void close() { arena.close(); }
    }

    static long align64(long n) { return (n + 63) & ~63L; }

    // ---------------------------------------------------------------------------------------
    // write
    // ---------------------------------------------------------------------------------------

    /** Writes fp32 tensors + metadata to {@code path}: temp file in the same dir, fsync, rename. */
    static void write(Path path, Map<String, Object> metadata, List<Out> tensors) throws IOException {
        List<Out> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparing(o -> o.name().getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned));
        byte[] md = new ObjectMapper().writeValueAsBytes(metadata);

        ByteBuffer index = ByteBuffer.allocate(sorted.size() * (2 + 256 + 2 + 8 * 8 + 16)).order(ByteOrder.LITTLE_ENDIAN);
        long dataOff = 0;
        for (Out t : sorted) {
            byte[] name = t.name().getBytes(StandardCharsets.UTF_8);
            index.putShort((short) name.length).put(name).put((byte) DType.F32.aprCode).put((byte) t.shape().length);
            for (long d : t.shape()) index.putLong(d);
            index.putLong(dataOff).putLong(t.count() * 4);
            dataOff += align64(t.count() * 4);
        }
        int indexLen = index.position();
        long indexOffset = 64 + align64(md.length);
        long dataOffset = indexOffset + align64(indexLen);

        ByteBuffer header = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC).put((byte) 2).put((byte) 0).putShort((short) FLAG_ROW_MAJOR).putInt(sorted.size())
                .putLong(64).putInt(md.length).putLong(indexOffset).putLong(dataOffset);
        CRC32 hcrc = new CRC32();
        hcrc.update(header.array(), 0, 40);
        hcrc.update(header.array(), 44, 20);
        header.putInt(40, (int) hcrc.getValue());

        Files.createDirectories(path.toAbsolutePath().getParent());
        Path tmp = Files.createTempFile(path.toAbsolutePath().getParent(), "." + path.getFileName(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                CrcWriter w = new CrcWriter(ch);
                w.write(header.array(), 64);
                w.write(md, md.length);
                w.zeros(align64(md.length) - md.length);
                w.write(index.array(), indexLen);
                w.zeros(align64(indexLen) - indexLen);
                for (Out t : sorted) {
                    long n = t.count();
                    for (long i = 0; i < n; i++) w.putFloat(t.src()[(int) (t.offset() + i)]);
                    w.zeros(align64(n * 4) - n * 4);
                }
                w.flush();
                ByteBuffer footer = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) w.crc.getValue()).flip();
                while (footer.hasRemaining()) ch.write(footer);
                ch.force(true);
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Buffered little-endian writer that keeps a running CRC-32 of everything written. */
    private static final class CrcWriter {
        final FileChannel ch;
        final CRC32 crc = new CRC32();
        final ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);

        CrcWriter(FileChannel ch) { this.ch = ch; }

        void write(byte[] b, int len) throws IOException {
            for (int i = 0; i < len; ) {
                if (!buf.hasRemaining()) flush();
                int n = Math.min(len - i, buf.remaining());
                buf.put(b, i, n);
                i += n;
            }
        }

        void zeros(long n) throws IOException { for (long i = 0; i < n; i++) { if (!buf.hasRemaining()) flush(); buf.put((byte) 0); } }

        void putFloat(float f) throws IOException { if (buf.remaining() < 4) flush(); buf.putFloat(f); }

        void flush() throws IOException {
            buf.flip();
            crc.update(buf.duplicate());
            while (buf.hasRemaining()) ch.write(buf);
            buf.clear();
        }
    }

    // ---------------------------------------------------------------------------------------
    // read
    // ---------------------------------------------------------------------------------------

    /**
     * Opens and validates an APR v2 file: magic, version, header checksum, flags, every offset and
     * size against the file (checked arithmetic), index sorted and complete, footer CRC.
     * Errors: APR_MISSING, APR_UNREADABLE, APR_EMPTY, APR_TRUNCATED, APR_BAD_MAGIC, APR_V1,
     * APR_BAD_VERSION, APR_BAD_CHECKSUM, APR_BAD_FLAGS, APR_BAD_OFFSET, APR_BAD_INDEX, APR_BAD_METADATA.
     */
    static Opened open(Path path) {
        if (!Files.exists(path)) throw bad("APR_MISSING", path + ": no such file");
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) throw bad("APR_UNREADABLE", path + ": not a readable regular file");
        Arena arena = Arena.ofShared();
        try {
            MemorySegment f;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size == 0) throw bad("APR_EMPTY", path + ": file is empty (0 bytes); expected an APR v2 file");
                f = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            } catch (IOException e) {
                throw bad("APR_UNREADABLE", path + ": " + e);
            }
            long size = f.byteSize();
            if (size >= 4) {
                byte[] magic = f.asSlice(0, 4).toArray(ValueLayout.JAVA_BYTE);
                if (Arrays.equals(magic, new byte[] {'A', 'P', 'R', 'N'}))
                    throw bad("APR_V1", path + ": magic: expected \"APR\\0\" (APR v2), got \"APRN\" (the APR v1 classical-ML container, not a language model)");
                if (!Arrays.equals(magic, MAGIC))
                    throw bad("APR_BAD_MAGIC", path + ": magic: expected 41 50 52 00 (\"APR\\0\"), got " + hex(magic));
            }
            if (size < 64 + 4) throw bad("APR_TRUNCATED", path + ": size: expected at least 68 bytes (header + footer), got " + size);
            int major = f.get(ValueLayout.JAVA_BYTE, 4), minor = f.get(ValueLayout.JAVA_BYTE, 5);
            if (major != 2) throw bad("APR_BAD_VERSION", path + ": version: expected 2.x, got " + major + "." + minor);
            CRC32 hcrc = new CRC32();
            hcrc.update(f.asSlice(0, 40).asByteBuffer());
            hcrc.update(f.asSlice(44, 20).asByteBuffer());
            int stored = f.get(I32, 40);
            if (stored != (int) hcrc.getValue())
                throw bad("APR_BAD_CHECKSUM", path + ": header checksum: expected " + Integer.toHexString((int) hcrc.getValue())
                        + ", got " + Integer.toHexString(stored));
            int flags = f.get(I16, 6) & 0xffff;
            if ((flags & FLAG_COLUMN_MAJOR) != 0) throw bad("APR_BAD_FLAGS", path + ": flags: LAYOUT_COLUMN_MAJOR (0x0800) is forbidden");
            long count = f.get(I32, 8) & 0xffffffffL;
            long mdOff = f.get(I64, 12), mdSize = f.get(I32, 20) & 0xffffffffL;
            long idxOff = f.get(I64, 24), dataOff = f.get(I64, 32);
            long body = size - 4;
            if (mdOff != 64 || mdSize > 16 << 20 || mdOff + mdSize > body)
                throw bad("APR_TRUNCATED", path + ": metadata section [" + mdOff + ", +" + mdSize + "): expected inside the file of " + size + " bytes");
            if (idxOff < mdOff + mdSize || idxOff > body || dataOff < idxOff || dataOff > body)
                throw bad("APR_TRUNCATED", path + ": tensor_index_offset " + idxOff + " / data_offset " + dataOff
                        + ": expected ordered offsets inside the file of " + size + " bytes");
            Map<String, Object> metadata;
            try {
                @SuppressWarnings("unchecked") Map<String, Object> m = new ObjectMapper().readValue(
                        f.asSlice(mdOff, mdSize).toArray(ValueLayout.JAVA_BYTE), LinkedHashMap.class);
                metadata = m;
            } catch (IOException | ClassCastException e) {
                throw bad("APR_BAD_METADATA", path + ": metadata: expected a JSON object, got unparsable bytes (" + e.getMessage().lines().findFirst().orElse("") + ")");
            }
            if (metadata == null) throw bad("APR_BAD_METADATA", path + ": metadata: expected a JSON object, got null");

            Map<String, In> tensors = new LinkedHashMap<>();
            long p = idxOff;
            byte[] prev = null;
            for (long i = 0; i < count; i++) {
                if (p + 2 > dataOff) throw bad("APR_BAD_INDEX", path + ": tensor index entry " + i + ": runs past the index end " + dataOff);
                int nameLen = f.get(I16, p) & 0xffff;
                if (nameLen > 256 || p + 2 + nameLen + 2 > dataOff)
                    throw bad("APR_BAD_INDEX", path + ": tensor index entry " + i + ": name_len " + nameLen + " (max 256) or entry past the index end");
                byte[] name = f.asSlice(p + 2, nameLen).toArray(ValueLayout.JAVA_BYTE);
                p += 2 + nameLen;
                int dt = f.get(ValueLayout.JAVA_BYTE, p) & 0xff, ndim = f.get(ValueLayout.JAVA_BYTE, p + 1) & 0xff;
                p += 2;
                String n = new String(name, StandardCharsets.UTF_8);
                if (ndim > 8 || p + 8L * ndim + 16 > dataOff)
                    throw bad("APR_BAD_INDEX", path + ": tensor '" + n + "': ndim " + ndim + " (max 8) or entry past the index end");
                long[] shape = new long[ndim];
                long elems = 1;
                for (int d = 0; d < ndim; d++) {
                    shape[d] = f.get(I64, p + 8L * d);
                    if (shape[d] < 0) throw bad("APR_BAD_INDEX", path + ": tensor '" + n + "': dim " + d + " is negative: " + shape[d]);
                    elems = Math.multiplyHigh(elems, shape[d]) != 0 ? -1 : elems * shape[d];
                    if (elems < 0) throw bad("APR_BAD_INDEX", path + ": tensor '" + n + "': element count overflows");
                }
                p += 8L * ndim;
                long off = f.get(I64, p), sz = f.get(I64, p + 8);
                p += 16;
                DType dtype = DType.fromApr(dt);
                if (dtype == null) throw bad("APR_BAD_INDEX", path + ": tensor '" + n + "': dtype code " + dt + " is unknown");
                long expect = dtype.byteSize(elems);
                if (!dtype.isQuantized() && expect != sz)
                    throw bad("APR_BAD_INDEX", path + ": tensor '" + n + "': size: expected " + expect + " bytes for " + Arrays.toString(shape) + " " + dtype + ", got " + sz);
                if (off < 0 || sz < 0 || off > body - dataOff || sz > body - dataOff - off)
                    throw bad("APR_TRUNCATED", path + ": tensor '" + n + "': bytes [" + off + ", +" + sz + ") past the end of the data section");
                if (prev != null && Arrays.compareUnsigned(prev, name) >= 0)
                    throw bad("APR_BAD_INDEX", path + ": tensor index: expected names sorted and unique, got '" + n + "' after '"
                            + new String(prev, StandardCharsets.UTF_8) + "'");
                prev = name;
                tensors.put(n, new In(n, dtype, shape, f.asSlice(dataOff + off, sz)));
            }
            CRC32 fcrc = new CRC32();
            fcrc.update(f.asSlice(0, body).asByteBuffer());
            int footer = f.get(I32, body);
            if (footer != (int) fcrc.getValue())
                throw bad("APR_BAD_CHECKSUM", path + ": footer CRC-32: expected " + Integer.toHexString((int) fcrc.getValue())
                        + ", got " + Integer.toHexString(footer) + " (file truncated or corrupted)");

            return new Opened(path, metadata, tensors, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Reads a float tensor (F32, F16, BF16) into {@code dst} at {@code off}; other dtypes are refused. */
    static void readFloats(Path path, In t, float[] dst, int off) {
        long n = t.count();
        MemorySegment d = t.data();
        switch (t.dtype()) {
            case F32 -> MemorySegment.copy(d, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, dst, off, (int) n);
            case F16 -> { for (int i = 0; i < n; i++) dst[off + i] = Float.float16ToFloat(d.get(I16, 2L * i)); }
            case BF16 -> { for (int i = 0; i < n; i++) dst[off + i] = Float.intBitsToFloat((d.get(I16, 2L * i) & 0xffff) << 16); }
            default -> throw AprException.badInput("INIT_DTYPE", path + ": tensor '" + t.name() + "': dtype: expected F32, F16 or BF16 "
                    + "(training needs full-precision weights), got " + t.dtype());
        }
    }

    private static AprException bad(String code, String msg) { return AprException.badInput(code, msg); }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) s.append(String.format("%02x ", x & 0xff));
        return s.toString().trim();
    }
}
