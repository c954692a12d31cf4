package dev.apr.format.io;

import java.io.PrintStream;

/** Progress of long work (transfers, exports, imports); the CLI prints it on stderr, libraries and tests stay quiet. */
public interface Progress {

    /** {@code done} of {@code total} bytes of {@code label} have moved. */
    void update(String label, long done, long total);

    /** A one-line note (a retry, a skipped file). */
    default void note(String message) {}

    Progress NONE = (label, done, total) -> {};

    /**
     * A running count towards {@code total} bytes under one label: each call adds bytes done (from
     * any thread). Reports 0 of total at once, so a long first step already shows its bar.
     */
    default java.util.function.LongConsumer counter(String label, long total) {
        long[] done = {0};
        update(label, 0, total);
        return n -> {
            synchronized (done) {
                done[0] += n;
                update(label, done[0], total);
            }
        };
    }

    /** A throttled single-line bar on a terminal stream (at most ~5 updates a second). */
    static Progress to(PrintStream err) {
        return new Progress() {
            private long lastPrint;
            private String lastLabel;

            @Override public synchronized void update(String label, long done, long total) {
                long now = System.nanoTime();
                boolean finished = done >= total;
                if (!finished && label.equals(lastLabel) && now - lastPrint < 200_000_000L) return;
                lastPrint = now;
                lastLabel = label;
                double pct = total > 0 ? 100.0 * done / total : 100.0;
                err.printf("\r  %-40s %6.1f%% %s / %s%s", trim(label), pct, human(done), human(total), finished ? "\n" : "");
                err.flush();
            }

            @Override public synchronized void note(String message) {
                err.println("  " + message);
                err.flush();
            }
        };
    }

    static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1 << 20) return String.format("%.1f KiB", bytes / 1024.0);
        if (bytes < 1L << 30) return String.format("%.1f MiB", bytes / (double) (1 << 20));
        return String.format("%.2f GiB", bytes / (double) (1L << 30));
    }

    private static String trim(String s) { return s.length() <= 40 ? s : "…" + s.substring(s.length() - 39); }
}
