package dev.apr.cli;

import dev.apr.format.AprException;
import dev.apr.model.Generator;
import dev.apr.model.ModelTokenizer;
import dev.apr.model.Sampler;
import dev.apr.model.Transformer;
import dev.apr.model.kernel.Parallel;
import dev.apr.model.tokenizer.Message;
import dev.apr.model.tokenizer.TokenStreamDecoder;
import dev.apr.model.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Generate text from an APR file (with an embedded tokenizer), a HF checkpoint directory, a GGUF file or a hub repo org/name; tokens stream as they are produced.")
public final class RunCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SOURCE", description = "model.apr (stamped with a tokenizer), a HF checkpoint dir, model.gguf, or a hub repo org/name (downloaded into the HF cache)")
    String source;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PROMPT", description = "the prompt (default: read stdin)")
    String prompt;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "32", description = "tokens to generate at most (default 32)")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default); > 0 samples")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "sample from the k most likely tokens (0 = all)")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", description = "nucleus sampling threshold (1 = off)")
    float topP;

    @Option(names = "--repeat-penalty", defaultValue = "1", description = "HF repetition penalty (1 = off)")
    float repeatPenalty;

    @Option(names = "--seed", description = "RNG seed for sampling (default: random)")
    Long seed;

    @Option(names = "--chat", description = "wrap the prompt in the tokenizer's chat template (one user turn)")
    boolean chat;

    @Option(names = "--json", description = "print one JSON object (tokens, text, speeds) instead of streaming text")
    boolean json;

    @Mixin HubOptions hub;

    @Option(names = "--threads", description = "kernel threads (default: all cores)")
    Integer threads;

    @Override public Integer call() throws IOException {
        if (maxTokens < 0) throw usage("-n: expected >= 0, got " + maxTokens);
        if (threads != null) {
            if (threads < 1) throw usage("--threads: expected >= 1, got " + threads);
            Parallel.setThreads(threads);
        }
        Sampler.Options opts;
        try {
            opts = new Sampler.Options(temperature, topK, topP, repeatPenalty, seed != null ? seed : System.nanoTime());
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        String text = prompt != null ? prompt : new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();

        try (ModelSource src = ModelSource.resolveSource(source, hub)) {
            if (src.dir() == null)
                throw usage("source '" + source + "' has no tokenizer: apr run needs a model file (random: sources are for apr bench)");
            Tokenizer tok = ModelTokenizer.load(src.file());
            Transformer model = Transformer.load(src.file(), src.config());
            if (tok.vocabSize() > model.config().vocabSize())
                throw AprException.badInput("TOKENIZER_MISMATCH", source + ": tokenizer has " + tok.vocabSize()
                        + " tokens, expected at most the model's vocab_size " + model.config().vocabSize());

            int[] ids = encode(tok, text);
            if (ids.length == 0) throw usage("the prompt encodes to no tokens");
            Set<Integer> stop = stopTokens(tok, model);
            TokenStreamDecoder dec = tok.streamDecoder();
            StringBuilder produced = new StringBuilder();
            Generator.Result r = new Generator(model).generate(ids, maxTokens, new Sampler(opts), stop, token -> {
                if (stop.contains(token)) return true;           // the stop token itself is not printed
                String piece = dec.push(token);
                produced.append(piece);
                if (!json && !piece.isEmpty()) { out.print(piece); out.flush(); }
                return true;
            });
            String tail = dec.flush();
            produced.append(tail);
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("model", source);
                o.put("prompt_tokens", ids.length);
                o.put("prompt_ids", ids);
                o.put("tokens", r.tokens());
                o.put("text", produced.toString());
                o.put("stop_reason", r.stopReason());
                o.put("prefill_tokens_per_second", r.prefillTokensPerSecond());
                o.put("decode_tokens_per_second", r.decodeTokensPerSecond());
                out.println(dev.apr.format.Json.compactString(o));
            } else {
                out.println(tail);
                err.printf(Locale.ROOT, "[%d prompt tokens: %.1f t/s prefill; %d generated: %.1f t/s decode; stop: %s]%n",
                        ids.length, r.prefillTokensPerSecond(), r.tokens().length, r.decodeTokensPerSecond(), r.stopReason());
            }
            out.flush();
            err.flush();
        }
        return 0;
    }

    private int[] encode(Tokenizer tok, String text) {
        if (chat) return tok.encodeChat(List.of(Message.user(text)));
        int[] ids = tok.encode(text);
        if (tok.addBos() && tok.bosId() >= 0) {
            int[] withBos = new int[ids.length + 1];
            withBos[0] = tok.bosId();
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            ids = withBos;
        }
        return ids;
    }

    /** The tokenizer's end-of-generation tokens and the model config's eos. */
    private static Set<Integer> stopTokens(Tokenizer tok, Transformer model) {
        Set<Integer> stop = new HashSet<>();
        for (int id = 0; id < tok.vocabSize(); id++) if (tok.isSpecial(id) && tok.isEndOfGeneration(id)) stop.add(id);
        if (tok.eosId() >= 0) stop.add(tok.eosId());
        if (model.config().eosTokenId() >= 0) stop.add(model.config().eosTokenId());
        return stop;
    }

    private static AprException usage(String msg) {
        return new AprException("BAD_OPTION", AprException.USAGE, msg);
    }

}
