package dev.apr.hub.publish;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apr.hub.publish.Verifier.Check;
import dev.apr.hub.publish.Verifier.Status;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The third load path run for real: llama.cpp itself loads the GGUF, tokenizes the verify prompt and
 * continues it greedily. llama.cpp comes from the npm package {@code node-llama-cpp} (its prebuilt
 * binaries), found through {@code APR_NODE_LLAMA_CPP}: a directory where {@code npm install
 * node-llama-cpp} was run. Without it the check is skipped, saying how to enable it.
 *
 * <p>Pass: llama.cpp loads the file, its token ids for the prompt equal the APR tokenizer's, and its
 * first greedy token equals apr's on the same GGUF (later tokens are reported, not required: two
 * Q4_K implementations may part ways after a near-tie).
 */
final class LlamaCppRun {
    private LlamaCppRun() {}

    static final String ENV = "APR_NODE_LLAMA_CPP";
    private static final String RULE = "llama.cpp loads the GGUF and continues the prompt greedily";
    static final String MARK = "APR-RESULT ";

    /**
     * Run from a temporary .mjs file (node-llama-cpp's binary self-test re-runs the process, which fails
     * for {@code node -e}), importing the package by its absolute entry-point URL.
     */
    private static final String SCRIPT = """
            const [entry, file, text, n] = process.argv.slice(-4);
            const {getLlama} = await import(entry);
            const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
            const model = await llama.loadModel({modelPath: file});
            const ids = Array.from(model.tokenize(text));
            const seq = (await model.createContext({contextSize: 256})).getSequence();
            const greedy = [];
            for await (const t of seq.evaluate(ids, {temperature: 0})) { greedy.push(t); if (greedy.length >= Number(n)) break; }
            console.log("%s" + JSON.stringify({ids, greedy, text: model.detokenize(greedy)}));
            await model.dispose();
            """.formatted(MARK);

    static Check check(Path gguf, int[] prompt, int[] aprGreedy) {
        return check(System.getenv(ENV), gguf, prompt, aprGreedy);
    }

    /** As {@link #check(Path, int[], int[])} with the node-llama-cpp directory given ({@code null}: not set). */
    static Check check(String dir, Path gguf, int[] prompt, int[] aprGreedy) {
        if (dir == null || dir.isBlank())
            return new Check("llama.cpp", RULE, Status.SKIP, (Verifier.onPath("llama-cli") ? "llama-cli is installed, but " : "")
                    + "apr verify runs llama.cpp through node-llama-cpp: set " + ENV + " to a directory where `npm install node-llama-cpp` was run");
        Path module = Path.of(dir, "node_modules", "node-llama-cpp", "package.json");
        if (!Files.isRegularFile(module))
            return new Check("llama.cpp", RULE, Status.FAIL, ENV + "=" + dir + ": expected " + module + ", not found");
        if (!Verifier.onPath("node")) return new Check("llama.cpp", RULE, Status.FAIL, ENV + " is set but node is not on PATH");
        if (prompt == null || aprGreedy == null)
            return new Check("llama.cpp", RULE, Status.SKIP, "apr could not run the GGUF (see the failures above), nothing to compare");
        Path script = null;
        try {
            script = Files.createTempFile("apr-verify-llama", ".mjs");
            Files.writeString(script, SCRIPT);
            Process p = new ProcessBuilder("node", script.toString(), entryUrl(module),
                    gguf.toAbsolutePath().toString(), Verifier.PROMPT, String.valueOf(aprGreedy.length))
                    .redirectErrorStream(true).start();
            return judge("llama.cpp", RULE, p, "node-llama-cpp", "llama.cpp tokenizes", "this GGUF", prompt, aprGreedy);
        } catch (IOException e) {
            return new Check("llama.cpp", RULE, Status.FAIL, "running node: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Check("llama.cpp", RULE, Status.FAIL, "interrupted");
        } finally {
            if (script != null) try { Files.deleteIfExists(script); } catch (IOException ignored) { /* a temp file */ }
        }
    }

    /**
     * Judges another runtime's run of the verify prompt (its script prints one {@link #MARK} line of
     * {@code {"ids", "greedy", "text"}}): its ids for the prompt must equal the APR tokenizer's and its
     * first greedy token apr's first on the same weights (later tokens are reported, not required).
     * Shared by the llama.cpp and the Transformers checks.
     */
    static Check judge(String runtime, String rule, Process p, String processName, String tokenizes, String weights,
                       int[] prompt, int[] aprGreedy) throws IOException, InterruptedException {
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Check(runtime, rule, Status.FAIL, processName + " did not finish in 300 s");
        }
        String line = text.lines().filter(l -> l.startsWith(MARK)).findFirst().orElse(null);
        if (p.exitValue() != 0 || line == null)
            return new Check(runtime, rule, Status.FAIL, runtime + " failed (exit " + p.exitValue() + "): " + tail(text));
        JsonNode r = new ObjectMapper().readTree(line.substring(MARK.length()));
        int[] ids = ints(r.get("ids")), greedy = ints(r.get("greedy"));
        if (!Arrays.equals(ids, prompt))
            return new Check(runtime, rule, Status.FAIL, tokenizes + " \"" + Verifier.PROMPT + "\" to "
                    + Arrays.toString(ids) + ", the APR tokenizer to " + Arrays.toString(prompt));
        int same = 0;
        while (same < Math.min(greedy.length, aprGreedy.length) && greedy[same] == aprGreedy[same]) same++;
        String detail = "same prompt ids; " + same + "/" + aprGreedy.length + " greedy tokens equal apr's on " + weights + ": \""
                + r.path("text").asText().replace("\n", "⏎") + "\"";
        return new Check(runtime, rule, same > 0 ? Status.PASS : Status.FAIL, same > 0 ? detail
                : detail + " (first token: " + runtime + " " + (greedy.length > 0 ? greedy[0] : "none") + ", apr " + aprGreedy[0] + ")");
    }

    /** The package's ESM entry point ({@code exports["."].import}, else {@code main}) as a file: URL. */
    private static String entryUrl(Path packageJson) throws IOException {
        JsonNode pkg = new ObjectMapper().readTree(packageJson.toFile());
        JsonNode dot = pkg.path("exports").path(".");
        String entry = dot.isTextual() ? dot.asText() : dot.path("import").isTextual() ? dot.path("import").asText()
                : pkg.path("main").asText("index.js");
        return packageJson.getParent().resolve(entry).normalize().toUri().toString();
    }

    private static int[] ints(JsonNode array) {
        if (array == null || !array.isArray()) return new int[0];
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    private static String tail(String text) {
        String[] lines = text.strip().split("\n");
        return String.join(" | ", Arrays.copyOfRange(lines, Math.max(0, lines.length - 3), lines.length));
    }
}
