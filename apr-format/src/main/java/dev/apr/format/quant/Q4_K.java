package dev.apr.format.quant;

import java.lang.foreign.MemorySegment;

/**
 * Q4_K: a super-block of 256 = 8 sub-blocks of 32 in 144 bytes: {@code d}, {@code dmin} (fp16),
 * twelve bytes of packed 6-bit scales and mins, 128 bytes of nibbles (spec §3.3).
 * {@code quantize_row_q4_K_ref} (no importance matrix), bit-exact: float arithmetic in C order.
 */
public final class Q4_K {
    private Q4_K() {}

    public static final int BLOCK = 256, BYTES = 144;

    public static void quantizeBlock(float[] x, int xOff, byte[] dst, int dstOff) {
        byte[] L = new byte[BLOCK];
        byte[] laux = new byte[32];
        float[] weights = new float[32];
        float[] mins = new float[8];
        float[] scales = new float[8];
        float[] theMin = new float[1];

        float maxScale = 0, maxMin = 0;   // the mins are subtracted, so scales are positive
        for (int j = 0; j < 8; j++) {
            int base = xOff + 32 * j;
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += x[base + l] * x[base + l];
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(x[base + l]);
            scales[j] = makeQkx2Quants(32, 15, x, base, weights, L, 32 * j, theMin, laux, -1f, 0.1f, 20);
            mins[j] = theMin[0];
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        byte[] sc = new byte[12];
        for (int j = 0; j < 8; j++) {
            // (uint8_t) nearest_int(...) then MIN(63, ...), as in C
            int ls = Math.min(63, Bits.nearestInt(invScale * scales[j]) & 0xff);
            int lm = Math.min(63, Bits.nearestInt(invMin * mins[j]) & 0xff);
            if (j < 4) {
                sc[j] = (byte) ls;
                sc[j + 4] = (byte) lm;
            } else {
                sc[j + 4] = (byte) ((ls & 0xf) | ((lm & 0xf) << 4));
                sc[j - 4] |= (byte) ((ls >> 4) << 6);
                sc[j] |= (byte) ((lm >> 4) << 6);
            }
        }
        float d = Bits.viaF16(maxScale / 63f);
        float dmin = Bits.viaF16(maxMin / 63f);
        Bits.putF16(dst, dstOff, maxScale / 63f);
        Bits.putF16(dst, dstOff + 2, maxMin / 63f);
        System.arraycopy(sc, 0, dst, dstOff + 4, 12);

        // requantize against the stored (rounded) scales; a zero sub-scale keeps the first L
        for (int j = 0; j < 8; j++) {
            int s = scale(sc, j), m = min(sc, j);
            float dj = d * s;
            if (dj == 0) continue;
            float dm = dmin * m;
            for (int ii = 0; ii < 32; ii++) {
                int l = Bits.nearestInt((x[xOff + 32 * j + ii] + dm) / dj);
                L[32 * j + ii] = (byte) Math.max(0, Math.min(15, l));
            }
        }
        // sub-block 2c in the low nibbles of bytes 32c.., sub-block 2c+1 in the high nibbles
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++)
                dst[dstOff + 16 + 32 * c + l] = (byte) (L[64 * c + l] | (L[64 * c + 32 + l] << 4));
    }

    /** {@code get_scale_min_k4}: the 6-bit scale of sub-block j (shared with Q5_K). */
    static int scale(byte[] s, int j) {
        return j < 4 ? s[j] & 63 : (s[j + 4] & 0xf) | (((s[j - 4] & 0xff) >> 6) << 4);
    }

    /** {@code get_scale_min_k4}: the 6-bit min of sub-block j. */
    static int min(byte[] s, int j) {
        return j < 4 ? s[j + 4] & 63 : ((s[j + 4] & 0xff) >> 4) | (((s[j] & 0xff) >> 6) << 4);
    }

    /**
     * {@code make_qkx2_quants} with use_mad = false: a scale and a min (returned as a positive
     * amount to subtract) minimizing the weighted squared error over a small grid of scales.
     */
    static float makeQkx2Quants(int n, int nmax, float[] x, int xo, float[] w, byte[] L, int lo, float[] theMin,
                                byte[] laux, float rmin, float rdelta, int nstep) {
        float min = x[xo], max = x[xo];
        float sumW = w[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            if (x[xo + i] < min) min = x[xo + i];
            if (x[xo + i] > max) max = x[xo + i];
            float wi = w[i];
            sumW += wi;
            sumX += wi * x[xo + i];
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            theMin[0] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestMad = 0;
        for (int i = 0; i < n; i++) {
            int l = Bits.nearestInt(iscale * (x[xo + i] - min));
            L[lo + i] = (byte) Math.max(0, Math.min(nmax, l));
            float diff = scale * L[lo + i] + min - x[xo + i];
            diff = diff * diff;
            bestMad += w[i] * diff;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = Bits.nearestInt(iscale * (x[xo + i] - min));
                l = Math.max(0, Math.min(nmax, l));
                laux[i] = (byte) l;
                float wi = w[i];
                sumL += wi * l;
                sumL2 += wi * l * l;
                sumXL += wi * l * x[xo + i];
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float mad = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * laux[i] + thisMin - x[xo + i];
                    diff = diff * diff;
                    mad += w[i] * diff;
                }
                if (mad < bestMad) {
                    System.arraycopy(laux, 0, L, lo, n);
                    bestMad = mad;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[0] = -min;
        return scale;
    }

    public static void dequantizeBlock(MemorySegment src, long off, float[] y, int yOff) {
        float d = Bits.f16(src, off);
        float dmin = Bits.f16(src, off + 2);
        byte[] sc = new byte[12];
        MemorySegment.copy(src, java.lang.foreign.ValueLayout.JAVA_BYTE, off + 4, sc, 0, 12);
        for (int c = 0; c < 4; c++) {
            float d1 = d * scale(sc, 2 * c), m1 = dmin * min(sc, 2 * c);
            float d2 = d * scale(sc, 2 * c + 1), m2 = dmin * min(sc, 2 * c + 1);
            for (int l = 0; l < 32; l++) {
                int q = Bits.u8(src, off + 16 + 32 * c + l);
                y[yOff + 64 * c + l] = d1 * (q & 0xf) - m1;
                y[yOff + 64 * c + 32 + l] = d2 * (q >> 4) - m2;
            }
        }
    }
}
