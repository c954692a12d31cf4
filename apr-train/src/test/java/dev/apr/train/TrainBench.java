package dev.apr.train;

import dev.apr.model.ModelConfig;
import dev.apr.train.kernel.Matmul;

import java.util.Random;

/**
 * Speed benchmark (not a test): java ... dev.apr.train.TrainBench [vocab] [steps].
 * hidden 256, 4 layers, 4/2 heads, intermediate 704, seq 256, batch 4.
 */
public final class TrainBench {
    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("gemm")) { gemm(); return; }
        int vocab = args.length > 0 ? Integer.parseInt(args[0]) : 151936;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        ModelConfig cfg = new ModelConfig("qwen2", 256, 4, 4, 2, 64, 704, vocab, 4096, 1e6, 1e-6, true, true, -1, -1);
        int batch = 4, seq = 256;
        TrainModel m = new TrainModel(cfg, batch, seq);
        m.initRandom(1);
        AdamW opt = new AdamW(m.layout());
        Random rng = new Random(1);
        int[] in = new int[batch * seq], tg = new int[batch * seq];
        for (int i = 0; i < in.length; i++) { in[i] = rng.nextInt(vocab); tg[i] = rng.nextInt(vocab); }
        // FLOPs per token: 6 * matmul params (embedding lookup excluded, tied head counted) + attention
        long matParams = cfg.parameterCount() - (long) vocab * 256 + (long) vocab * 256;
        double attn = 4.0 * 4 * 4 * 64 * seq / 2 * 3;   // layers*heads*(2 fwd matmuls)*hd*avg ctx*3 (fwd+bwd)
        double flopsPerToken = 6.0 * matParams + attn;
        for (int s = 0; s < steps + 1; s++) {
            long t0 = System.nanoTime();
            m.zeroGrads();
            double loss = m.forwardBackward(in, tg, 1f);
            long t1 = System.nanoTime();
            opt.update(m.params, m.grads, 1e-4f);
            m.weightsChanged();
            long t2 = System.nanoTime();
            double sec = (t2 - t0) / 1e9;
            double tps = batch * seq / sec;
            System.out.printf("step %d loss %.4f  fwd+bwd %.3fs  adam %.3fs  %.0f tok/s  %.1f GFLOP/s%n",
                    s, loss, (t1 - t0) / 1e9, (t2 - t1) / 1e9, tps, tps * flopsPerToken / 1e9);
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
