package dev.apr.cli;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/** Bridges picocli's PrintWriter (what tests capture) to the PrintStream the library writes, a line at a time. */
final class WriterStream extends OutputStream {
    private final PrintWriter w;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    private WriterStream(PrintWriter w) { this.w = w; }

    static PrintStream printStream(PrintWriter w) {
        return new PrintStream(new WriterStream(w), true, StandardCharsets.UTF_8);
    }

    @Override public synchronized void write(int b) {
        line.write(b);
        if (b == '\n') flush();
    }

    @Override public synchronized void flush() {
        w.print(line.toString(StandardCharsets.UTF_8));
        line.reset();
        w.flush();
    }
}
