package dev.apr.model;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchTest {
    @Test
    void warmUpSettlesOnlyWhenTheLastRunIsNoFasterThanTheBestBefore() {
        assertFalse(Bench.settled(List.of(2.0, 1.0)), "fewer than three runs");
        assertFalse(Bench.settled(List.of(3.0, 2.0, 1.5)), "still getting faster");
        assertFalse(Bench.settled(List.of(2.0, 1.0, 0.96)), "4 % faster than the best before");
        assertTrue(Bench.settled(List.of(2.0, 1.0, 0.98)), "within 3 %");
        assertTrue(Bench.settled(List.of(2.0, 1.0, 1.4)), "a slower run (noise) also ends it");
    }

    /** The heap counter behind bench's bytes per token sees an allocation of the calling thread. */
    @Test
    void heapCounterSeesAnAllocation() {
        long before = Bench.heapAllocated();
        byte[] block = new byte[4 << 20];
        long after = Bench.heapAllocated();
        assertTrue(after - before >= block.length, "counted " + (after - before) + " bytes for a 4 MiB array");
    }

    @Test
    void warmUpRunsAtLeastOnceAndStopsAtTheTimeLimit() {
        Transformer m = Transformer.load(RandomModel.parse("random:qwen2-tiny:q8_0"), ModelConfig.preset("qwen2-tiny"));
        assertEquals(1, Bench.warmUp(m, 4, 2, 0));
        int runs = Bench.warmUp(m, 4, 2, 60);
        assertTrue(runs >= 3, "runs until settled: " + runs);
    }
}
