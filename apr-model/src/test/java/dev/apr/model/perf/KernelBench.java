package dev.apr.model.perf;

import dev.apr.format.DType;
import dev.apr.model.kernel.Parallel;
import dev.apr.model.kernel.WeightMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

/**
 * Hand-run kernel benchmark (not a test): single-thread matvec / matmul throughput measured in
 * thread CPU time, so the numbers mean something on a shared machine.
 * With threads > 1 it also reports matvec wall-clock time with the shared pool (a matrix larger than
 * the caches, e.g. 151936 x 896, then shows the memory-bound decode speed).
 * Run: java --add-modules jdk.incubator.vector -cp ... dev.apr.model.perf.KernelBench [types] [rows] [cols] [tokens] [threads]
 */
public final class KernelBench {
    public static void main(String[] args) {
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        String[] types = (args.length > 0 ? args[0] : "F32,F16,BF16,Q8_0,Q5_0,Q4_K,Q6_K").split(",");
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 4864, cols = args.length > 2 ? Integer.parseInt(args[2]) : 1024;
        int tokens = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Random r = new Random(1);
        for (String ts : types) {
            DType t = DType.valueOf(ts);
            long bytes = t.byteSize((long) rows * cols);
            MemorySegment seg = Arena.ofAuto().allocate(bytes, 64);
            byte[] raw = new byte[(int) bytes];
            r.nextBytes(raw);
            // sane scales / no NaN floats: overwrite with small halves where the format has them
            for (int i = 0; i + 1 < raw.length; i += 2) { if (t == DType.F16 || t == DType.BF16) { raw[i + 1] &= 0x3f; } }
            if (t == DType.F32) for (int i = 3; i < raw.length; i += 4) raw[i] &= 0x3f;
            MemorySegment.copy(raw, 0, seg, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, raw.length);
            WeightMatrix m = WeightMatrix.of("w", t, seg, rows, cols);
            float[] x = new float[tokens * cols], y = new float[tokens * rows];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            Parallel.setThreads(1);
            long warmEnd = System.nanoTime() + 3_000_000_000L;   // let C2 compile the kernels
            while (System.nanoTime() < warmEnd) { m.matvec(x, 0, y, 0); m.matmul(x, 4, y); }
            double bestMv = Double.MAX_VALUE, bestMm = Double.MAX_VALUE;
            for (int rep = 0; rep < 5; rep++) {
                long c0 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < 20; i++) m.matvec(x, 0, y, 0);
                long c1 = mx.getCurrentThreadCpuTime();
                m.matmul(x, tokens, y);
                long c2 = mx.getCurrentThreadCpuTime();
                bestMv = Math.min(bestMv, (c1 - c0) / 20.0);
                bestMm = Math.min(bestMm, (c2 - c1));
            }
            if (threads > 1) {
                Parallel.setThreads(threads);
                for (int i = 0; i < 20; i++) m.matvec(x, 0, y, 0);
                double bestWall = Double.MAX_VALUE;
                for (int rep = 0; rep < 5; rep++) {
                    long w0 = System.nanoTime();
                    for (int i = 0; i < 10; i++) m.matvec(x, 0, y, 0);
                    bestWall = Math.min(bestWall, (System.nanoTime() - w0) / 10.0);
                }
                System.out.printf("%-5s matvec %d threads %7.3f ms  %6.1f GB/s (wall)%n", ts, threads, bestWall / 1e6, bytes / bestWall);
                Parallel.setThreads(1);
            }
            var smx = (com.sun.management.ThreadMXBean) mx;
            long a0 = smx.getCurrentThreadAllocatedBytes();
            m.matvec(x, 0, y, 0);
            long a1 = smx.getCurrentThreadAllocatedBytes();
            m.matmul(x, tokens, y);
            long a2 = smx.getCurrentThreadAllocatedBytes();
            System.out.printf("%-5s allocated: matvec %d bytes, matmul %d bytes%n", ts, a1 - a0, a2 - a1);
            double flops = 2.0 * rows * cols;
            System.out.printf("%-5s matvec %7.3f ms  %6.1f GB/s  %6.1f GFLOP/s | matmul(T=%d) %7.2f ms  %6.1f GFLOP/s%n",
                    ts, bestMv / 1e6, bytes / bestMv, flops / bestMv, tokens, bestMm / 1e6, flops * tokens / bestMm);
        }
    }
}
