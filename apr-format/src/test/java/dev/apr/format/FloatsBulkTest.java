package dev.apr.format;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The bulk (Vector API) conversions agree bit for bit with the scalar ones, specials included. */
class FloatsBulkTest {
    @Test
    void bulkMatchesScalar() {
        int n = 1000 + 7;
        float[] f = new float[n];
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < n; i++) f[i] = Float.intBitsToFloat(r.nextInt());
        float[] specials = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
                Float.MAX_VALUE, 1.00390625f /* tie: rounds to even */, 1.01171875f, Float.intBitsToFloat(0x7f800001),
                Float.intBitsToFloat(0xffc00001)};
        System.arraycopy(specials, 0, f, 0, specials.length);
        short[] h = new short[n];
        Floats.f32ToBf16(f, h, n);
        for (int i = 0; i < n; i++) assertEquals(Floats.f32ToBf16(f[i]), h[i], "f32->bf16 at " + i);
        float[] back = new float[n];
        Floats.bf16ToF32(h, back, n);
        for (int i = 0; i < n; i++)
            assertEquals(Float.floatToRawIntBits(Floats.bf16ToF32(h[i])), Float.floatToRawIntBits(back[i]), "bf16->f32 at " + i);
        assertEquals((short) 0x3f80, h[7], "1.00390625 is a tie and rounds to the even 1.0");
        assertEquals(0x7fc0, h[9] & 0xffff, "signalling NaN becomes quiet");
        Floats.f32ToF16(f, h, n);
        Floats.f16ToF32(h, back, n);
        for (int i = 0; i < n; i++) assertEquals(Floats.f32ToF16(f[i]), h[i]);
    }
}
