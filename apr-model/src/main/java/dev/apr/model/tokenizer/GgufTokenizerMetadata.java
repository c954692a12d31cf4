package dev.apr.model.tokenizer;

import dev.apr.format.AprException;
import dev.apr.format.TokenizerJson;
import dev.apr.format.gguf.GgufValueType;
import dev.apr.format.gguf.GgufWriter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The GGUF tokenizer keys of a byte-level BPE tokenizer, made the way llama.cpp's
 * convert_hf_to_gguf makes them (specs/gguf-safetensors.md section 5):
 * <ul>
 *   <li>tokens padded to the model's {@code vocab_size} (ids without a token become
 *       {@code [PAD<i>]}, type UNUSED 5); an added token is CONTROL (3) when special or spelled
 *       {@code <|...|>}, else USER_DEFINED (4); every other token NORMAL (1);</li>
 *   <li>merges as "left right";</li>
 *   <li>{@code pre} "qwen2" / "llama-bpe" / "gpt2" from the split regex;</li>
 *   <li>bos/eos/pad from tokenizer_config.json's token strings, then from config.json's ids for
 *       any still unset (Qwen2.5-Instruct: bos 151643 from config.json, eos 151645, pad 151643);</li>
 *   <li>add_bos/add_eos and chat_template from tokenizer_config.json.</li>
 * </ul>
 */
public record GgufTokenizerMetadata(String pre, List<String> tokens, List<Integer> tokenTypes, List<String> merges,
                                    Integer bosId, Integer eosId, Integer padId, Boolean addBos, Boolean addEos,
                                    String chatTemplate) {

    public static final int NORMAL = 1, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5;

    /**
     * @param config          tokenizer_config.json, or null
     * @param vocabSize       config.json {@code vocab_size} (the embedding rows)
     * @param configBosId     config.json {@code bos_token_id}, or null
     * @param configEosId     config.json {@code eos_token_id}, or null
     */
    public static GgufTokenizerMetadata of(TokenizerJson tj, TokenizerJson.Config config, int vocabSize,
                                           Integer configBosId, Integer configEosId) {
        String src = tj.source().toString();
        if (!"BPE".equals(tj.modelType()))
            throw AprException.badInput("TOKENIZER_UNSUPPORTED", src + ": model.type: expected BPE for GGUF 'gpt2', got " + tj.modelType());
        String[] all = tj.allTokensById();
        if (all.length > vocabSize)
            throw AprException.badInput("TOKENIZER_VOCAB_MISMATCH", src + ": vocabulary: expected at most vocab_size "
                    + vocabSize + " tokens, got " + all.length);
        Map<Integer, TokenizerJson.AddedToken> added = new LinkedHashMap<>();
        for (TokenizerJson.AddedToken a : tj.addedTokens()) added.put(a.id(), a);
        List<String> tokens = new ArrayList<>(vocabSize);
        List<Integer> types = new ArrayList<>(vocabSize);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < vocabSize; i++) {
            String t = i < all.length ? all[i] : null;
            int type;
            if (t == null) { t = "[PAD" + i + "]"; type = UNUSED; }
            else if (added.containsKey(i)) type = added.get(i).special() || looksSpecial(t) ? CONTROL : USER_DEFINED;
            else type = NORMAL;
            if (!seen.add(t)) throw AprException.badInput("TOKENIZER_BAD", src + ": token " + i + ": expected unique tokens (llama.cpp asserts), got '" + t + "' twice");
            tokens.add(t);
            types.add(type);
        }
        Integer bos = null, eos = null, pad = null;
        Boolean addBos = null, addEos = null;
        String template = null;
        if (config != null) {
            bos = idOf(tj, config.bosToken(), config, "bos_token");
            eos = idOf(tj, config.eosToken(), config, "eos_token");
            pad = idOf(tj, config.padToken(), config, "pad_token");
            addBos = config.addBosToken();
            addEos = config.addEosToken();
            template = config.chatTemplate();
        }
        if (bos == null) bos = configBosId;
        if (eos == null) eos = configEosId;
        return new GgufTokenizerMetadata(preOf(tj), List.copyOf(tokens), List.copyOf(types), tj.mergeStrings(),
                bos, eos, pad, addBos, addEos, template);
    }

    /** convert_hf_to_gguf's does_token_look_special. */
    static boolean looksSpecial(String t) {
        return (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<\uFF5C") && t.endsWith("\uFF5C>"))
                || (t.startsWith("<unused") && t.endsWith(">")) || t.equals("<pad>") || t.equals("<mask>")
                || t.equals("<2mass>") || t.equals("[@BOS@]");
    }

    /** The GGUF pre name whose regex the tokenizer.json uses. */
    static String preOf(TokenizerJson tj) {
        for (TokenizerJson.PreTokenizerStep s : tj.preTokenizers()) {
            if (s.type().equals("Split") && s.regex() != null) {
                if (s.regex().equals(PreTokenizerRegex.QWEN2)) return "qwen2";
                if (s.regex().equals(PreTokenizerRegex.LLAMA3)) return "llama-bpe";
                throw AprException.badInput("TOKENIZER_UNSUPPORTED", tj.source() + ": pre_tokenizer regex: expected the qwen2 or llama-bpe pattern, got '" + s.regex() + "'");
            }
            if (s.type().equals("ByteLevel") && s.useRegex()) return "gpt2";
        }
        throw AprException.badInput("TOKENIZER_UNSUPPORTED", tj.source() + ": pre_tokenizer: expected a Split regex or ByteLevel with use_regex, got neither");
    }

    private static Integer idOf(TokenizerJson tj, String token, TokenizerJson.Config c, String field) {
        if (token == null) return null;
        int id = tj.idOf(token);
        if (id < 0) throw AprException.badInput("TOKENIZER_BAD", c.source() + ": " + field + ": expected a token of the tokenizer, got '" + token + "'");
        return id;
    }

    /** The keys as GGUF metadata values (what {@link Tokenizer#fromGguf} reads). */
    public Map<String, Object> asMetadata() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", "gpt2");
        m.put("tokenizer.ggml.pre", pre);
        m.put("tokenizer.ggml.tokens", tokens);
        m.put("tokenizer.ggml.token_type", tokenTypes);
        m.put("tokenizer.ggml.merges", merges);
        if (bosId != null) m.put("tokenizer.ggml.bos_token_id", (long) bosId);
        if (eosId != null) m.put("tokenizer.ggml.eos_token_id", (long) eosId);
        if (padId != null) m.put("tokenizer.ggml.padding_token_id", (long) padId);
        if (addBos != null) m.put("tokenizer.ggml.add_bos_token", addBos);
        if (addEos != null) m.put("tokenizer.ggml.add_eos_token", addEos);
        if (chatTemplate != null) m.put("tokenizer.chat_template", chatTemplate);
        return m;
    }

    /** Puts the keys on a GGUF writer with llama.cpp's types (ids UINT32, token_type INT32). */
    public GgufWriter writeTo(GgufWriter w) {
        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", pre);
        w.putArray("tokenizer.ggml.tokens", GgufValueType.STRING, tokens);
        w.putArray("tokenizer.ggml.token_type", GgufValueType.INT32, tokenTypes);
        w.putArray("tokenizer.ggml.merges", GgufValueType.STRING, merges);
        if (bosId != null) w.putU32("tokenizer.ggml.bos_token_id", bosId);
        if (eosId != null) w.putU32("tokenizer.ggml.eos_token_id", eosId);
        if (padId != null) w.putU32("tokenizer.ggml.padding_token_id", padId);
        if (addBos != null) w.putBool("tokenizer.ggml.add_bos_token", addBos);
        if (addEos != null) w.putBool("tokenizer.ggml.add_eos_token", addEos);
        if (chatTemplate != null) w.putString("tokenizer.chat_template", chatTemplate);
        return w;
    }
}
