package dev.apr.format.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q8_0: 32 elements in 34 bytes, {@code d} (fp16) then 32 int8 quants (spec §3.2).
 * {@code quantize_row_q8_0_ref}, bit-exact.
 */
public final class Q8_0 {
    private Q8_0() {}

    public static final int BLOCK = 32, BYTES = 34;

    public static void quantizeBlock(float[] x, int xOff, byte[] dst, int dstOff) {
        float amax = 0;
        for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(x[xOff + j]));
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        Bits.putF16(dst, dstOff, d);
        // the quants use the unrounded float d; only the stored scale is fp16
        for (int j = 0; j < BLOCK; j++) dst[dstOff + 2 + j] = (byte) Bits.roundf(x[xOff + j] * id);
    }

    public static void dequantizeBlock(MemorySegment src, long off, float[] y, int yOff) {
        float d = Bits.f16(src, off);
        for (int j = 0; j < BLOCK; j++) y[yOff + j] = d * src.get(ValueLayout.JAVA_BYTE, off + 2 + j);
    }
}
