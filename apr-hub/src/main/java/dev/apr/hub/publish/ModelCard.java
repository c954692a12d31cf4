package dev.apr.hub.publish;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A generated {@code README.md} for repositories without a hand-written one: the front matter
 * of specs/publish.md (library, licence, task, deduplicated tags, base model, datasets, metrics,
 * and a {@code model-index} only when there is a result) and a short body telling people how to
 * load each file.
 */
public final class ModelCard {
    private ModelCard() {}

    /** One evaluation result from the checkpoint's training metadata. */
    public record Metric(String type, double value, String name) {}

    /** Everything the card says. Lists may be empty; {@code baseModel}, {@code license} may be null. */
    public record Spec(String repoName, String license, String libraryName, String pipelineTag, List<String> languages,
                       List<String> tags, String baseModel, List<String> datasets, List<Metric> results,
                       String evalDatasetName, String evalDatasetType, String description, List<String> files) {}

    public static String generate(Spec s) {
        StringBuilder y = new StringBuilder("---\n");
        y.append("library_name: ").append(scalar(s.libraryName())).append('\n');
        if (s.license() != null) y.append("license: ").append(scalar(s.license())).append('\n');
        y.append("pipeline_tag: ").append(scalar(s.pipelineTag())).append('\n');
        if (!s.languages().isEmpty()) y.append("language: ").append(flow(s.languages())).append('\n');
        List<String> tags = dedupe(s.tags());
        if (!tags.isEmpty()) y.append("tags: ").append(flow(tags)).append('\n');
        if (s.baseModel() != null) y.append("base_model: ").append(scalar(s.baseModel())).append('\n');
        if (!s.datasets().isEmpty()) y.append("datasets: ").append(flow(dedupe(s.datasets()))).append('\n');
        if (!s.results().isEmpty()) {
            y.append("metrics: ").append(flow(dedupe(s.results().stream().map(Metric::type).toList()))).append('\n');
            y.append("model-index:\n");
            y.append("- name: ").append(scalar(s.repoName())).append('\n');
            y.append("  results:\n");
            y.append("  - task: {type: ").append(scalar(s.pipelineTag())).append(", name: Causal Language Modeling}\n");
            y.append("    dataset: {name: ").append(scalar(s.evalDatasetName())).append(", type: ").append(scalar(s.evalDatasetType())).append("}\n");
            y.append("    metrics:\n");
            for (Metric m : s.results())
                y.append("    - {type: ").append(scalar(m.type())).append(", value: ").append(number(m.value()))
                        .append(", name: ").append(scalar(m.name())).append("}\n");
        }
        y.append("---\n\n");
        y.append("# ").append(s.repoName()).append("\n\n");
        if (s.description() != null && !s.description().isBlank()) y.append(s.description().strip()).append("\n\n");
        if (s.baseModel() != null) y.append("Fine-tuned from [").append(s.baseModel()).append("](https://huggingface.co/").append(s.baseModel()).append(").\n\n");
        y.append("Made with [apr](https://github.com/apr-dev/apr), a Java toolkit for small decoder-only language models.\n\n");
        if (!s.results().isEmpty()) {
            y.append("## Evaluation\n\n| metric | value |\n|---|---|\n");
            for (Metric m : s.results()) y.append("| ").append(m.name()).append(" (").append(m.type()).append(") | ").append(number(m.value())).append(" |\n");
            y.append('\n');
        }
        y.append("## Files\n\n| file | for |\n|---|---|\n");
        for (String f : s.files()) y.append("| `").append(f).append("` | ").append(purpose(f, s.repoName())).append(" |\n");
        y.append("\n## Usage\n\n");
        String apr = s.files().stream().filter(f -> f.endsWith(".apr")).findFirst().orElse(null);
        String gguf = s.files().stream().filter(f -> f.endsWith(".gguf")).findFirst().orElse(null);
        if (apr != null) y.append("apr:\n\n```sh\napr run <org>/").append(s.repoName()).append(" \"def fib(n):\" -n 16\n```\n\n");
        if (s.files().contains("model.safetensors") && s.files().contains("config.json"))
            y.append("Transformers:\n\n```python\nfrom transformers import AutoModelForCausalLM, AutoTokenizer\n")
                    .append("model = AutoModelForCausalLM.from_pretrained(\"<org>/").append(s.repoName()).append("\")\n")
                    .append("tokenizer = AutoTokenizer.from_pretrained(\"<org>/").append(s.repoName()).append("\")\n```\n\n");
        if (gguf != null) y.append("llama.cpp:\n\n```sh\nllama-cli -m ").append(gguf).append(" -p \"def fib(n):\" -n 16\n```\n");
        return y.toString();
    }

    private static String purpose(String f, String name) {
        if (f.equals("model.safetensors")) return "Transformers (same LFS object as " + name + ".safetensors)";
        if (f.endsWith(".safetensors")) return "SafeTensors weights";
        if (f.endsWith(".apr")) return "`apr run`";
        if (f.endsWith(".gguf")) return "llama.cpp, ollama";
        return switch (f) {
            case "config.json" -> "Transformers `AutoConfig`";
            case "generation_config.json" -> "`generate()` defaults";
            case "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json" -> "tokenizer";
            case "chat_template.jinja" -> "chat template";
            case "README.md" -> "this card";
            default -> f.startsWith("LICENSE") ? "licence" : "";
        };
    }

    static List<String> dedupe(List<String> xs) {
        LinkedHashSet<String> seen = new LinkedHashSet<>();
        for (String x : xs) if (x != null && !x.isBlank()) seen.add(x.strip());
        return new ArrayList<>(seen);
    }

    private static String flow(List<String> xs) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < xs.size(); i++) b.append(i == 0 ? "" : ", ").append(scalar(xs.get(i)));
        return b.append(']').toString();
    }

    /** A YAML scalar: plain when unambiguous, else a JSON-style double-quoted string (valid YAML). */
    static String scalar(String s) {
        boolean plain = s.matches("[A-Za-z][A-Za-z0-9._/+-]*") && !s.matches("(?i)true|false|yes|no|on|off|null|y|n|~");
        if (plain) return s;
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> { if (c < 0x20) b.append(String.format("\\u%04x", (int) c)); else b.append(c); }
            }
        }
        return b.append('"').toString();
    }

    static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        String s = String.format(Locale.ROOT, "%.4f", v).replaceAll("0+$", "");
        return s.endsWith(".") ? s + "0" : s;
    }

    /** Metrics from APR training metadata: top-level or under "training" / "train". */
    public static List<Metric> metricsFrom(Map<String, Object> aprMetadata) {
        List<Metric> out = new ArrayList<>();
        Double valLoss = findNumber(aprMetadata, "val_loss", "validation_loss", "eval_loss");
        if (valLoss != null && Double.isFinite(valLoss)) {
            out.add(new Metric("val_loss", valLoss, "Validation Cross-Entropy"));
            Double ppl = findNumber(aprMetadata, "val_perplexity", "perplexity", "val_ppl");
            if (ppl == null) ppl = Math.exp(valLoss);
            if (Double.isFinite(ppl)) out.add(new Metric("perplexity", ppl, "Validation Perplexity"));
        }
        return out;
    }

    /** The first of {@code keys} holding a number, top-level or in a nested "training"/"train"/"metrics" map. */
    static Double findNumber(Map<String, Object> md, String... keys) {
        for (Object scope : new Object[] {md, md.get("training"), md.get("train"), md.get("metrics")}) {
            if (!(scope instanceof Map<?, ?> m)) continue;
            for (String k : keys) if (m.get(k) instanceof Number n) return n.doubleValue();
        }
        return null;
    }

    /** The first of {@code keys} holding a non-blank string, top-level or nested like {@link #findNumber}. */
    static String findString(Map<String, Object> md, String... keys) {
        for (Object scope : new Object[] {md, md.get("training"), md.get("train"), md.get("provenance")}) {
            if (!(scope instanceof Map<?, ?> m)) continue;
            for (String k : keys) if (m.get(k) instanceof String s && !s.isBlank()) return s.strip();
        }
        return null;
    }
}
