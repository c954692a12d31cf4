package dev.apr.format.gguf;

/** The GGUF metadata value types with their on-disk codes (spec §1.3). Written as int32. */
public enum GgufValueType {
    UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4), FLOAT32(6, 4),
    BOOL(7, 1), STRING(8, 8), ARRAY(9, 12), UINT64(10, 8), INT64(11, 8), FLOAT64(12, 8);

    public final int code;
    /** Smallest encoded size of one value (a string is at least its u64 length; an array its type and count). */
    final int minBytes;

    GgufValueType(int code, int minBytes) {
        this.code = code;
        this.minBytes = minBytes;
    }

    /** The type with this code, or null when the code is unknown. */
    public static GgufValueType fromCode(int code) {
        for (GgufValueType t : values()) if (t.code == code) return t;
        return null;
    }
}
