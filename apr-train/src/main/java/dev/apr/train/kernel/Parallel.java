package dev.apr.train.kernel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * The trainer's thread team: splits a range of work items (matrix rows, attention heads) over a
 * fixed ForkJoinPool. Training regions are large (milliseconds), so a plain fork/join split is fast
 * enough. Same static API as the model module's pool so the two can be unified.
 */
public final class Parallel {
    private Parallel() {}

    /** Work over the half-open range [start, end). */
    @FunctionalInterface
    public interface Range {
        void run(int start, int end);
    }

    private static volatile ForkJoinPool pool = new ForkJoinPool(Runtime.getRuntime().availableProcessors());

    /** Replaces the pool with one of {@code n} threads ({@code --threads}). */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be >= 1, got " + n);
        if (pool.getParallelism() == n) return;
        ForkJoinPool old = pool;
        pool = new ForkJoinPool(n);
        old.shutdown();
    }

    public static int threads() { return pool.getParallelism(); }

    /** Runs body over [0, n) in chunks of at least {@code grain} items, on all threads; returns when done. */
    public static void range(int n, int grain, Range body) {
        if (n <= 0) return;
        grain = Math.max(1, grain);
        int threads = pool.getParallelism();
        if (threads == 1 || n <= grain) {
            body.run(0, n);
            return;
        }
        // about 4 chunks per thread for balance, never smaller than grain
        int chunk = Math.max(grain, (n + 4 * threads - 1) / (4 * threads));
        if (java.util.concurrent.ForkJoinTask.getPool() == pool) {            // nested: run inline
            body.run(0, n);
            return;
        }
        pool.invoke(new Split(body, 0, n, chunk));
    }

    private static final class Split extends RecursiveAction {
        final Range body;
        final int start, end, chunk;

        Split(Range body, int start, int end, int chunk) {
            this.body = body; this.start = start; this.end = end; this.chunk = chunk;
        }

        @Override protected void compute() {
            if (end - start <= chunk) {
                body.run(start, end);
                return;
            }
            int mid = start + ((end - start) / 2 + chunk - 1) / chunk * chunk;
            if (mid >= end) mid = start + (end - start) / 2;
            invokeAll(new Split(body, start, mid, chunk), new Split(body, mid, end, chunk));
        }
    }

}
