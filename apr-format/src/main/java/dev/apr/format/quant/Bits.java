package dev.apr.format.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The scalar helpers ggml's reference quantizers are built from (specs/gguf-safetensors.md §3.1,
 * §3.8), plus little-endian access to block bytes. Kept bit-exact with ggml-quants.c.
 */
final class Bits {
    private Bits() {}

    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Below this a group counts as all-zero (GROUP_MAX_EPS). */
    static final float GROUP_MAX_EPS = 1e-15f;

    /**
     * ggml's {@code nearest_int}: the float trick {@code f + 12582912.0f}, which rounds half to
     * even for |f| <= 4194303. Reproduced bit for bit so that even out-of-range inputs agree.
     */
    static int nearestInt(float f) {
        int i = Float.floatToRawIntBits(f + 12582912.0f);
        return (i & 0x007fffff) - 0x00400000;
    }

    /** C's {@code roundf}: half away from zero (only Q8_0 uses it); done in double as the spec says. */
    static int roundf(float f) {
        return (int) Math.copySign(Math.floor(Math.abs((double) f) + 0.5), f);
    }

    /** fp32 -> fp16 -> fp32, i.e. the value a reader sees after the scale is stored as fp16. */
    static float viaF16(float f) { return Float.float16ToFloat(Float.floatToFloat16(f)); }

    static float f16(MemorySegment s, long off) { return Float.float16ToFloat(s.get(LE_SHORT, off)); }

    static int u8(MemorySegment s, long off) { return s.get(ValueLayout.JAVA_BYTE, off) & 0xff; }

    static void putF16(byte[] b, int off, float f) {
        short h = Float.floatToFloat16(f);
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >>> 8);
    }

    static void putU32(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }
}
