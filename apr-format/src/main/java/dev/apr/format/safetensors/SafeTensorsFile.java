package dev.apr.format.safetensors;

import dev.apr.format.AprException;
import dev.apr.format.BadInput;
import dev.apr.format.DType;
import dev.apr.format.Json;
import dev.apr.format.ModelFile;
import dev.apr.format.Tensor;
import dev.apr.format.io.Bytes;
import dev.apr.format.io.Mapped;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The one reader of SafeTensors (specs/gguf-safetensors.md §6): a single {@code .safetensors}
 * file, or a Hugging Face model directory holding {@code model.safetensors} or shards listed in
 * {@code model.safetensors.index.json}. Files are memory-mapped; tensors are slices.
 *
 * <p>Validation follows the reference implementation: header length <= 100,000,000, strict
 * UTF-8 JSON object without duplicate keys, {@code __metadata__} string to string only, known
 * dtype strings, byte sizes matching shape x dtype, offsets contiguous from 0 with no gap or
 * overlap, and the data ending exactly at the end of the file.
 */
public final class SafeTensorsFile implements ModelFile {
    public static final long MAX_HEADER = 100_000_000L;
    public static final String INDEX_FILE = "model.safetensors.index.json";
    public static final String SINGLE_FILE = "model.safetensors";

    private final Path path;
    private final List<Mapped> maps;
    private final List<Path> files;
    private final Map<String, String> headerMetadata;
    private final Map<String, Object> config;
    private final Map<String, Object> metadata;
    private final List<Tensor> tensors;
    private final Map<String, Tensor> byName;

    private SafeTensorsFile(Path path, List<Mapped> maps, List<Path> files, Map<String, String> headerMetadata,
                            Map<String, Object> config, List<Tensor> tensors) {
        this.path = path;
        this.maps = maps;
        this.files = List.copyOf(files);
        this.headerMetadata = Collections.unmodifiableMap(headerMetadata);
        this.config = config;
        Map<String, Object> md = new LinkedHashMap<>(headerMetadata);
        if (config != null) md.put("config", config);
        this.metadata = Collections.unmodifiableMap(md);
        this.tensors = List.copyOf(tensors);
        Map<String, Tensor> m = new HashMap<>();
        for (Tensor t : tensors) m.put(t.name(), t);
        this.byName = m;
    }

    /** Opens a .safetensors file or a model directory (sharded or single-file). */
    public static SafeTensorsFile open(Path path) {
        if (Files.isDirectory(path)) return openDirectory(path);
        if (!Files.exists(path)) throw AprException.badInput("FILE_NOT_FOUND", path + ": no such file or directory");
        Mapped m = Mapped.open(path);
        try {
            Parsed p = parse(path, m.segment());
            return new SafeTensorsFile(path, List.of(m), List.of(path), p.metadata, null, p.tensors);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static SafeTensorsFile openDirectory(Path dir) {
        Path index = dir.resolve(INDEX_FILE);
        Path single = dir.resolve(SINGLE_FILE);
        Map<String, Object> config = Files.isRegularFile(dir.resolve("config.json"))
                ? Json.readObject(dir.resolve("config.json"), false) : null;
        List<Mapped> maps = new ArrayList<>();
        try {
            if (Files.isRegularFile(index)) {
                ShardIndex si = ShardIndex.read(index);
                List<Tensor> all = new ArrayList<>();
                Map<String, String> md = new LinkedHashMap<>();
                List<Path> files = new ArrayList<>();
                Set<String> seen = new java.util.HashSet<>();
                for (String shard : si.shards()) {
                    Path f = dir.resolve(shard);
                    if (!Files.isRegularFile(f))
                        throw BadInput.of("ST_MISSING_SHARD", index, "weight_map file '" + shard + "'", "a file in " + dir, "no such file");
                    Mapped m = Mapped.open(f);
                    maps.add(m);
                    files.add(f);
                    Parsed p = parse(f, m.segment());
                    for (Map.Entry<String, String> e : p.metadata.entrySet()) md.putIfAbsent(e.getKey(), e.getValue());
                    for (Tensor t : p.tensors) {
                        String listed = si.weightMap().get(t.name());
                        if (!shard.equals(listed))
                            throw BadInput.of("ST_INDEX_MISMATCH", index, "weight_map['" + t.name() + "']", "'" + shard + "' (the shard holding it)",
                                    listed == null ? "no entry" : "'" + listed + "'");
                        if (!seen.add(t.name()))
                            throw BadInput.of("ST_DUPLICATE_TENSOR", f, "tensor '" + t.name() + "'", "in one shard only", "in several");
                        all.add(t);
                    }
                }
                for (Map.Entry<String, String> e : si.weightMap().entrySet())
                    if (!seen.contains(e.getKey()))
                        throw BadInput.of("ST_INDEX_MISMATCH", index, "weight_map['" + e.getKey() + "']",
                                "a tensor present in " + e.getValue(), "absent from that shard");
                return new SafeTensorsFile(dir, maps, files, md, config, all);
            }
            if (Files.isRegularFile(single)) {
                Mapped m = Mapped.open(single);
                maps.add(m);
                Parsed p = parse(single, m.segment());
                return new SafeTensorsFile(dir, maps, List.of(single), p.metadata, config, p.tensors);
            }
            throw BadInput.of("ST_NO_WEIGHTS", dir, "weights", SINGLE_FILE + " or " + INDEX_FILE, "neither file in the directory");
        } catch (RuntimeException e) {
            for (Mapped m : maps) m.close();
            throw e;
        }
    }

    private record Parsed(Map<String, String> metadata, List<Tensor> tensors) {}

    private record Info(String name, DType dtype, long[] shape, long begin, long end) {}

    private static Parsed parse(Path file, MemorySegment s) {
        long size = s.byteSize();
        if (size < 8) throw BadInput.of("ST_TRUNCATED", file, "header length", "8 bytes", size + " bytes in the file");
        long n = Bytes.u64(s, 0);
        if (n < 0 || n > MAX_HEADER)
            throw BadInput.of("ST_HEADER_TOO_LARGE", file, "header length", "<= " + MAX_HEADER, Long.toUnsignedString(n));
        if (n > size - 8)
            throw BadInput.of("ST_TRUNCATED", file, "header length", "<= " + (size - 8) + " (file size " + size + " - 8)", n);
        byte[] header = s.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        Map<String, Object> json = Json.parseObject(header, file + ": header", true);

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Info> infos = new ArrayList<>();
        for (Map.Entry<String, Object> e : json.entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> m))
                    throw BadInput.of("ST_BAD_METADATA", file, "__metadata__", "an object of strings", describe(e.getValue()));
                for (Map.Entry<?, ?> me : m.entrySet()) {
                    if (!(me.getValue() instanceof String v))
                        throw BadInput.of("ST_BAD_METADATA", file, "__metadata__." + me.getKey(), "a string", describe(me.getValue()));
                    metadata.put((String) me.getKey(), v);
                }
                continue;
            }
            infos.add(info(file, name, e.getValue()));
        }
        // contiguous from 0, in offset order, no gap, no overlap (tensor.rs Metadata::validate)
        infos.sort((a, b) -> a.begin != b.begin ? Long.compare(a.begin, b.begin) : Long.compare(a.end, b.end));
        long dataStart = 8 + n;
        long expectedBegin = 0;
        List<Tensor> tensors = new ArrayList<>(infos.size());
        for (Info in : infos) {
            if (in.begin != expectedBegin)
                throw BadInput.of("ST_BAD_OFFSET", file, "tensor '" + in.name + "' data_offsets begin", expectedBegin
                        + (expectedBegin == 0 ? " (first tensor)" : " (end of the previous tensor)"), in.begin);
            expectedBegin = in.end;
        }
        if (expectedBegin != size - dataStart)
            throw BadInput.of("ST_BAD_LENGTH", file, "file size", (expectedBegin > Long.MAX_VALUE - dataStart ? "more than 2^63"
                    : String.valueOf(dataStart + expectedBegin)) + " bytes (8 + header " + n
                    + " + data " + expectedBegin + ", no trailing bytes)", size + " bytes");
        for (Info in : infos)
            tensors.add(new Tensor(in.name, in.dtype, in.shape, s.asSlice(dataStart + in.begin, in.end - in.begin)));
        return new Parsed(metadata, tensors);
    }

    private static Info info(Path file, String name, Object v) {
        String where = "tensor '" + name + "'";
        if (!(v instanceof Map<?, ?> m))
            throw BadInput.of("ST_BAD_HEADER", file, where, "an object {dtype, shape, data_offsets}", describe(v));
        if (!(m.get("dtype") instanceof String ds))
            throw BadInput.of("ST_BAD_HEADER", file, where + " dtype", "a dtype string", describe(m.get("dtype")));
        DType dtype = DType.fromSafetensors(ds);
        if (dtype == null)
            throw BadInput.of("ST_BAD_DTYPE", file, where + " dtype", "one of BOOL,U8,I8,F8_E5M2,F8_E4M3,F8_E4M3FNUZ,F8_E5M2FNUZ,"
                    + "F8_E8M0,F4,F6_E2M3,F6_E3M2,I16,U16,F16,BF16,I32,U32,F32,F64,I64,U64,C64", "\"" + ds + "\"");
        long[] shape = longs(file, where + " shape", m.get("shape"), -1);
        long[] offs = longs(file, where + " data_offsets", m.get("data_offsets"), 2);
        if (offs[1] < offs[0])
            throw BadInput.of("ST_BAD_OFFSET", file, where + " data_offsets", "begin <= end", offs[0] + " > " + offs[1]);
        long elements = 1;
        try {
            for (long d : shape) elements = Math.multiplyExact(elements, d);
        } catch (ArithmeticException e) {
            throw BadInput.of("ST_BAD_SHAPE", file, where + " shape", "an element count < 2^63", java.util.Arrays.toString(shape));
        }
        long bytes;
        try {
            bytes = dtype.byteSize(elements);
        } catch (ArithmeticException e) {
            bytes = -1;
        }
        if (bytes < 0)
            throw BadInput.of("ST_BAD_SHAPE", file, where + " shape", "a whole number of bytes for " + ds, java.util.Arrays.toString(shape));
        if (offs[1] - offs[0] != bytes)
            throw BadInput.of("ST_BAD_SIZE", file, where + " data_offsets", bytes + " bytes (" + ds + " " + java.util.Arrays.toString(shape) + ")",
                    (offs[1] - offs[0]) + " bytes [" + offs[0] + ", " + offs[1] + ")");
        return new Info(name, dtype, shape, offs[0], offs[1]);
    }

    private static long[] longs(Path file, String field, Object v, int exactLen) {
        if (!(v instanceof List<?> l) || (exactLen >= 0 && l.size() != exactLen))
            throw BadInput.of("ST_BAD_HEADER", file, field, exactLen >= 0 ? "an array of " + exactLen + " integers" : "an array of integers",
                    describe(v));
        if (l.size() > 64) throw BadInput.of("ST_BAD_SHAPE", file, field, "at most 64 dimensions", l.size());
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) {
            Object o = l.get(i);
            if (!(o instanceof Integer || o instanceof Long) || ((Number) o).longValue() < 0)
                throw BadInput.of("ST_BAD_HEADER", file, field + "[" + i + "]", "a non-negative integer < 2^63", describe(o));
            out[i] = ((Number) o).longValue();
        }
        return out;
    }

    static String describe(Object v) {
        if (v == null) return "null";
        if (v instanceof String s) return "\"" + (s.length() > 60 ? s.substring(0, 60) + "..." : s) + "\"";
        if (v instanceof Map) return "an object";
        if (v instanceof List<?> l) return "an array of " + l.size();
        return String.valueOf(v);
    }

    // ---- shard index -------------------------------------------------------------------------

    /** {@code model.safetensors.index.json}: {"metadata": {...}, "weight_map": {tensor: file}}. */
    record ShardIndex(Map<String, Object> metadata, Map<String, String> weightMap, Set<String> shards) {
        static ShardIndex read(Path index) {
            Map<String, Object> j = Json.readObject(index, true);
            if (!(j.get("weight_map") instanceof Map<?, ?> wm))
                throw BadInput.of("ST_BAD_INDEX", index, "weight_map", "an object {tensor: file}", describe(j.get("weight_map")));
            Map<String, String> weightMap = new LinkedHashMap<>();
            Set<String> shards = new TreeSet<>();
            for (Map.Entry<?, ?> e : wm.entrySet()) {
                if (!(e.getValue() instanceof String f))
                    throw BadInput.of("ST_BAD_INDEX", index, "weight_map['" + e.getKey() + "']", "a file name", describe(e.getValue()));
                // a shard is a plain file name next to the index: no directories, no way out of the model dir
                if (f.isEmpty() || f.contains("/") || f.contains("\\") || f.equals(".") || f.equals("..") || f.indexOf('\0') >= 0)
                    throw BadInput.of("ST_BAD_INDEX", index, "weight_map['" + e.getKey() + "']", "a plain file name in the model directory",
                            "\"" + f + "\"");
                weightMap.put((String) e.getKey(), f);
                shards.add(f);
            }
            Object md = j.get("metadata");
            @SuppressWarnings("unchecked")
            Map<String, Object> metadata = md instanceof Map ? (Map<String, Object>) md : Map.of();
            return new ShardIndex(metadata, weightMap, new LinkedHashSet<>(shards));
        }
    }

    // ---- accessors ---------------------------------------------------------------------------

    @Override public Path path() { return path; }

    @Override public String format() { return "SafeTensors"; }

    /** {@code __metadata__} plus, for a directory with a config.json, "config" -> the parsed config. */
    @Override public Map<String, Object> metadata() { return metadata; }

    /** The {@code __metadata__} of the file (of the first shard holding each key, when sharded). */
    public Map<String, String> headerMetadata() { return headerMetadata; }

    /** The parsed config.json of a model directory, or null. */
    public Map<String, Object> config() { return config; }

    /** The .safetensors files read (one, or the shards in name order). */
    public List<Path> files() { return files; }

    @Override public List<Tensor> tensors() { return tensors; }

    @Override public Tensor tensor(String name) { return byName.get(name); }

    @Override public void close() { for (Mapped m : maps) m.close(); }

    @Override public String toString() { return "SafeTensorsFile[" + path + ", " + tensors.size() + " tensors]"; }
}
