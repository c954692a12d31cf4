package dev.apr.format.gguf;

import dev.apr.format.DType;

/**
 * One tensor-info record as stored: the GGUF name, {@code ne} in ggml order (innermost first,
 * i.e. reversed from the row-major shape), the GGML type, the offset relative to the data
 * section and the byte size.
 */
public record GgufTensorInfo(String name, DType type, long[] ne, long offset, long nbytes) {
    /** Row-major shape ({@code [out, in]} for a linear weight): {@code ne} reversed. */
    public long[] shape() {
        long[] s = new long[ne.length];
        for (int i = 0; i < ne.length; i++) s[i] = ne[ne.length - 1 - i];
        return s;
    }
}
