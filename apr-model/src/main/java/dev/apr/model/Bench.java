package dev.apr.model;

import java.util.Arrays;
import java.util.Random;

/**
 * llama-bench style speed tests: {@code pp N} runs an N-token prompt in one batch from an empty
 * cache, {@code tg N} decodes N tokens one at a time from an empty cache. Each is repeated and
 * reported as tokens per second (median and every repetition), after one untimed warm-up
 * that lets the JIT compile the kernels.
 */
public final class Bench {
    private Bench() {}

    /** One test: its name ("pp128", "tg32"), token count and speed of each repetition. */
    /**
     * @param cpuTokensPerSecond tokens per second of process CPU time × threads: the speed the run
     *                           would have with its cores to itself (on a shared machine wall-clock
     *                           speed understates it; spin-waits count as CPU, so this errs low)
     */
    public record Result(String test, int tokens, double[] tokensPerSecond, double[] cpuTokensPerSecond) {
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

    /** Runs the model once on a few tokens in both modes so the timed runs see compiled code. */
    public static void warmUp(Transformer m, int prompt, int gen) {
        Random r = new Random(1);
        Transformer.State s = m.newState(Math.max(1, prompt) + gen + 1);
        if (prompt > 0) m.forward(s, tokens(r, m, prompt), false);
        for (int i = 0; i < gen; i++) m.forward(s, tokens(r, m, 1), false);
    }

    public static Result prefill(Transformer m, int tokens, int reps) {
        Random r = new Random(2);
        double[] tps = new double[reps], cpu = new double[reps];
        for (int i = 0; i < reps; i++) {
            Transformer.State s = m.newState(tokens);
            int[] prompt = tokens(r, m, tokens);
            long c0 = cpuNanos(), t0 = System.nanoTime();
            m.forward(s, prompt, false);
            tps[i] = tokens / ((System.nanoTime() - t0) / 1e9);
            cpu[i] = tokens * threads() / ((cpuNanos() - c0) / 1e9);
        }
        return new Result("pp" + tokens, tokens, tps, cpu);
    }

    public static Result decode(Transformer m, int tokens, int reps) {
        Random r = new Random(3);
        double[] tps = new double[reps], cpu = new double[reps];
        for (int i = 0; i < reps; i++) {
            Transformer.State s = m.newState(tokens);
            int[] ids = tokens(r, m, tokens);
            long c0 = cpuNanos(), t0 = System.nanoTime();
            for (int t = 0; t < tokens; t++) m.forward(s, new int[] {ids[t]}, false);
            tps[i] = tokens / ((System.nanoTime() - t0) / 1e9);
            cpu[i] = tokens * threads() / ((cpuNanos() - c0) / 1e9);
        }
        return new Result("tg" + tokens, tokens, tps, cpu);
    }

    private static int threads() { return dev.apr.model.kernel.Parallel.shared().threads(); }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static int[] tokens(Random r, Transformer m, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(m.config().vocabSize());
        return t;
    }
}
