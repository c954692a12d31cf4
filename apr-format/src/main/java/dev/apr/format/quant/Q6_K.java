package dev.apr.format.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q6_K: a super-block of 256 = 16 sub-blocks of 16 in 210 bytes: {@code ql[128]} (low nibbles),
 * {@code qh[64]} (high 2 bits), {@code scales[16]} (int8), {@code d} (fp16) <em>last</em>
 * (spec §3.4). {@code quantize_row_q6_K_ref}, bit-exact.
 */
public final class Q6_K {
    private Q6_K() {}

    public static final int BLOCK = 256, BYTES = 210;

    public static void quantizeBlock(float[] x, int xOff, byte[] dst, int dstOff) {
        byte[] L = new byte[BLOCK];
        float[] scales = new float[16];
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            float s = makeQxQuants(16, 32, x, xOff + 16 * ib, L, 16 * ib);
            scales[ib] = s;
            float as = Math.abs(s);
            if (as > maxAbsScale) { maxAbsScale = as; maxScale = s; }
        }
        if (maxAbsScale < Bits.GROUP_MAX_EPS) {   // all (near) zero: 210 zero bytes
            java.util.Arrays.fill(dst, dstOff, dstOff + BYTES, (byte) 0);
            return;
        }
        float iscale = -128f / maxScale;
        Bits.putF16(dst, dstOff + 208, 1 / iscale);
        float d = Bits.viaF16(1 / iscale);
        byte[] sc = new byte[16];
        for (int ib = 0; ib < 16; ib++) sc[ib] = (byte) Math.min(127, Bits.nearestInt(iscale * scales[ib]));
        System.arraycopy(sc, 0, dst, dstOff + 192, 16);
        for (int j = 0; j < 16; j++) {
            float dj = d * sc[j];
            if (dj == 0) continue;
            for (int ii = 0; ii < 16; ii++) {
                int l = Bits.nearestInt(x[xOff + 16 * j + ii] / dj);
                L[16 * j + ii] = (byte) (Math.max(-32, Math.min(31, l)) + 32);
            }
        }
        for (int h = 0; h < 2; h++) {
            int b = 128 * h;
            for (int l = 0; l < 32; l++) {
                int q1 = L[b + l], q2 = L[b + l + 32], q3 = L[b + l + 64], q4 = L[b + l + 96];
                dst[dstOff + 64 * h + l] = (byte) ((q1 & 0xf) | ((q3 & 0xf) << 4));
                dst[dstOff + 64 * h + 32 + l] = (byte) ((q2 & 0xf) | ((q4 & 0xf) << 4));
                dst[dstOff + 128 + 32 * h + l] = (byte) ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
            }
        }
    }

    /** {@code make_qx_quants} with rmse_type = 1 (weights x²) and no importance matrix. */
    static float makeQxQuants(int n, int nmax, float[] x, int xo, byte[] L, int lo) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) { amax = ax; max = x[xo + i]; }
        }
        if (amax < Bits.GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = Bits.nearestInt(iscale * x[xo + i]);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            L[lo + i] = (byte) (l + nmax);
            float w = x[xo + i] * x[xo + i];
            sumlx += w * x[xo + i] * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                int l = Bits.nearestInt(iscale * x[xo + i]);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                float w = x[xo + i] * x[xo + i];
                sumlx += w * x[xo + i] * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    int l = Bits.nearestInt(iscale * x[xo + i]);
                    L[lo + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    public static void dequantizeBlock(MemorySegment src, long off, float[] y, int yOff) {
        float d = Bits.f16(src, off + 208);
        for (int h = 0; h < 2; h++) {
            long ql = off + 64 * h, qh = off + 128 + 32 * h, sc = off + 192 + 8 * h;
            int yb = yOff + 128 * h;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int lo0 = Bits.u8(src, ql + l), lo1 = Bits.u8(src, ql + 32 + l), hi = Bits.u8(src, qh + l);
                int q1 = ((lo0 & 0xf) | ((hi & 3) << 4)) - 32;
                int q2 = ((lo1 & 0xf) | (((hi >> 2) & 3) << 4)) - 32;
                int q3 = ((lo0 >> 4) | (((hi >> 4) & 3) << 4)) - 32;
                int q4 = ((lo1 >> 4) | (((hi >> 6) & 3) << 4)) - 32;
                y[yb + l] = d * src.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                y[yb + l + 32] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                y[yb + l + 64] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                y[yb + l + 96] = d * src.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
            }
        }
    }
}
