package dev.apr.model.tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Decodes a token stream piece by piece (for printing while generating). A token may end in the
 * middle of a UTF-8 character (an emoji is often 2-4 byte tokens), so the bytes of an unfinished
 * character are held back until the token that completes it arrives. The concatenation of all
 * {@link #push} results and the final {@link #flush} equals {@link Tokenizer#decode} of the
 * whole sequence. Not thread-safe: one per stream.
 */
public final class TokenStreamDecoder {
    private final Tokenizer tokenizer;
    private byte[] pending = new byte[16];
    private int pendingLen;

    TokenStreamDecoder(Tokenizer tokenizer) { this.tokenizer = tokenizer; }

    /** Adds one token; returns the text that is now complete (possibly empty). */
    public String push(int id) {
        byte[] b = tokenizer.tokenBytes(id);
        if (pendingLen + b.length > pending.length) pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLen + b.length));
        System.arraycopy(b, 0, pending, pendingLen, b.length);
        pendingLen += b.length;
        int keep = incompleteTail(pending, pendingLen);
        int emit = pendingLen - keep;
        if (emit == 0) return "";
        String s = lossy(pending, 0, emit);
        System.arraycopy(pending, emit, pending, 0, keep);
        pendingLen = keep;
        return s;
    }

    /** Ends the stream: any held-back bytes (an unfinished character) come out as U+FFFD. */
    public String flush() {
        String s = lossy(pending, 0, pendingLen);
        pendingLen = 0;
        return s;
    }

    /**
     * How many trailing bytes form a valid but unfinished UTF-8 sequence (0..3). Only a prefix that
     * could still become a valid character is held, so decoding never changes by holding.
     */
    static int incompleteTail(byte[] a, int len) {
        for (int back = 1; back <= 3 && back <= len; back++) {
            int lead = a[len - back] & 0xFF;
            if (lead < 0x80) return 0;          // ASCII: nothing pending
            if (lead < 0xC0) continue;          // continuation byte: look further back
            int need = lead >= 0xF5 ? 0 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
            if (need <= back) return 0;         // complete (or invalid lead): emit everything
            // Check the bytes after the lead are a valid prefix.
            for (int k = 1; k < back; k++) {
                int c = a[len - back + k] & 0xFF;
                int lo = 0x80, hi = 0xBF;
                if (k == 1) {
                    if (lead == 0xE0) lo = 0xA0;
                    else if (lead == 0xED) hi = 0x9F;
                    else if (lead == 0xF0) lo = 0x90;
                    else if (lead == 0xF4) hi = 0x8F;
                }
                if (c < lo || c > hi) return 0;
            }
            return back;
        }
        return 0;
    }

    static String lossy(byte[] a, int off, int len) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .decode(ByteBuffer.wrap(a, off, len)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalStateException(e); // cannot happen with REPLACE
        }
    }
}
