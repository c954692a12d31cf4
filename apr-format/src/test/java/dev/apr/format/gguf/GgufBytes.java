package dev.apr.format.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** A hand assembler of GGUF bytes for tests, independent of {@link GgufWriter}. */
final class GgufBytes {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    GgufBytes u8(int v) { out.write(v); return this; }

    GgufBytes u32(int v) { return raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array()); }

    GgufBytes u64(long v) { return raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array()); }

    GgufBytes f32(float v) { return raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array()); }

    GgufBytes str(String s) { byte[] b = s.getBytes(StandardCharsets.UTF_8); u64(b.length); return raw(b); }

    GgufBytes raw(byte[] b) { out.writeBytes(b); return this; }

    GgufBytes header(long nTensors, long nKv) { return raw("GGUF".getBytes()).u32(3).u64(nTensors).u64(nKv); }

    /** A tensor info with ggml-order dims. */
    GgufBytes info(String name, int type, long offset, long... ne) {
        str(name).u32(ne.length);
        for (long d : ne) u64(d);
        return u32(type).u64(offset);
    }

    GgufBytes padTo(int a) { while (out.size() % a != 0) out.write(0); return this; }

    GgufBytes zeros(int n) { return raw(new byte[n]); }

    int size() { return out.size(); }

    byte[] bytes() { return out.toByteArray(); }
}
