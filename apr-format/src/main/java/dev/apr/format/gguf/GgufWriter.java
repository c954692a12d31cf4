package dev.apr.format.gguf;

import dev.apr.format.AprException;
import dev.apr.format.DType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes GGUF v3 exactly as llama.cpp reads it (specs/gguf-safetensors.md §1, checklist §9):
 * header (magic, version 3, n_tensors, n_kv), the key/values with the exact types the caller
 * gives, the tensor infos ({@code ne} = row-major shape reversed, offsets = running sum of
 * {@code PAD(nbytes, A)}), zero padding to the alignment, then each tensor's bytes followed by
 * zero padding to the alignment.
 *
 * <p>Tensor bytes are streamed: each tensor is produced by its {@link Source} while the file is
 * written, so a model bigger than the heap can be exported. The file is written to a temporary
 * name in the target directory, fsynced, then renamed over the target: never half-written.
 */
public final class GgufWriter {

    /** Produces a tensor's bytes, in order; it must write exactly {@code nbytes}. */
    @FunctionalInterface
    public interface Source {
        void writeTo(Sink sink) throws IOException;
    }

    /** Where a {@link Source} writes its bytes. */
    public interface Sink {
        void write(byte[] b, int off, int len) throws IOException;

        void write(MemorySegment s) throws IOException;
    }

    private record Kv(String key, GgufValueType type, GgufValueType elementType, Object value) {}

    private record PendingTensor(String name, DType type, long[] ne, long nbytes, Source source) {}

    private final int alignment;
    private final Map<String, Kv> kvs = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    /** A writer with llama.cpp's default alignment of 32 ({@code general.alignment} not written). */
    public GgufWriter() { this(GgufFile.DEFAULT_ALIGNMENT); }

    /** A writer with another power-of-two alignment, recorded as {@code general.alignment} (UINT32). */
    public GgufWriter(int alignment) {
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0)
            throw new IllegalArgumentException("alignment must be a power of 2, got " + alignment);
        this.alignment = alignment;
        if (alignment != GgufFile.DEFAULT_ALIGNMENT) put("general.alignment", GgufValueType.UINT32, (long) alignment);
    }

    // ---- key/values ---------------------------------------------------------------------------

    public GgufWriter putString(String key, String v) { return put(key, GgufValueType.STRING, v); }

    public GgufWriter putU32(String key, long v) {
        if (v < 0 || v > 0xffffffffL) throw new IllegalArgumentException(key + ": " + v + " does not fit UINT32");
        return put(key, GgufValueType.UINT32, v);
    }

    public GgufWriter putI32(String key, int v) { return put(key, GgufValueType.INT32, v); }

    public GgufWriter putF32(String key, float v) { return put(key, GgufValueType.FLOAT32, v); }

    public GgufWriter putBool(String key, boolean v) { return put(key, GgufValueType.BOOL, v); }

    /** A scalar of any type; the Java value must be a Number, Boolean or String as fits the type. */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        if (type == GgufValueType.ARRAY) throw new IllegalArgumentException("use putArray for arrays");
        checkKey(key, type);
        kvs.put(key, new Kv(key, type, null, value));
        return this;
    }

    /** An array of scalars ({@code elementType} is never ARRAY here: llama.cpp refuses nested arrays). */
    public GgufWriter putArray(String key, GgufValueType elementType, List<?> values) {
        if (elementType == GgufValueType.ARRAY) throw new IllegalArgumentException("nested arrays are not written (llama.cpp refuses them)");
        checkKey(key, GgufValueType.ARRAY);
        kvs.put(key, new Kv(key, GgufValueType.ARRAY, elementType, List.copyOf(values)));
        return this;
    }

    private void checkKey(String key, GgufValueType type) {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("empty GGUF key");
        if (kvs.containsKey(key)) throw new IllegalArgumentException("duplicate GGUF key " + key);
        if (key.equals("general.alignment") && type != GgufValueType.UINT32)
            throw new IllegalArgumentException("general.alignment must be UINT32 (llama.cpp aborts otherwise)");
    }

    // ---- tensors ------------------------------------------------------------------------------

    /**
     * Adds a tensor with its row-major shape ({@code [out, in]} for a linear weight); it is stored
     * with {@code ne} reversed. The row length must be a whole number of {@code type}'s blocks.
     */
    public GgufWriter addTensor(String name, DType type, long[] shape, Source source) {
        int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (name.isEmpty() || nameBytes >= GgufFile.MAX_NAME_BYTES)
            throw new IllegalArgumentException("tensor name must be 1.." + (GgufFile.MAX_NAME_BYTES - 1) + " bytes: " + name);
        if (!names.add(name)) throw new IllegalArgumentException("duplicate tensor " + name);
        if (type.ggmlCode < 0) throw new IllegalArgumentException(name + ": " + type + " has no GGML code");
        if (shape.length > GgufFile.MAX_DIMS) throw new IllegalArgumentException(name + ": more than 4 dims");
        long[] ne = new long[shape.length];
        for (int i = 0; i < shape.length; i++) ne[i] = shape[shape.length - 1 - i];
        long rowLen = ne.length == 0 ? 1 : ne[0];
        if (rowLen % type.blockSize != 0)
            throw AprException.badInput("GGUF_BAD_ROW_LENGTH", "tensor '" + name + "': ne[0]: expected a multiple of the "
                    + type + " block size " + type.blockSize + ", got " + rowLen);
        long elements = 1;
        for (long d : ne) elements = Math.multiplyExact(elements, d);
        tensors.add(new PendingTensor(name, type, ne, type.byteSize(elements), source));
        return this;
    }

    /** Convenience: a tensor whose bytes are already in memory (or mapped). */
    public GgufWriter addTensor(String name, DType type, long[] shape, MemorySegment bytes) {
        return addTensor(name, type, shape, sink -> sink.write(bytes));
    }

    // ---- output -------------------------------------------------------------------------------

    /** Writes the file atomically (temp file in the same directory, fsync, rename). Returns its size. */
    public long write(Path out) {
        Path dir = out.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + out.getFileName() + ".", ".tmp");
            long size;
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                size = writeTo(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            return size;
        } catch (IOException e) {
            throw new AprException("IO_ERROR", AprException.BAD_INPUT, out + ": cannot write: " + e.getMessage(), e);
        } finally {
            if (tmp != null) try { Files.deleteIfExists(tmp); } catch (IOException ignored) { }
        }
    }

    private long writeTo(FileChannel ch) throws IOException {
        Out o = new Out(ch);
        o.u32(GgufFile.MAGIC);
        o.u32(3);
        o.u64(tensors.size());
        o.u64(kvs.size());
        for (Kv kv : kvs.values()) {
            o.string(kv.key());
            o.u32(kv.type().code);
            if (kv.type() == GgufValueType.ARRAY) {
                List<?> list = (List<?>) kv.value();
                o.u32(kv.elementType().code);
                o.u64(list.size());
                for (Object e : list) o.scalar(kv.elementType(), e, kv.key());
            } else {
                o.scalar(kv.type(), kv.value(), kv.key());
            }
        }
        long offset = 0;
        for (PendingTensor t : tensors) {
            o.string(t.name());
            o.u32(t.ne().length);
            for (long d : t.ne()) o.u64(d);
            o.u32(t.type().ggmlCode);
            o.u64(offset);
            offset = GgufFile.pad(offset + t.nbytes(), alignment);
        }
        o.padTo(alignment);
        for (PendingTensor t : tensors) {
            long before = o.position();
            t.source().writeTo(o);
            long written = o.position() - before;
            if (written != t.nbytes())
                throw new IllegalStateException("tensor " + t.name() + ": source wrote " + written + " bytes, expected " + t.nbytes());
            o.padTo(alignment);
        }
        o.flush();
        return o.position();
    }

    /** A buffered little-endian writer over the channel that counts what it wrote. */
    private static final class Out implements Sink {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private final MemorySegment bufSeg = MemorySegment.ofBuffer(buf);   // the whole buffer (position is 0 here)
        private long flushed;

        Out(FileChannel ch) { this.ch = ch; }

        long position() { return flushed + buf.position(); }

        private void room(int n) throws IOException { if (buf.remaining() < n) flush(); }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) flushed += ch.write(buf);
            buf.clear();
        }

        void u8(int v) throws IOException { room(1); buf.put((byte) v); }
        void u16(int v) throws IOException { room(2); buf.putShort((short) v); }
        void u32(int v) throws IOException { room(4); buf.putInt(v); }
        void u64(long v) throws IOException { room(8); buf.putLong(v); }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            write(b, 0, b.length);
        }

        void padTo(long align) throws IOException {
            long p = position();
            long target = GgufFile.pad(p, align);
            for (long i = p; i < target; i++) u8(0);
        }

        void scalar(GgufValueType t, Object v, String key) throws IOException {
            try {
                switch (t) {
                    case UINT8, INT8 -> u8(((Number) v).intValue());
                    case UINT16, INT16 -> u16(((Number) v).intValue());
                    case UINT32, INT32 -> u32((int) ((Number) v).longValue());
                    case UINT64, INT64 -> u64(((Number) v).longValue());
                    case FLOAT32 -> { room(4); buf.putFloat(((Number) v).floatValue()); }
                    case FLOAT64 -> { room(8); buf.putDouble(((Number) v).doubleValue()); }
                    case BOOL -> u8(((Boolean) v) ? 1 : 0);
                    case STRING -> string((String) v);
                    case ARRAY -> throw new IllegalArgumentException("nested array");
                }
            } catch (ClassCastException | NullPointerException e) {
                throw new IllegalArgumentException("GGUF key " + key + ": value " + v + " does not fit type " + t, e);
            }
        }

        @Override public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                if (!buf.hasRemaining()) flush();
                int n = Math.min(len, buf.remaining());
                buf.put(b, off, n);
                off += n;
                len -= n;
            }
        }

        @Override public void write(MemorySegment s) throws IOException {
            long off = 0, len = s.byteSize();
            while (off < len) {
                if (!buf.hasRemaining()) flush();
                int n = (int) Math.min(len - off, buf.remaining());
                MemorySegment.copy(s, off, bufSeg, buf.position(), n);
                buf.position(buf.position() + n);
                off += n;
            }
        }
    }
}
