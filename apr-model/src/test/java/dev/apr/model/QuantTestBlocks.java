package dev.apr.model;

import dev.apr.format.DType;
import dev.apr.format.Floats;

import java.util.Random;

/**
 * Test-side block codecs written from specs/gguf-safetensors.md §3, independent of the kernels:
 * random valid blocks and a plain scalar dequantizer.
 */
final class QuantTestBlocks {
    private QuantTestBlocks() {}

    static int u8(byte[] b, int i) { return b[i] & 0xff; }

    static float half(byte[] b, int i) { return Floats.f16ToF32((short) ((b[i] & 0xff) | (b[i + 1] << 8))); }

    static void putHalf(byte[] b, int i, float f) {
        short h = Floats.f32ToF16(f);
        b[i] = (byte) h;
        b[i + 1] = (byte) (h >> 8);
    }

    /** Random blocks for `rows` rows of `cols` values, with small sane scales. */
    static byte[] randomBlocks(DType t, int rows, int cols, Random r) {
        int nBlocks = rows * (cols / t.blockSize);
        byte[] b = new byte[nBlocks * t.blockBytes];
        r.nextBytes(b);
        for (int k = 0; k < nBlocks; k++) {
            int o = k * t.blockBytes;
            switch (t) {
                case Q8_0, Q5_0 -> putHalf(b, o, 0.002f + 0.01f * r.nextFloat());
                case Q4_K -> { putHalf(b, o, 0.0005f + 0.002f * r.nextFloat()); putHalf(b, o + 2, 0.0005f + 0.002f * r.nextFloat()); }
                case Q6_K -> putHalf(b, o + 208, 0.0001f + 0.0005f * r.nextFloat());
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
        return b;
    }

    /** Dequantizes `n` values starting at block offset `o`, exactly as §3 states, into out[oo..]. */
    static void dequant(DType t, byte[] b, int o, int n, float[] out, int oo) {
        for (int blk = 0; blk < n / t.blockSize; blk++, o += t.blockBytes, oo += t.blockSize) {
            switch (t) {
                case Q8_0 -> {
                    float d = half(b, o);
                    for (int j = 0; j < 32; j++) out[oo + j] = d * b[o + 2 + j];
                }
                case Q5_0 -> {
                    float d = half(b, o);
                    long qh = (u8(b, o + 2) | u8(b, o + 3) << 8 | u8(b, o + 4) << 16 | (long) u8(b, o + 5) << 24);
                    for (int j = 0; j < 16; j++) {
                        int q = u8(b, o + 6 + j);
                        out[oo + j] = d * (((q & 15) | (int) ((qh >> j) & 1) << 4) - 16);
                        out[oo + j + 16] = d * (((q >> 4) | (int) ((qh >> (j + 16)) & 1) << 4) - 16);
                    }
                }
                case Q4_K -> {
                    float d = half(b, o), dmin = half(b, o + 2);
                    int sc = o + 4;
                    for (int c = 0; c < 4; c++) {
                        int[] p1 = scaleMin(b, sc, 2 * c), p2 = scaleMin(b, sc, 2 * c + 1);
                        float d1 = d * p1[0], m1 = dmin * p1[1], d2 = d * p2[0], m2 = dmin * p2[1];
                        for (int l = 0; l < 32; l++) {
                            int q = u8(b, o + 16 + 32 * c + l);
                            out[oo + 64 * c + l] = d1 * (q & 0xF) - m1;
                            out[oo + 64 * c + 32 + l] = d2 * (q >> 4) - m2;
                        }
                    }
                }
                case Q6_K -> {
                    float d = half(b, o + 208);
                    // unpack all 256 six-bit quants by reversing the packing of §3.4
                    int[] L = new int[256];
                    for (int h = 0; h < 2; h++)
                        for (int l = 0; l < 32; l++) {
                            int qh = u8(b, o + 128 + 32 * h + l);
                            int a = u8(b, o + 64 * h + l), c = u8(b, o + 64 * h + 32 + l);
                            L[128 * h + l] = (a & 15) | ((qh & 3) << 4);
                            L[128 * h + l + 32] = (c & 15) | (((qh >> 2) & 3) << 4);
                            L[128 * h + l + 64] = (a >> 4) | (((qh >> 4) & 3) << 4);
                            L[128 * h + l + 96] = (c >> 4) | (((qh >> 6) & 3) << 4);
                        }
                    for (int e = 0; e < 256; e++) out[oo + e] = d * b[o + 192 + e / 16] * (L[e] - 32);
                }
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
    }

    /** get_scale_min_k4 of §3.3. */
    static int[] scaleMin(byte[] b, int q, int j) {
        if (j < 4) return new int[] {u8(b, q + j) & 63, u8(b, q + j + 4) & 63};
        return new int[] {(u8(b, q + j + 4) & 0xF) | ((u8(b, q + j - 4) >> 6) << 4),
                (u8(b, q + j + 4) >> 4) | ((u8(b, q + j) >> 6) << 4)};
    }
}
