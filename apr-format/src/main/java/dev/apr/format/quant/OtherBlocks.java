package dev.apr.format.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Dequantization of the block types apr reads but never writes: Q4_0, Q4_1, Q5_1 (32-blocks,
 * spec §3.6) and Q2_K, Q3_K, Q5_K (256-blocks), following ggml's {@code dequantize_row_*}.
 */
final class OtherBlocks {
    private OtherBlocks() {}

    /** Q4_0, 18 bytes: d, qs[16]; element j = d·((qs[j]&15) − 8), element j+16 = d·((qs[j]>>4) − 8). */
    static void q4_0(MemorySegment s, long off, float[] y, int yo) {
        float d = Bits.f16(s, off);
        for (int j = 0; j < 16; j++) {
            int q = Bits.u8(s, off + 2 + j);
            y[yo + j] = ((q & 0xf) - 8) * d;
            y[yo + j + 16] = ((q >> 4) - 8) * d;
        }
    }

    /** Q4_1, 20 bytes: d, m, qs[16]; x = d·q + m. */
    static void q4_1(MemorySegment s, long off, float[] y, int yo) {
        float d = Bits.f16(s, off), m = Bits.f16(s, off + 2);
        for (int j = 0; j < 16; j++) {
            int q = Bits.u8(s, off + 4 + j);
            y[yo + j] = (q & 0xf) * d + m;
            y[yo + j + 16] = (q >> 4) * d + m;
        }
    }

    /** Q5_1, 24 bytes: d, m, qh (u32), qs[16]; like Q5_0 without the −16 and with + m. */
    static void q5_1(MemorySegment s, long off, float[] y, int yo) {
        float d = Bits.f16(s, off), m = Bits.f16(s, off + 2);
        int qh = s.get(Bits.LE_INT, off + 4);
        for (int j = 0; j < 16; j++) {
            int q = Bits.u8(s, off + 8 + j);
            int x0 = (q & 0xf) | (((qh >>> j) & 1) << 4);
            int x1 = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
            y[yo + j] = x0 * d + m;
            y[yo + j + 16] = x1 * d + m;
        }
    }

    /** Q2_K, 84 bytes: scales[16] (4-bit scale | 4-bit min), qs[64] (2-bit quants), d, dmin. */
    static void q2_K(MemorySegment s, long off, float[] y, int yo) {
        float d = Bits.f16(s, off + 80), min = Bits.f16(s, off + 82);
        int is = 0, out = yo;
        for (int n = 0; n < 2; n++) {
            long q = off + 16 + 32 * n;
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 2; half++) {
                    int sc = Bits.u8(s, off + is++);
                    float dl = d * (sc & 0xf), ml = min * (sc >> 4);
                    for (int l = 0; l < 16; l++)
                        y[out++] = dl * ((Bits.u8(s, q + 16 * half + l) >> shift) & 3) - ml;
                }
            }
        }
    }

    /** Q3_K, 110 bytes: hmask[32] (third bits), qs[64] (low 2 bits), scales[12] (16 six-bit), d. */
    static void q3_K(MemorySegment s, long off, float[] y, int yo) {
        float dAll = Bits.f16(s, off + 108);
        // unpack 16 six-bit scales exactly as ggml does with its kmask1/kmask2 word shuffle
        int a0 = s.get(Bits.LE_INT, off + 96), a1 = s.get(Bits.LE_INT, off + 100), tmp = s.get(Bits.LE_INT, off + 104);
        final int k1 = 0x03030303, k2 = 0x0f0f0f0f;
        int[] aux = {
                (a0 & k2) | (((tmp) & k1) << 4),
                (a1 & k2) | (((tmp >>> 2) & k1) << 4),
                ((a0 >>> 4) & k2) | (((tmp >>> 4) & k1) << 4),
                ((a1 >>> 4) & k2) | (((tmp >>> 6) & k1) << 4)};
        byte[] scales = new byte[16];
        for (int i = 0; i < 16; i++) scales[i] = (byte) (aux[i / 4] >>> (8 * (i % 4)));
        int is = 0, out = yo, m = 1;
        for (int n = 0; n < 2; n++) {
            long q = off + 32 + 32 * n;
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 2; half++) {
                    float dl = dAll * (scales[is++] - 32);
                    for (int l = 0; l < 16; l++) {
                        int lo = (Bits.u8(s, q + 16 * half + l) >> shift) & 3;
                        int hbit = (Bits.u8(s, off + 16 * half + l) & m) != 0 ? 0 : 4;
                        y[out++] = dl * (lo - hbit);
                    }
                }
                m <<= 1;
            }
        }
    }

    /** Q5_K, 176 bytes: d, dmin, scales[12] (as Q4_K), qh[32] (fifth bits), qs[128]. */
    static void q5_K(MemorySegment s, long off, float[] y, int yo) {
        float d = Bits.f16(s, off), min = Bits.f16(s, off + 2);
        byte[] sc = new byte[12];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, off + 4, sc, 0, 12);
        int u1 = 1, u2 = 2, out = yo;
        for (int c = 0; c < 4; c++) {
            float d1 = d * Q4_K.scale(sc, 2 * c), m1 = min * Q4_K.min(sc, 2 * c);
            float d2 = d * Q4_K.scale(sc, 2 * c + 1), m2 = min * Q4_K.min(sc, 2 * c + 1);
            long ql = off + 48 + 32 * c;
            for (int l = 0; l < 32; l++)
                y[out++] = d1 * ((Bits.u8(s, ql + l) & 0xf) + ((Bits.u8(s, off + 16 + l) & u1) != 0 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; l++)
                y[out++] = d2 * ((Bits.u8(s, ql + l) >> 4) + ((Bits.u8(s, off + 16 + l) & u2) != 0 ? 16 : 0)) - m2;
            u1 <<= 2;
            u2 <<= 2;
        }
    }
}
