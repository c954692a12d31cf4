package dev.apr.model.kernel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParallelTest {

    /** Runs body with a shared pool of each thread count, restoring the original pool (also used by MatmulTest). */
    static void withThreads(int[] counts, Runnable body) {
        int before = Parallel.shared().threads();
        try {
            for (int t : counts) {
                Parallel.setThreads(t);
                body.run();
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    /** Every index of [0, n) is visited exactly once, in fixed and in guided chunks, on 1 to 3 threads. */
    @Test
    void everyIndexRunsExactlyOnce() {
        withThreads(new int[] {1, 2, 3}, () -> {
            for (int n : new int[] {1, 7, 64, 1000, 4861}) {
                for (int grain : new int[] {1, 3, 64}) {
                    for (boolean guided : new boolean[] {false, true}) {
                        AtomicIntegerArray seen = new AtomicIntegerArray(n);
                        Parallel.Range body = (a, b) -> { for (int i = a; i < b; i++) seen.incrementAndGet(i); };
                        if (guided) Parallel.rangeGuided(n, grain, body);
                        else Parallel.range(n, grain, body);
                        for (int i = 0; i < n; i++)
                            assertEquals(1, seen.get(i), (guided ? "guided" : "fixed") + " n=" + n + " grain=" + grain + " index " + i);
                    }
                }
            }
        });
    }

    /**
     * Guided chunks shrink from n/(2·threads) towards the minimum: with 2 threads and 1000 items the first
     * chunk is 250 items, and no chunk but the last is shorter than the minimum grain.
     */
    @Test
    void guidedChunksStartLargeAndNeverFallBelowTheMinimum() {
        withThreads(new int[] {2}, () -> {
            List<int[]> chunks = Collections.synchronizedList(new ArrayList<>());
            Parallel.rangeGuided(1000, 10, (a, b) -> chunks.add(new int[] {a, b}));
            chunks.sort((p, q) -> Integer.compare(p[0], q[0]));
            assertEquals(0, chunks.get(0)[0]);
            assertEquals(250, chunks.get(0)[1], "first chunk: 1000 / (2 * 2 threads)");
            for (int i = 0; i + 1 < chunks.size(); i++) {
                assertEquals(chunks.get(i)[1], chunks.get(i + 1)[0], "chunks are contiguous");
                assertTrue(chunks.get(i)[1] - chunks.get(i)[0] >= 10, "chunk " + i + " shorter than the minimum");
                assertTrue(chunks.get(i)[1] - chunks.get(i)[0] >= chunks.get(i + 1)[1] - chunks.get(i + 1)[0], "chunks never grow");
            }
            assertEquals(1000, chunks.get(chunks.size() - 1)[1]);
        });
    }

    @Test
    void anExceptionInAChunkReachesTheCaller() {
        withThreads(new int[] {2}, () -> {
            IllegalStateException boom = new IllegalStateException("chunk 500");
            IllegalStateException got = assertThrows(IllegalStateException.class,
                    () -> Parallel.rangeGuided(1000, 1, (a, b) -> { if (a <= 500 && 500 < b) throw boom; }));
            assertSame(boom, got);
            // the pool still works afterwards
            AtomicIntegerArray seen = new AtomicIntegerArray(100);
            Parallel.range(100, 1, (a, b) -> { for (int i = a; i < b; i++) seen.incrementAndGet(i); });
            for (int i = 0; i < 100; i++) assertEquals(1, seen.get(i));
        });
    }
}
