package dev.apr.format.apr;

import dev.apr.format.AprException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The u16 flags of an APR v2 header (specs/apr-v2.md), by bit and by name. */
public final class AprFlags {
    private AprFlags() {}

    public static final int LZ4_COMPRESSED = 0x0001;
    public static final int ZSTD_COMPRESSED = 0x0002;
    public static final int ENCRYPTED = 0x0004;
    public static final int SIGNED = 0x0008;
    public static final int SHARDED = 0x0010;
    public static final int QUANTIZED = 0x0020;
    public static final int HAS_FILTERBANK = 0x0040;
    public static final int HAS_MODEL_CARD = 0x0080;
    public static final int STREAMING = 0x0100;
    public static final int HAS_VOCAB = 0x0200;
    public static final int LAYOUT_ROW_MAJOR = 0x0400;
    public static final int LAYOUT_COLUMN_MAJOR = 0x0800;

    /** Flags that change how the bytes must be read; apr reads none of them, so it refuses them. */
    public static final int UNREADABLE = LZ4_COMPRESSED | ZSTD_COMPRESSED | ENCRYPTED | LAYOUT_COLUMN_MAJOR;

    private static final Map<String, Integer> BY_NAME = new LinkedHashMap<>();
    static {
        BY_NAME.put("LZ4_COMPRESSED", LZ4_COMPRESSED);
        BY_NAME.put("ZSTD_COMPRESSED", ZSTD_COMPRESSED);
        BY_NAME.put("ENCRYPTED", ENCRYPTED);
        BY_NAME.put("SIGNED", SIGNED);
        BY_NAME.put("SHARDED", SHARDED);
        BY_NAME.put("QUANTIZED", QUANTIZED);
        BY_NAME.put("HAS_FILTERBANK", HAS_FILTERBANK);
        BY_NAME.put("HAS_MODEL_CARD", HAS_MODEL_CARD);
        BY_NAME.put("STREAMING", STREAMING);
        BY_NAME.put("HAS_VOCAB", HAS_VOCAB);
        BY_NAME.put("LAYOUT_ROW_MAJOR", LAYOUT_ROW_MAJOR);
        BY_NAME.put("LAYOUT_COLUMN_MAJOR", LAYOUT_COLUMN_MAJOR);
    }

    /** The bit of a flag name (case-insensitive); unknown names are a usage error. */
    public static int bit(String name) {
        Integer b = BY_NAME.get(name.toUpperCase(java.util.Locale.ROOT));
        if (b == null)
            throw new AprException("UNKNOWN_FLAG", AprException.USAGE, "APR flag: expected one of " + BY_NAME.keySet() + ", got '" + name + "'");
        return b;
    }

    /** Names of the set bits, lowest bit first; bits without a name appear as "BIT_0x....". */
    public static List<String> names(int bits) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int b = 1 << i;
            if ((bits & b) == 0) continue;
            String name = null;
            for (Map.Entry<String, Integer> e : BY_NAME.entrySet()) if (e.getValue() == b) name = e.getKey();
            out.add(name != null ? name : String.format("BIT_0x%04x", b));
        }
        return out;
    }
}
