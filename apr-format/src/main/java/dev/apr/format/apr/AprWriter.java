package dev.apr.format.apr;

import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.Json;
import dev.apr.format.Tensor;
import dev.apr.format.TensorBytes;
import dev.apr.format.io.AtomicWrite;
import dev.apr.format.io.ByteSink;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.apr.format.apr.AprFormat.*;

/**
 * The one writer of APR v2 files (specs/apr-v2.md), builder style:
 * <pre>{@code
 * new AprWriter().metadata(md).flag("HAS_VOCAB")
 *     .tensor("model.norm.weight", DType.F32, new long[] {64}, segment)
 *     .write(path);
 * }</pre>
 *
 * <p>Deterministic: the same metadata, flags and tensors give the same bytes whatever order
 * they were added in (typed keys first in spec order, then custom keys sorted, nested objects
 * sorted; the index sorted byte-wise by name). {@code total_size} and {@code param_count} are
 * always computed from the tensors; {@code model_type} defaults to {@code architecture} (else
 * ""); {@code license}, {@code data_source}, {@code data_license} are written as null when
 * unset. LAYOUT_ROW_MAJOR is always set. Tensor bytes are streamed to a temporary file next to
 * the target (never the whole file in the heap), which is fsynced and renamed into place.
 */
public final class AprWriter {
    private final Map<String, Object> metadata = new LinkedHashMap<>();
    private int flags = AprFlags.LAYOUT_ROW_MAJOR;
    private final List<Entry> tensors = new ArrayList<>();

    private record Entry(String name, byte[] nameBytes, DType dtype, int code, long[] shape, long size, TensorBytes bytes) {}

    /** Adds (replacing same-named) metadata keys. */
    public AprWriter metadata(Map<String, ?> md) {
        metadata.putAll(md);
        return this;
    }

    public AprWriter put(String key, Object value) {
        metadata.put(key, value);
        return this;
    }

    public AprWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    /** Sets a flag by name (e.g. "HAS_VOCAB"). */
    public AprWriter flag(String name) { return flag(AprFlags.bit(name)); }

    public AprWriter flag(int bits) {
        if ((bits & AprFlags.UNREADABLE) != 0)
            throw new IllegalArgumentException("APR writer: flags " + AprFlags.names(bits & AprFlags.UNREADABLE)
                    + " describe encodings apr never writes");
        flags |= bits;
        return this;
    }

    /** Replaces all flags (LAYOUT_ROW_MAJOR is still forced on). */
    public AprWriter flags(int bits) {
        flags = AprFlags.LAYOUT_ROW_MAJOR;
        return flag(bits);
    }

    public AprWriter tensor(String name, DType dtype, long[] shape, MemorySegment data) {
        return tensor(name, dtype, shape, data.byteSize(), out -> out.write(data));
    }

    public AprWriter tensor(String name, DType dtype, long[] shape, byte[] data) {
        return tensor(name, dtype, shape, data.length, out -> out.write(data));
    }

    /** An F32 tensor from floats. */
    public AprWriter tensor(String name, long[] shape, float[] data) {
        return tensor(name, DType.F32, shape, data.length * 4L, out -> {
            ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : data) {
                if (!b.hasRemaining()) { b.flip(); out.write(b); b.clear(); }
                b.putFloat(f);
            }
            b.flip();
            out.write(b);
        });
    }

    public AprWriter tensor(Tensor t) { return tensor(t.name(), t.dtype(), t.shape(), t.data()); }

    /** A tensor of another APR file exactly as stored there, its dtype code included (legacy 8/9 stay 8/9). */
    public AprWriter copy(AprFile src, Tensor t) {
        MemorySegment data = t.data();
        return add(t.name(), t.dtype(), src.storedCode(t.name()), t.shape(), data.byteSize(), out -> out.write(data));
    }

    /** A tensor whose {@code size} bytes are produced while the file is written. */
    public AprWriter tensor(String name, DType dtype, long[] shape, long size, TensorBytes bytes) {
        return add(name, dtype, dtype.aprCode, shape, size, bytes);
    }

    private AprWriter add(String name, DType dtype, int code, long[] shape, long size, TensorBytes bytes) {
        byte[] nb = name.getBytes(StandardCharsets.UTF_8);
        if (nb.length == 0 || nb.length > MAX_NAME_LEN)
            throw new IllegalArgumentException("APR writer: tensor name must be 1.." + MAX_NAME_LEN + " UTF-8 bytes: '" + name + "'");
        if (dtype.aprCode < 0) throw new IllegalArgumentException("APR writer: " + dtype + " cannot be stored in APR (tensor " + name + ")");
        if (shape.length > MAX_NDIM) throw new IllegalArgumentException("APR writer: tensor " + name + " has " + shape.length + " dims, max " + MAX_NDIM);
        long expected = AprFormat.tensorBytes(dtype, shape);
        if (expected != size)
            throw new IllegalArgumentException("APR writer: tensor " + name + " " + dtype + " " + Arrays.toString(shape)
                    + " needs " + expected + " bytes, got " + size);
        for (Entry e : tensors)
            if (e.name.equals(name)) throw new IllegalArgumentException("APR writer: tensor " + name + " added twice");
        tensors.add(new Entry(name, nb, dtype, code, shape.clone(), size, bytes));
        return this;
    }

    /** The metadata JSON bytes exactly as {@link #write} stores them. */
    public byte[] metadataJson() {
        return Json.compact(finalMetadata());
    }

    /** Writes the file atomically. */
    public void write(Path path) {
        List<Entry> sorted = new ArrayList<>(tensors);
        sorted.sort((a, b) -> Arrays.compareUnsigned(a.nameBytes, b.nameBytes));
        byte[] json = metadataJson();
        if (json.length > MAX_METADATA_SIZE)
            throw AprException.badInput("APR_METADATA_TOO_LARGE", path + ": metadata: expected <= " + MAX_METADATA_SIZE
                    + " bytes (16 MiB) of JSON, got " + json.length);

        // layout first: every offset is known before a byte is written, so one pass suffices
        byte[] index = indexBytes(sorted);
        long indexOffset = HEADER_SIZE + align(json.length);
        long dataOffset = Math.addExact(indexOffset, align(index.length));
        long[] offsets = new long[sorted.size()];
        long off = 0;
        for (int i = 0; i < sorted.size(); i++) {
            offsets[i] = off;
            off = Math.addExact(off, align(sorted.get(i).size));
        }
        byte[] indexWithOffsets = indexBytes(sorted, offsets);
        byte[] header = header(sorted.size(), json.length, indexOffset, dataOffset);

        AtomicWrite.write(path, ch -> {
            ByteSink out = new ByteSink(ch);
            out.write(header);
            out.write(json);
            out.writeZeros(align(json.length) - json.length);
            out.write(indexWithOffsets);
            out.writeZeros(align(indexWithOffsets.length) - indexWithOffsets.length);
            for (Entry e : sorted) {
                long start = out.position();
                e.bytes.writeTo(out);
                long written = out.position() - start;
                if (written != e.size)
                    throw new IllegalStateException("APR writer: tensor " + e.name + " produced " + written + " bytes, declared " + e.size);
                out.writeZeros(align(e.size) - e.size);
            }
            int crc = out.crc();
            out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, crc));
            out.flush();
        });
    }

    private byte[] header(int count, int metadataSize, long indexOffset, long dataOffset) {
        ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        h.put(MAGIC);
        h.put((byte) VERSION_MAJOR).put((byte) VERSION_MINOR);
        h.putShort((short) flags);
        h.putInt(count);
        h.putLong(HEADER_SIZE);
        h.putInt(metadataSize);
        h.putLong(indexOffset);
        h.putLong(dataOffset);
        byte[] b = h.array();
        int crc = AprFile.headerCrc(b);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(40, crc);
        return b;
    }

    private static byte[] indexBytes(List<Entry> sorted) { return indexBytes(sorted, new long[sorted.size()]); }

    private static byte[] indexBytes(List<Entry> sorted, long[] offsets) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(2 + MAX_NAME_LEN + 2 + 8 * MAX_NDIM + 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < sorted.size(); i++) {
            Entry e = sorted.get(i);
            b.clear();
            b.putShort((short) e.nameBytes.length).put(e.nameBytes);
            b.put((byte) e.code).put((byte) e.shape.length);
            for (long d : e.shape) b.putLong(d);
            b.putLong(offsets[i]).putLong(e.size);
            bos.write(b.array(), 0, b.position());
        }
        return bos.toByteArray();
    }

    private static long align(long v) { return (v + ALIGN - 1) / ALIGN * ALIGN; }

    // ---- metadata ----------------------------------------------------------------------------

    /** The metadata as written: typed keys in spec order, required keys filled, the rest sorted. */
    Map<String, Object> finalMetadata() {
        Map<String, Object> md = new LinkedHashMap<>(metadata);
        long totalSize = 0, params = 0;
        for (Entry e : tensors) {
            totalSize = Math.addExact(totalSize, e.size);
            long n = 1;
            for (long d : e.shape) n = Math.multiplyExact(n, d);
            params = Math.addExact(params, n);
        }
        md.put("total_size", totalSize);
        md.put("param_count", params);
        if (md.get("model_type") == null)
            md.put("model_type", md.get("architecture") instanceof String a ? a : "");
        for (String k : ALWAYS_WRITTEN_NULLABLE) md.putIfAbsent(k, null);
        checkTypes(md);

        Map<String, Object> out = new LinkedHashMap<>();
        for (String k : TYPED_KEYS) if (md.containsKey(k)) out.put(k, canonical(md.get(k)));
        TreeMap<String, Object> rest = new TreeMap<>(Comparator.comparing((String s) -> s.getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned));
        for (Map.Entry<String, Object> e : md.entrySet())
            if (!TYPED_KEYS.contains(e.getKey())) rest.put(e.getKey(), canonical(e.getValue()));
        out.putAll(rest);
        return out;
    }

    /** Typed keys must have the types the Rust reader expects, or that reader fails on the file. */
    private static void checkTypes(Map<String, Object> md) {
        for (String k : STRING_KEYS) {
            Object v = md.get(k);
            if (v != null && !(v instanceof String)) throw badType(k, "a string", v);
        }
        if (!(md.get("model_type") instanceof String)) throw badType("model_type", "a string", md.get("model_type"));
        for (String k : UINT_KEYS) {
            Object v = md.get(k);
            if (v == null) continue;
            if (!(v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte || v instanceof BigInteger)
                    || ((Number) v).longValue() < 0)
                throw badType(k, "a non-negative integer", v);
        }
        for (String k : FLOAT_KEYS) {
            Object v = md.get(k);
            if (v != null && !(v instanceof Number)) throw badType(k, "a number", v);
        }
        for (String k : OBJECT_KEYS) {
            Object v = md.get(k);
            if (v != null && !(v instanceof Map)) throw badType(k, "an object", v);
        }
    }

    private static AprException badType(String key, String expected, Object v) {
        return AprException.badInput("APR_BAD_METADATA", "APR metadata: " + key + ": expected " + expected + ", got "
                + (v instanceof String s ? "\"" + s + "\"" : String.valueOf(v)));
    }

    /** Nested maps sorted by key so that equal content gives equal bytes. */
    private static Object canonical(Object v) {
        if (v instanceof Map<?, ?> m) {
            TreeMap<String, Object> t = new TreeMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) t.put(String.valueOf(e.getKey()), canonical(e.getValue()));
            return t;
        }
        if (v instanceof List<?> l) {
            boolean plain = true;
            for (Object o : l) if (o instanceof Map || o instanceof List) { plain = false; break; }
            if (plain) return l;
            List<Object> out = new ArrayList<>(l.size());
            for (Object o : l) out.add(canonical(o));
            return out;
        }
        return v;
    }
}
