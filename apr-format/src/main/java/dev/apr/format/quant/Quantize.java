package dev.apr.format.quant;

import dev.apr.format.AprException;
import dev.apr.format.DType;

import java.util.stream.IntStream;

/**
 * ggml's reference quantizers ({@code quantize_row_*_ref}, no importance matrix) for the types apr
 * writes: Q8_0, Q5_0, Q4_K, Q6_K, plus the plain conversions F32, F16 (round to nearest even) and
 * BF16 (ggml rounding, spec §3.6). Bit-exact with {@code ggml_quantize_chunk} on x86-64.
 */
public final class Quantize {
    private Quantize() {}

    public static boolean supports(DType t) {
        return switch (t) {
            case F32, F16, BF16, Q8_0, Q5_0, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * Quantizes {@code rows × cols} floats (row-major, from {@code x[xOff]}) into {@code dst[dstOff ..]}.
     * Each row must be a whole number of blocks (spec §3.7: K-quants need cols % 256 == 0).
     * Rows are quantized in parallel.
     */
    public static void rows(DType type, float[] x, int xOff, int rows, int cols, byte[] dst, int dstOff) {
        check(type, cols);
        int rowBytes = (int) type.byteSize(cols);
        if ((long) rows * cols > x.length - (long) xOff || (long) rows * rowBytes > dst.length - (long) dstOff)
            throw new IllegalArgumentException("rows*cols exceeds the arrays");
        IntStream.range(0, rows).parallel().forEach(r -> row(type, x, xOff + r * cols, cols, dst, dstOff + r * rowBytes));
    }

    /** One row of {@code n} floats into {@code type}'s bytes. */
    public static void row(DType type, float[] x, int xOff, int n, byte[] dst, int dstOff) {
        check(type, n);
        int bb = type.blockBytes, blocks = n / type.blockSize, bs = type.blockSize;
        switch (type) {
            case F32 -> { for (int i = 0; i < n; i++) Bits.putU32(dst, dstOff + 4 * i, Float.floatToRawIntBits(x[xOff + i])); }
            case F16 -> { for (int i = 0; i < n; i++) Bits.putF16(dst, dstOff + 2 * i, x[xOff + i]); }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    short b = dev.apr.format.Floats.f32ToBf16(x[xOff + i]);
                    dst[dstOff + 2 * i] = (byte) b;
                    dst[dstOff + 2 * i + 1] = (byte) (b >>> 8);
                }
            }
            case Q8_0 -> { for (int b = 0; b < blocks; b++) Q8_0.quantizeBlock(x, xOff + b * bs, dst, dstOff + b * bb); }
            case Q5_0 -> { for (int b = 0; b < blocks; b++) Q5_0.quantizeBlock(x, xOff + b * bs, dst, dstOff + b * bb); }
            case Q4_K -> { for (int b = 0; b < blocks; b++) Q4_K.quantizeBlock(x, xOff + b * bs, dst, dstOff + b * bb); }
            case Q6_K -> { for (int b = 0; b < blocks; b++) Q6_K.quantizeBlock(x, xOff + b * bs, dst, dstOff + b * bb); }
            default -> throw new IllegalStateException(type.toString());
        }
    }

    /** Convenience: a whole row (or several rows of equal length) into a new array. */
    public static byte[] quantize(DType type, float[] x) {
        check(type, x.length);
        byte[] out = new byte[(int) type.byteSize(x.length)];
        row(type, x, 0, x.length, out, 0);
        return out;
    }

    private static void check(DType type, int n) {
        if (!supports(type))
            throw AprException.badInput("UNSUPPORTED_QUANT", "quantize: type: expected F32, F16, BF16, Q8_0, Q5_0, Q4_K or Q6_K, got " + type);
        if (n % type.blockSize != 0)
            throw AprException.badInput("BAD_ROW_LENGTH", "quantize " + type + ": row length: expected a multiple of "
                    + type.blockSize + ", got " + n);
    }
}
