package dev.apr.hub.server;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A git-lfs v1 pointer file (spec §8): exactly three lines, each ending in '\n':
 * {@code version https://git-lfs.github.com/spec/v1}, {@code oid sha256:<64 hex>}, {@code size <bytes>}.
 */
record LfsPointer(String oid, long size) {
    static final String VERSION_LINE = "version https://git-lfs.github.com/spec/v1\n";
    private static final Pattern FORMAT = Pattern.compile(
            "version https://git-lfs\\.github\\.com/spec/v1\noid sha256:([0-9a-f]{64})\nsize (0|[1-9][0-9]{0,18})\n");
    /** Pointers are at most ~140 bytes; a larger blob is never read to check. */
    static final int MAX_POINTER_BYTES = 200;

    String text() {
        return VERSION_LINE + "oid sha256:" + oid + "\nsize " + size + "\n";
    }

    byte[] bytes() { return text().getBytes(StandardCharsets.US_ASCII); }

    int pointerSize() { return bytes().length; }

    /** The pointer a blob holds, or null when the blob is regular content. */
    static LfsPointer parse(byte[] blob) {
        if (blob.length > MAX_POINTER_BYTES) return null;
        Matcher m = FORMAT.matcher(new String(blob, StandardCharsets.ISO_8859_1));
        if (!m.matches()) return null;
        try {
            return new LfsPointer(m.group(1), Long.parseLong(m.group(2)));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
