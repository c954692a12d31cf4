package dev.apr.model;

import dev.apr.format.AprException;
import dev.apr.format.Json;
import dev.apr.format.ModelFile;
import dev.apr.format.TokenizerJson;
import dev.apr.format.apr.AprFile;
import dev.apr.model.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The tokenizer that travels with a checkpoint: a GGUF's own {@code tokenizer.ggml.*} keys, the
 * {@code tokenizer.json} (or vocab.json + merges.txt) beside a SafeTensors checkpoint, or the
 * tokenizer an APR file embeds (only when it carries the HAS_VOCAB flag, set by {@code apr stamp}).
 */
public final class ModelTokenizer {
    private ModelTokenizer() {}

    public static Tokenizer load(ModelFile f) {
        return switch (f.format()) {
            case "GGUF" -> Tokenizer.fromGguf(f.metadata());
            case "SafeTensors" -> {
                Path dir = Files.isDirectory(f.path()) ? f.path() : f.path().toAbsolutePath().getParent();
                if (dir == null || !(Files.isRegularFile(dir.resolve("tokenizer.json")) || Files.isRegularFile(dir.resolve("vocab.json"))))
                    throw AprException.badInput("NO_TOKENIZER", f.path() + ": tokenizer: expected tokenizer.json (or vocab.json + merges.txt) in "
                            + dir + ", got none");
                yield Tokenizer.load(dir);
            }
            case "APR" -> fromApr(f);
            default -> throw AprException.badInput("NO_TOKENIZER", f.path() + ": a " + f.format() + " source has no tokenizer");
        };
    }

    private static Tokenizer fromApr(ModelFile f) {
        if (!(f instanceof AprFile a) || !a.hasFlag("HAS_VOCAB"))
            throw AprException.badInput("NO_TOKENIZER", f.path() + ": flags: expected HAS_VOCAB (an embedded tokenizer), got none;"
                    + " stamp one in with: apr stamp " + f.path() + " --tokenizer DIR -o OUT.apr");
        Map<String, Object> md = f.metadata();
        Object whole = md.get("tokenizer.json");
        if (whole != null) {
            // the whole tokenizer.json, as text or as a parsed object
            byte[] bytes = whole instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : Json.compact(whole);
            TokenizerJson tj = TokenizerJson.parse(bytes, Path.of(f.path() + "#tokenizer.json"));
            return Tokenizer.fromJson(tj, null);
        }
        // vocabulary + merges only (the pre-tokenizer by name, as GGUF carries it)
        Object vocab = md.get("tokenizer.vocabulary"), merges = md.get("tokenizer.merges");
        if (!(vocab instanceof List<?>) || !(merges instanceof List<?>))
            throw AprException.badInput("NO_TOKENIZER", f.path() + ": metadata tokenizer.vocabulary / tokenizer.merges: expected arrays"
                    + " (HAS_VOCAB is set), got " + (vocab == null ? "nothing" : "a " + vocab.getClass().getSimpleName()));
        Map<String, Object> g = new HashMap<>();
        g.put("tokenizer.ggml.model", "gpt2");
        g.put("tokenizer.ggml.tokens", vocab);
        g.put("tokenizer.ggml.merges", merges);
        Object pre = md.get("tokenizer.pre_type");
        g.put("tokenizer.ggml.pre", pre == null ? "qwen2" : pre.toString());
        if (md.get("tokenizer.bos_token_id") instanceof Number n) g.put("tokenizer.ggml.bos_token_id", n);
        if (md.get("tokenizer.eos_token_id") instanceof Number n) g.put("tokenizer.ggml.eos_token_id", n);
        return Tokenizer.fromGguf(g);
    }
}
