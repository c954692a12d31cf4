package dev.apr.format;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one reader of Hugging Face tokenizer files: {@code tokenizer.json} (the "fast" tokenizer),
 * the legacy pair {@code vocab.json} + {@code merges.txt}, and {@code tokenizer_config.json}.
 *
 * <p>It only parses and validates; encoding lives in {@code dev.apr.model.tokenizer.Tokenizer}.
 * Everything a caller needs is here as plain values: the base vocabulary (token string to id and
 * back), the merges in rank order, the added tokens with their flags, and the normalizer,
 * pre-tokenizer and decoder configuration. Bad or hostile input gives an {@link AprException}
 * (code {@code TOKENIZER_BAD}) naming the file and the field.
 */
public final class TokenizerJson {

    /** Files larger than this are refused before reading (the largest real ones are ~20 MB). */
    public static final long MAX_FILE_BYTES = 512L << 20;
    /** Refuse absurd vocabularies before building arrays for them. */
    public static final int MAX_VOCAB = 16_000_000;
    /** A single token or merge piece longer than this (in chars) is refused. */
    public static final int MAX_TOKEN_CHARS = 65_536;

    /** An entry of {@code added_tokens} (or of tokenizer_config's {@code added_tokens_decoder}). */
    public record AddedToken(int id, String content, boolean special, boolean singleWord,
                             boolean lstrip, boolean rstrip, boolean normalized) {}

    /**
     * One pre-tokenizer step, flattened out of any {@code Sequence}. {@code type} is the HF type
     * name ("Split", "ByteLevel", "Digits", ...). For Split: {@code regex} (from
     * {@code pattern.Regex}) or {@code literal} (from {@code pattern.String}), {@code behavior},
     * {@code invert}. For ByteLevel: {@code addPrefixSpace}, {@code useRegex}. For Digits:
     * {@code individualDigits}.
     */
    public record PreTokenizerStep(String type, String regex, String literal, String behavior, boolean invert,
                                   boolean addPrefixSpace, boolean useRegex, boolean individualDigits) {}

    /** The fields of tokenizer_config.json apr uses; absent values are null (or the stated default). */
    public record Config(Path source, String bosToken, String eosToken, String padToken, String unkToken,
                         String chatTemplate, Long modelMaxLength, Boolean addBosToken, Boolean addEosToken,
                         String tokenizerClass, List<AddedToken> addedTokensDecoder, JsonNode raw) {}

    private final Path source;
    private final String sha256;
    private final String modelType;
    private final Map<String, Integer> vocab;
    private final String[] idToToken;
    private final List<String[]> merges;
    private final List<AddedToken> addedTokens;
    private final List<String> normalizers;
    private final List<PreTokenizerStep> preTokenizers;
    private final String decoderType;
    private final boolean ignoreMerges;
    private final boolean byteFallback;
    private final String unkToken;
    private final boolean legacyPair;
    private final List<Integer> templatePrefix;

    private TokenizerJson(Path source, String sha256, String modelType, Map<String, Integer> vocab, String[] idToToken,
                          List<String[]> merges, List<AddedToken> addedTokens, List<String> normalizers,
                          List<PreTokenizerStep> preTokenizers, String decoderType, boolean ignoreMerges,
                          boolean byteFallback, String unkToken, boolean legacyPair, List<Integer> templatePrefix) {
        this.source = source;
        this.sha256 = sha256;
        this.modelType = modelType;
        this.vocab = vocab;
        this.idToToken = idToToken;
        this.merges = merges;
        this.addedTokens = addedTokens;
        this.normalizers = normalizers;
        this.preTokenizers = preTokenizers;
        this.decoderType = decoderType;
        this.ignoreMerges = ignoreMerges;
        this.byteFallback = byteFallback;
        this.unkToken = unkToken;
        this.legacyPair = legacyPair;
        this.templatePrefix = templatePrefix;
    }

    // ---------------------------------------------------------------- accessors

    /** The file this was read from (tokenizer.json, or vocab.json for the legacy pair). */
    public Path source() { return source; }
    /** Lower-case hex SHA-256 of the tokenizer.json bytes (legacy pair: of vocab.json then merges.txt). */
    public String sha256() { return sha256; }
    /**
     * True when read from the legacy vocab.json + merges.txt pair: the pre-tokenizer and the added
     * tokens then come from elsewhere (tokenizer_config.json's tokenizer_class and added_tokens_decoder).
     */
    public boolean legacyPair() { return legacyPair; }

    /**
     * The ids the post-processor's TemplateProcessing puts before a single sequence ($A): Llama 3's
     * {@code <|begin_of_text|>}, which Transformers adds to every encoded text. Empty when none.
     */
    public List<Integer> templatePrefix() { return templatePrefix; }

    /**
     * Whether a BOS goes before every text, as Transformers decides it: tokenizer_config.json's
     * {@code add_bos_token} when it says ({@code config} may be null), else this file's template.
     */
    public boolean addsBos(Config config) {
        return config != null && config.addBosToken() != null ? config.addBosToken() : !templatePrefix.isEmpty();
    }

    /** {@code model.type}: "BPE" (the only one apr encodes), "WordPiece", "Unigram", ... */
    public String modelType() { return modelType; }
    /** Base vocabulary token string to id (unmodifiable, insertion order = file order). */
    public Map<String, Integer> vocab() { return vocab; }
    /** Base vocabulary by id; entries with no token are null. Length = max base id + 1. */
    public String[] idToToken() { return idToToken.clone(); }
    /** The base token with this id or null. */
    public String token(int id) { return id >= 0 && id < idToToken.length ? idToToken[id] : null; }
    /** Merges in rank order, each {left, right}. */
    public List<String[]> merges() { return merges; }
    /** Merges as "left right" strings (the GGUF {@code tokenizer.ggml.merges} and merges.txt form). */
    public List<String> mergeStrings() {
        List<String> out = new ArrayList<>(merges.size());
        for (String[] m : merges) out.add(m[0] + " " + m[1]);
        return out;
    }
    /** {@code added_tokens} in file order. */
    public List<AddedToken> addedTokens() { return addedTokens; }
    /** Normalizer types in application order ({@code Sequence} flattened); empty for none. */
    public List<String> normalizers() { return normalizers; }
    /** Pre-tokenizer steps in order ({@code Sequence} flattened); empty for none. */
    public List<PreTokenizerStep> preTokenizers() { return preTokenizers; }
    /** {@code decoder.type} or null. */
    public String decoderType() { return decoderType; }
    /** {@code model.ignore_merges}: a word found whole in the vocab is not merged further. */
    public boolean ignoreMerges() { return ignoreMerges; }
    public boolean byteFallback() { return byteFallback; }
    public String unkToken() { return unkToken; }

    /** The id of a token string: added tokens first, then the base vocabulary; -1 if absent. */
    public int idOf(String token) {
        for (AddedToken t : addedTokens) if (t.content().equals(token)) return t.id();
        Integer id = vocab.get(token);
        return id == null ? -1 : id;
    }

    /** Vocabulary size counting added tokens: max id over both + 1 (151,669 for Qwen3). */
    public int vocabSize() {
        int n = idToToken.length;
        for (AddedToken t : addedTokens) n = Math.max(n, t.id() + 1);
        return n;
    }

    /** All tokens by id, base vocabulary and added tokens together; ids with no token are null. */
    public String[] allTokensById() {
        String[] all = new String[vocabSize()];
        System.arraycopy(idToToken, 0, all, 0, idToToken.length);
        for (AddedToken t : addedTokens) all[t.id()] = t.content();
        return all;
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads a tokenizer from a directory ({@code tokenizer.json}, else {@code vocab.json} +
     * {@code merges.txt}) or from a tokenizer.json file.
     */
    public static TokenizerJson read(Path path) {
        if (Files.isDirectory(path)) {
            Path tj = path.resolve("tokenizer.json");
            if (Files.isRegularFile(tj)) return read(tj);
            Path vj = path.resolve("vocab.json"), mt = path.resolve("merges.txt");
            if (Files.isRegularFile(vj) && Files.isRegularFile(mt)) return readVocabMerges(vj, mt);
            throw bad(path, "(directory)", "tokenizer.json or vocab.json + merges.txt", "neither present");
        }
        byte[] bytes = readBounded(path);
        return parse(bytes, path);
    }

    /** Parses tokenizer.json text held elsewhere (e.g. the APR metadata key "tokenizer.json"). */
    public static TokenizerJson parse(String json, String sourceName) {
        return parse(json.getBytes(StandardCharsets.UTF_8), Path.of(sourceName));
    }

    /** Parses tokenizer.json bytes; {@code source} is only used in messages and {@link #source()}. */
    public static TokenizerJson parse(byte[] bytes, Path source) {
        JsonNode root = parseJson(bytes, source);
        if (!root.isObject()) throw bad(source, "(root)", "a JSON object", root.getNodeType().toString());

        JsonNode model = root.get("model");
        if (model == null || !model.isObject()) throw bad(source, "model", "an object", describe(model));
        String type = model.hasNonNull("type") ? text(model, "type", source, "model.type") : inferModelType(model);

        Map<String, Integer> vocab;
        List<String[]> merges = List.of();
        if (type.equals("BPE") || type.equals("WordPiece") || type.equals("WordLevel")) {
            vocab = readVocabObject(model.get("vocab"), source, "model.vocab");
        } else {
            // Unigram and others: keep only what we can describe; encoding refuses them later.
            vocab = new LinkedHashMap<>();
        }
        if (type.equals("BPE")) merges = readMerges(model.get("merges"), source, "model.merges");
        String[] idToToken = invert(vocab, source, "model.vocab");

        boolean ignoreMerges = bool(model, "ignore_merges", false, source, "model.ignore_merges");
        boolean byteFallback = bool(model, "byte_fallback", false, source, "model.byte_fallback");
        String unk = model.hasNonNull("unk_token") ? text(model, "unk_token", source, "model.unk_token") : null;

        List<AddedToken> added = readAddedTokens(root.get("added_tokens"), source, "added_tokens", true);

        List<String> normalizers = new ArrayList<>();
        flattenNormalizer(root.get("normalizer"), normalizers, source, "normalizer", 0);
        List<PreTokenizerStep> pre = new ArrayList<>();
        flattenPreTokenizer(root.get("pre_tokenizer"), pre, source, "pre_tokenizer", 0);

        JsonNode dec = root.get("decoder");
        String decoderType = null;
        if (dec != null && !dec.isNull()) {
            if (!dec.isObject()) throw bad(source, "decoder", "an object or null", describe(dec));
            decoderType = text(dec, "type", source, "decoder.type");
        }
        return new TokenizerJson(source, sha256Hex(bytes), type, Collections.unmodifiableMap(vocab), idToToken,
                Collections.unmodifiableList(merges), Collections.unmodifiableList(added),
                List.copyOf(normalizers), List.copyOf(pre), decoderType, ignoreMerges, byteFallback, unk, false,
                templatePrefix(root.get("post_processor"), source, "post_processor"));
    }

    /**
     * Reads the legacy GPT-2 pair: {@code vocab.json} (token to id) and {@code merges.txt}
     * (optional "#version" first line, then one "left right" per line). The result describes a
     * byte-level BPE with the GPT-2 pre-tokenizer (ByteLevel with its built-in regex) and no
     * added tokens: callers add those from tokenizer_config.json's added_tokens_decoder.
     */
    public static TokenizerJson readVocabMerges(Path vocabJson, Path mergesTxt) {
        byte[] vb = readBounded(vocabJson);
        byte[] mb = readBounded(mergesTxt);
        JsonNode root = parseJson(vb, vocabJson);
        Map<String, Integer> vocab = readVocabObject(root, vocabJson, "(root)");
        String text = utf8(mb, mergesTxt);
        List<String[]> merges = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
            if (line.isEmpty() || (i == 0 && line.startsWith("#version"))) continue;
            merges.add(splitMerge(line, mergesTxt, "line " + (i + 1)));
        }
        MessageDigest md = newSha256();
        md.update(vb);
        md.update(mb);
        PreTokenizerStep gpt2 = new PreTokenizerStep("ByteLevel", null, null, null, false, false, true, false);
        return new TokenizerJson(vocabJson, HexFormat.of().formatHex(md.digest()), "BPE",
                Collections.unmodifiableMap(vocab), invert(vocab, vocabJson, "(root)"),
                Collections.unmodifiableList(merges), List.of(), List.of(), List.of(gpt2), "ByteLevel",
                false, false, null, true, List.of());
    }

    /** Reads tokenizer_config.json. Special tokens may be strings or {"content": ...} objects. */
    public static Config readConfig(Path tokenizerConfig) {
        return parseConfig(readBounded(tokenizerConfig), tokenizerConfig);
    }

    /** Parses tokenizer_config.json bytes held elsewhere (the APR metadata key "tokenizer_config.json"). */
    public static Config parseConfig(byte[] bytes, Path tokenizerConfig) {
        JsonNode root = parseJson(bytes, tokenizerConfig);
        if (!root.isObject()) throw bad(tokenizerConfig, "(root)", "a JSON object", root.getNodeType().toString());
        List<AddedToken> decoder = new ArrayList<>();
        JsonNode atd = root.get("added_tokens_decoder");
        if (atd != null && !atd.isNull()) {
            if (!atd.isObject()) throw bad(tokenizerConfig, "added_tokens_decoder", "an object", describe(atd));
            for (Iterator<Map.Entry<String, JsonNode>> it = atd.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String field = "added_tokens_decoder." + e.getKey();
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    throw bad(tokenizerConfig, field, "an integer id as key", "'" + e.getKey() + "'");
                }
                if (id < 0 || id >= MAX_VOCAB) throw bad(tokenizerConfig, field, "an id in [0, " + MAX_VOCAB + ")", String.valueOf(id));
                decoder.add(addedToken(e.getValue(), id, tokenizerConfig, field));
            }
        }
        String chat = null;
        JsonNode ct = root.get("chat_template");
        if (ct != null && !ct.isNull()) {
            if (ct.isTextual()) chat = ct.asText();
            else if (ct.isArray()) {
                // Newer configs: [{"name": "default", "template": ...}, ...]; take "default".
                for (JsonNode t : ct) if (t.path("name").asText("").equals("default")) chat = t.path("template").asText(null);
                if (chat == null) throw bad(tokenizerConfig, "chat_template", "a string or a list with a 'default' entry", "a list without one");
            } else throw bad(tokenizerConfig, "chat_template", "a string", describe(ct));
        }
        Long maxLen = null;
        JsonNode ml = root.get("model_max_length");
        if (ml != null && !ml.isNull()) {
            if (!ml.isNumber()) throw bad(tokenizerConfig, "model_max_length", "a number", describe(ml));
            // Python writes 1e30 for "unbounded"; clamp rather than overflow.
            maxLen = ml.isIntegralNumber() && ml.canConvertToLong() ? ml.asLong() : Long.MAX_VALUE;
        }
        return new Config(tokenizerConfig, specialToken(root, "bos_token", tokenizerConfig),
                specialToken(root, "eos_token", tokenizerConfig), specialToken(root, "pad_token", tokenizerConfig),
                specialToken(root, "unk_token", tokenizerConfig), chat, maxLen,
                optBool(root, "add_bos_token", tokenizerConfig), optBool(root, "add_eos_token", tokenizerConfig),
                root.hasNonNull("tokenizer_class") ? root.get("tokenizer_class").asText() : null,
                List.copyOf(decoder), root);
    }

    // ---------------------------------------------------------------- pieces

    private static Map<String, Integer> readVocabObject(JsonNode node, Path src, String field) {
        if (node == null || !node.isObject()) throw bad(src, field, "an object of token -> id", describe(node));
        if (node.size() > MAX_VOCAB) throw bad(src, field, "at most " + MAX_VOCAB + " entries", String.valueOf(node.size()));
        Map<String, Integer> vocab = new LinkedHashMap<>(node.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0 || v.asInt() >= MAX_VOCAB)
                throw bad(src, field + "['" + clip(e.getKey()) + "']", "an integer id in [0, " + MAX_VOCAB + ")", v.toString());
            if (e.getKey().isEmpty()) throw bad(src, field, "non-empty token strings", "an empty token");
            if (e.getKey().length() > MAX_TOKEN_CHARS) throw bad(src, field, "tokens of at most " + MAX_TOKEN_CHARS + " chars", e.getKey().length() + " chars");
            vocab.put(e.getKey(), v.asInt());
        }
        return vocab;
    }

    private static String[] invert(Map<String, Integer> vocab, Path src, String field) {
        int max = -1;
        for (int id : vocab.values()) max = Math.max(max, id);
        String[] byId = new String[max + 1];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            int id = e.getValue();
            if (byId[id] != null)
                throw bad(src, field, "unique ids", "id " + id + " used by both '" + clip(byId[id]) + "' and '" + clip(e.getKey()) + "'");
            byId[id] = e.getKey();
        }
        return byId;
    }

    private static List<String[]> readMerges(JsonNode node, Path src, String field) {
        if (node == null || node.isNull()) return new ArrayList<>();
        if (!node.isArray()) throw bad(src, field, "an array", describe(node));
        List<String[]> merges = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            String f = field + "[" + i + "]";
            if (m.isTextual()) {
                merges.add(splitMerge(m.asText(), src, f));
            } else if (m.isArray()) {
                if (m.size() != 2 || !m.get(0).isTextual() || !m.get(1).isTextual())
                    throw bad(src, f, "a pair of two strings", clip(m.toString()));
                String a = m.get(0).asText(), b = m.get(1).asText();
                if (a.isEmpty() || b.isEmpty()) throw bad(src, f, "two non-empty strings", clip(m.toString()));
                if (a.length() > MAX_TOKEN_CHARS || b.length() > MAX_TOKEN_CHARS) throw bad(src, f, "pieces of at most " + MAX_TOKEN_CHARS + " chars", "longer");
                merges.add(new String[]{a, b});
            } else throw bad(src, f, "\"left right\" or [\"left\", \"right\"]", describe(m));
        }
        return merges;
    }

    /** "left right": split at the first space after position 0 (HF and llama.cpp agree). */
    private static String[] splitMerge(String s, Path src, String field) {
        int sp = s.indexOf(' ', 1);
        if (sp < 0 || sp == s.length() - 1) throw bad(src, field, "\"left right\"", "'" + clip(s) + "'");
        String a = s.substring(0, sp), b = s.substring(sp + 1);
        if (b.indexOf(' ') >= 0) throw bad(src, field, "exactly two space-separated pieces", "'" + clip(s) + "'");
        if (a.length() > MAX_TOKEN_CHARS || b.length() > MAX_TOKEN_CHARS) throw bad(src, field, "pieces of at most " + MAX_TOKEN_CHARS + " chars", "longer");
        return new String[]{a, b};
    }

    /** The special-token ids a TemplateProcessing (alone or in a Sequence) puts before $A in {@code single}. */
    private static List<Integer> templatePrefix(JsonNode n, Path src, String field) {
        if (n == null || n.isNull()) return List.of();
        if (!n.isObject()) throw bad(src, field, "an object or null", describe(n));
        String type = n.path("type").asText("");
        if (type.equals("Sequence")) {
            JsonNode ps = n.get("processors");
            if (ps == null || !ps.isArray()) throw bad(src, field + ".processors", "an array", describe(ps));
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < ps.size(); i++) out.addAll(templatePrefix(ps.get(i), src, field + ".processors[" + i + "]"));
            return List.copyOf(out);
        }
        if (!type.equals("TemplateProcessing")) return List.of();
        JsonNode single = n.get("single"), specials = n.get("special_tokens");
        if (single == null || !single.isArray()) throw bad(src, field + ".single", "an array", describe(single));
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < single.size(); i++) {
            JsonNode piece = single.get(i);
            if (piece.has("Sequence")) break;
            String key = piece.path("SpecialToken").path("id").asText(null);
            JsonNode ids = key == null || specials == null ? null : specials.path(key).get("ids");
            if (ids == null || !ids.isArray() || ids.isEmpty())
                throw bad(src, field + ".single[" + i + "]", "a SpecialToken listed with its ids in special_tokens", piece.toString());
            for (JsonNode id : ids) out.add(id.asInt());
        }
        return List.copyOf(out);
    }

    private static List<AddedToken> readAddedTokens(JsonNode node, Path src, String field, boolean needId) {
        List<AddedToken> out = new ArrayList<>();
        if (node == null || node.isNull()) return out;
        if (!node.isArray()) throw bad(src, field, "an array", describe(node));
        if (node.size() > MAX_VOCAB) throw bad(src, field, "at most " + MAX_VOCAB + " entries", String.valueOf(node.size()));
        for (int i = 0; i < node.size(); i++) {
            JsonNode t = node.get(i);
            String f = field + "[" + i + "]";
            if (!t.isObject()) throw bad(src, f, "an object", describe(t));
            JsonNode id = t.get("id");
            if (id == null || !id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0 || id.asInt() >= MAX_VOCAB)
                throw bad(src, f + ".id", "an integer id in [0, " + MAX_VOCAB + ")", describe(id));
            out.add(addedToken(t, id.asInt(), src, f));
        }
        return out;
    }

    private static AddedToken addedToken(JsonNode t, int id, Path src, String f) {
        if (!t.isObject()) throw bad(src, f, "an object", describe(t));
        String content = text(t, "content", src, f + ".content");
        if (content.isEmpty()) throw bad(src, f + ".content", "a non-empty string", "\"\"");
        if (content.length() > MAX_TOKEN_CHARS) throw bad(src, f + ".content", "at most " + MAX_TOKEN_CHARS + " chars", content.length() + " chars");
        boolean special = bool(t, "special", false, src, f + ".special");
        // HF default: normalized = !special.
        return new AddedToken(id, content, special,
                bool(t, "single_word", false, src, f + ".single_word"),
                bool(t, "lstrip", false, src, f + ".lstrip"),
                bool(t, "rstrip", false, src, f + ".rstrip"),
                bool(t, "normalized", !special, src, f + ".normalized"));
    }

    private static void flattenNormalizer(JsonNode n, List<String> out, Path src, String field, int depth) {
        if (n == null || n.isNull()) return;
        if (depth > 16) throw bad(src, field, "nesting of at most 16", "deeper");
        if (!n.isObject()) throw bad(src, field, "an object or null", describe(n));
        String type = text(n, "type", src, field + ".type");
        if (type.equals("Sequence")) {
            JsonNode list = n.get("normalizers");
            if (list == null || !list.isArray()) throw bad(src, field + ".normalizers", "an array", describe(list));
            for (int i = 0; i < list.size(); i++) flattenNormalizer(list.get(i), out, src, field + ".normalizers[" + i + "]", depth + 1);
        } else out.add(type);
    }

    private static void flattenPreTokenizer(JsonNode n, List<PreTokenizerStep> out, Path src, String field, int depth) {
        if (n == null || n.isNull()) return;
        if (depth > 16) throw bad(src, field, "nesting of at most 16", "deeper");
        if (!n.isObject()) throw bad(src, field, "an object or null", describe(n));
        String type = text(n, "type", src, field + ".type");
        switch (type) {
            case "Sequence" -> {
                JsonNode list = n.get("pretokenizers");
                if (list == null || !list.isArray()) throw bad(src, field + ".pretokenizers", "an array", describe(list));
                for (int i = 0; i < list.size(); i++) flattenPreTokenizer(list.get(i), out, src, field + ".pretokenizers[" + i + "]", depth + 1);
            }
            case "Split" -> {
                JsonNode p = n.get("pattern");
                if (p == null || !p.isObject()) throw bad(src, field + ".pattern", "{\"Regex\": ...} or {\"String\": ...}", describe(p));
                String regex = p.hasNonNull("Regex") ? text(p, "Regex", src, field + ".pattern.Regex") : null;
                String literal = p.hasNonNull("String") ? text(p, "String", src, field + ".pattern.String") : null;
                if ((regex == null) == (literal == null)) throw bad(src, field + ".pattern", "exactly one of Regex, String", clip(p.toString()));
                String behavior = text(n, "behavior", src, field + ".behavior");
                out.add(new PreTokenizerStep(type, regex, literal, behavior, bool(n, "invert", false, src, field + ".invert"),
                        false, false, false));
            }
            case "ByteLevel" -> out.add(new PreTokenizerStep(type, null, null, null, false,
                    bool(n, "add_prefix_space", true, src, field + ".add_prefix_space"),
                    bool(n, "use_regex", true, src, field + ".use_regex"), false));
            case "Digits" -> out.add(new PreTokenizerStep(type, null, null, null, false, false, false,
                    bool(n, "individual_digits", false, src, field + ".individual_digits")));
            default -> out.add(new PreTokenizerStep(type, null, null, null, false, false, false, false));
        }
    }

    private static String inferModelType(JsonNode model) {
        if (model.has("merges")) return "BPE";
        if (model.has("continuing_subword_prefix") || model.has("max_input_chars_per_word")) return "WordPiece";
        if (model.has("vocab") && model.get("vocab").isArray()) return "Unigram";
        return "WordLevel";
    }

    private static String specialToken(JsonNode root, String key, Path src) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) return null;
        if (n.isTextual()) return n.asText();
        if (n.isObject() && n.hasNonNull("content") && n.get("content").isTextual()) return n.get("content").asText();
        throw bad(src, key, "a string, {\"content\": ...} or null", describe(n));
    }

    private static Boolean optBool(JsonNode root, String key, Path src) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) return null;
        if (!n.isBoolean()) throw bad(src, key, "true or false", describe(n));
        return n.asBoolean();
    }

    private static boolean bool(JsonNode obj, String key, boolean dflt, Path src, String field) {
        JsonNode n = obj.get(key);
        if (n == null || n.isNull()) return dflt;
        if (!n.isBoolean()) throw bad(src, field, "true or false", describe(n));
        return n.asBoolean();
    }

    private static String text(JsonNode obj, String key, Path src, String field) {
        JsonNode n = obj.get(key);
        if (n == null || !n.isTextual()) throw bad(src, field, "a string", describe(n));
        return n.asText();
    }

    // ---------------------------------------------------------------- I/O helpers

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();
    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxStringLength((int) Math.min(Integer.MAX_VALUE, MAX_FILE_BYTES)).maxNestingDepth(64).build());
    }

    private static JsonNode parseJson(byte[] bytes, Path src) {
        utf8(bytes, src); // bad UTF-8 is refused, never replaced
        try {
            JsonNode n = JSON.readTree(bytes);
            if (n == null || n.isMissingNode()) throw bad(src, "(root)", "a JSON document", "empty input");
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AprException("TOKENIZER_BAD", AprException.BAD_INPUT,
                    src + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new AprException("TOKENIZER_BAD", AprException.BAD_INPUT, src + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    private static String utf8(byte[] bytes, Path src) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw bad(src, "(bytes)", "valid UTF-8", "malformed UTF-8");
        }
    }

    private static byte[] readBounded(Path p) {
        try {
            if (!Files.isRegularFile(p)) throw new AprException("TOKENIZER_MISSING", AprException.BAD_INPUT, p + ": no such tokenizer file");
            long size = Files.size(p);
            if (size > MAX_FILE_BYTES) throw bad(p, "(size)", "at most " + MAX_FILE_BYTES + " bytes", size + " bytes");
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new AprException("TOKENIZER_MISSING", AprException.BAD_INPUT, p + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256Hex(byte[] b) { return HexFormat.of().formatHex(newSha256().digest(b)); }

    private static String describe(JsonNode n) {
        if (n == null || n.isMissingNode()) return "missing";
        if (n.isNull()) return "null";
        return n.getNodeType().toString().toLowerCase() + " " + clip(n.toString());
    }

    private static String clip(String s) { return s.length() <= 60 ? s : s.substring(0, 57) + "..."; }

    static AprException bad(Path src, String field, String expected, String actual) {
        return AprException.badInput("TOKENIZER_BAD", src + ": " + field + ": expected " + expected + ", got " + actual);
    }
}
