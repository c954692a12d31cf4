package dev.apr.hub.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads '\n'-terminated lines (NDJSON) from a stream without ever holding more than one line:
 * a line longer than {@code maxLine} or a body longer than {@code maxTotal} is a 413 before the
 * excess is buffered.
 */
final class BoundedLineReader {
    private final InputStream in;
    private final long maxLine, maxTotal;
    private final byte[] chunk = new byte[64 * 1024];
    private int pos, end;
    private long total;
    private boolean eof;

    BoundedLineReader(InputStream in, long maxLine, long maxTotal) {
        this.in = in;
        this.maxLine = maxLine;
        this.maxTotal = maxTotal;
    }

    /** The next line without its terminator ('\r' stripped too), or null at the end. */
    byte[] next() throws IOException {
        byte[] line = new byte[0];
        int len = 0;
        boolean any = false;
        while (true) {
            if (pos == end) {
                if (eof) return any ? finish(line, len) : null;
                int r = in.read(chunk);
                if (r <= 0) { eof = true; continue; }
                total += r;
                if (total > maxTotal) throw HttpError.tooLarge("Commit body is larger than the limit of " + maxTotal + " bytes");
                pos = 0;
                end = r;
            }
            any = true;
            int nl = -1;
            for (int i = pos; i < end; i++) if (chunk[i] == '\n') { nl = i; break; }
            int stop = nl < 0 ? end : nl;
            int n = stop - pos;
            if (len + (long) n > maxLine)
                throw HttpError.tooLarge("NDJSON line longer than the limit of " + maxLine + " bytes");
            if (len + n > line.length) {
                int cap = (int) Math.min(maxLine, Integer.MAX_VALUE - 16);
                line = Arrays.copyOf(line, Math.max(len + n, Math.min(cap, Math.max(1024, line.length * 2))));
            }
            System.arraycopy(chunk, pos, line, len, n);
            len += n;
            pos = stop;
            if (nl >= 0) {
                pos++;
                return finish(line, len);
            }
        }
    }

    private static byte[] finish(byte[] line, int len) {
        if (len > 0 && line[len - 1] == '\r') len--;
        return Arrays.copyOf(line, len);
    }
}
