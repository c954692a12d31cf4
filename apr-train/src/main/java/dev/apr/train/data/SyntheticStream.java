package dev.apr.train.data;

import java.util.SplittableRandom;

/**
 * A generated, learnable token stream for {@code --synthetic}: a sparse Markov chain over the
 * first {@code min(vocab, 512)} ids where every token has two equally likely successors. A model
 * that learns the chain reaches ln 2 ≈ 0.693 nats per token (from ln(vocab) at init), so falling
 * loss is real learning. The chain is fixed (its own seed), windows are generated from their
 * index, so the stream is endless and every window is reproducible (resume sees the same data).
 */
public final class SyntheticStream implements TokenSource {
    private static final long CHAIN_SEED = 0x5EED_C0DEL;
    /** Validation windows come from a separate index range, never seen in training. */
    public static final long VAL_OFFSET = 1L << 48;

    private final int states;
    private final int[][] next;

    public SyntheticStream(int vocab) {
        states = Math.min(vocab, 512);
        next = new int[states][2];
        SplittableRandom rng = new SplittableRandom(CHAIN_SEED);
        for (int s = 0; s < states; s++) {
            next[s][0] = rng.nextInt(states);
            do next[s][1] = rng.nextInt(states); while (states > 1 && next[s][1] == next[s][0]);
        }
    }

    /** The entropy rate of the stream in nats: the best achievable loss. */
    public double entropy() { return states > 1 ? Math.log(2) : 0; }

    @Override public long windows(int seq) { return Long.MAX_VALUE; }

    @Override public void window(long index, int seq, int[] dst, int off) {
        SplittableRandom rng = new SplittableRandom(index * 0x9E3779B97F4A7C15L + CHAIN_SEED);
        int s = rng.nextInt(states);
        for (int t = 0; t <= seq; t++) {
            dst[off + t] = s;
            s = next[s][rng.nextInt(2)];
        }
    }

    @Override public String describe() { return "synthetic Markov stream over " + states + " tokens"; }

    @Override public String manifestSha256() { return null; }
}
