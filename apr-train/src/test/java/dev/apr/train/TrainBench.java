package dev.apr.train;

import dev.apr.model.ModelConfig;
import dev.apr.model.kernel.Matmul;

import java.util.Random;

/**
 * Speed benchmark (not a test): java ... dev.apr.train.TrainBench [vocab|qwen2-0.5b] [steps] | shapes [head rows] | micro | gemm | peak.
 * hidden 256, 4 layers, 4/2 heads, intermediate 704, seq 256, batch 4; or [qwen2-0.5b] [steps]: that shape, seq 128, batch 1.
 */
public final class TrainBench {
    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("gemm")) { gemm(); return; }
        if (args.length > 0 && args[0].equals("micro")) { micro(); return; }
        if (args.length > 0 && args[0].equals("peak")) { peak(); return; }
        if (args.length > 0 && args[0].equals("shapes")) { shapes(args.length > 1 ? Integer.parseInt(args[1]) : 1024); return; }
        // "qwen2-0.5b": the Qwen2.5-0.5B shape at seq 128, batch 1 (the third row); else a vocab size
        boolean big = args.length > 0 && args[0].equals("qwen2-0.5b");
        int vocab = big ? 151936 : args.length > 0 ? Integer.parseInt(args[0]) : 151936;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        ModelConfig cfg = big ? ModelConfig.preset("qwen2-0.5b")
                : new ModelConfig("qwen2", 256, 4, 4, 2, 64, 704, vocab, 4096, 1e6, 1e-6, true, true, -1, -1);
        int batch = big ? 1 : 4, seq = big ? 128 : 256;
        int layers = cfg.numLayers(), heads = cfg.numHeads(), hd = cfg.headDim();
        TrainModel m = new TrainModel(cfg, batch, seq);
        m.initRandom(1);
        AdamW opt = new AdamW(m.layout());
        Random rng = new Random(1);
        int[] in = new int[batch * seq], tg = new int[batch * seq];
        for (int i = 0; i < in.length; i++) { in[i] = rng.nextInt(vocab); tg[i] = rng.nextInt(vocab); }
        // FLOPs per token: 6 * matmul params (embedding lookup excluded, tied head counted) + attention
        long matParams = cfg.parameterCount();
        double attn = 4.0 * layers * heads * hd * seq / 2 * 3;   // 2 flops x 2 matmuls x layers*heads*hd*avg ctx, x3 (fwd+bwd)
        double flopsPerToken = 6.0 * matParams + attn;
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        for (int s = 0; s < steps + 1; s++) {
            long t0 = System.nanoTime(), cpu0 = os.getProcessCpuTime();
            m.zeroGrads();
            double loss = m.forwardBackward(in, tg, 1f);
            long t1 = System.nanoTime();
            opt.update(m.params, m.grads, 1e-4f);
            long t2 = System.nanoTime();
            double sec = (t2 - t0) / 1e9, cpuSec = (os.getProcessCpuTime() - cpu0) / 1e9;
            double tps = batch * seq / sec;
            // with other processes on the machine, CPU-seconds tell what idle cores would do
            double idleTps = batch * seq / cpuSec * Runtime.getRuntime().availableProcessors();
            System.out.printf("   forward %.3fs head %.3fs backward %.3fs (attention fwd+bwd %.3fs)%n",
                    m.timeForward / 1e9, m.timeHead / 1e9, m.timeBackward / 1e9, m.timeAttention / 1e9);
            System.out.printf("   head: logits %.3fs softmax %.3fs dX %.3fs dW %.3fs%n", m.headTimes[0] / 1e9,
                    m.headTimes[1] / 1e9, m.headTimes[2] / 1e9, m.headTimes[3] / 1e9);
            java.util.Arrays.fill(m.headTimes, 0);
            m.timeForward = m.timeHead = m.timeBackward = m.timeAttention = 0;
            System.out.printf("step %d loss %.4f  fwd+bwd %.3fs  adam %.3fs  %.0f tok/s  %.1f GFLOP/s wall | %.2f CPU-s -> %.0f tok/s, %.1f GFLOP/s on idle cores%n",
                    s, loss, (t1 - t0) / 1e9, (t2 - t1) / 1e9, tps, tps * flopsPerToken / 1e9, cpuSec, idleTps, idleTps * flopsPerToken / 1e9);
        }
    }

    /** The training step's GEMM shapes, each as TrainModel calls Matmul (weights [out, in] row-major). */
    static void shapes(int headRows) {
        int R = 1024, C = 256, F = 704, V = 151936;
        float[] x = new float[R * F], w = new float[V * C], y = new float[Math.max(R * F, headRows * V)];
        float[] z = new float[headRows * V], d = new float[V * C];
        String[] names = {"fwd x[1024,256] W[704,256]^T", "dX dY[1024,704] W[704,256]", "dW dY[1024,704]^T x[1024,256]",
                "head fwd x[r,256] E[V,256]^T", "head dX dZ[r,V] E[V,256]", "head dW dZ[r,V]^T x[r,256]"};
        double[] flops = {2.0 * R * F * C, 2.0 * R * F * C, 2.0 * R * F * C, 2.0 * headRows * V * C, 2.0 * headRows * V * C, 2.0 * headRows * V * C};
        for (int round = 0; round < 2; round++)          // the first round warms up the JIT
        for (int s = 0; s < 6; s++) {
            double best = 1e9;
            for (int rep = 0; rep < 5; rep++) {
                long t0 = System.nanoTime();
                switch (s) {
                    case 0 -> Matmul.gemmBt(R, F, C, x, 0, C, 1, w, 0, C, y, 0, F, false);
                    case 1 -> Matmul.gemm(R, C, F, x, 0, F, 1, w, 0, C, y, 0, C, false);
                    case 2 -> Matmul.gemm(F, C, R, x, 0, 1, F, w, 0, C, d, 0, C, true);
                    case 3 -> Matmul.gemmBt(headRows, V, C, x, 0, C, 1, w, 0, C, z, 0, V, false);
                    case 4 -> Matmul.gemm(headRows, C, V, z, 0, V, 1, w, 0, C, y, 0, C, true);
                    default -> Matmul.gemm(V, C, headRows, z, 0, 1, V, x, 0, C, d, 0, C, true);
                }
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            if (round == 1) System.out.printf("%-34s %7.1f GFLOP/s%n", names[s], flops[s] / best / 1e9);
        }
    }

    /**
     * The machine's fp32 FMA peak as the Vector API reaches it: 12 independent accumulator chains per
     * thread (more than FMA latency x throughput), no memory traffic, 1 thread and all threads.
     */
    static void peak() {
        int cores = Runtime.getRuntime().availableProcessors();
        long iters = 100_000_000L;
        for (int threads : new int[] {1, cores}) {
            for (int rep = 0; rep < 4; rep++) {
                Thread[] ts = new Thread[threads];
                float[] sink = new float[threads];
                long t0 = System.nanoTime();
                for (int t = 0; t < threads; t++) {
                    int tt = t;
                    ts[t] = new Thread(() -> sink[tt] = fmaChains(iters));
                    ts[t].start();
                }
                for (Thread t : ts) {
                    try { t.join(); } catch (InterruptedException e) { throw new RuntimeException(e); }
                }
                double sec = (System.nanoTime() - t0) / 1e9;
                if (rep > 1) System.out.printf("%d thread(s): %.1f GFLOP/s fp32 FMA peak%n", threads,
                        threads * iters * 12.0 * jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length() * 2 / sec / 1e9);
            }
        }
    }

    private static float fmaChains(long iters) {
        var S = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
        var x = jdk.incubator.vector.FloatVector.broadcast(S, 0.999999f);
        var y = jdk.incubator.vector.FloatVector.broadcast(S, 1e-7f);
        var a0 = jdk.incubator.vector.FloatVector.broadcast(S, 1f);
        var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0;
        var a6 = a0; var a7 = a0; var a8 = a0; var a9 = a0; var a10 = a0; var a11 = a0;
        for (long i = 0; i < iters; i++) {
            a0 = a0.fma(x, y); a1 = a1.fma(x, y); a2 = a2.fma(x, y); a3 = a3.fma(x, y);
            a4 = a4.fma(x, y); a5 = a5.fma(x, y); a6 = a6.fma(x, y); a7 = a7.fma(x, y);
            a8 = a8.fma(x, y); a9 = a9.fma(x, y); a10 = a10.fma(x, y); a11 = a11.fma(x, y);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    /** Single-thread, cache-resident: how close the micro-kernel gets to peak. */
    static void micro() {
        dev.apr.model.kernel.Parallel.setThreads(1);
        int m = 64, n = 256, k = 256;
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int rep = 0; rep < 8; rep++) {
            long t0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
            for (int it = 0; it < 200; it++) Matmul.gemm(m, n, k, a, 0, k, 1, b, 0, n, c, 0, n, true);
            double s = (System.nanoTime() - t0) / 1e9, cpu = (mx.getCurrentThreadCpuTime() - c0) / 1e9;
            System.out.printf("1 thread %dx%dx%d: %.1f GFLOP/s wall, %.1f GFLOP per CPU-second%n", m, n, k,
                    200 * 2.0 * m * n * k / s / 1e9, 200 * 2.0 * m * n * k / cpu / 1e9);
        }
    }

    static void gemm() {
        int m = 1024, n = 1024, k = 256;
        float[] a = new float[m * n], b = new float[k * n], c = new float[m * n];
        for (int rep = 0; rep < 10; rep++) {
            long t0 = System.nanoTime();
            Matmul.gemm(m, n, k, a, 0, k, 1, b, 0, n, c, 0, n, false);
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("NN %dx%dx%d: %.1f GFLOP/s%n", m, n, k, 2.0 * m * n * k / s / 1e9);
        }
        for (int rep = 0; rep < 5; rep++) {
            long t0 = System.nanoTime();
            Matmul.gemm(n, k, m, a, 0, 1, n, b, 0, k, c, 0, k, true);   // transposed A (weight gradient)
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("TN %dx%dx%d: %.1f GFLOP/s%n", n, k, m, 2.0 * m * n * k / s / 1e9);
        }
    }
}
