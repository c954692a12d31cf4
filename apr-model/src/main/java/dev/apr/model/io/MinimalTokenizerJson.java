package dev.apr.model.io;

import dev.apr.format.BadInput;
import dev.apr.format.Json;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The few fields of a Hugging Face {@code tokenizer.json} that import embeds into APR metadata:
 * the BPE vocabulary (index = id, added tokens included), the merges as {@code "a b"} strings,
 * the added tokens and the pre-tokenizer family.
 *
 * <p>TEMPORARY: the full tokenizer.json reader is dev.apr.format.TokenizerJson (branch tok).
 * When it is merged, import should use it and this class should go (one reader per format).
 */
final class MinimalTokenizerJson {
    /** Qwen2's pre-tokenizer split pattern: its presence identifies tokenizer.pre_type "qwen2". */
    static final String QWEN2_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    final Map<String, Object> json;
    final String modelType;
    final List<String> vocabulary;      // index = id
    final List<String> merges;          // "a b"
    final Map<String, Integer> ids;     // token -> id
    final List<String> addedTokens;     // contents, in file order
    final int holes;                    // ids with no token (filled with "[PAD<id>]")
    final String preType;               // "qwen2" or null

    private MinimalTokenizerJson(Map<String, Object> json, String modelType, List<String> vocabulary, List<String> merges,
                                 Map<String, Integer> ids, List<String> addedTokens, int holes, String preType) {
        this.json = json;
        this.modelType = modelType;
        this.vocabulary = vocabulary;
        this.merges = merges;
        this.ids = ids;
        this.addedTokens = addedTokens;
        this.holes = holes;
        this.preType = preType;
    }

    static MinimalTokenizerJson read(Path file) {
        Map<String, Object> j = Json.readObject(file, false);
        if (!(j.get("model") instanceof Map<?, ?> model))
            throw BadInput.of("BAD_TOKENIZER", file, "model", "an object", describe(j.get("model")));
        Object type = model.get("type");
        if (!"BPE".equals(type))
            throw BadInput.of("UNSUPPORTED_TOKENIZER", file, "model.type", "BPE", describe(type));
        if (!(model.get("vocab") instanceof Map<?, ?> vocab))
            throw BadInput.of("BAD_TOKENIZER", file, "model.vocab", "an object {token: id}", describe(model.get("vocab")));

        Map<String, Integer> ids = new HashMap<>();
        int maxId = -1;
        for (Map.Entry<?, ?> e : vocab.entrySet()) {
            int id = id(file, "model.vocab['" + e.getKey() + "']", e.getValue());
            ids.put((String) e.getKey(), id);
            maxId = Math.max(maxId, id);
        }
        List<String> added = new ArrayList<>();
        Map<Integer, String> addedById = new HashMap<>();
        if (j.get("added_tokens") instanceof List<?> at) {
            for (int i = 0; i < at.size(); i++) {
                if (!(at.get(i) instanceof Map<?, ?> t) || !(t.get("content") instanceof String content))
                    throw BadInput.of("BAD_TOKENIZER", file, "added_tokens[" + i + "]", "an object with id and content", describe(at.get(i)));
                int id = id(file, "added_tokens[" + i + "].id", t.get("id"));
                addedById.put(id, content);
                added.add(content);
                maxId = Math.max(maxId, id);
            }
        } else if (j.get("added_tokens") != null) {
            throw BadInput.of("BAD_TOKENIZER", file, "added_tokens", "an array", describe(j.get("added_tokens")));
        }
        String[] byId = new String[maxId + 1];
        for (Map.Entry<String, Integer> e : ids.entrySet()) {
            if (byId[e.getValue()] != null)
                throw BadInput.of("BAD_TOKENIZER", file, "model.vocab id " + e.getValue(), "one token per id",
                        "'" + byId[e.getValue()] + "' and '" + e.getKey() + "'");
            byId[e.getValue()] = e.getKey();
        }
        for (Map.Entry<Integer, String> e : addedById.entrySet()) {
            byId[e.getKey()] = e.getValue();   // an added token may re-declare a vocab entry with the same id
            ids.put(e.getValue(), e.getKey());
        }
        int holes = 0;
        List<String> vocabulary = new ArrayList<>(byId.length);
        for (int i = 0; i < byId.length; i++) {
            if (byId[i] == null) { holes++; vocabulary.add("[PAD" + i + "]"); } else vocabulary.add(byId[i]);
        }

        List<String> merges = new ArrayList<>();
        Object m = model.get("merges");
        if (m instanceof List<?> ml) {
            for (int i = 0; i < ml.size(); i++) {
                Object x = ml.get(i);
                // tokenizers >= 0.20 writes merges as ["a", "b"]; older files as "a b"
                if (x instanceof String s) merges.add(s);
                else if (x instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof String a && pair.get(1) instanceof String b)
                    merges.add(a + " " + b);
                else throw BadInput.of("BAD_TOKENIZER", file, "model.merges[" + i + "]", "\"a b\" or [\"a\", \"b\"]", describe(x));
            }
        } else if (m != null) {
            throw BadInput.of("BAD_TOKENIZER", file, "model.merges", "an array", describe(m));
        }
        String pre = Json.compactString(j.get("pre_tokenizer")).contains(Json.compactString(QWEN2_PATTERN)) ? "qwen2" : null;
        return new MinimalTokenizerJson(j, "BPE", vocabulary, merges, ids, added, holes, pre);
    }

    private static int id(Path file, String field, Object v) {
        if (v instanceof Integer i && i >= 0 && i < (1 << 24)) return i;
        throw BadInput.of("BAD_TOKENIZER", file, field, "a token id in [0, 16777216)", describe(v));
    }

    private static String describe(Object v) {
        if (v == null) return "nothing";
        if (v instanceof String s) return "\"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
        if (v instanceof Map) return "an object";
        if (v instanceof List<?> l) return "an array of " + l.size();
        return String.valueOf(v);
    }
}
