package dev.apr.format.safetensors;

import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.Json;
import dev.apr.format.Tensor;
import dev.apr.format.TensorBytes;
import dev.apr.format.io.AtomicWrite;
import dev.apr.format.io.ByteSink;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one SafeTensors writer, laid out like the reference implementation (§6.4): tensors sorted
 * by dtype (largest alignment first, the Rust {@code Dtype} order) then by name, contiguous
 * offsets, compact header JSON with {@code __metadata__} first (always holding
 * {@code "format":"pt"}, §6.5) and the tensors in offset order, the header padded with spaces to
 * a multiple of 8. Optionally sharded as {@code model-0000k-of-0000n.safetensors} plus
 * {@code model.safetensors.index.json}. Every file is written atomically.
 */
public final class SafeTensorsWriter {
    /** The Rust safetensors {@code Dtype} declaration order (ascending alignment). */
    private static final List<DType> RUST_ORDER = List.of(
            DType.BOOL, DType.F4, DType.F6_E2M3, DType.F6_E3M2, DType.U8, DType.I8, DType.F8_E5M2, DType.F8_E4M3,
            DType.F8_E4M3FNUZ, DType.F8_E5M2FNUZ, DType.F8_E8M0, DType.I16, DType.U16, DType.F16, DType.BF16,
            DType.I32, DType.U32, DType.F32, DType.C64, DType.F64, DType.I64, DType.U64);

    private final Map<String, String> metadata = new TreeMap<>();
    private final List<Entry> tensors = new ArrayList<>();

    private record Entry(String name, DType dtype, long[] shape, long size, TensorBytes bytes) {}

    public SafeTensorsWriter() { metadata.put("format", "pt"); }

    /** Adds {@code __metadata__} entries (string to string). */
    public SafeTensorsWriter metadata(Map<String, String> md) {
        metadata.putAll(md);
        return this;
    }

    public SafeTensorsWriter put(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public SafeTensorsWriter tensor(String name, DType dtype, long[] shape, MemorySegment data) {
        return tensor(name, dtype, shape, data.byteSize(), out -> out.write(data));
    }

    public SafeTensorsWriter tensor(String name, DType dtype, long[] shape, byte[] data) {
        return tensor(name, dtype, shape, data.length, out -> out.write(data));
    }

    public SafeTensorsWriter tensor(Tensor t) { return tensor(t.name(), t.dtype(), t.shape(), t.data()); }

    /** An F32 tensor from floats. */
    public SafeTensorsWriter tensor(String name, long[] shape, float[] data) {
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

    public SafeTensorsWriter tensor(String name, DType dtype, long[] shape, long size, TensorBytes bytes) {
        if (dtype.safetensorsName == null)
            throw new IllegalArgumentException("SafeTensors writer: " + dtype + " has no SafeTensors dtype (tensor " + name + ")");
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("SafeTensors writer: negative dim in " + name);
            n = Math.multiplyExact(n, d);
        }
        if (dtype.byteSize(n) != size)
            throw new IllegalArgumentException("SafeTensors writer: tensor " + name + " " + dtype + " " + Arrays.toString(shape)
                    + " needs " + dtype.byteSize(n) + " bytes, got " + size);
        if (name.equals("__metadata__")) throw new IllegalArgumentException("SafeTensors writer: '__metadata__' is not a tensor name");
        for (Entry e : tensors)
            if (e.name.equals(name)) throw new IllegalArgumentException("SafeTensors writer: tensor " + name + " added twice");
        tensors.add(new Entry(name, dtype, shape.clone(), size, bytes));
        return this;
    }

    /** Writes one .safetensors file. */
    public void write(Path file) {
        writeFile(file, sorted(tensors));
    }

    /**
     * Writes a Hugging Face model directory: {@code model.safetensors} when everything fits in
     * {@code maxShardBytes}, else numbered shards (filled greedily in layout order, a tensor larger
     * than the limit alone in its shard) and {@code model.safetensors.index.json}. Returns the
     * files written.
     */
    public List<Path> writeSharded(Path dir, long maxShardBytes) {
        List<Entry> all = sorted(tensors);
        List<List<Entry>> shards = new ArrayList<>();
        List<Entry> cur = new ArrayList<>();
        long curBytes = 0, total = 0;
        for (Entry e : all) {
            if (!cur.isEmpty() && curBytes + e.size > maxShardBytes) {
                shards.add(cur);
                cur = new ArrayList<>();
                curBytes = 0;
            }
            cur.add(e);
            curBytes += e.size;
            total += e.size;
        }
        if (!cur.isEmpty() || shards.isEmpty()) shards.add(cur);
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new AprException("IO_ERROR", AprException.BAD_INPUT, dir + ": cannot create directory: " + e, e);
        }
        List<Path> written = new ArrayList<>();
        if (shards.size() == 1) {
            Path f = dir.resolve(SafeTensorsFile.SINGLE_FILE);
            writeFile(f, shards.get(0));
            written.add(f);
            return written;
        }
        Map<String, String> weightMap = new TreeMap<>();
        for (int k = 0; k < shards.size(); k++) {
            String name = String.format("model-%05d-of-%05d.safetensors", k + 1, shards.size());
            Path f = dir.resolve(name);
            writeFile(f, shards.get(k));
            written.add(f);
            for (Entry e : shards.get(k)) weightMap.put(e.name, name);
        }
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("metadata", Map.of("total_size", total));
        index.put("weight_map", weightMap);
        Path idx = dir.resolve(SafeTensorsFile.INDEX_FILE);
        AtomicWrite.writeString(idx, Json.pretty(index) + "\n");
        written.add(idx);
        return written;
    }

    private static List<Entry> sorted(List<Entry> in) {
        List<Entry> out = new ArrayList<>(in);
        out.sort((a, b) -> {
            int c = Integer.compare(RUST_ORDER.indexOf(b.dtype), RUST_ORDER.indexOf(a.dtype));
            return c != 0 ? c : Arrays.compareUnsigned(a.name.getBytes(StandardCharsets.UTF_8), b.name.getBytes(StandardCharsets.UTF_8));
        });
        return out;
    }

    /** The header bytes (JSON padded with spaces to a multiple of 8) for tensors in layout order. */
    private byte[] header(List<Entry> layout) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("__metadata__", metadata);
        long off = 0;
        for (Entry e : layout) {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", e.dtype.safetensorsName);
            info.put("shape", e.shape);
            info.put("data_offsets", new long[] {off, off + e.size});
            off += e.size;
            h.put(e.name, info);
        }
        byte[] json = Json.compact(h);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private void writeFile(Path file, List<Entry> layout) {
        byte[] header = header(layout);
        AtomicWrite.write(file, ch -> {
            ByteSink out = new ByteSink(ch);
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length));
            out.write(header);
            for (Entry e : layout) {
                long start = out.position();
                e.bytes.writeTo(out);
                if (out.position() - start != e.size)
                    throw new IllegalStateException("SafeTensors writer: tensor " + e.name + " produced "
                            + (out.position() - start) + " bytes, declared " + e.size);
            }
            out.flush();
        });
    }
}
