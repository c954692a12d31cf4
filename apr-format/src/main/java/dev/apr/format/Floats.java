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

    // ---- bulk conversions (Vector API), used by import/export dtype conversion ------------------

    private static final jdk.incubator.vector.VectorSpecies<Integer> I = jdk.incubator.vector.IntVector.SPECIES_PREFERRED;
    private static final jdk.incubator.vector.VectorSpecies<Short> S =
            jdk.incubator.vector.VectorSpecies.of(short.class, jdk.incubator.vector.VectorShape.forBitSize(I.vectorBitSize() / 2));

    /** dst[i] = bf16ToF32(src[i]) for i < n. */
    public static void bf16ToF32(short[] src, float[] dst, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += S.length()) {
            var h = jdk.incubator.vector.ShortVector.fromArray(S, src, i);
            var w = ((jdk.incubator.vector.IntVector) h.convertShape(jdk.incubator.vector.VectorOperators.S2I, I, 0))
                    .lanewise(jdk.incubator.vector.VectorOperators.LSHL, 16);
            w.reinterpretAsFloats().intoArray(dst, i);
        }
        for (; i < n; i++) dst[i] = bf16ToF32(src[i]);
    }

    /** dst[i] = f32ToBf16(src[i]) for i < n: round to nearest even, NaN kept quiet. */
    public static void f32ToBf16(float[] src, short[] dst, int n) {
        var F = I.withLanes(float.class);
        int i = 0;
        for (int upper = I.loopBound(n); i < upper; i += I.length()) {
            var bits = jdk.incubator.vector.FloatVector.fromArray((jdk.incubator.vector.VectorSpecies<Float>) F, src, i)
                    .reinterpretAsInts();
            var nan = bits.and(0x7fffffff).compare(jdk.incubator.vector.VectorOperators.GT, 0x7f800000);
            var lsb = bits.lanewise(jdk.incubator.vector.VectorOperators.LSHR, 16).and(1);
            var rounded = bits.add(lsb).add(0x7fff).lanewise(jdk.incubator.vector.VectorOperators.LSHR, 16);
            var quiet = bits.lanewise(jdk.incubator.vector.VectorOperators.LSHR, 16).or(0x40);
            var out = rounded.blend(quiet, nan);
            ((jdk.incubator.vector.ShortVector) out.convertShape(jdk.incubator.vector.VectorOperators.I2S, S, 0)).intoArray(dst, i);
        }
        for (; i < n; i++) dst[i] = f32ToBf16(src[i]);
    }

    /** dst[i] = f16ToF32(src[i]) for i < n. */
    public static void f16ToF32(short[] src, float[] dst, int n) {
        for (int i = 0; i < n; i++) dst[i] = Float.float16ToFloat(src[i]);
    }

    /** dst[i] = f32ToF16(src[i]) for i < n. */
    public static void f32ToF16(float[] src, short[] dst, int n) {
        for (int i = 0; i < n; i++) dst[i] = Float.floatToFloat16(src[i]);
    }
}
