package dev.apr.model.tokenizer;

import dev.apr.format.AprException;
import dev.apr.format.Json;
import dev.apr.format.TokenizerJson;
import dev.apr.format.TokenizerJson.AddedToken;
import dev.apr.format.TokenizerJson.PreTokenizerStep;

import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE tokenizer with the exact semantics of Hugging Face {@code tokenizers} for the
 * GPT-2 / Llama-3 / Qwen family. Encoding a text runs the HF pipeline in order:
 * <ol>
 *   <li>added tokens whose {@code normalized} flag is false are split out of the raw text
 *       (leftmost-longest, honouring single_word / lstrip / rstrip);</li>
 *   <li>each remaining part is normalized (NFC for Qwen) and the {@code normalized} added tokens
 *       are split out of it;</li>
 *   <li>the pre-tokenizer regex cuts each part into pieces ({@link PreTokenizerRegex});</li>
 *   <li>each piece's UTF-8 bytes are mapped to byte-level characters and merged by BPE rank.</li>
 * </ol>
 * No special tokens are added around the text ({@code add_special_tokens} plays no role for Qwen;
 * Llama-3's BOS is {@link #addBos()} for callers to prepend). Lone UTF-16 surrogates cannot be
 * UTF-8 encoded; like any conversion to a Rust string they become U+FFFD. Thread-safe.
 */
public final class Tokenizer {

    /** Which chat format {@link #applyChatTemplate} renders. */
    public enum ChatFormat { CHATML, LLAMA3, NONE }

    private final String source;
    private final String sha256;
    private final String[] tokens;          // all tokens by id (byte-level form for base tokens); null = gap
    private final byte[][] tokenBytes;      // what each id decodes to
    private final boolean[] special;        // added tokens marked special
    private final Map<String, Integer> addedIds;
    private final Bpe bpe;
    private final List<Normalizer.Form> normalizers;
    private final List<Pattern> splits;
    private final boolean addPrefixSpace;
    private final AddedMatcher rawAdded, normalizedAdded;
    private final int bosId, eosId, padId;
    private final boolean addBos;
    private final String chatTemplate;
    private final ChatFormat chatFormat;
    private final String defaultSystemPrompt;

    private Tokenizer(Builder b) {
        this.source = b.source;
        this.sha256 = b.sha256;
        int size = 0;
        for (int id : b.vocab.values()) size = Math.max(size, id + 1);
        for (AddedToken t : b.added) size = Math.max(size, t.id() + 1);
        tokens = new String[size];
        tokenBytes = new byte[size][];
        special = new boolean[size];
        for (Map.Entry<String, Integer> e : b.vocab.entrySet()) {
            tokens[e.getValue()] = e.getKey();
            tokenBytes[e.getValue()] = ByteLevel.decodeToken(e.getKey());
        }
        addedIds = new LinkedHashMap<>();
        List<AddedToken> raw = new ArrayList<>(), norm = new ArrayList<>();
        for (AddedToken t : b.added) {
            tokens[t.id()] = t.content();
            tokenBytes[t.id()] = ByteLevel.decodeToken(t.content());
            special[t.id()] = t.special();
            addedIds.put(t.content(), t.id());
            (t.normalized() ? norm : raw).add(t);
        }
        this.normalizers = List.copyOf(b.normalizers);
        this.splits = List.copyOf(b.splits);
        this.addPrefixSpace = b.addPrefixSpace;
        this.bpe = new Bpe(b.vocab, b.merges, b.ignoreMerges, b.source);
        this.rawAdded = new AddedMatcher(raw, null);
        // Normalized added tokens are matched against normalized text, so normalize their content too.
        this.normalizedAdded = new AddedMatcher(norm, this::normalize);
        this.bosId = b.bosId;
        this.eosId = b.eosId;
        this.padId = b.padId;
        this.addBos = b.addBos;
        this.chatTemplate = b.chatTemplate;
        boolean chatml = addedIds.containsKey("<|im_start|>") && addedIds.containsKey("<|im_end|>");
        boolean llama3 = addedIds.containsKey("<|start_header_id|>") && addedIds.containsKey("<|eot_id|>");
        // the template names its format when both token sets exist; else the tokens do
        String t = b.chatTemplate == null ? "" : b.chatTemplate;
        this.chatFormat = llama3 && t.contains("<|start_header_id|>") ? ChatFormat.LLAMA3
                : chatml ? ChatFormat.CHATML : llama3 ? ChatFormat.LLAMA3 : ChatFormat.NONE;
        this.defaultSystemPrompt = defaultSystemPromptOf(b.chatTemplate);
    }

    // ================================================================= construction

    /**
     * Loads a tokenizer from a directory (tokenizer.json, else vocab.json + merges.txt, plus
     * tokenizer_config.json when present) or from a tokenizer.json file (with the
     * tokenizer_config.json next to it, when present).
     */
    public static Tokenizer load(Path path) {
        Path dir = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
        TokenizerJson tj = TokenizerJson.read(path);
        Path cfg = dir == null ? null : dir.resolve("tokenizer_config.json");
        TokenizerJson.Config config = cfg != null && Files.isRegularFile(cfg) ? TokenizerJson.readConfig(cfg) : null;
        return fromJson(tj, config);
    }

    /** Builds from a parsed tokenizer.json and (optionally, may be null) its tokenizer_config.json. */
    public static Tokenizer fromJson(TokenizerJson tj, TokenizerJson.Config config) {
        String src = tj.source().toString();
        if (!tj.modelType().equals("BPE"))
            throw unsupported(src, "model.type", "BPE", tj.modelType());
        if (tj.byteFallback()) throw unsupported(src, "model.byte_fallback", "false (byte-level BPE)", "true");
        Builder b = new Builder(src, tj.sha256());
        b.vocab = tj.vocab();
        b.merges = tj.merges();
        b.ignoreMerges = tj.ignoreMerges();
        // Added tokens: from tokenizer.json; a legacy vocab.json pair takes them from the config.
        List<AddedToken> added = new ArrayList<>(tj.addedTokens());
        if (added.isEmpty() && config != null) added.addAll(config.addedTokensDecoder());
        b.added = added;
        for (String n : tj.normalizers()) {
            switch (n) {
                case "NFC" -> b.normalizers.add(Normalizer.Form.NFC);
                case "NFD" -> b.normalizers.add(Normalizer.Form.NFD);
                case "NFKC" -> b.normalizers.add(Normalizer.Form.NFKC);
                case "NFKD" -> b.normalizers.add(Normalizer.Form.NFKD);
                default -> throw unsupported(src, "normalizer", "NFC, NFD, NFKC, NFKD or none", n);
            }
        }
        List<PreTokenizerStep> steps = tj.preTokenizers();
        if (tj.legacyPair() && config != null && "Qwen2Tokenizer".equals(config.tokenizerClass())) {
            // transformers' slow Qwen2Tokenizer: NFC, then the Qwen split regex, then byte-level BPE.
            b.normalizers.add(Normalizer.Form.NFC);
            steps = List.of(new PreTokenizerStep("Split", PreTokenizerRegex.QWEN2, null, "Isolated", false, false, false, false),
                    new PreTokenizerStep("ByteLevel", null, null, null, false, false, false, false));
        }
        boolean byteLevel = false;
        for (PreTokenizerStep s : steps) {
            switch (s.type()) {
                case "Split" -> {
                    if (s.regex() == null) throw unsupported(src, "pre_tokenizer Split.pattern", "Regex", "String");
                    if (!s.behavior().equals("Isolated") || s.invert())
                        throw unsupported(src, "pre_tokenizer Split", "behavior Isolated, invert false", s.behavior() + (s.invert() ? ", invert" : ""));
                    b.splits.add(PreTokenizerRegex.compile(s.regex()));
                }
                // each digit (or each run of digits) alone, as Rust's char::is_numeric sees them: \p{N}
                case "Digits" -> b.splits.add(PreTokenizerRegex.compile(s.individualDigits() ? PreTokenizerRegex.DIGITS : "\\p{N}+"));
                case "ByteLevel" -> {
                    byteLevel = true;
                    b.addPrefixSpace = s.addPrefixSpace();
                    if (s.useRegex()) b.splits.add(PreTokenizerRegex.compile(PreTokenizerRegex.GPT2));
                }
                default -> throw unsupported(src, "pre_tokenizer", "Split, Digits or ByteLevel", s.type());
            }
        }
        if (!byteLevel) throw unsupported(src, "pre_tokenizer", "a ByteLevel step (byte-level BPE)", "none");
        if (!"ByteLevel".equals(tj.decoderType())) throw unsupported(src, "decoder.type", "ByteLevel", String.valueOf(tj.decoderType()));

        // Special ids: tokenizer_config.json names them; otherwise well-known token names.
        Map<String, Integer> lookup = new HashMap<>(tj.vocab());
        for (AddedToken t : added) lookup.put(t.content(), t.id());
        // BOS before a prompt: tokenizer_config's add_bos_token when it says, else what tokenizer.json's
        // post-processor template puts before the text (Llama 3: <|begin_of_text|>), as Transformers does
        List<Integer> prefix = tj.templatePrefix();
        if (config != null) {
            b.bosId = idOfConfigToken(config.bosToken(), lookup, config, "bos_token");
            b.eosId = idOfConfigToken(config.eosToken(), lookup, config, "eos_token");
            b.padId = idOfConfigToken(config.padToken(), lookup, config, "pad_token");
            b.addBos = tj.addsBos(config);
            if (config.addBosToken() == null && !prefix.isEmpty()) b.bosId = prefix.getFirst();
            b.chatTemplate = config.chatTemplate();
        } else {
            // without a config, only added tokens can be specials: Qwen's base vocabulary holds "<s>" as plain text
            Map<String, Integer> specials = new HashMap<>();
            for (AddedToken t : added) specials.put(t.content(), t.id());
            b.bosId = !prefix.isEmpty() ? prefix.getFirst() : firstPresent(specials, "<|begin_of_text|>", "<s>");
            b.eosId = firstPresent(specials, "<|endoftext|>", "<|end_of_text|>", "</s>");
            b.padId = -1;
            b.addBos = !prefix.isEmpty() || specials.containsKey("<|begin_of_text|>");
        }
        return new Tokenizer(b);
    }

    /**
     * Builds from GGUF tokenizer metadata (the key/values of a GGUF file as plain Java values:
     * {@code tokenizer.ggml.tokens} a list of strings, {@code .merges} a list of "left right",
     * {@code .token_type} a list or array of ints, {@code .pre}, the special ids and
     * {@code tokenizer.chat_template}). CONTROL tokens (type 3) become special added tokens and
     * USER_DEFINED (4) plain added tokens, as convert_hf_to_gguf made them from tokenizer.json, so
     * the ids equal the HF tokenizer's. {@code pre} "qwen2" also implies NFC, as Qwen's
     * tokenizer.json has it.
     */
    public static Tokenizer fromGguf(Map<String, Object> md) {
        String src = "GGUF tokenizer metadata";
        Object model = md.get("tokenizer.ggml.model");
        if (!"gpt2".equals(model)) throw unsupported(src, "tokenizer.ggml.model", "gpt2", String.valueOf(model));
        List<String> toks = stringList(md.get("tokenizer.ggml.tokens"), "tokenizer.ggml.tokens");
        List<String> mergeStrings = stringList(md.get("tokenizer.ggml.merges"), "tokenizer.ggml.merges");
        int[] types = intArray(md.get("tokenizer.ggml.token_type"), "tokenizer.ggml.token_type");
        if (types != null && types.length != toks.size())
            throw AprException.badInput("TOKENIZER_BAD", src + ": tokenizer.ggml.token_type: expected " + toks.size() + " entries, got " + types.length);
        Object preObj = md.get("tokenizer.ggml.pre");
        String pre = preObj == null ? null : preObj.toString();
        Builder b = new Builder(src, null);
        Map<String, Integer> vocab = new LinkedHashMap<>();
        List<AddedToken> added = new ArrayList<>();
        for (int id = 0; id < toks.size(); id++) {
            String t = toks.get(id);
            int type = types == null ? 1 : types[id];
            if (type == 3 || type == 4) added.add(new AddedToken(id, t, type == 3, false, false, false, false));
            else if (vocab.putIfAbsent(t, id) != null)
                throw AprException.badInput("TOKENIZER_BAD", src + ": tokenizer.ggml.tokens[" + id + "]: expected unique tokens, got '" + t + "' again");
        }
        List<String[]> merges = new ArrayList<>(mergeStrings.size());
        for (int i = 0; i < mergeStrings.size(); i++) {
            String m = mergeStrings.get(i);
            int sp = m.indexOf(' ', 1);
            if (sp < 0 || sp == m.length() - 1)
                throw AprException.badInput("TOKENIZER_BAD", src + ": tokenizer.ggml.merges[" + i + "]: expected \"left right\", got '" + m + "'");
            merges.add(new String[]{m.substring(0, sp), m.substring(sp + 1)});
        }
        b.vocab = vocab;
        b.merges = merges;
        b.added = added;
        for (String regex : PreTokenizerRegex.forGgufPre(pre, src)) b.splits.add(PreTokenizerRegex.compile(regex));
        if ("qwen2".equals(pre)) b.normalizers.add(Normalizer.Form.NFC);
        b.ignoreMerges = PreTokenizerRegex.isLlama3(pre);
        b.bosId = optId(md, "tokenizer.ggml.bos_token_id", toks.size());
        b.eosId = optId(md, "tokenizer.ggml.eos_token_id", toks.size());
        b.padId = optId(md, "tokenizer.ggml.padding_token_id", toks.size());
        Object ab = md.get("tokenizer.ggml.add_bos_token");
        b.addBos = ab instanceof Boolean x ? x : b.ignoreMerges;
        Object ct = md.get("tokenizer.chat_template");
        b.chatTemplate = ct == null ? null : ct.toString();
        return new Tokenizer(b);
    }

    /**
     * Builds from APR metadata (specs/apr-v2.md): the embedded {@code "tokenizer.json"} string when
     * present (exact: pre-tokenizer and added tokens included), with special tokens from
     * {@code special_tokens} (token strings) or {@code tokenizer.bos_token_id}/{@code eos_token_id},
     * and {@code chat_template}. Without it, from {@code tokenizer.vocabulary} + {@code tokenizer.merges}
     * + {@code tokenizer.pre_type} as for GGUF ({@link AprVocabulary}: aprender's padding and missing
     * pre_type), where tokens spelled {@code <|...|>} become special added tokens (vocab + merges alone
     * cannot say more).
     */
    public static Tokenizer fromAprMetadata(Map<String, Object> md, String source) {
        Object embedded = md.get("tokenizer.json");
        if (embedded != null) {
            // the whole tokenizer.json, as text or as an already parsed object
            TokenizerJson tj = embedded instanceof String json ? TokenizerJson.parse(json, source + "#tokenizer.json")
                    : TokenizerJson.parse(Json.compact(embedded), Path.of(source + "#tokenizer.json"));
            // with the tokenizer_config.json stamped beside it, exactly as the directory it came from
            if (md.get("tokenizer_config.json") instanceof String tc)
                return fromJson(tj, TokenizerJson.parseConfig(tc.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        Path.of(source + "#tokenizer_config.json")));
            Map<?, ?> st = md.get("special_tokens") instanceof Map<?, ?> m ? m : Map.of();
            String bos = specialName(st.get("bos_token"), md.get("tokenizer.bos_token_id"), tj);
            String eos = specialName(st.get("eos_token"), md.get("tokenizer.eos_token_id"), tj);
            String pad = specialName(st.get("pad_token"), null, tj);
            Object ct = md.get("chat_template");
            TokenizerJson.Config cfg = new TokenizerJson.Config(Path.of(source), bos, eos, pad, null,
                    ct instanceof String c ? c : null, null, null, null, null, List.of(), null);
            return fromJson(tj, cfg);
        }
        if (!(md.get("tokenizer.vocabulary") instanceof List<?> vocab))
            throw AprException.badInput("TOKENIZER_MISSING", source + ": tokenizer.json / tokenizer.vocabulary: expected an embedded tokenizer, got none (apr stamp --tokenizer DIR)");
        List<String> tokens = AprVocabulary.tokens(vocab, source);
        String pre = AprVocabulary.preType(md, tokens);
        if (pre == null) throw AprVocabulary.unknownPre("TOKENIZER_BAD", source);
        Map<String, Object> g = new HashMap<>();
        g.put("tokenizer.ggml.model", "gpt2");
        List<String> texts = new ArrayList<>(tokens.size());
        for (int id = 0; id < tokens.size(); id++) texts.add(tokens.get(id) == null ? AprVocabulary.padToken(id) : tokens.get(id));
        g.put("tokenizer.ggml.tokens", texts);
        g.put("tokenizer.ggml.merges", md.get("tokenizer.merges"));
        g.put("tokenizer.ggml.token_type", AprVocabulary.types(md, tokens, source));
        g.put("tokenizer.ggml.pre", pre);
        g.put("tokenizer.ggml.add_bos_token", AprVocabulary.addBos(md, pre));
        g.put("tokenizer.ggml.bos_token_id", md.get("tokenizer.bos_token_id"));
        g.put("tokenizer.ggml.eos_token_id", md.get("tokenizer.eos_token_id"));
        g.put("tokenizer.chat_template", md.get("chat_template"));
        g.values().removeIf(java.util.Objects::isNull);
        return fromGguf(g);
    }

    private static String specialName(Object byName, Object byId, TokenizerJson tj) {
        if (byName instanceof String s) return s;
        Object id = byName instanceof Number ? byName : byId;
        if (id instanceof Number n) {
            String[] all = tj.allTokensById();
            int i = n.intValue();
            return i >= 0 && i < all.length ? all[i] : null;
        }
        return null;
    }

    // ================================================================= encoding

    /** Token ids of a text (no special tokens added). */
    public int[] encode(String text) {
        IntList out = new IntList(Math.max(16, text.length() / 3));
        encode(text, out);
        return out.toArray();
    }

    /** Appends the ids of a text to {@code out}. */
    public void encode(String text, IntList out) {
        String t = replaceLoneSurrogates(text);
        if (rawAdded.isEmpty()) encodeNormalizing(t, out);
        else rawAdded.split(t, (s, e) -> encodeNormalizing(t.substring(s, e), out), out::add);
    }

    private void encodeNormalizing(String part, IntList out) {
        String n = normalize(part);
        if (normalizedAdded.isEmpty()) encodePlain(n, out);
        else normalizedAdded.split(n, (s, e) -> encodePlain(n.substring(s, e), out), out::add);
    }

    private void encodePlain(String text, IntList out) {
        if (text.isEmpty()) return;
        if (addPrefixSpace && text.charAt(0) != ' ') text = " " + text;
        splitAndEncode(text, 0, out);
    }

    /** Applies split regex number {@code level} (Isolated: matches and the gaps between them are pieces). */
    private void splitAndEncode(String text, int level, IntList out) {
        if (level == splits.size()) {
            bpe.encode(text, out);
            return;
        }
        Matcher m = splits.get(level).matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() == m.end()) continue; // HF drops empty pieces
            if (m.start() > last) splitAndEncode(text.substring(last, m.start()), level + 1, out);
            splitAndEncode(text.substring(m.start(), m.end()), level + 1, out);
            last = m.end();
        }
        if (last < text.length()) splitAndEncode(text.substring(last), level + 1, out);
    }

    String normalize(String s) {
        for (Normalizer.Form f : normalizers) if (!Normalizer.isNormalized(s, f)) s = Normalizer.normalize(s, f);
        return s;
    }

    private static String replaceLoneSurrogates(String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                boolean pair = Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1));
                if (pair) { i++; continue; }
                StringBuilder sb = new StringBuilder(s);
                for (int j = i; j < n; j++) {
                    char d = sb.charAt(j);
                    if (Character.isHighSurrogate(d) && j + 1 < n && Character.isLowSurrogate(sb.charAt(j + 1))) j++;
                    else if (Character.isSurrogate(d)) sb.setCharAt(j, '\uFFFD');
                }
                return sb.toString();
            }
        }
        return s;
    }

    // ================================================================= decoding

    /** The text of some ids, as HF {@code decode(ids, skip_special_tokens=false)}. */
    public String decode(int[] ids) { return decode(ids, false); }

    /**
     * The text of some ids. Like HF: ids with no token are skipped; with {@code skipSpecial}, so are
     * special added tokens; invalid UTF-8 becomes U+FFFD.
     */
    public String decode(int[] ids, boolean skipSpecial) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            if (id < 0 || id >= tokens.length || tokens[id] == null) continue;
            if (skipSpecial && special[id]) continue;
            bytes.writeBytes(tokenBytes[id]);
        }
        byte[] b = bytes.toByteArray();
        return TokenStreamDecoder.lossy(b, 0, b.length);
    }

    /** A streaming decoder that only emits complete UTF-8 characters. */
    public TokenStreamDecoder streamDecoder() { return new TokenStreamDecoder(this); }

    /** The bytes an id stands for (empty for an id without a token). */
    byte[] tokenBytes(int id) {
        if (id < 0 || id >= tokens.length || tokens[id] == null) return new byte[0];
        return tokenBytes[id];
    }

    // ================================================================= vocabulary and specials

    /** Number of ids (max id + 1, base and added tokens). */
    public int vocabSize() { return tokens.length; }
    /** The token string of an id (byte-level form, e.g. "Ġworld"), or null. */
    public String token(int id) { return id >= 0 && id < tokens.length ? tokens[id] : null; }
    /** The id of an added token or base token string, or -1. */
    public int tokenId(String token) {
        Integer id = addedIds.get(token);
        if (id != null) return id;
        return bpe.id(token);
    }
    public boolean isSpecial(int id) { return id >= 0 && id < special.length && special[id]; }
    /** Beginning-of-sequence id, or -1 (Qwen has none). */
    public int bosId() { return bosId; }
    /** End-of-sequence id from tokenizer_config (Qwen3: &lt;|im_end|&gt;), or -1. */
    public int eosId() { return eosId; }
    public int padId() { return padId; }
    /** Whether the model expects {@link #bosId()} before a prompt (Llama-3 yes, Qwen no). */
    public boolean addBos() { return addBos; }
    public int imStartId() { return addedIds.getOrDefault("<|im_start|>", -1); }
    public int imEndId() { return addedIds.getOrDefault("<|im_end|>", -1); }

    /**
     * The id that ends a document in pretraining data: {@code <|endoftext|>} (Qwen, GPT-2),
     * {@code <|end_of_text|>} (Llama-3), else the eos id, else -1.
     */
    public int documentEndId() {
        for (String s : new String[]{"<|endoftext|>", "<|end_of_text|>", "</s>"}) {
            Integer id = addedIds.get(s);
            if (id != null) return id;
        }
        return eosId;
    }

    /** Whether generation should stop at this id: eos or a well-known end-of-turn token. */
    public boolean isEndOfGeneration(int id) {
        if (id == eosId && id >= 0) return true;
        String t = token(id);
        return t != null && addedIds.containsKey(t) && switch (t) {
            case "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end_of_text|>", "<|eom_id|>", "</s>" -> true;
            default -> false;
        };
    }

    /** SHA-256 of the tokenizer.json bytes (null when built from GGUF metadata). */
    public String sha256() { return sha256; }
    public String source() { return source; }
    /** The raw Jinja chat_template, or null. */
    public String chatTemplate() { return chatTemplate; }
    public ChatFormat chatFormat() { return chatFormat; }
    /** The system prompt the chat template inserts when none is given, or null. */
    public String defaultSystemPrompt() { return defaultSystemPrompt; }

    // ================================================================= chat template

    /**
     * Renders a conversation and the assistant header that asks for the reply. Two formats, chosen
     * by the tokenizer's special tokens, not by running Jinja:
     * <ul>
     *   <li>ChatML (Qwen): {@code <|im_start|>role\ncontent<|im_end|>\n} per message, then
     *       {@code <|im_start|>assistant\n}. If the chat_template inserts a default system message
     *       (Qwen2/2.5 templates hold a literal {@code '<|im_start|>system\nYou are ...<|im_end|>\n'}),
     *       it is inserted when the first message is not a system message; Qwen3's template has
     *       none, so none is inserted.</li>
     *   <li>Llama-3: {@code <|begin_of_text|>} then per message
     *       {@code <|start_header_id|>role<|end_header_id|>\n\n} + trimmed content + {@code <|eot_id|>},
     *       then the assistant header. Llama 3.1/3.2 templates always open with a system turn holding
     *       "Cutting Knowledge Date: December 2023", "Today Date: ..." and the system message.</li>
     * </ul>
     */
    public String applyChatTemplate(List<Message> messages) {
        StringBuilder sb = new StringBuilder();
        switch (chatFormat) {
            case CHATML -> {
                if (defaultSystemPrompt != null && (messages.isEmpty() || !messages.get(0).role().equals("system")))
                    sb.append("<|im_start|>system\n").append(defaultSystemPrompt).append("<|im_end|>\n");
                for (Message m : messages)
                    sb.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
                sb.append("<|im_start|>assistant\n");
            }
            case LLAMA3 -> {
                sb.append("<|begin_of_text|>");
                String today = llama31Date(chatTemplate);
                if (today != null) {
                    // Llama 3.1/3.2: a system turn always, the first system message (trimmed) after the dates
                    String system = "";
                    if (!messages.isEmpty() && messages.getFirst().role().equals("system")) {
                        system = messages.getFirst().content().strip();
                        messages = messages.subList(1, messages.size());
                    }
                    sb.append("<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: ")
                            .append(today).append("\n\n").append(system).append("<|eot_id|>");
                }
                for (Message m : messages)
                    sb.append("<|start_header_id|>").append(m.role()).append("<|end_header_id|>\n\n")
                            .append(m.content().strip()).append("<|eot_id|>");
                sb.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
            }
            case NONE -> throw AprException.badInput("TOKENIZER_NO_CHAT", source
                    + ": chat format: expected ChatML (<|im_start|>, <|im_end|>) or Llama-3 (<|start_header_id|>, <|eot_id|>) tokens, got neither");
        }
        return sb.toString();
    }

    private static final Pattern DEFAULT_DATE = Pattern.compile("set date_string = \"([^\"]+)\"");

    /**
     * The "Today Date" a Llama 3.1/3.2 template writes (null: not such a template): today, as
     * Transformers' strftime_now("%d %b %Y") gives it, where the template asks for it (3.2), else the
     * template's fixed default (3.1: "26 Jul 2024").
     */
    static String llama31Date(String template) {
        if (template == null || !template.contains("Cutting Knowledge Date: December 2023")) return null;
        if (template.contains("strftime_now"))
            return java.time.LocalDate.now().format(java.time.format.DateTimeFormatter.ofPattern("dd MMM yyyy", java.util.Locale.ENGLISH));
        Matcher m = DEFAULT_DATE.matcher(template);
        return m.find() ? m.group(1) : "26 Jul 2024";
    }

    /** {@link #applyChatTemplate} then {@link #encode}. */
    public int[] encodeChat(List<Message> messages) { return encode(applyChatTemplate(messages)); }

    /** The literal default system turn, its newlines written as Jinja escapes (Qwen2.5) or as real newlines (SmolLM2). */
    private static final Pattern DEFAULT_SYSTEM = Pattern.compile("'<\\|im_start\\|>system(?:\\\\n|\n)([^'{}+]+?)<\\|im_end\\|>(?:\\\\n|\n)'");

    private static String defaultSystemPromptOf(String template) {
        if (template == null) return null;
        Matcher m = DEFAULT_SYSTEM.matcher(template);
        return m.find() ? m.group(1).replace("\\n", "\n") : null;
    }

    // ================================================================= added-token matching

    /** HF AddedVocabulary's split: leftmost-longest over the token contents. */
    private static final class AddedMatcher {
        interface Text { void part(int start, int end); }
        interface Id { void token(int id); }

        private final Map<Character, List<AddedToken>> byFirst = new HashMap<>();
        private final Map<String, String> matchText = new HashMap<>();

        AddedMatcher(List<AddedToken> list, java.util.function.UnaryOperator<String> normalize) {
            for (AddedToken t : list) {
                String content = normalize == null ? t.content() : normalize.apply(t.content());
                if (content.isEmpty()) continue;
                matchText.put(t.content(), content);
                byFirst.computeIfAbsent(content.charAt(0), k -> new ArrayList<>()).add(t);
            }
            for (List<AddedToken> l : byFirst.values())
                l.sort((a, b) -> Integer.compare(matchText.get(b.content()).length(), matchText.get(a.content()).length()));
        }

        boolean isEmpty() { return byFirst.isEmpty(); }

        void split(String s, Text text, Id id) {
            int n = s.length(), done = 0, i = 0;
            while (i < n) {
                List<AddedToken> cands = byFirst.get(s.charAt(i));
                AddedToken hit = null;
                if (cands != null) {
                    for (AddedToken t : cands) {
                        String c = matchText.get(t.content());
                        if (s.startsWith(c, i)) { hit = t; break; } // longest first
                    }
                }
                if (hit == null) { i++; continue; }
                int start = i, stop = i + matchText.get(hit.content()).length();
                i = stop; // the automaton moves past every match, used or not
                if (hit.singleWord()) {
                    boolean startOk = start == 0 || !isWordChar(s.codePointBefore(start));
                    boolean stopOk = stop == n || !isWordChar(s.codePointAt(stop));
                    if (!startOk || !stopOk) continue;
                }
                if (hit.lstrip()) {
                    int ns = start;
                    while (ns > 0 && isWhitespace(s.codePointBefore(ns))) ns -= Character.charCount(s.codePointBefore(ns));
                    start = Math.max(ns, done);
                }
                if (hit.rstrip()) {
                    while (stop < n && isWhitespace(s.codePointAt(stop))) stop += Character.charCount(s.codePointAt(stop));
                    i = stop;
                }
                if (done < start) text.part(done, start);
                id.token(hit.id());
                done = stop;
            }
            if (done < n) text.part(done, n);
        }

        /** Rust char::is_alphanumeric or '_'. */
        private static boolean isWordChar(int cp) {
            if (cp == '_' || Character.isAlphabetic(cp)) return true;
            int t = Character.getType(cp);
            return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
        }

        /** Rust char::is_whitespace (Unicode White_Space). */
        private static boolean isWhitespace(int cp) {
            return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                    || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                    || cp == 0x205F || cp == 0x3000;
        }
    }

    // ================================================================= helpers

    private static final class Builder {
        final String source, sha256;
        Map<String, Integer> vocab;
        List<String[]> merges;
        List<AddedToken> added = List.of();
        final List<Normalizer.Form> normalizers = new ArrayList<>();
        final List<Pattern> splits = new ArrayList<>();
        boolean addPrefixSpace, ignoreMerges, addBos;
        int bosId = -1, eosId = -1, padId = -1;
        String chatTemplate;

        Builder(String source, String sha256) { this.source = source; this.sha256 = sha256; }
    }

    private static int idOfConfigToken(String token, Map<String, Integer> lookup, TokenizerJson.Config c, String field) {
        if (token == null) return -1;
        Integer id = lookup.get(token);
        if (id == null) throw AprException.badInput("TOKENIZER_BAD", c.source() + ": " + field
                + ": expected a token of the tokenizer, got '" + token + "'");
        return id;
    }

    private static int firstPresent(Map<String, Integer> lookup, String... names) {
        for (String n : names) if (lookup.containsKey(n)) return lookup.get(n);
        return -1;
    }

    private static int optId(Map<String, Object> md, String key, int count) {
        Object o = md.get(key);
        if (o == null) return -1;
        if (!(o instanceof Number n)) throw AprException.badInput("TOKENIZER_BAD", "GGUF metadata: " + key + ": expected an integer, got " + o);
        long v = n.longValue();
        return v >= 0 && v < count ? (int) v : -1; // llama.cpp: out of range -> warning, default kept
    }

    private static List<String> stringList(Object o, String key) {
        if (!(o instanceof List<?> l)) throw AprException.badInput("TOKENIZER_BAD", "GGUF metadata: " + key + ": expected an array of strings, got "
                + (o == null ? "missing" : o.getClass().getSimpleName()));
        List<String> out = new ArrayList<>(l.size());
        for (Object x : l) {
            if (!(x instanceof String s)) throw AprException.badInput("TOKENIZER_BAD", "GGUF metadata: " + key + ": expected strings, got " + x);
            out.add(s);
        }
        return out;
    }

    private static int[] intArray(Object o, String key) {
        if (o == null) return null;
        if (o instanceof int[] a) return a.clone();
        if (o instanceof List<?> l) {
            int[] out = new int[l.size()];
            for (int i = 0; i < out.length; i++) {
                if (!(l.get(i) instanceof Number n)) throw AprException.badInput("TOKENIZER_BAD", "GGUF metadata: " + key + "[" + i + "]: expected an integer, got " + l.get(i));
                out[i] = n.intValue();
            }
            return out;
        }
        throw AprException.badInput("TOKENIZER_BAD", "GGUF metadata: " + key + ": expected an integer array, got " + o.getClass().getSimpleName());
    }

    private static AprException unsupported(String src, String field, String expected, String actual) {
        return AprException.badInput("TOKENIZER_UNSUPPORTED", src + ": " + field + ": expected " + expected + ", got " + actual);
    }

    @Override public String toString() {
        return "Tokenizer[" + source + ", " + tokens.length + " ids, " + addedIds.size() + " added]";
    }
}
