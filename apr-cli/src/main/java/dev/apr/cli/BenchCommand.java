package dev.apr.cli;

import dev.apr.model.Bench;
import dev.apr.model.Transformer;
import dev.apr.model.kernel.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure prefill and decode tokens/s (like llama-bench pp/tg): median of repetitions.")
public final class BenchCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SOURCE",
            description = "APR file, GGUF file, HF checkpoint dir, or random:PRESET[:f32|f16|bf16|q8_0|q4_k_m] (e.g. random:qwen2-0.5b:q8_0)")
    String source;

    @Option(names = {"-p", "--prompt-tokens"}, defaultValue = "128", description = "prompt length of the prefill test (0 = skip; default 128)")
    int prompt;

    @Option(names = {"-n", "--gen-tokens"}, defaultValue = "32", description = "tokens of the decode test (0 = skip; default 32)")
    int gen;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "3", description = "repetitions of each test (default 3)")
    int reps;

    @Option(names = "--threads", description = "kernel threads (default: all cores)")
    Integer threads;

    @Option(names = "--warmup-seconds", defaultValue = "30",
            description = "longest untimed warm-up: the tests repeat until a run is no faster than the best before it (default 30)")
    double warmupSeconds;

    @Option(names = "--json", description = "print the results as JSON on stdout")
    boolean json;

    @Override public Integer call() {
        if (prompt < 0 || gen < 0 || reps < 1)
            throw new dev.apr.format.AprException("BAD_OPTION", dev.apr.format.AprException.USAGE,
                    "-p and -n must be >= 0 and -r >= 1, got -p " + prompt + " -n " + gen + " -r " + reps);
        if (!(warmupSeconds >= 0))
            throw new dev.apr.format.AprException("BAD_OPTION", dev.apr.format.AprException.USAGE, "--warmup-seconds: expected >= 0, got " + warmupSeconds);
        if (threads != null) {
            if (threads < 1) throw new dev.apr.format.AprException("BAD_OPTION", dev.apr.format.AprException.USAGE, "--threads: expected >= 1, got " + threads);
            Parallel.setThreads(threads);
        }
        java.io.PrintWriter out = spec.commandLine().getOut();
        try (ModelSource src = ModelSource.resolveSource(source)) {
            Transformer model = Transformer.load(src.file(), src.config());
            int n = Parallel.shared().threads();
            long w0 = System.nanoTime();
            int warmupRuns = Bench.warmUp(model, prompt, gen, warmupSeconds);
            double warmupTook = (System.nanoTime() - w0) / 1e9;
            List<Bench.Result> results = new ArrayList<>();
            if (prompt > 0) results.add(Bench.prefill(model, prompt, reps));
            if (gen > 0) results.add(Bench.decode(model, gen, reps));
            long bytes = model.weightBytesPerToken();
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("model", source);
                o.put("params", src.config().parameterCount());
                o.put("weight_bytes_per_token", bytes);
                o.put("threads", n);
                o.put("warmup_runs", warmupRuns);
                List<Map<String, Object>> rs = new ArrayList<>();
                for (Bench.Result r : results) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("test", r.test());
                    m.put("tokens", r.tokens());
                    m.put("median_tokens_per_second", r.median());
                    m.put("runs_tokens_per_second", r.tokensPerSecond());
                    m.put("cpu_normalized_tokens_per_second", r.cpuMedian());
                    m.put("heap_bytes_per_token", Math.round(r.heapBytesPerToken()));
                    rs.add(m);
                }
                o.put("results", rs);
                out.println(dev.apr.format.Json.compactString(o));
            } else {
                out.printf(Locale.ROOT, "model %s: %.1fM params, %.1f MiB of weights per token, %d threads%n",
                        source, src.config().parameterCount() / 1e6, bytes / 1048576.0, n);
                out.printf(Locale.ROOT, "warm-up: %d untimed runs of the tests, %.1f s%n", warmupRuns, warmupTook);
                out.printf(Locale.ROOT, "| %-6s | %12s | %-32s | %14s |%n", "test", "t/s (median)", "runs t/s", "t/s per cpu*");
                for (Bench.Result r : results) {
                    StringBuilder runs = new StringBuilder();
                    for (double v : r.tokensPerSecond()) runs.append(runs.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", v));
                    out.printf(Locale.ROOT, "| %-6s | %12.2f | %-32s | %14.2f |%n", r.test(), r.median(), runs, r.cpuMedian());
                    if (r == results.get(results.size() - 1))
                        out.println("  * tokens per (process CPU seconds / threads): the speed with the cores to itself (shared machines)");
                    if (r.test().startsWith("tg"))
                        out.printf(Locale.ROOT, "         decode reads %.1f GB/s of weights, allocates %.1f KiB of heap per token%n",
                                r.median() * bytes / 1e9, r.heapBytesPerToken() / 1024);
                }
            }
        }
        out.flush();
        return 0;
    }
}
