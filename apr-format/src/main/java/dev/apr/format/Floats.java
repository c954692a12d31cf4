package dev.apr.format;

/** F16 and BF16 conversions (specs/gguf-safetensors.md §3.1, §6.6). */
public final class Floats {
    private Floats() {}

    public static float f16ToF32(short h) { return Float.float16ToFloat(h); }

    /** Round to nearest even, exactly like ggml's fp32→fp16. */
    public static short f32ToF16(float f) { return Float.floatToFloat16(f); }

    /** BF16 is the upper half of an f32: exact. */
    public static float bf16ToF32(short b) { return Float.intBitsToFloat((b & 0xffff) << 16); }

    /** Round to nearest even; NaN stays a quiet NaN (as ggml and PyTorch do). */
    public static short f32ToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x40);
        bits += 0x7fff + ((bits >>> 16) & 1);
        return (short) (bits >>> 16);
    }
}
