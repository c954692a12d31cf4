package dev.apr.model;

import dev.apr.format.DType;
import dev.apr.format.Floats;
import dev.apr.format.ModelFile;
import dev.apr.format.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A ModelFile held in native memory, built by tests (the real readers live on other branches). */
final class MemoryModelFile implements ModelFile {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort SH = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Arena arena = Arena.ofShared();
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Map<String, Object> metadata = new LinkedHashMap<>();
    private final String format;

    MemoryModelFile(String format) { this.format = format; }

    /** Adds a float tensor stored as F32, F16 or BF16. */
    MemoryModelFile put(String name, DType dtype, long[] shape, float[] values) {
        int bytes = dtype == DType.F32 ? 4 : 2;
        MemorySegment seg = arena.allocate((long) values.length * bytes, 64);
        for (int i = 0; i < values.length; i++) {
            switch (dtype) {
                case F32 -> seg.set(F, 4L * i, values[i]);
                case F16 -> seg.set(SH, 2L * i, Floats.f32ToF16(values[i]));
                case BF16 -> seg.set(SH, 2L * i, Floats.f32ToBf16(values[i]));
                default -> throw new IllegalArgumentException(dtype.toString());
            }
        }
        tensors.put(name, new Tensor(name, dtype, shape, seg));
        return this;
    }

    /** Adds a tensor from raw bytes (quantized blocks). */
    MemoryModelFile putRaw(String name, DType dtype, long[] shape, byte[] raw) {
        MemorySegment seg = arena.allocate(raw.length, 64);
        MemorySegment.copy(raw, 0, seg, ValueLayout.JAVA_BYTE, 0, raw.length);
        tensors.put(name, new Tensor(name, dtype, shape, seg));
        return this;
    }

    Map<String, Object> mutableMetadata() { return metadata; }

    @Override public Path path() { return Path.of("memory:" + format); }
    @Override public String format() { return format; }
    @Override public Map<String, Object> metadata() { return metadata; }
    @Override public List<Tensor> tensors() { return new ArrayList<>(tensors.values()); }
    @Override public Tensor tensor(String name) { return tensors.get(name); }
    @Override public void close() { arena.close(); }
}
