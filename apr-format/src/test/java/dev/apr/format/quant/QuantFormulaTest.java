package dev.apr.format.quant;

import dev.apr.format.DType;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Blocks built by hand from the spec's layouts (§3.2-3.5): decoders and quantizers on known values. */
class QuantFormulaTest {
    static void f16(byte[] b, int off, float v) {
        short h = Float.floatToFloat16(v);
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >> 8);
    }

    @Test void q8_0DecodesDTimesQ() {
        byte[] b = new byte[34];
        f16(b, 0, 0.5f);
        for (int j = 0; j < 32; j++) b[2 + j] = (byte) (j * 8 - 128);
        float[] y = Dequantize.decode(DType.Q8_0, b, 32);
        for (int j = 0; j < 32; j++) assertEquals(0.5f * (j * 8 - 128), y[j]);
    }

    @Test void q8_0QuantizesConstantAndZeroBlocks() {
        float[] c = new float[32];
        java.util.Arrays.fill(c, 0.25f);
        byte[] q = Quantize.quantize(DType.Q8_0, c);
        assertEquals(Float.floatToFloat16(0.25f / 127), (short) ((q[0] & 0xff) | (q[1] << 8)));
        for (int j = 0; j < 32; j++) assertEquals(127, q[2 + j]);
        assertArrayEquals(new byte[34], Quantize.quantize(DType.Q8_0, new float[32]));
        // roundf: half away from zero; x = ±63.5/127 of amax at id = 127 gives ±63.5 -> ±64
        float[] h = new float[32];
        h[0] = 1f; h[1] = 63.5f / 127f; h[2] = -63.5f / 127f;
        byte[] qh = Quantize.quantize(DType.Q8_0, h);
        assertEquals(127, qh[2]);
        assertEquals(Math.round(63.5f / 127f * 127f), qh[3]);   // the product is not exactly 63.5 in float
        assertEquals(-qh[3], qh[4]);
    }

    @Test void q5_0DecodesFifthBitsFromQh() {
        byte[] b = new byte[22];
        f16(b, 0, 2f);
        int qh = 0;
        for (int j = 0; j < 32; j++) {
            int q = j;                                   // 0..31
            if (j < 16) b[6 + j] |= (byte) (q & 15); else b[6 + j - 16] |= (byte) ((q & 15) << 4);
            if ((q & 16) != 0) qh |= 1 << j;
        }
        b[2] = (byte) qh; b[3] = (byte) (qh >> 8); b[4] = (byte) (qh >> 16); b[5] = (byte) (qh >> 24);
        float[] y = Dequantize.decode(DType.Q5_0, b, 32);
        for (int j = 0; j < 32; j++) assertEquals(2f * (j - 16), y[j]);
    }

    /** Packs sub-block scales/mins the way spec §3.3 describes. */
    static byte[] packQ4KScales(int[] ls, int[] lm) {
        byte[] s = new byte[12];
        for (int j = 0; j < 8; j++) {
            if (j < 4) { s[j] = (byte) ls[j]; s[j + 4] = (byte) lm[j]; }
            else {
                s[j + 4] = (byte) ((ls[j] & 0xf) | ((lm[j] & 0xf) << 4));
                s[j - 4] |= (byte) ((ls[j] >> 4) << 6);
                s[j] |= (byte) ((lm[j] >> 4) << 6);
            }
        }
        return s;
    }

    @Test void q4_KDecodesScalesMinsAndNibbleOrder() {
        int[] ls = {1, 5, 17, 33, 63, 48, 2, 60}, lm = {0, 63, 7, 16, 31, 40, 59, 1};
        byte[] b = new byte[144];
        f16(b, 0, 0.25f);
        f16(b, 2, 0.125f);
        System.arraycopy(packQ4KScales(ls, lm), 0, b, 4, 12);
        int[] L = new int[256];
        for (int e = 0; e < 256; e++) L[e] = (e * 7 + 3) % 16;
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++) b[16 + 32 * c + l] = (byte) (L[64 * c + l] | (L[64 * c + 32 + l] << 4));
        float[] y = Dequantize.decode(DType.Q4_K, b, 256);
        for (int e = 0; e < 256; e++) {
            int j = e / 32;
            float expected = 0.25f * ls[j] * L[e] - 0.125f * lm[j];
            assertEquals(expected, y[e], 1e-6f, "element " + e);
        }
    }

    @Test void q6_KDecodesWithScaleLast() {
        byte[] b = new byte[210];
        f16(b, 208, 0.5f);
        byte[] sc = {1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12, 13, -14, 127, -128};
        System.arraycopy(sc, 0, b, 192, 16);
        int[] L = new int[256];
        for (int e = 0; e < 256; e++) L[e] = (e * 13 + 5) % 64;
        for (int h = 0; h < 2; h++)
            for (int l = 0; l < 32; l++) {
                int base = 128 * h, q1 = L[base + l], q2 = L[base + l + 32], q3 = L[base + l + 64], q4 = L[base + l + 96];
                b[64 * h + l] = (byte) ((q1 & 15) | ((q3 & 15) << 4));
                b[64 * h + 32 + l] = (byte) ((q2 & 15) | ((q4 & 15) << 4));
                b[128 + 32 * h + l] = (byte) ((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
            }
        float[] y = Dequantize.decode(DType.Q6_K, b, 256);
        for (int e = 0; e < 256; e++) assertEquals(0.5f * sc[e / 16] * (L[e] - 32), y[e], 1e-6f, "element " + e);
    }

    @Test void zeroBlocksQuantizeToZeroBytes() {
        assertArrayEquals(new byte[144], Quantize.quantize(DType.Q4_K, new float[256]));
        assertArrayEquals(new byte[210], Quantize.quantize(DType.Q6_K, new float[256]));
        // Q5_0 of zeros is not zero bytes: d = 0/-16 = -0.0 (fp16 0x8000), and every quant is
        // trunc(0 + 16.5) = 16, i.e. nibble 0 with its fifth bit set in qh
        byte[] q5 = Quantize.quantize(DType.Q5_0, new float[32]);
        assertEquals(0, q5[0]);
        assertEquals((byte) 0x80, q5[1]);
        for (int i = 2; i < 6; i++) assertEquals((byte) 0xff, q5[i]);
        for (int i = 6; i < 22; i++) assertEquals(0, q5[i]);
        for (float v : Dequantize.decode(DType.Q5_0, q5, 32)) assertEquals(0f, Math.abs(v));   // (16-16)·(-0.0) = -0.0
    }

    @Test void roundTripErrorsAreWithinEachFormatsStep() {
        Random r = new Random(42);
        float[] x = new float[4096];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian() * 0.05f;
        double[] maxRel = {0, 0, 0, 0};
        DType[] types = {DType.Q8_0, DType.Q6_K, DType.Q5_0, DType.Q4_K};
        double[] bound = {0.01, 0.04, 0.08, 0.15};   // rms error relative to rms(x)
        for (int t = 0; t < types.length; t++) {
            float[] y = Dequantize.decode(types[t], Quantize.quantize(types[t], x), x.length);
            double se = 0, sx = 0;
            for (int i = 0; i < x.length; i++) { se += (x[i] - y[i]) * (x[i] - y[i]); sx += x[i] * x[i]; }
            maxRel[t] = Math.sqrt(se / sx);
            assertTrue(maxRel[t] < bound[t], types[t] + " relative rms error " + maxRel[t]);
        }
        // more bits, less error
        assertTrue(maxRel[0] < maxRel[1] && maxRel[1] < maxRel[2] && maxRel[2] < maxRel[3], java.util.Arrays.toString(maxRel));
    }

    @Test void rowsThatAreNotWholeBlocksAreRefused() {
        var e = assertThrows(dev.apr.format.AprException.class, () -> Quantize.quantize(DType.Q4_K, new float[896]));
        assertEquals("BAD_ROW_LENGTH", e.code());
    }
}
