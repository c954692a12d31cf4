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
            case F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, APR_Q4, APR_Q8 -> true;
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

    /**
     * Row {@code r} (the last dimension) of {@code t} into {@code out[outOff ..]}. A block-quantized
     * row shorter than whole blocks (APR pads each Q4_K/Q6_K row to a multiple of 256) is decoded
     * from its padded bytes and only its {@code cols} values are kept.
     */
    public static void row(Tensor t, long r, float[] out, int outOff) {
        int cols = (int) t.cols();
        DType type = t.dtype();
        if (type == DType.APR_Q4 || type == DType.APR_Q8) {   // tensor-wide layouts: decode by element index
            aprLegacy(t, r * cols, cols, out, outOff);
            return;
        }
        long stride = rowStride(t);
        if (cols % type.blockSize == 0) {
            decode(type, t.data(), r * stride, out, outOff, cols, t.name());
        } else {
            int padded = (int) (stride / type.blockBytes * type.blockSize);
            float[] tmp = new float[padded];
            decode(type, t.data(), r * stride, tmp, 0, padded, t.name());
            System.arraycopy(tmp, 0, out, outOff, cols);
        }
    }

    /**
     * The APR-only legacy types (specs/apr-v2.md): APR_Q4 runs 18-byte blocks (f16 scale, 16
     * bytes; element i in byte i/2, low nibble for even i, value (nibble − 8)·scale) over the
     * whole tensor; APR_Q8 is one f32 scale for the tensor, then one int8 per element.
     */
    private static void aprLegacy(Tensor t, long first, int n, float[] out, int outOff) {
        MemorySegment s = t.data();
        if (t.dtype() == DType.APR_Q8) {
            float scale = s.get(Bits.LE_FLOAT, 0);
            for (int i = 0; i < n; i++) out[outOff + i] = scale * s.get(ValueLayout.JAVA_BYTE, 4 + first + i);
            return;
        }
        for (int i = 0; i < n; i++) {
            long e = first + i, block = e / 32;
            int within = (int) (e % 32);
            float scale = Bits.f16(s, block * 18);
            int b = Bits.u8(s, block * 18 + 2 + within / 2);
            int nib = within % 2 == 0 ? b & 0xf : b >> 4;
            out[outOff + i] = (nib - 8) * scale;
        }
    }

    /** Bytes per stored row: whole blocks, rounded up when the row is padded. */
    public static long rowStride(Tensor t) {
        DType type = t.dtype();
        long blocks = (t.cols() + type.blockSize - 1) / type.blockSize;
        return blocks * type.blockBytes;
    }

    /**
     * {@code n} elements of type {@code type} starting at byte {@code srcOff} of {@code src} into
     * {@code dst[dstOff ..]}; {@code n} must be a whole number of blocks.
     */
    public static void decode(DType type, MemorySegment src, long srcOff, float[] dst, int dstOff, int n, String what) {
        if (!supports(type) || type == DType.APR_Q4 || type == DType.APR_Q8)   // the APR legacy types go through row()
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

    /** The bytes must be exactly the rows at {@link #rowStride}, before any row is decoded. */
    public static void checkLayout(Tensor t) {
        if (!supports(t.dtype()))
            throw AprException.badInput("UNSUPPORTED_DTYPE", "tensor '" + t.name() + "': dtype: expected one of F32, F16,"
                    + " BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K to dequantize, got " + t.dtype());
        long n = t.elementCount();
        long expected = switch (t.dtype()) {
            case APR_Q4 -> (n + 31) / 32 * 18;
            case APR_Q8 -> n == 0 ? 0 : n + 4;
            default -> t.rows() * rowStride(t);
        };
        if (expected != t.data().byteSize())
            throw AprException.badInput("BAD_TENSOR_SIZE", "tensor '" + t.name() + "': bytes: expected "
                    + expected + " for " + t.dtype() + " " + t.shapeString() + ", got " + t.data().byteSize());
    }

    static { assert ValueLayout.JAVA_BYTE.byteSize() == 1; }
}
