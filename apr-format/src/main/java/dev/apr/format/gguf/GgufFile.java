package dev.apr.format.gguf;

import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.ModelFile;
import dev.apr.format.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one GGUF reader (specs/gguf-safetensors.md §1-2): versions 3 and 2, every metadata value type
 * (nested arrays included), tensor infos, {@code general.alignment}, and the tensor data mapped
 * from the file, never copied.
 *
 * <p>It makes the checks llama.cpp's {@code gguf.cpp} makes, so a file it accepts llama.cpp's
 * loader accepts too: duplicate or empty keys, unknown value or tensor types, alignment not a
 * UINT32 power of two, names of 64 bytes or more, more than 4 dims, negative dims, rows that are
 * not whole blocks, and tensor offsets that are not exactly the running sum of the padded sizes
 * (no gaps, overlaps or reordering), data past the end of the file. Every count and length is
 * checked against the bytes left in the file before anything is allocated for it.
 *
 * <p>Tensors are presented with row-major shapes (GGUF {@code ne} reversed: a linear weight is
 * {@code [out, in]}) under their GGUF names ({@code blk.0.attn_q.weight}); see {@link GgufNames}.
 */
public final class GgufFile implements ModelFile {
    /** "GGUF" read as a little-endian u32. */
    public static final int MAGIC = 0x46554747;
    public static final int DEFAULT_ALIGNMENT = 32;
    /** GGML_MAX_NAME: a tensor name must be shorter than this many bytes. */
    public static final int MAX_NAME_BYTES = 64;
    public static final int MAX_DIMS = 4;
    /** Nested arrays deeper than this are refused (llama.cpp refuses any nesting; gguf-py reads it). */
    static final int MAX_ARRAY_DEPTH = 4;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final long alignment;
    private final long dataStart;
    private final Map<String, Object> metadata;
    private final Map<String, GgufValueType> types;
    private final Map<String, GgufValueType> arrayTypes;
    private final List<GgufTensorInfo> infos;
    private final List<Tensor> tensors;
    private final Map<String, Tensor> byName;

    private GgufFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        Cursor c = new Cursor(file, path.toString());

        // ---- header: magic, version, tensor count, then KV count (in that order) ----
        if (file.byteSize() < 24) throw c.bad("GGUF_TRUNCATED", "header", "at least 24 bytes", file.byteSize() + " bytes");
        int magic = c.i32("magic");
        if (magic != MAGIC)
            throw c.bad("GGUF_BAD_MAGIC", "magic", "\"GGUF\" (47 47 55 46)", String.format("%08x", Integer.reverseBytes(magic)));
        int v = c.i32("version");
        if (v != 3 && v != 2) {
            String got = Integer.reverseBytes(v) == 3 || Integer.reverseBytes(v) == 2
                    ? v + " (a big-endian GGUF, not supported)" : String.valueOf(v);
            throw c.bad("GGUF_BAD_VERSION", "version", "3 (or 2)", got);
        }
        this.version = v;
        long nTensors = c.i64("n_tensors");
        long nKv = c.i64("n_kv");
        // each KV takes at least 8 (key length) + 1 (key) + 4 (type) + 1 (value) bytes, each
        // tensor info at least 8 + 1 + 4 + 4 + 8: refuse counts the file cannot possibly hold
        if (nTensors < 0 || nTensors > c.remaining() / 25)
            throw c.bad("GGUF_BAD_COUNT", "n_tensors", "0.." + c.remaining() / 25 + " (what the file can hold)", nTensors);
        if (nKv < 0 || nKv > c.remaining() / 14)
            throw c.bad("GGUF_BAD_COUNT", "n_kv", "0.." + c.remaining() / 14 + " (what the file can hold)", nKv);

        // ---- key/value section ----
        Map<String, Object> md = new LinkedHashMap<>();
        Map<String, GgufValueType> ty = new HashMap<>();
        Map<String, GgufValueType> aty = new HashMap<>();
        for (long i = 0; i < nKv; i++) {
            String key = c.string("key #" + i);
            if (key.isEmpty()) throw c.bad("GGUF_BAD_KEY", "key #" + i, "a non-empty key", "\"\"");
            if (md.containsKey(key)) throw c.bad("GGUF_DUPLICATE_KEY", "key '" + key + "'", "each key once", "a second copy");
            GgufValueType t = c.valueType("key '" + key + "': type");
            if (t == GgufValueType.ARRAY) {
                GgufValueType et = c.valueType("key '" + key + "': array element type");
                aty.put(key, et);
                md.put(key, c.array(et, "key '" + key + "'", 1));
            } else {
                md.put(key, c.scalar(t, "key '" + key + "'"));
            }
            ty.put(key, t);
        }
        this.metadata = Collections.unmodifiableMap(md);
        this.types = ty;
        this.arrayTypes = aty;

        // ---- alignment: strictly a UINT32 power of two (llama.cpp aborts on any other type) ----
        long align = DEFAULT_ALIGNMENT;
        if (md.containsKey("general.alignment")) {
            if (ty.get("general.alignment") != GgufValueType.UINT32)
                throw c.bad("GGUF_BAD_ALIGNMENT", "general.alignment", "type UINT32", ty.get("general.alignment")
                        + (aty.containsKey("general.alignment") ? " of " + aty.get("general.alignment") : ""));
            align = (Long) md.get("general.alignment");
            if (align == 0 || (align & (align - 1)) != 0)
                throw c.bad("GGUF_BAD_ALIGNMENT", "general.alignment", "a non-zero power of 2", align);
        }
        this.alignment = align;

        // ---- tensor infos ----
        if (nTensors > c.remaining() / 25)
            throw c.bad("GGUF_BAD_COUNT", "n_tensors", "0.." + c.remaining() / 25 + " (what the file can hold after the KVs)", nTensors);
        List<GgufTensorInfo> inf = new ArrayList<>();
        Map<String, GgufTensorInfo> seen = new HashMap<>();
        long expectedOffset = 0;
        for (long i = 0; i < nTensors; i++) {
            String name = c.string("tensor #" + i + " name");
            String field = "tensor '" + name + "'";
            int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
            if (nameBytes >= MAX_NAME_BYTES)
                throw c.bad("GGUF_BAD_TENSOR", field + ": name", "fewer than " + MAX_NAME_BYTES + " bytes", nameBytes + " bytes");
            if (seen.containsKey(name)) throw c.bad("GGUF_DUPLICATE_TENSOR", field, "each tensor name once", "a second copy");
            int nDims = c.i32(field + ": n_dims");
            if (nDims < 0 || nDims > MAX_DIMS) throw c.bad("GGUF_BAD_TENSOR", field + ": n_dims", "0.." + MAX_DIMS, Integer.toUnsignedString(nDims));
            long[] ne = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                ne[d] = c.i64(field + ": ne[" + d + "]");
                if (ne[d] < 0) throw c.bad("GGUF_BAD_TENSOR", field + ": ne[" + d + "]", ">= 0", ne[d]);
                try {
                    elements = Math.multiplyExact(elements, ne[d]);
                } catch (ArithmeticException e) {
                    throw c.bad("GGUF_BAD_TENSOR", field + ": element count", "a product of dims that fits in int64", java.util.Arrays.toString(ne));
                }
            }
            int code = c.i32(field + ": type");
            DType type = DType.fromGgml(code);
            if (type == null)
                throw c.bad("GGUF_BAD_TENSOR_TYPE", field + ": type", "a GGML type code of spec §2 (0-3, 6-30, 34, 35)", code);
            long rowLen = nDims == 0 ? 1 : ne[0];
            if (rowLen % type.blockSize != 0)
                throw c.bad("GGUF_BAD_TENSOR", field + ": ne[0]", "a multiple of the " + type + " block size " + type.blockSize, rowLen);
            long nbytes;
            try {
                nbytes = Math.multiplyExact(elements / type.blockSize, (long) type.blockBytes);
            } catch (ArithmeticException e) {
                throw c.bad("GGUF_BAD_TENSOR", field + ": byte size", "one that fits in int64", "overflow");
            }
            long offset = c.i64(field + ": offset");
            // llama.cpp: tensors are packed in info order, each starting at the running sum of
            // the previous padded sizes; any gap, overlap, reordering or misalignment fails
            if (offset != expectedOffset)
                throw c.bad("GGUF_BAD_OFFSET", field + ": offset", expectedOffset + " (packed in info order, aligned to "
                        + align + ")", Long.toUnsignedString(offset));
            expectedOffset = pad(Math.addExact(expectedOffset, nbytes), align);
            GgufTensorInfo ti = new GgufTensorInfo(name, type, ne, offset, nbytes);
            inf.add(ti);
            seen.put(name, ti);
        }
        this.infos = Collections.unmodifiableList(inf);

        // ---- data section: starts at the next multiple of the alignment ----
        long ds = pad(c.pos, align);
        this.dataStart = ds;
        List<Tensor> ts = new ArrayList<>(inf.size());
        Map<String, Tensor> bn = new LinkedHashMap<>();
        for (GgufTensorInfo ti : inf) {
            if (ds > file.byteSize() || ti.offset() + ti.nbytes() > file.byteSize() - ds)
                throw c.bad("GGUF_TRUNCATED", "tensor '" + ti.name() + "': data", "bytes " + (ds + ti.offset()) + ".."
                        + (ds + ti.offset() + ti.nbytes()) + " within the file", "a file of " + file.byteSize() + " bytes");
            Tensor t = new Tensor(ti.name(), ti.type(), ti.shape(), file.asSlice(ds + ti.offset(), ti.nbytes()));
            ts.add(t);
            bn.put(ti.name(), t);
        }
        this.tensors = Collections.unmodifiableList(ts);
        this.byName = bn;
    }

    /** Opens and validates a GGUF file; the tensors stay mapped until {@link #close()}. */
    public static GgufFile open(Path path) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment seg = map(path, arena);
            return new GgufFile(path, arena, seg);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    // TODO: switch to dev.apr.format.io.Mapped (branch fmt) once it is merged to main.
    private static MemorySegment map(Path path, Arena arena) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (java.nio.file.NoSuchFileException e) {
            throw AprException.badInput("FILE_NOT_FOUND", path + ": file not found");
        } catch (IOException e) {
            throw new AprException("IO_ERROR", AprException.BAD_INPUT, path + ": cannot read: " + e.getMessage(), e);
        }
    }

    static long pad(long x, long align) { return Math.addExact(x, align - 1) & -align; }

    // ---- ModelFile ----------------------------------------------------------------------------

    @Override public Path path() { return path; }

    @Override public String format() { return "GGUF"; }

    /**
     * Every key/value in file order. Values: UINT8/INT8/UINT16/INT16/INT32 as Integer; UINT32,
     * INT64 and UINT64 as Long (UINT64 above 2^63 as its two's-complement Long); FLOAT32 as Float;
     * FLOAT64 as Double; BOOL as Boolean; STRING as String; ARRAY as an unmodifiable List.
     */
    @Override public Map<String, Object> metadata() { return metadata; }

    @Override public List<Tensor> tensors() { return tensors; }

    @Override public Tensor tensor(String name) { return byName.get(name); }

    @Override public void close() { arena.close(); }

    // ---- GGUF specifics -----------------------------------------------------------------------

    public int version() { return version; }

    public long alignment() { return alignment; }

    /** File offset of the data section (tensor offsets are relative to it). */
    public long dataStart() { return dataStart; }

    public List<GgufTensorInfo> tensorInfos() { return infos; }

    /** The stored type of a key, or null when absent. */
    public GgufValueType type(String key) { return types.get(key); }

    /** The element type of an array key, or null when the key is absent or not an array. */
    public GgufValueType arrayType(String key) { return arrayTypes.get(key); }

    public boolean has(String key) { return metadata.containsKey(key); }

    /** {@code general.architecture}, required. */
    public String architecture() { return string("general.architecture"); }

    /** A required STRING key. */
    public String string(String key) {
        return (String) require(key, GgufValueType.STRING);
    }

    /** A required UINT32 key (llama.cpp reads counts, lengths and token ids as exactly UINT32). */
    public long u32(String key) {
        return (Long) require(key, GgufValueType.UINT32);
    }

    /** A required FLOAT32 key. */
    public float f32(String key) {
        return (Float) require(key, GgufValueType.FLOAT32);
    }

    /** A required BOOL key. */
    public boolean bool(String key) {
        return (Boolean) require(key, GgufValueType.BOOL);
    }

    /** A required ARRAY key whose elements have the given type. */
    @SuppressWarnings("unchecked")
    public <T> List<T> array(String key, GgufValueType elementType) {
        require(key, GgufValueType.ARRAY);
        if (arrayTypes.get(key) != elementType)
            throw AprException.badInput("GGUF_WRONG_TYPE", path + ": key '" + key + "': expected an array of "
                    + elementType + ", got an array of " + arrayTypes.get(key));
        return (List<T>) metadata.get(key);
    }

    private Object require(String key, GgufValueType t) {
        Object v = metadata.get(key);
        if (v == null) throw AprException.badInput("GGUF_MISSING_KEY", path + ": key '" + key + "': expected a " + t + ", got nothing (key missing)");
        if (types.get(key) != t)
            throw AprException.badInput("GGUF_WRONG_TYPE", path + ": key '" + key + "': expected type " + t + ", got " + types.get(key));
        return v;
    }

    // ---- the bounds-checked cursor every read goes through --------------------------------------

    private static final class Cursor {
        private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        final MemorySegment s;
        final String file;
        long pos;

        Cursor(MemorySegment s, String file) {
            this.s = s;
            this.file = file;
        }

        long remaining() { return s.byteSize() - pos; }

        AprException bad(String code, String field, String expected, Object actual) {
            return AprException.badInput(code, file + ": " + field + ": expected " + expected + ", got " + actual);
        }

        private void need(long n, String field) {
            if (n > remaining())
                throw bad("GGUF_TRUNCATED", field, n + " more bytes at offset " + pos, "only " + remaining() + " left in the file");
        }

        byte u8(String f) { need(1, f); return s.get(ValueLayout.JAVA_BYTE, pos++); }
        short i16(String f) { need(2, f); short v = s.get(I16, pos); pos += 2; return v; }
        int i32(String f) { need(4, f); int v = s.get(I32, pos); pos += 4; return v; }
        long i64(String f) { need(8, f); long v = s.get(I64, pos); pos += 8; return v; }
        float f32(String f) { need(4, f); float v = s.get(F32, pos); pos += 4; return v; }
        double f64(String f) { need(8, f); double v = s.get(F64, pos); pos += 8; return v; }

        String string(String field) {
            long len = i64(field + ": length");
            if (len < 0 || len > remaining())
                throw bad("GGUF_BAD_STRING", field + ": length", "0.." + remaining() + " (bytes left in the file)", Long.toUnsignedString(len));
            ByteBuffer bb = s.asSlice(pos, len).asByteBuffer();
            pos += len;
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(bb).toString();
            } catch (CharacterCodingException e) {
                throw bad("GGUF_BAD_UTF8", field, "valid UTF-8", "malformed bytes at offset " + (pos - len));
            }
        }

        GgufValueType valueType(String field) {
            int code = i32(field);
            GgufValueType t = GgufValueType.fromCode(code);
            if (t == null) throw bad("GGUF_BAD_TYPE", field, "a GGUF value type 0..12", code);
            return t;
        }

        Object scalar(GgufValueType t, String field) {
            return switch (t) {
                case UINT8 -> u8(field) & 0xff;
                case INT8 -> (int) u8(field);
                case UINT16 -> i16(field) & 0xffff;
                case INT16 -> (int) i16(field);
                case UINT32 -> i32(field) & 0xffffffffL;
                case INT32 -> i32(field);
                case FLOAT32 -> f32(field);
                case BOOL -> u8(field) != 0;
                case STRING -> string(field);
                case UINT64, INT64 -> i64(field);
                case FLOAT64 -> f64(field);
                case ARRAY -> throw new IllegalStateException();
            };
        }

        List<Object> array(GgufValueType et, String field, int depth) {
            long n = i64(field + ": array length");
            // the count must fit in what is left of the file before a list is sized for it
            if (n < 0 || n > remaining() / et.minBytes)
                throw bad("GGUF_BAD_COUNT", field + ": array length", "0.." + remaining() / et.minBytes
                        + " (what the file can hold)", Long.toUnsignedString(n));
            List<Object> out = new ArrayList<>((int) Math.min(n, 1 << 20));
            String element = field + ": array element";
            for (long i = 0; i < n; i++) {
                if (et == GgufValueType.ARRAY) {
                    if (depth >= MAX_ARRAY_DEPTH)
                        throw bad("GGUF_BAD_TYPE", field, "arrays nested at most " + MAX_ARRAY_DEPTH + " deep", "deeper nesting");
                    GgufValueType inner = valueType(element + " " + i + " type");
                    out.add(array(inner, field + "[" + i + "]", depth + 1));
                } else {
                    out.add(scalar(et, element));
                }
            }
            return Collections.unmodifiableList(out);
        }
    }
}
