package dev.apr.cli.quickstart;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The quickstart's ledger: each stage prints a header when it starts and one summary line when it
 * ends (with its wall time), and is kept for the report together with the apr command a user
 * would type to do the same thing by hand.
 */
final class Stages {

    /** A finished stage. {@code ok} false means the journey stopped there. */
    record Stage(int number, String name, String summary, List<String> commands, double seconds, boolean ok) {}

    private final PrintStream out;
    private final int total;
    private final long start = System.nanoTime();
    private final List<Stage> done = new ArrayList<>();
    private int number;
    private String name;
    private long stageStart;
    private List<String> commands = new ArrayList<>();

    Stages(PrintStream out, int total) {
        this.out = out;
        this.total = total;
    }

    void begin(String stageName) {
        number++;
        name = stageName;
        commands = new ArrayList<>();
        stageStart = System.nanoTime();
        out.printf(Locale.ROOT, "[%d/%d] %s ...%n", number, total, stageName);
        out.flush();
    }

    /** The command line that does what this stage did (for the report and for people to copy). */
    void command(String cmd) { commands.add(cmd); }

    void end(String summary) { finish(summary, true); }

    void fail(String summary) { finish(summary, false); }

    private void finish(String summary, boolean ok) {
        double s = (System.nanoTime() - stageStart) / 1e9;
        done.add(new Stage(number, name, summary, List.copyOf(commands), s, ok));
        out.printf(Locale.ROOT, "[%d/%d] %s %s: %s (%.1f s)%n", number, total, ok ? "ok  " : "FAIL", name, summary, s);
        out.flush();
    }

    /** The stage that was begun but not ended, if any (a failure thrown out of it). */
    String current() { return done.size() < number ? name : null; }

    List<Stage> done() { return List.copyOf(done); }

    double elapsedSeconds() { return (System.nanoTime() - start) / 1e9; }
}
