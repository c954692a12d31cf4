package dev.apr.hub.publish;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.ModelFile;
import dev.apr.format.Tensor;
import dev.apr.format.TokenizerJson;
import dev.apr.model.ModelTokenizer;
import dev.apr.model.tokenizer.Tokenizer;
import dev.apr.format.apr.AprFile;
import dev.apr.hub.client.HubClient;
import dev.apr.hub.client.HubDownloader;
import dev.apr.hub.client.RepoId;
import dev.apr.model.ModelConfig;
import dev.apr.model.Transformer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code apr verify org/name} (specs/publish.md): pulls the repository and checks its three load
 * paths — apr (HAS_VOCAB, a short greedy generation), Transformers (config.json class and fields,
 * the exact tensor set of model.safetensors, tokenizer files), llama.cpp (loader rules on the
 * GGUF, and where {@code APR_NODE_LLAMA_CPP} points at an npm node-llama-cpp install, real llama.cpp
 * continuing the prompt like apr: {@link LlamaCppRun}) — and that the logits of the .apr, the
 * .safetensors and the dequantized GGUF agree.
 *
 * <p>Tolerances (cosine similarity of the last-position logits, and max |diff| relative to
 * max |logit|): float weights in both files identical dtypes: rel ≤ 1e-4; F16/BF16 against F32:
 * cos ≥ 0.999; Q8_0: cos ≥ 0.99; K-quants / Q5_0 (the Q4_K export): cos ≥ 0.95, same argmax
 * not required.
 */
public final class Verifier {
    private Verifier() {}

    public enum Status { PASS, FAIL, SKIP }

    public record Check(String path, String rule, Status status, String detail) {
        @Override public String toString() { return status + " [" + path + "] " + rule + (detail.isEmpty() ? "" : ": " + detail); }
    }

    /** The prompt of specs/publish.md. */
    public static final String PROMPT = "def fib(n):";

    public static List<Check> verify(HubClient hub, Path cacheDir, RepoId repo, String revision, int newTokens) {
        Path snap = new HubDownloader(hub, cacheDir).snapshot(repo, revision, null);
        return verifySnapshot(snap, repo.name(), newTokens);
    }

    /** Verifies a local snapshot (or staging) directory. */
    public static List<Check> verifySnapshot(Path dir, String name, int newTokens) {
        List<Check> out = new ArrayList<>();
        Path aprPath = dir.resolve(name + ".apr"), stPath = dir.resolve("model.safetensors"), ggufPath = dir.resolve(name + "-q4k.gguf");
        Map<String, float[]> logits = new HashMap<>();
        Map<String, DType> weightType = new HashMap<>();
        int[] prompt = null;       // the prompt as the APR's embedded tokenizer encodes it
        int[] ggufGreedy = null;   // apr's greedy continuation on the GGUF, for llama.cpp to match
        int[] stGreedy = null;     // apr's greedy continuation on model.safetensors, for Transformers to match

        // 1. apr
        if (!Files.isRegularFile(aprPath)) out.add(new Check("apr", "file " + aprPath.getFileName(), Status.FAIL, "missing"));
        else try (ModelFile f = Readers.open(aprPath)) {
            boolean vocab = f instanceof AprFile a && a.hasFlag("HAS_VOCAB");
            out.add(new Check("apr", "HAS_VOCAB", vocab ? Status.PASS : Status.FAIL, vocab ? "embedded tokenizer present" : "flag not set (run apr stamp --tokenizer)"));
            Transformer t = Transformer.load(f);
            weightType.put("apr", mainType(f));
            Tokenizer tok = ModelTokenizer.load(f);
            prompt = tok.encode(PROMPT);
            Greedy g = greedy(t, prompt, newTokens);
            logits.put("apr", g.promptLogits());
            int[] gen = g.tokens();
            boolean finite = allFinite(logits.get("apr"));
            out.add(new Check("apr", "greedy generation of " + newTokens + " tokens after \"" + PROMPT + "\"",
                    finite ? Status.PASS : Status.FAIL, "\"" + printable(tok.decode(gen)) + "\"" + (finite ? "" : " (non-finite logits)")));
        } catch (AprException e) {
            out.add(new Check("apr", "load " + aprPath.getFileName(), Status.FAIL, e.getMessage()));
        }

        // 2. Transformers
        ModelConfig cfg = null;
        try {
            @SuppressWarnings("unchecked") Map<String, Object> c = new ObjectMapper().readValue(dir.resolve("config.json").toFile(), Map.class);
            cfg = ModelConfig.fromHfConfig(c, "config.json");
            Set<String> missing = new LinkedHashSet<>(cfg.toHfConfig("float32").keySet());
            missing.removeAll(c.keySet());
            missing.remove("transformers_version");
            boolean classOk = List.of(cfg.hfArchitecture()).equals(c.get("architectures"));
            out.add(new Check("transformers", "config.json declares " + cfg.hfArchitecture() + " (model_type " + cfg.family() + ")",
                    classOk ? Status.PASS : Status.FAIL, "architectures " + c.get("architectures")));
            out.add(new Check("transformers", "config.json has every field", missing.isEmpty() ? Status.PASS : Status.FAIL,
                    missing.isEmpty() ? c.size() + " fields" : "missing " + missing));
        } catch (IOException | AprException e) {
            out.add(new Check("transformers", "config.json", Status.FAIL, e.getMessage()));
        }
        if (!Files.isRegularFile(stPath)) out.add(new Check("transformers", "model.safetensors", Status.FAIL, "missing"));
        else try (ModelFile f = Readers.open(stPath)) {
            List<String> p = new ArrayList<>();
            StagingValidator.checkSafetensors(f, "model.safetensors", cfg, cfg != null, p);
            out.add(new Check("transformers", "model.safetensors holds exactly the tensors, shapes and dtypes " + (cfg == null ? "expected" : cfg.hfArchitecture() + " expects"),
                    p.isEmpty() ? Status.PASS : Status.FAIL, p.isEmpty() ? f.tensors().size() + " tensors" : String.join("; ", p)));
            if (cfg != null && p.isEmpty() && prompt != null) {
                weightType.put("safetensors", mainType(f));
                Transformer t = Transformer.load(f, cfg);
                Greedy g = greedy(t, prompt, newTokens);
                logits.put("safetensors", g.promptLogits());
                stGreedy = g.tokens();
            }
        } catch (AprException e) {
            out.add(new Check("transformers", "load model.safetensors", Status.FAIL, e.getMessage()));
        }
        out.add(tokenizerCheck(dir));
        if (prompt != null) out.add(sameIds("transformers", "tokenizer.json", prompt, () -> Tokenizer.load(dir)));
        out.add(pythonTransformers(dir, prompt, stGreedy));

        // 3. llama.cpp
        if (!Files.isRegularFile(ggufPath)) out.add(new Check("llama.cpp", "file " + ggufPath.getFileName(), Status.FAIL, "missing"));
        else try (ModelFile f = Readers.open(ggufPath)) {
            List<String> p = new ArrayList<>();
            GgufRules.check(f, ggufPath.getFileName().toString(), p);
            out.add(new Check("llama.cpp", "loader rules (keys, alignment, tensor set and shapes, K-quant rows)",
                    p.isEmpty() ? Status.PASS : Status.FAIL, p.isEmpty() ? f.tensors().size() + " tensors" : String.join("; ", p)));
            if (prompt != null) out.add(sameIds("llama.cpp", "the GGUF's tokenizer.ggml.*", prompt, () -> Tokenizer.fromGguf(f.metadata())));
            if (p.isEmpty() && prompt != null) {
                weightType.put("gguf", mainType(f));
                Transformer t = Transformer.load(f);
                Greedy g = greedy(t, prompt, newTokens);
                logits.put("gguf", g.promptLogits());
                ggufGreedy = g.tokens();
            }
        } catch (AprException e) {
            out.add(new Check("llama.cpp", "load " + ggufPath.getFileName(), Status.FAIL, e.getMessage()));
        }
        out.add(LlamaCppRun.check(ggufPath, prompt, ggufGreedy));

        // consistency
        float[] ref = logits.get("apr");
        for (String other : List.of("safetensors", "gguf")) {
            float[] o = logits.get(other);
            if (ref == null || o == null) {
                out.add(new Check("consistency", "apr vs " + other + " logits", Status.FAIL, "not computed (see the failures above)"));
                continue;
            }
            out.add(compare(ref, o, weightType.get("apr"), weightType.get(other), other));
        }
        return out;
    }

    /** The logits after the prompt (compared across formats) and the tokens greedy decoding appends. */
    record Greedy(float[] promptLogits, int[] tokens) {}

    static Greedy greedy(Transformer t, int[] prompt, int n) {
        Transformer.State s = t.newState(prompt.length + n + 1);
        float[] first = t.forward(s, prompt, false), l = first;
        int[] gen = new int[n];
        for (int i = 0; i < n; i++) {
            gen[i] = argmax(l);
            if (i + 1 < n) l = t.forward(s, new int[] {gen[i]}, false);
        }
        return new Greedy(first, gen);
    }

    static Check compare(float[] a, float[] b, DType ta, DType tb, String other) {
        if (a.length != b.length) return new Check("consistency", "apr vs " + other + " logits", Status.FAIL, "vocab " + a.length + " vs " + b.length);
        double dot = 0, na = 0, nb = 0, maxDiff = 0, maxAbs = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            maxAbs = Math.max(maxAbs, Math.abs(a[i]));
        }
        double cos = dot / Math.sqrt(na * nb);
        double rel = maxDiff / Math.max(maxAbs, 1e-12);
        boolean pass;
        String rule;
        if (ta == tb && !ta.isQuantized()) { pass = rel <= 1e-4; rule = "max|diff|/max|logit| ≤ 1e-4 (same float dtype " + ta + ")"; }
        else if (!tb.isQuantized()) { pass = cos >= 0.999; rule = "cosine ≥ 0.999 (" + ta + " vs " + tb + ")"; }
        else if (tb == DType.Q8_0) { pass = cos >= 0.99; rule = "cosine ≥ 0.99 (" + tb + ")"; }
        else { pass = cos >= 0.95; rule = "cosine ≥ 0.95 (" + tb + ", 4-5 bit)"; }
        return new Check("consistency", "apr vs " + other + " logits: " + rule, pass ? Status.PASS : Status.FAIL,
                String.format(Locale.ROOT, "cosine %.6f, max|diff| %.3g (rel %.3g), argmax %d vs %d", cos, maxDiff, rel, argmax(a), argmax(b)));
    }

    private static Check tokenizerCheck(Path dir) {
        List<String> parsed = new ArrayList<>(), problems = new ArrayList<>();
        try {
            TokenizerJson.read(dir.resolve("tokenizer.json"));
            parsed.add("tokenizer.json");
        } catch (AprException e) { problems.add(e.getMessage()); }
        try {
            TokenizerJson.readConfig(dir.resolve("tokenizer_config.json"));
            parsed.add("tokenizer_config.json");
        } catch (AprException e) { problems.add(e.getMessage()); }
        try {
            TokenizerJson.readVocabMerges(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
            parsed.add("vocab.json + merges.txt");
        } catch (AprException e) { problems.add(e.getMessage()); }
        return new Check("transformers", "tokenizer files parse", problems.isEmpty() ? Status.PASS : Status.FAIL,
                problems.isEmpty() ? String.join(", ", parsed) : String.join("; ", problems));
    }

    /**
     * Where python3 with transformers + torch is installed, Transformers itself loads the directory
     * (AutoModelForCausalLM in float32, AutoTokenizer), tokenizes the prompt and continues apr's prompt
     * ids greedily. Pass: its ids for the prompt equal the APR tokenizer's and its first greedy token
     * equals apr's on model.safetensors (later tokens are reported, not required).
     */
    private static Check pythonTransformers(Path dir, int[] prompt, int[] aprGreedy) {
        String rule = "AutoModelForCausalLM.from_pretrained + generate";
        if (!onPath("python3")) return new Check("transformers", rule, Status.SKIP, "python3 not installed");
        try {
            Process probe = new ProcessBuilder("python3", "-c", "import transformers, torch").redirectErrorStream(true).start();
            probe.getInputStream().readAllBytes();
            if (!probe.waitFor(60, TimeUnit.SECONDS) || probe.exitValue() != 0)
                return new Check("transformers", rule, Status.SKIP, "python3 has no transformers/torch");
            if (prompt == null || aprGreedy == null)
                return new Check("transformers", rule, Status.SKIP, "apr could not run model.safetensors (see the failures above), nothing to compare");
            String script = String.join("\n",
                    "import sys, json, torch, transformers as t",
                    "d, text, prompt, n = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])",
                    "m = t.AutoModelForCausalLM.from_pretrained(d).float().eval()",
                    "k = t.AutoTokenizer.from_pretrained(d)",
                    "ids = list(k(text, add_special_tokens=False)['input_ids'])",
                    "x = torch.tensor([prompt])",
                    "with torch.no_grad():",
                    "    out = m.generate(x, attention_mask=torch.ones_like(x), max_new_tokens=n, do_sample=False)",
                    "gen = [int(v) for v in out[0][len(prompt):]]",
                    "print('" + LlamaCppRun.MARK + "' + json.dumps({'ids': [int(v) for v in ids], 'greedy': gen, 'text': k.decode(gen)}))", "");
            Process p = new ProcessBuilder("python3", "-c", script, dir.toString(), PROMPT,
                    java.util.Arrays.toString(prompt), String.valueOf(aprGreedy.length)).redirectErrorStream(true).start();
            return LlamaCppRun.judge("transformers", rule, p, "python3", "AutoTokenizer encodes", "model.safetensors", prompt, aprGreedy);
        } catch (IOException | InterruptedException e) {
            return new Check("transformers", rule, Status.FAIL, e.toString());
        }
    }

    static boolean onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String d : path.split(java.io.File.pathSeparator)) if (Files.isExecutable(Path.of(d, exe))) return true;
        return false;
    }

    /** The least precise dtype among the weight matrices (fewest bytes per element): it decides the tolerance. */
    static DType mainType(ModelFile f) {
        DType worst = null;
        double worstBpe = Double.MAX_VALUE;
        for (Tensor t : f.tensors()) {
            if (t.shape().length != 2 || t.elementCount() == 0) continue;
            double bpe = (double) t.byteSize() / t.elementCount();
            if (bpe < worstBpe) { worstBpe = bpe; worst = t.dtype(); }
        }
        return worst == null ? DType.F32 : worst;
    }

    /** Each load path tokenizes with its own files: they must give the ids the APR's tokenizer gives. */
    private static Check sameIds(String path, String what, int[] expected, java.util.function.Supplier<Tokenizer> load) {
        String rule = what + " encodes \"" + PROMPT + "\" to the APR tokenizer's ids";
        try {
            int[] got = load.get().encode(PROMPT);
            boolean same = java.util.Arrays.equals(expected, got);
            return new Check(path, rule, same ? Status.PASS : Status.FAIL,
                    same ? java.util.Arrays.toString(got) : "expected " + java.util.Arrays.toString(expected) + ", got " + java.util.Arrays.toString(got));
        } catch (AprException e) {
            return new Check(path, rule, Status.FAIL, e.getMessage());
        }
    }

    static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    private static boolean allFinite(float[] x) {
        for (float v : x) if (!Float.isFinite(v)) return false;
        return true;
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) b.append(c == '\n' ? "\\n" : c < 0x20 ? "?" : String.valueOf(c));
        return b.toString();
    }
}
