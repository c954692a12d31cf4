package dev.apr.model.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The one shared thread pool of apr's kernels: a fixed team of worker threads that split a range
 * of work items (matrix rows, attention heads) with the calling thread.
 *
 * <p>Decode calls a parallel region a few hundred times per token, so a region must start in
 * microseconds: workers spin briefly on a generation counter before parking, and work is handed
 * out in chunks through one atomic counter (dynamic, so a core stolen by another process does not
 * stall the whole region). A region started from inside a region runs serially on the caller.
 *
 * <p>The thread count defaults to all cores; {@link #setThreads(int)} (the CLI's {@code --threads})
 * replaces the shared pool.
 */
public final class Parallel {

    /** Work over the half-open range [start, end). */
    @FunctionalInterface
    public interface Range {
        void run(int start, int end);
    }

    private static volatile Parallel shared;

    /** The shared pool, created with all cores on first use. */
    public static Parallel shared() {
        Parallel p = shared;
        if (p == null) {
            synchronized (Parallel.class) {
                if (shared == null) shared = new Parallel(Runtime.getRuntime().availableProcessors());
                p = shared;
            }
        }
        return p;
    }

    /** Replaces the shared pool with one of {@code n} threads (n >= 1; the caller counts as one). */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be >= 1, got " + n);
        Parallel old = shared;
        if (old != null && old.threads == n) return;
        shared = new Parallel(n);
        if (old != null) old.shutdown();
    }

    /** Convenience: {@code shared().forRange(n, grain, body)}. */
    public static void range(int n, int grain, Range body) {
        shared().forRange(n, grain, body);
    }

    /** Convenience: {@code shared().forRangeGuided(n, minGrain, body)}. */
    public static void rangeGuided(int n, int minGrain, Range body) {
        shared().forRangeGuided(n, minGrain, body);
    }

    private static final long SPIN_NANOS = 200_000;   // spin this long before parking (decode gaps are shorter)

    /** One parallel region: its own counters, so a worker that wakes late cannot touch the next one. */
    private static final class Region {
        final Range body;
        final int n, grain;
        final int guidedParts;   // 0: fixed chunks of grain; else chunks of remaining / guidedParts (at least grain)
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Region(Range body, int n, int grain, int guidedParts) {
            this.body = body; this.n = n; this.grain = grain; this.guidedParts = guidedParts;
        }

        /** Items in the chunk that starts at {@code start}: grain, or for guided regions a share of what is left. */
        private int chunkSize(int start) {
            return guidedParts == 0 ? grain : Math.max(grain, (n - start) / guidedParts);
        }

        /** Claims the next chunk and returns its start, or n when none is left. */
        private int claim() {
            if (guidedParts == 0) return Math.min(n, next.getAndAdd(grain));
            while (true) {
                int cur = next.get();
                if (cur >= n) return n;
                if (next.compareAndSet(cur, cur + chunkSize(cur))) return cur;
            }
        }

        void work() {
            for (int start; (start = claim()) < n; ) {
                int end = Math.min(n, start + chunkSize(start));
                try {
                    if (failure == null) body.run(start, end);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    done.addAndGet(end - start);
                }
            }
        }
    }

    private final int threads;
    private final Thread[] workers;
    private volatile Region region;                    // the region in progress (or the last one)
    private volatile boolean stopped;
    private final AtomicInteger busy = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicIntegerArray parked;   // 1 while worker i is (about to be) parked

    private Parallel(int threads) {
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.parked = new java.util.concurrent.atomic.AtomicIntegerArray(Math.max(1, threads - 1));
        for (int i = 0; i < workers.length; i++) {
            int me = i;
            Thread t = new Thread(() -> workerLoop(me), "apr-kernel-" + (i + 1));
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    public int threads() { return threads; }

    /**
     * Runs {@code body} over [0, n) in chunks of {@code grain} items (the last may be shorter),
     * spread over the pool; returns when all are done. An exception from any chunk is rethrown.
     */
    public void forRange(int n, int grain, Range body) {
        run(n, grain, 0, body);
    }

    /**
     * Like {@link #forRange} with guided chunks: each claim takes 1/(2·threads) of what is left,
     * at least {@code minGrain}. Decode streams weights from memory: long chunks keep the hardware
     * prefetcher running, and the short last ones leave no core waiting long for another at the end.
     */
    public void forRangeGuided(int n, int minGrain, Range body) {
        run(n, minGrain, 2 * threads, body);
    }

    private void run(int n, int grain, int guidedParts, Range body) {
        if (n <= 0) return;
        grain = Math.max(1, grain);
        if (workers.length == 0 || n <= grain || !busy.compareAndSet(0, 1)) {
            body.run(0, n);   // serial: one chunk, one thread, or called from inside a region
            return;
        }
        try {
            Region r = new Region(body, n, grain, guidedParts);
            region = r;
            wakeParked();
            r.work();
            long spins = 0;
            while (r.done.get() < n) {
                if (++spins < 100_000) Thread.onSpinWait();
                else Thread.yield();
            }
            Throwable f = r.failure;
            if (f instanceof RuntimeException re) throw re;
            if (f instanceof Error e) throw e;
            if (f != null) throw new RuntimeException(f);
        } finally {
            busy.set(0);
        }
    }

    /**
     * Unparks the workers that are parked (or about to park). A spinning worker needs no unpark,
     * and an unpark is a syscall costing microseconds in a VM, paid a few hundred times a token.
     */
    private void wakeParked() {
        for (int i = 0; i < workers.length; i++)
            if (parked.get(i) != 0) LockSupport.unpark(workers[i]);
    }

    private void workerLoop(int me) {
        Region seen = null;
        while (!stopped) {
            long spinStart = System.nanoTime();
            Region r;
            while ((r = region) == seen && !stopped) {
                if (System.nanoTime() - spinStart < SPIN_NANOS) Thread.onSpinWait();
                else {
                    // announce, then re-check: forRange publishes the region before reading the flag
                    parked.set(me, 1);
                    if (region == seen && !stopped) LockSupport.park(this);
                    parked.set(me, 0);
                }
            }
            if (r == null || stopped) continue;
            seen = r;
            r.work();
        }
    }

    private void shutdown() {
        stopped = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
