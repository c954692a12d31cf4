package dev.apr.format;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named tensor: dtype, row-major shape ({@code [out, in]} for a linear weight, "APR-native")
 * and its bytes, usually a slice of a memory-mapped file (never copied for inference).
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Number of rows of a 2-D (or higher) tensor: all but the last dimension. */
    public long rows() { return shape.length == 0 ? 1 : elementCount() / shape[shape.length - 1]; }

    /** Length of one row: the last dimension. */
    public long cols() { return shape.length == 0 ? 1 : shape[shape.length - 1]; }

    public long byteSize() { return data.byteSize(); }

    public String shapeString() { return Arrays.toString(shape); }

    @Override public boolean equals(Object o) {
        return o instanceof Tensor t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && data.byteSize() == t.data.byteSize()
                && data.mismatch(t.data) == -1;
    }

    @Override public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(shape); }

    @Override public String toString() { return name + " " + dtype + " " + shapeString(); }
}
