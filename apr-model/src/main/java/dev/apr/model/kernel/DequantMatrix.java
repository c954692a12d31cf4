package dev.apr.model.kernel;

import dev.apr.format.DType;
import dev.apr.format.quant.Dequantize;

import java.lang.foreign.MemorySegment;

/**
 * The other GGML block types llama.cpp files may hold (Q4_0, Q4_1, Q5_1, Q2_K, Q3_K, Q5_K): each
 * row is decoded by the format's reference dequantizer ({@link Dequantize}) into a per-thread
 * row buffer, then dotted with vector lanes. Exact like the fast kernels, only slower.
 */
final class DequantMatrix extends WeightMatrix {
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

    DequantMatrix(String name, DType dtype, MemorySegment data, int rows, int cols) { super(name, dtype, data, rows, cols); }

    @Override void dotRows(float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
        float[] w = ROW.get();
        if (w.length < cols) ROW.set(w = new float[cols]);
        for (int r = r0; r < r1; r++) {
            row(r, w, 0);
            y[yOff + r] = Dot.dot(w, 0, x, xOff, cols);
        }
    }

    @Override public void row(int r, float[] dst, int off) {
        Dequantize.decode(dtype, data, r * rowBytes, dst, off, cols, name);
    }
}
