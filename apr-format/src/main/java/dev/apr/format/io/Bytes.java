package dev.apr.format.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian reads from a MemorySegment at any (unaligned) offset. */
public final class Bytes {
    private Bytes() {}

    public static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public static int u8(MemorySegment s, long off) { return s.get(ValueLayout.JAVA_BYTE, off) & 0xff; }

    public static int u16(MemorySegment s, long off) { return s.get(LE_SHORT, off) & 0xffff; }

    public static long u32(MemorySegment s, long off) { return s.get(LE_INT, off) & 0xffffffffL; }

    /** A u64 as a signed long: values >= 2^63 come back negative, which every caller refuses. */
    public static long u64(MemorySegment s, long off) { return s.get(LE_LONG, off); }

    public static long align(long v, long a) { return Math.addExact(v, a - 1) / a * a; }

    /** The first bytes of a segment as hex, for error messages. */
    public static String hexPrefix(MemorySegment s, int max) {
        StringBuilder sb = new StringBuilder();
        long n = Math.min(max, s.byteSize());
        for (long i = 0; i < n; i++) {
            if (i > 0) sb.append(' ');
            sb.append(String.format("%02x", u8(s, i)));
        }
        return n == 0 ? "(empty file)" : sb.toString();
    }
}
