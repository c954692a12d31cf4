package dev.apr.format.quant;

import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.stream.IntStream;

/**
 * Reference dequantization of every stored type apr reads (F32, F16, BF16 and the GGML blocks
 * Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) to float32, block by block exactly
 * as ggml's {@code dequantize_row_*}. Import and verify use it; the model's fused kernels are
 * tested against it.
 */
public final class Dequantize {
    private Dequantize() {}

    /** True when {@link #row} can decode this type. */
    public static boolean supports(DType t) {
        return switch (t) {
            case F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /** The whole tensor as floats (row-major, same element order as the stored data). */
    public static float[] toFloats(Tensor t) {
        long n = t.elementCount();
        if (n > Integer.MAX_VALUE - 8)
            throw AprException.badInput("TENSOR_TOO_LARGE", "tensor '" + t.name() + "': elements: expected at most "
                    + (Integer.MAX_VALUE - 8) + " to dequantize into one array, got " + n);
        float[] out = new float[(int) n];
        long cols = t.cols(), rows = t.rows();
        checkLayout(t);
        // rows are independent: decode them on all cores
        IntStream.range(0, (int) rows).parallel().forEach(r -> row(t, r, out, (int) (r * cols)));
        return out;
    }

    /** Row {@code r} (the last dimension) of {@code t} into {@code out[outOff ..]}. */
    public static void row(Tensor t, long r, float[] out, int outOff) {
        long cols = t.cols();
        long rowBytes = t.dtype().byteSize(cols);
        decode(t.dtype(), t.data(), r * rowBytes, out, outOff, (int) cols, t.name());
    }

    /**
     * {@code n} elements of type {@code type} starting at byte {@code srcOff} of {@code src} into
     * {@code dst[dstOff ..]}; {@code n} must be a whole number of blocks.
     */
    public static void decode(DType type, MemorySegment src, long srcOff, float[] dst, int dstOff, int n, String what) {
        if (!supports(type))
            throw AprException.badInput("UNSUPPORTED_DTYPE", what + ": dtype: expected one of F32, F16, BF16, Q4_0, Q4_1,"
                    + " Q5_0, Q5_1, Q8_0, Q2_K..Q6_K to dequantize, got " + type);
        if (n % type.blockSize != 0)
            throw AprException.badInput("BAD_ROW_LENGTH", what + ": row length: expected a multiple of "
                    + type.blockSize + " for " + type + ", got " + n);
        int blocks = n / type.blockSize;
        long bb = type.blockBytes;
        switch (type) {
            case F32 -> MemorySegment.copy(src, Bits.LE_FLOAT, srcOff, dst, dstOff, n);
            case F16 -> { for (int i = 0; i < n; i++) dst[dstOff + i] = Float.float16ToFloat(src.get(Bits.LE_SHORT, srcOff + 2L * i)); }
            case BF16 -> { for (int i = 0; i < n; i++) dst[dstOff + i] = Float.intBitsToFloat((src.get(Bits.LE_SHORT, srcOff + 2L * i) & 0xffff) << 16); }
            case Q8_0 -> { for (int b = 0; b < blocks; b++) Q8_0.dequantizeBlock(src, srcOff + b * bb, dst, dstOff + 32 * b); }
            case Q5_0 -> { for (int b = 0; b < blocks; b++) Q5_0.dequantizeBlock(src, srcOff + b * bb, dst, dstOff + 32 * b); }
            case Q4_0 -> { for (int b = 0; b < blocks; b++) OtherBlocks.q4_0(src, srcOff + b * bb, dst, dstOff + 32 * b); }
            case Q4_1 -> { for (int b = 0; b < blocks; b++) OtherBlocks.q4_1(src, srcOff + b * bb, dst, dstOff + 32 * b); }
            case Q5_1 -> { for (int b = 0; b < blocks; b++) OtherBlocks.q5_1(src, srcOff + b * bb, dst, dstOff + 32 * b); }
            case Q4_K -> { for (int b = 0; b < blocks; b++) Q4_K.dequantizeBlock(src, srcOff + b * bb, dst, dstOff + 256 * b); }
            case Q6_K -> { for (int b = 0; b < blocks; b++) Q6_K.dequantizeBlock(src, srcOff + b * bb, dst, dstOff + 256 * b); }
            case Q2_K -> { for (int b = 0; b < blocks; b++) OtherBlocks.q2_K(src, srcOff + b * bb, dst, dstOff + 256 * b); }
            case Q3_K -> { for (int b = 0; b < blocks; b++) OtherBlocks.q3_K(src, srcOff + b * bb, dst, dstOff + 256 * b); }
            case Q5_K -> { for (int b = 0; b < blocks; b++) OtherBlocks.q5_K(src, srcOff + b * bb, dst, dstOff + 256 * b); }
            default -> throw new IllegalStateException(type.toString());
        }
    }

    /** Convenience for tests and small blocks: decode bytes held in a heap array. */
    public static float[] decode(DType type, byte[] bytes, int n) {
        float[] out = new float[n];
        decode(type, MemorySegment.ofArray(bytes), 0, out, 0, n, type.toString());
        return out;
    }

    private static void checkLayout(Tensor t) {
        long expected = t.dtype().byteSize(t.elementCount());
        if (t.cols() % t.dtype().blockSize != 0 || expected != t.data().byteSize())
            throw AprException.badInput("BAD_TENSOR_SIZE", "tensor '" + t.name() + "': bytes: expected "
                    + expected + " for " + t.dtype() + " " + t.shapeString() + " (rows a multiple of "
                    + t.dtype().blockSize + "), got " + t.data().byteSize());
    }

    static { assert ValueLayout.JAVA_BYTE.byteSize() == 1; }
}
