package dev.apr.train;

import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.Tensor;
import dev.apr.format.apr.AprFile;
import dev.apr.format.apr.AprWriter;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trainer's bridge to the APR v2 format: writes a checkpoint of fp32 tensors straight from the
 * flat parameter array (streamed, never a second copy of the model) through the one
 * {@link AprWriter}, and opens an {@code --init} file through the one {@link AprFile} reader,
 * converting F32/F16/BF16 tensors to fp32.
 */
final class AprCheckpointFile {
    private AprCheckpointFile() {}

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A tensor to write: fp32 values {@code src[offset .. offset+count)}. */
    record Out(String name, long[] shape, float[] src, int offset) {
        long count() { long n = 1; for (long d : shape) n *= d; return n; }
    }

    /** A tensor read from a file (dtype, shape, bytes mapped from the file). */
    record In(String name, DType dtype, long[] shape, MemorySegment data) {
        long count() { long n = 1; for (long d : shape) n *= d; return n; }
    }

    /** An opened APR file: metadata (aliases promoted) and tensors; close to unmap. */
    record Opened(Path path, Map<String, Object> metadata, Map<String, In> tensors, AprFile file) implements AutoCloseable {
        @Override public void close() { file.close(); }
    }

    /** Writes fp32 tensors + metadata to {@code path} (temp file, fsync, rename: AprWriter). */
    static void write(Path path, Map<String, Object> metadata, List<Out> tensors) {
        AprWriter w = new AprWriter().metadata(metadata);
        for (Out t : tensors) {
            long n = t.count();
            w.tensor(t.name(), DType.F32, t.shape(), n * 4, out -> {
                ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (long i = 0; i < n; i++) {
                    if (!b.hasRemaining()) { b.flip(); out.write(b); b.clear(); }
                    b.putFloat(t.src()[(int) (t.offset() + i)]);
                }
                b.flip();
                out.write(b);
            });
        }
        w.write(path);
    }

    /** Opens and fully validates an APR v2 file (the format module's reader; its error codes pass through). */
    static Opened open(Path path) {
        AprFile f = AprFile.open(path);
        Map<String, In> tensors = new LinkedHashMap<>();
        for (Tensor t : f.tensors()) tensors.put(t.name(), new In(t.name(), t.dtype(), t.shape(), t.data()));
        return new Opened(path, f.metadata(), tensors, f);
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
}
