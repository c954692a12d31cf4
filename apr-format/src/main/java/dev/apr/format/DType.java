package dev.apr.format;

import java.util.HashMap;
import java.util.Map;

/**
 * Every element type apr meets in APR, GGUF and SafeTensors files, with its code in each format.
 *
 * <p>Storage is described by blocks: {@code blockSize} elements take {@code blockBytes} bytes
 * (1 and 4 for F32, 256 and 144 for Q4_K). A code of -1 means the format cannot hold the type.
 * GGML codes follow ggml.h; APR codes follow specs/apr-v2.md (GGML numbering where one exists,
 * 128/129 for the APR-only legacy types); SafeTensors names follow specs/gguf-safetensors.md §6.3.
 */
public enum DType {
    //        ggml  apr  safetensors     block bytes
    F32(        0,   0, "F32",             1,   4),
    F16(        1,   1, "F16",             1,   2),
    Q4_0(       2,  -1, null,             32,  18),
    Q4_1(       3,  -1, null,             32,  20),
    Q5_0(       6,  -1, null,             32,  22),
    Q5_1(       7,  -1, null,             32,  24),
    Q8_0(       8,  -1, null,             32,  34),
    Q8_1(       9,  -1, null,             32,  36),
    Q2_K(      10,  -1, null,            256,  84),
    Q3_K(      11,  -1, null,            256, 110),
    Q4_K(      12,  12, null,            256, 144),
    Q5_K(      13,  -1, null,            256, 176),
    Q6_K(      14,  14, null,            256, 210),
    Q8_K(      15,  -1, null,            256, 292),
    IQ2_XXS(   16,  -1, null,            256,  66),
    IQ2_XS(    17,  -1, null,            256,  74),
    IQ3_XXS(   18,  -1, null,            256,  98),
    IQ1_S(     19,  -1, null,            256,  50),
    IQ4_NL(    20,  -1, null,             32,  18),
    IQ3_S(     21,  -1, null,            256, 110),
    IQ2_S(     22,  -1, null,            256,  82),
    IQ4_XS(    23,  -1, null,            256, 136),
    I8(        24,   6, "I8",              1,   1),
    I16(       25,  -1, "I16",             1,   2),
    I32(       26,   4, "I32",             1,   4),
    I64(       27,   5, "I64",             1,   8),
    F64(       28,   3, "F64",             1,   8),
    IQ1_M(     29,  -1, null,            256,  56),
    BF16(      30,  30, "BF16",            1,   2),
    TQ1_0(     34,  -1, null,            256,  54),
    TQ2_0(     35,  -1, null,            256,  66),
    U8(        -1,   7, "U8",              1,   1),
    BOOL(      -1,  -1, "BOOL",            1,   1),
    U16(       -1,  -1, "U16",             1,   2),
    U32(       -1,  -1, "U32",             1,   4),
    U64(       -1,  -1, "U64",             1,   8),
    C64(       -1,  -1, "C64",             1,   8),
    F8_E5M2(   -1,  -1, "F8_E5M2",         1,   1),
    F8_E4M3(   -1,  -1, "F8_E4M3",         1,   1),
    F8_E4M3FNUZ(-1, -1, "F8_E4M3FNUZ",     1,   1),
    F8_E5M2FNUZ(-1, -1, "F8_E5M2FNUZ",     1,   1),
    F8_E8M0(   -1,  -1, "F8_E8M0",         1,   1),
    F4(        -1,  -1, "F4",              2,   1),
    F6_E2M3(   -1,  -1, "F6_E2M3",         4,   3),
    F6_E3M2(   -1,  -1, "F6_E3M2",         4,   3),
    /** APR legacy code 8: f16 scale + 16 nibble bytes per 32 elements. */
    APR_Q4(    -1, 128, null,             32,  18),
    /** APR legacy code 9: one f32 scale for the whole tensor, then one int8 per element. */
    APR_Q8(    -1, 129, null,              1,   1);

    public final int ggmlCode;
    public final int aprCode;
    public final String safetensorsName;
    public final int blockSize;
    public final int blockBytes;

    DType(int ggmlCode, int aprCode, String safetensorsName, int blockSize, int blockBytes) {
        this.ggmlCode = ggmlCode;
        this.aprCode = aprCode;
        this.safetensorsName = safetensorsName;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    private static final Map<Integer, DType> BY_GGML = new HashMap<>();
    private static final Map<Integer, DType> BY_APR = new HashMap<>();
    private static final Map<String, DType> BY_ST = new HashMap<>();
    static {
        for (DType t : values()) {
            if (t.ggmlCode >= 0) BY_GGML.put(t.ggmlCode, t);
            if (t.aprCode >= 0) BY_APR.put(t.aprCode, t);
            if (t.safetensorsName != null) BY_ST.put(t.safetensorsName, t);
        }
        BY_APR.put(8, APR_Q4);  // legacy numbering of the APR-only quant types
        BY_APR.put(9, APR_Q8);
    }

    /** The type with this GGML code, or null when the code is unknown. */
    public static DType fromGgml(int code) { return BY_GGML.get(code); }

    /** The type with this APR code (legacy 8/9 included), or null when the code is unknown. */
    public static DType fromApr(int code) { return BY_APR.get(code); }

    /** The type with this exact SafeTensors dtype string, or null. */
    public static DType fromSafetensors(String name) { return BY_ST.get(name); }

    public boolean isQuantized() { return blockSize > 1 || this == APR_Q8; }

    /** True for the float types whose values a kernel can read directly (F32, F16, BF16). */
    public boolean isFloat() { return this == F32 || this == F16 || this == BF16 || this == F64; }

    /**
     * Bytes of {@code elements} elements stored in this type, or -1 when the count is not a whole
     * number of blocks. APR_Q8 carries a 4-byte tensor-wide scale in front of its bytes.
     */
    public long byteSize(long elements) {
        if (elements < 0) return -1;
        if (this == APR_Q8) return 4 + elements;
        if (elements % blockSize != 0) return -1;
        return Math.multiplyExact(elements / blockSize, (long) blockBytes);
    }
}
