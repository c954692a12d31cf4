package dev.apr.train.data;

/**
 * Training or validation windows: window i is {@code seq + 1} consecutive tokens (inputs are the
 * first seq, targets the same shifted by one).
 */
public interface TokenSource {
    /** Number of windows of {@code seq + 1} tokens (Long.MAX_VALUE for an endless stream). */
    long windows(int seq);

    /** Copies window {@code index} ({@code seq + 1} tokens) into {@code dst} at {@code off}. */
    void window(long index, int seq, int[] dst, int off);

    /** A short description for logs and errors. */
    String describe();

    /** SHA-256 (hex) of the manifest that describes this data, or null (synthetic). */
    String manifestSha256();
}
