package dev.apr.cli;

import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ctrl-C (SIGINT) or SIGTERM during a long command: instead of dying mid-way, the JVM's shutdown
 * hook asks the work to stop at its next safe point ({@link #requested()}, polled by the work) and
 * holds the exit until the command has finished that point (for {@code apr pretrain}: the step in
 * flight and its checkpoint). The process then exits with the signal's status (130 / 143), so
 * scripts still see an interruption. A shutdown hook rather than a signal handler: it is the JDK's
 * supported way and covers SIGINT, SIGTERM and SIGHUP alike. {@code kill -9} still aborts at once;
 * checkpoints are written to a temporary file and renamed, so even that leaves no half-written one.
 */
final class GracefulStop implements AutoCloseable {
    private final AtomicBoolean requested = new AtomicBoolean();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;

    /** Armed until {@link #close()}; {@code what} says in the message what will be finished first. */
    GracefulStop(String command, String what, PrintStream err) {
        hook = new Thread(() -> {
            requested.set(true);
            err.println(command + ": stop requested: " + what + " first (kill -9 aborts at once)");
            err.flush();
            try {
                finished.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "apr-graceful-stop");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    boolean requested() { return requested.get(); }

    /** The command is done (stopped early or not): let a pending exit proceed, and disarm. */
    @Override public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running: it returns now that the latch is open
        }
    }
}
