package dev.apr.format.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q5_0: 32 elements in 22 bytes, {@code d} (fp16), {@code qh} (u32: the fifth bits), {@code qs[16]}
 * (spec §3.5). The K-quant fallback for rows that are not a multiple of 256. Bit-exact with
 * {@code quantize_row_q5_0_ref}.
 */
public final class Q5_0 {
    private Q5_0() {}

    public static final int BLOCK = 32, BYTES = 22;

    public static void quantizeBlock(float[] x, int xOff, byte[] dst, int dstOff) {
        float amax = 0, max = 0;
        for (int j = 0; j < BLOCK; j++) {
            float v = x[xOff + j];
            if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }   // first strictly larger, sign kept
        }
        float d = max / -16f;
        float id = d != 0 ? 1f / d : 0f;
        Bits.putF16(dst, dstOff, d);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            float x0 = x[xOff + j] * id, x1 = x[xOff + 16 + j] * id;
            int a = Math.min(31, (int) (x0 + 16.5f));   // (int8_t) cast: truncation toward zero
            int b = Math.min(31, (int) (x1 + 16.5f));
            dst[dstOff + 6 + j] = (byte) ((a & 0x0f) | ((b & 0x0f) << 4));
            qh |= ((a & 0x10) >>> 4) << j;
            qh |= ((b & 0x10) >>> 4) << (j + 16);
        }
        Bits.putU32(dst, dstOff + 2, qh);
    }

    public static void dequantizeBlock(MemorySegment src, long off, float[] y, int yOff) {
        float d = Bits.f16(src, off);
        int qh = src.get(Bits.LE_INT, off + 2);
        for (int j = 0; j < 16; j++) {
            int q = Bits.u8(src, off + 6 + j);
            int x0 = (q & 0x0f) | (((qh >>> j) & 1) << 4);
            int x1 = (q >>> 4) | (((qh >>> (j + 16)) & 1) << 4);
            y[yOff + j] = (x0 - 16) * d;
            y[yOff + j + 16] = (x1 - 16) * d;
        }
    }
}
