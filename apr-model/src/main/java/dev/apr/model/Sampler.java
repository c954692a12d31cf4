package dev.apr.model;

import java.util.Arrays;
import java.util.Random;

/**
 * Picks the next token from logits: repetition penalty, then greedy (temperature 0) or
 * temperature → top-k → top-p (nucleus) sampling with a seeded RNG, in the order Hugging Face
 * applies them. The same seed and the same logits give the same tokens.
 */
public final class Sampler {

    /**
     * @param temperature   0 (or less) = greedy argmax
     * @param topK          keep the k most likely tokens; 0 = all
     * @param topP          keep the smallest set whose probability reaches p; 1 = all
     * @param repeatPenalty HF repetition_penalty over the tokens seen so far; 1 = off
     * @param seed          RNG seed
     */
    public record Options(float temperature, int topK, float topP, float repeatPenalty, long seed) {
        public Options {
            if (!(temperature >= 0) || !Float.isFinite(temperature)) throw new IllegalArgumentException("--temperature: expected >= 0, got " + temperature);
            if (topK < 0) throw new IllegalArgumentException("--top-k: expected >= 0, got " + topK);
            if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("--top-p: expected in (0, 1], got " + topP);
            if (!(repeatPenalty > 0) || !Float.isFinite(repeatPenalty)) throw new IllegalArgumentException("--repeat-penalty: expected > 0, got " + repeatPenalty);
        }

        public static Options greedy() { return new Options(0f, 0, 1f, 1f, 0); }
    }

    private final Options o;
    private final Random rng;

    public Sampler(Options o) {
        this.o = o;
        this.rng = new Random(o.seed());
    }

    public Options options() { return o; }

    /**
     * The next token for {@code logits[off .. off+vocab)}. {@code history[0 .. historyLen)} are the
     * tokens so far (prompt and generated), for the repetition penalty. The logits are not modified.
     */
    public int sample(float[] logits, int off, int vocab, int[] history, int historyLen) {
        float[] l = Arrays.copyOfRange(logits, off, off + vocab);
        if (o.repeatPenalty() != 1f) {
            boolean[] seen = new boolean[vocab];
            for (int i = 0; i < historyLen; i++) {
                int t = history[i];
                if (t < 0 || t >= vocab || seen[t]) continue;
                seen[t] = true;
                l[t] = l[t] > 0 ? l[t] / o.repeatPenalty() : l[t] * o.repeatPenalty();
            }
        }
        if (o.temperature() <= 0) return argmax(l);

        // candidates: indices sorted by logit, descending (top-k first when set: cheaper than a full sort)
        int[] cand = o.topK() > 0 && o.topK() < vocab ? topK(l, o.topK()) : sortedAll(l);
        double max = l[cand[0]];
        double[] p = new double[cand.length];
        double sum = 0;
        for (int i = 0; i < cand.length; i++) sum += p[i] = Math.exp((l[cand[i]] - max) / o.temperature());
        int n = cand.length;
        if (o.topP() < 1f) {
            double cum = 0;
            for (int i = 0; i < cand.length; i++) {
                cum += p[i] / sum;
                if (cum >= o.topP()) { n = i + 1; break; }
            }
        }
        double total = 0;
        for (int i = 0; i < n; i++) total += p[i];
        double r = rng.nextDouble() * total;
        for (int i = 0; i < n; i++) {
            r -= p[i];
            if (r < 0) return cand[i];
        }
        return cand[n - 1];
    }

    /** Index of the largest logit (the first one on ties). */
    public static int argmax(float[] l) {
        int best = 0;
        for (int i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
        return best;
    }

    /** The k largest, by logit descending then index ascending. */
    private static int[] topK(float[] l, int k) {
        // a min-heap of the k best so far, then sorted
        int[] heap = new int[k];
        int size = 0;
        for (int i = 0; i < l.length; i++) {
            if (size < k) {
                heap[size] = i;
                siftUp(heap, size++, l);
            } else if (better(i, heap[0], l)) {
                heap[0] = i;
                siftDown(heap, k, l);
            }
        }
        Integer[] boxed = new Integer[k];
        for (int i = 0; i < k; i++) boxed[i] = heap[i];
        Arrays.sort(boxed, (a, b) -> better(a, b, l) ? -1 : better(b, a, l) ? 1 : 0);
        int[] out = new int[k];
        for (int i = 0; i < k; i++) out[i] = boxed[i];
        return out;
    }

    private static boolean better(int a, int b, float[] l) { return l[a] > l[b] || (l[a] == l[b] && a < b); }

    private static void siftUp(int[] h, int i, float[] l) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!better(h[parent], h[i], l)) break;
            int t = h[parent]; h[parent] = h[i]; h[i] = t;
            i = parent;
        }
    }

    private static void siftDown(int[] h, int n, float[] l) {
        int i = 0;
        while (true) {
            int a = 2 * i + 1, b = a + 1, worst = i;
            if (a < n && better(h[worst], h[a], l)) worst = a;
            if (b < n && better(h[worst], h[b], l)) worst = b;
            if (worst == i) return;
            int t = h[worst]; h[worst] = h[i]; h[i] = t;
            i = worst;
        }
    }

    private static int[] sortedAll(float[] l) {
        // sort by (-logit, index) packed as longs: logits mapped to order-preserving ints
        long[] keys = new long[l.length];
        for (int i = 0; i < l.length; i++) {
            int bits = Float.floatToIntBits(l[i]);
            int ordered = bits >= 0 ? bits : bits ^ 0x7fffffff;   // monotone in the float value
            keys[i] = ((long) ~ordered << 32) | i;                // descending logit, then ascending index
        }
        Arrays.sort(keys);
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) out[i] = (int) keys[i];
        return out;
    }
}
