package dev.apr.model;

import java.util.Arrays;
import java.util.Set;

/**
 * Autoregressive generation: prefill the prompt in one batch, then sample and decode one token at
 * a time, handing each new token to a callback as soon as it exists (streaming).
 */
public final class Generator {

    /** Receives each generated token; return false to stop early. */
    @FunctionalInterface
    public interface TokenListener {
        boolean onToken(int token);
    }

    /**
     * What a generation produced and how fast.
     *
     * @param tokens       the generated tokens (not the prompt), including a final stop token if one was hit
     * @param stopReason   "eos" (a stop token), "length" (max tokens or context) or "callback"
     */
    public record Result(int[] tokens, int promptTokens, String stopReason, long prefillNanos, long decodeNanos) {
        public double prefillTokensPerSecond() { return promptTokens / (prefillNanos / 1e9); }
        /** Decode speed over the tokens after the first (the first comes from the prefill logits). */
        public double decodeTokensPerSecond() { return tokens.length <= 1 ? 0 : (tokens.length - 1) / (decodeNanos / 1e9); }
    }

    private final Transformer model;

    public Generator(Transformer model) { this.model = model; }

    /**
     * Generates up to {@code maxNewTokens} after {@code prompt} (at least one prompt token).
     * Stops at any token in {@code stopTokens} (which is still reported and returned), at the
     * model's context length, or when the listener returns false.
     */
    public Result generate(int[] prompt, int maxNewTokens, Sampler sampler, Set<Integer> stopTokens, TokenListener listener) {
        if (prompt.length == 0) throw new IllegalArgumentException("generate: the prompt has no tokens");
        int context = Math.min(model.config().maxPositions(), prompt.length + Math.max(1, maxNewTokens));
        Transformer.State state = model.newState(context);
        int vocab = model.config().vocabSize();
        int[] history = Arrays.copyOf(prompt, prompt.length + Math.max(0, maxNewTokens));
        int n = prompt.length, generated = 0;
        String reason = "length";

        long t0 = System.nanoTime();
        float[] logits = model.forward(state, prompt, false);
        long t1 = System.nanoTime();
        while (generated < maxNewTokens) {
            int next = sampler.sample(logits, 0, vocab, history, n);
            history[n++] = next;
            generated++;
            boolean more = listener == null || listener.onToken(next);
            if (stopTokens.contains(next)) { reason = "eos"; break; }
            if (!more) { reason = "callback"; break; }
            if (generated == maxNewTokens || state.position() >= context) break;
            model.forward(state, next, logits);   // into the prompt's logits array: nothing allocated per token
        }
        long t2 = System.nanoTime();
        return new Result(Arrays.copyOfRange(history, prompt.length, n), prompt.length, reason, t1 - t0, t2 - t1);
    }
}
