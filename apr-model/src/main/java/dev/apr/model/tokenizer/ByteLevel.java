package dev.apr.model.tokenizer;

/**
 * GPT-2's reversible byte-to-character table ({@code bytes_to_unicode}): printable Latin-1 bytes
 * map to themselves, the other 68 bytes to U+0100.., so every byte string is a printable string
 * (space becomes 'Ġ' U+0120, newline 'Ċ' U+010A).
 */
final class ByteLevel {
    private ByteLevel() {}

    /** Byte value (0..255) to its character. */
    static final char[] BYTE_TO_CHAR = new char[256];
    /** Character (below U+0200) to its byte, or -1. */
    static final short[] CHAR_TO_BYTE = new short[0x200];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, (short) -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = (short) b;
        }
    }

    /** The byte-level string of some UTF-8 bytes. */
    static String encode(byte[] utf8) {
        char[] out = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) out[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        return new String(out);
    }

    /**
     * The bytes a token string stands for, as HF's ByteLevel decoder does it: if every char is in
     * the table, the mapped bytes; otherwise (e.g. an added token with a char outside it) the
     * token's own UTF-8 bytes.
     */
    static byte[] decodeToken(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) return token.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            out[i] = (byte) b;
        }
        return out;
    }
}
