package dev.apr.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apr.model.tokenizer.Tokenizer;
import dev.apr.train.data.CorpusEncoder;
import dev.apr.train.data.ShardManifest;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "tokenize", mixinStandardHelpOptions = true, description = "Tokenize text corpora into u32 token shards.",
        subcommands = {TokenizeCommand.EncodeCorpus.class})
public final class TokenizeCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 1; // a parent command alone is a usage error
    }

    @Command(name = "encode-corpus", mixinStandardHelpOptions = true,
            description = {"Tokenize documents into shard-NNNNN.bin files (flat little-endian u32 token ids) and manifest.json.",
                    "Inputs: text files, directories (recursive), .jsonl (one document per line) and .zip (one document per entry).",
                    "The same inputs always give the same bytes; all cores are used."})
    static final class EncodeCorpus implements Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Option(names = "--corpus", required = true, arity = "1..*", paramLabel = "PATH",
                description = "Text file, directory, .jsonl or .zip (repeatable; order is kept).")
        List<Path> corpus;

        @Option(names = "--tokenizer", required = true, paramLabel = "DIR|tokenizer.json",
                description = "Tokenizer directory or tokenizer.json.")
        Path tokenizer;

        @Option(names = "--output", required = true, paramLabel = "DIR", description = "Output directory (must not already hold shards).")
        Path output;

        @Option(names = "--shard-tokens", defaultValue = "10000000", description = "Tokens per shard (default ${DEFAULT-VALUE}).")
        long shardTokens;

        @Option(names = "--eos-policy", defaultValue = "between", paramLabel = "between|after|none",
                description = "End-of-document token between documents, after each, or none (default ${DEFAULT-VALUE}).")
        String eosPolicy;

        @Option(names = "--content-field", defaultValue = "content", description = "JSON field holding the text in .jsonl (default ${DEFAULT-VALUE}).")
        String contentField;

        @Option(names = "--val-fraction", defaultValue = "0.0",
                description = "Fraction of whole documents (chosen by a hash of their name) written to OUTPUT/val (default ${DEFAULT-VALUE}).")
        double valFraction;

        @Option(names = "--include", paramLabel = "GLOB", description = "Only zip entries / directory files matching this glob, e.g. 'java.base/**'.")
        String include;

        @Option(names = "--shuffle", description = "Documents in the order of SHA-256 of their name (deterministic) instead of"
                + " by name, so consecutive training windows see the whole corpus early (a .jsonl's lines keep their order).")
        boolean shuffle;

        @Option(names = "--threads", description = "Worker threads (default: all cores).")
        Integer threads;

        @Option(names = "--json", description = "Print the result as JSON on stdout.")
        boolean json;

        @Option(names = {"-q", "--quiet"}, description = "No progress on stderr.")
        boolean quiet;

        @Override public Integer call() throws Exception {
            PrintWriter err = spec.commandLine().getErr();
            PrintWriter out = spec.commandLine().getOut();
            Tokenizer tok = Tokenizer.load(tokenizer);
            CorpusEncoder.Options o = new CorpusEncoder.Options(corpus, output, shardTokens, CorpusEncoder.EosPolicy.parse(eosPolicy),
                    contentField, valFraction, include, threads == null ? Runtime.getRuntime().availableProcessors() : threads, shuffle);
            CorpusEncoder.Result r = new CorpusEncoder(tok, o, quiet ? null : line -> { err.println(line); err.flush(); }).run();
            if (json) {
                ObjectMapper m = new ObjectMapper();
                ObjectNode n = m.createObjectNode();
                n.put("output", output.toString());
                n.set("train", m.readTree(r.train().toJson()));
                if (r.val() != null) n.set("val", m.readTree(r.val().toJson()));
                n.put("input_bytes", r.inputBytes());
                n.put("seconds", r.seconds());
                n.put("tokens_per_second", r.tokensPerSecond());
                out.println(m.writeValueAsString(n));
            } else {
                out.println(summary("train", output, r.train()));
                if (r.val() != null) out.println(summary("val", output.resolve("val"), r.val()));
                out.printf("%.1f s, %,.0f tokens/s%n", r.seconds(), r.tokensPerSecond());
            }
            out.flush();
            return 0;
        }

        private static String summary(String split, Path dir, ShardManifest m) {
            return String.format("%s: %,d documents, %,d tokens in %d shard(s) -> %s", split, m.documents(), m.tokens(), m.shards().size(), dir);
        }
    }
}
