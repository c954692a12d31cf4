package dev.apr.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * llama-bench style speed tests: {@code pp N} runs an N-token prompt in one batch from an empty
 * cache, {@code tg N} decodes N tokens one at a time from an empty cache. Each is repeated and
 * reported as tokens per second (median and every repetition), after an untimed warm-up
 * that lets the JIT compile the kernels ({@link #warmUp}).
 */
public final class Bench {
    private Bench() {}

    /**
     * One test: its name ("pp128", "tg32"), token count and speed of each repetition.
     *
     * @param cpuTokensPerSecond tokens per second of process CPU time × threads: the speed the run
     *                           would have with its cores to itself (on a shared machine wall-clock
     *                           speed understates it; spin-waits count as CPU, so this errs low)
     * @param heapBytesPerToken  Java heap allocated by all threads per token in the last repetition:
     *                           decode should allocate next to nothing (fresh heap costs page faults;
     *                           a regression here cost the Q4_K_M model 10 % of its decode speed)
     */
    public record Result(String test, int tokens, double[] tokensPerSecond, double[] cpuTokensPerSecond,
                         double heapBytesPerToken) {
        public double median() {
            return median(tokensPerSecond);
        }

        public double cpuMedian() { return median(cpuTokensPerSecond); }

        private static double median(double[] v) {
            double[] s = v.clone();
            Arrays.sort(s);
            return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        }
    }

    /**
     * Untimed warm-up, as llama-bench does before its timed runs, but repeated until the JIT has
     * compiled the kernels: one warm-up run is the prefill test plus the decode test, and runs
     * repeat until one is no faster than the best before it ({@link #settled}), or maxSeconds have
     * passed (after at least one run). On a 2-core machine the JIT's compiler threads compete with
     * the kernels, so a fixed short warm-up left the first timed repetitions up to 40 % slow.
     *
     * @return the number of warm-up runs
     */
    public static int warmUp(Transformer m, int prompt, int gen, double maxSeconds) {
        Random r = new Random(1);
        long end = System.nanoTime() + (long) (maxSeconds * 1e9);
        List<Double> seconds = new ArrayList<>();
        do {
            long t0 = System.nanoTime();
            if (prompt > 0) m.forward(m.newState(prompt), tokens(r, m, prompt), false);
            Transformer.State s = m.newState(Math.max(1, gen));
            float[] logits = new float[m.config().vocabSize()];
            for (int i = 0; i < gen; i++) m.forward(s, r.nextInt(m.config().vocabSize()), logits);
            seconds.add((System.nanoTime() - t0) / 1e9);
        } while (!settled(seconds) && System.nanoTime() < end);
        return seconds.size();
    }

    /**
     * Whether warm-up runs taking these times (in order) have settled: at least three runs, and
     * the last no more than 3 % faster than the fastest before it.
     */
    static boolean settled(List<Double> seconds) {
        int n = seconds.size();
        if (n < 3) return false;
        double best = Double.MAX_VALUE;
        for (int i = 0; i < n - 1; i++) best = Math.min(best, seconds.get(i));
        return seconds.get(n - 1) > best * 0.97;
    }

    public static Result prefill(Transformer m, int tokens, int reps) {
        Random r = new Random(2);
        double[] tps = new double[reps], cpu = new double[reps];
        double heap = 0;
        for (int i = 0; i < reps; i++) {
            Transformer.State s = m.newState(tokens);
            int[] prompt = tokens(r, m, tokens);
            long a0 = heapAllocated(), c0 = cpuNanos(), t0 = System.nanoTime();
            m.forward(s, prompt, false);
            tps[i] = tokens / ((System.nanoTime() - t0) / 1e9);
            cpu[i] = tokens * threads() / ((cpuNanos() - c0) / 1e9);
            heap = (double) (heapAllocated() - a0) / tokens;
        }
        return new Result("pp" + tokens, tokens, tps, cpu, heap);
    }

    public static Result decode(Transformer m, int tokens, int reps) {
        Random r = new Random(3);
        double[] tps = new double[reps], cpu = new double[reps];
        double heap = 0;
        for (int i = 0; i < reps; i++) {
            Transformer.State s = m.newState(tokens);
            int[] ids = tokens(r, m, tokens);
            float[] logits = new float[m.config().vocabSize()];
            long a0 = heapAllocated(), c0 = cpuNanos(), t0 = System.nanoTime();
            for (int t = 0; t < tokens; t++) m.forward(s, ids[t], logits);
            tps[i] = tokens / ((System.nanoTime() - t0) / 1e9);
            cpu[i] = tokens * threads() / ((cpuNanos() - c0) / 1e9);
            heap = (double) (heapAllocated() - a0) / tokens;
        }
        return new Result("tg" + tokens, tokens, tps, cpu, heap);
    }

    private static int threads() { return dev.apr.model.kernel.Parallel.shared().threads(); }

    /** Heap bytes allocated so far by all live threads (the kernel pool's workers included). */
    static long heapAllocated() {
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long b : mx.getThreadAllocatedBytes(mx.getAllThreadIds())) if (b > 0) sum += b;
        return sum;
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static int[] tokens(Random r, Transformer m, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(m.config().vocabSize());
        return t;
    }
}
