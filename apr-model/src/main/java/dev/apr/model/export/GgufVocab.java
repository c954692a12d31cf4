package dev.apr.model.export;

import dev.apr.format.AprException;
import dev.apr.format.TokenizerJson;
import dev.apr.model.tokenizer.AprVocabulary;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code tokenizer.ggml.*} content of a GGUF for a byte-level BPE tokenizer (spec §5), built
 * the way {@code convert_hf_to_gguf} does it: tokens padded to the embedding rows with
 * {@code [PAD<i>]} (UNUSED), added tokens CONTROL when special or {@code <|...|>}-shaped and
 * USER_DEFINED otherwise, merges as {@code "left right"}, the pre-tokenizer named {@code qwen2} or
 * {@code llama-bpe} from its digit rule.
 *
 * <p>It reads the APR's embedded tokenizer: the custom key {@code tokenizer.json} (the whole
 * file, read by {@link TokenizerJson}), else {@code tokenizer.vocabulary} + {@code tokenizer.merges}.
 */
public record GgufVocab(List<String> tokens, List<Integer> tokenTypes, List<String> merges, String pre,
                        int bos, int eos, int pad, boolean addBos, String chatTemplate, List<String> notes) {

    public static final int NORMAL = AprVocabulary.NORMAL, CONTROL = AprVocabulary.CONTROL,
            USER_DEFINED = AprVocabulary.USER_DEFINED, UNUSED = AprVocabulary.UNUSED;

    /** The base vocabulary, added tokens and merges of a tokenizer, before padding. */
    record Parsed(Map<Integer, String> tokens, Set<Integer> control, Set<Integer> userDefined, List<String> merges, String pre,
                  TokenizerJson json) {}

    /**
     * Builds the GGUF vocabulary for {@code vocabSize} embedding rows from APR metadata.
     * {@code bos}/{@code eos} are the model's ids (-1 when unknown).
     */
    public static GgufVocab fromAprMetadata(Map<String, Object> md, int vocabSize, int bos, int eos, String source) {
        List<String> notes = new ArrayList<>();
        Parsed p;
        if (md.get("tokenizer.json") instanceof String json) {
            p = parseTokenizerJson(json, source + ": metadata key 'tokenizer.json'");
        } else if (md.get("tokenizer.vocabulary") instanceof List<?> vocab && md.get("tokenizer.merges") instanceof List<?> merges) {
            Map<Integer, String> tokens = new HashMap<>();
            Set<Integer> control = new HashSet<>(), user = new HashSet<>();
            List<String> texts = AprVocabulary.tokens(vocab, source);
            int[] types = AprVocabulary.types(md, texts, source);
            for (int i = 0; i < texts.size(); i++) {
                if (texts.get(i) == null) continue;   // aprender's padding: written as [PAD<id>] (UNUSED) below
                tokens.put(i, texts.get(i));
                if (types[i] == CONTROL) control.add(i);
                if (types[i] == USER_DEFINED) user.add(i);
            }
            List<String> ms = new ArrayList<>(merges.size());
            for (Object m : merges) ms.add(String.valueOf(m));
            p = new Parsed(tokens, control, user, ms, AprVocabulary.preType(md, texts), null);
            notes.add(md.containsKey("tokenizer.token_type") ? "tokenizer: no embedded tokenizer.json; token types from tokenizer.token_type"
                    : "tokenizer: no embedded tokenizer.json; token types guessed (<|...|> tokens are CONTROL)");
        } else {
            throw AprException.badInput("EXPORT_NO_TOKENIZER", source + ": tokenizer: expected an embedded tokenizer "
                    + "(metadata 'tokenizer.json', or 'tokenizer.vocabulary' + 'tokenizer.merges'; add one with "
                    + "'apr stamp --tokenizer DIR'), got none: llama.cpp cannot load a GGUF without tokens and merges");
        }

        String pre = md.get("tokenizer.pre_type") instanceof String s && !s.isBlank() ? s : p.pre();
        if (pre == null && p.json() == null) throw AprVocabulary.unknownPre("EXPORT_UNKNOWN_PRE_TOKENIZER", source);
        if (pre == null)
            throw AprException.badInput("EXPORT_UNKNOWN_PRE_TOKENIZER", source + ": tokenizer pre-tokenizer: expected the Qwen2 "
                    + "(digits one at a time) or Llama-3 (digits in groups of 3) regex, SmolLM's Digits + ByteLevel or GPT-2's ByteLevel,"
                    + " or metadata 'tokenizer.pre_type', got neither");
        pre = switch (pre) {
            case "qwen2", "smollm", "gpt-2" -> pre;
            case "llama-bpe", "llama3", "llama-v3" -> "llama-bpe";
            default -> throw AprException.badInput("EXPORT_UNKNOWN_PRE_TOKENIZER", source + ": tokenizer.pre_type: expected qwen2, "
                    + "llama-bpe, smollm or gpt-2 (the pre-tokenizers apr splits as llama.cpp does), got '" + pre + "'");
        };

        int maxId = p.tokens().keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
        if (maxId >= vocabSize)
            throw AprException.badInput("EXPORT_VOCAB_MISMATCH", source + ": tokenizer: expected token ids below vocab_size "
                    + vocabSize + " (the embedding rows), got id " + maxId);
        List<String> tokens = new ArrayList<>(vocabSize);
        List<Integer> types = new ArrayList<>(vocabSize);
        Set<String> seen = new HashSet<>();
        int pads = 0;
        for (int i = 0; i < vocabSize; i++) {
            String t = p.tokens().get(i);
            int type;
            if (t == null) { t = AprVocabulary.padToken(i); type = UNUSED; pads++; }
            else if (p.control().contains(i)) type = CONTROL;
            else if (p.userDefined().contains(i)) type = USER_DEFINED;
            else type = NORMAL;
            if (!seen.add(t))   // llama.cpp asserts on duplicate token texts
                throw AprException.badInput("EXPORT_BAD_TOKENIZER", source + ": tokenizer: expected unique token texts, got '"
                        + t + "' twice (second at id " + i + ")");
            tokens.add(t);
            types.add(type);
        }
        if (pads > 0) notes.add("tokenizer: " + pads + " ids without a token padded as [PAD<id>] (UNUSED) up to vocab_size " + vocabSize);

        int pad = -1;
        if (md.get("special_tokens") instanceof Map<?, ?> sp && sp.get("pad_token") instanceof String pt) pad = tokens.indexOf(pt);
        if (pad < 0 && pre.equals("qwen2") && tokens.contains("<|endoftext|>")) pad = tokens.indexOf("<|endoftext|>");
        String chat = md.get("chat_template") instanceof String s ? s : null;
        if (chat == null) notes.add("tokenizer: no chat_template in the APR metadata; tokenizer.chat_template not written");
        // BOS as apr run decides it for this tokenizer (TokenizerJson.addsBos with the stamped
        // tokenizer_config.json); a bare vocabulary: its tokenizer.add_bos_token, else llama.cpp's default
        TokenizerJson.Config stamped = md.get("tokenizer_config.json") instanceof String tc
                ? TokenizerJson.parseConfig(tc.getBytes(StandardCharsets.UTF_8), Path.of(source + ": tokenizer_config.json")) : null;
        boolean addBos = p.json() != null ? p.json().addsBos(stamped) : AprVocabulary.addBos(md, pre);
        return new GgufVocab(tokens, types, p.merges(), pre, bos, eos, pad, addBos, chat, notes);
    }

    /** The tokenizer.json text through the project's one tokenizer.json reader. */
    static Parsed parseTokenizerJson(String json, String where) {
        TokenizerJson tj = TokenizerJson.parse(json.getBytes(StandardCharsets.UTF_8), Path.of(where));
        if (!"BPE".equals(tj.modelType()))
            throw AprException.badInput("EXPORT_BAD_TOKENIZER", where + ": model.type: expected BPE (GGUF 'gpt2'), got " + tj.modelType());
        Map<Integer, String> tokens = new HashMap<>();
        String[] base = tj.idToToken();
        for (int i = 0; i < base.length; i++) if (base[i] != null) tokens.put(i, base[i]);
        Set<Integer> control = new HashSet<>(), user = new HashSet<>();
        for (TokenizerJson.AddedToken a : tj.addedTokens()) {
            tokens.put(a.id(), a.content());
            if (a.special() || AprVocabulary.looksSpecial(a.content())) control.add(a.id()); else user.add(a.id());
        }
        List<String> merges = new ArrayList<>(tj.merges().size());
        // a literal space inside a piece (possible in the newer pair form) is written as U+0120
        for (String[] m : tj.merges()) merges.add(m[0].replace(' ', '\u0120') + " " + m[1].replace(' ', '\u0120'));
        return new Parsed(tokens, control, user, merges, TokenizerEmbedding.preType(tj.preTokenizers()), tj);
    }
}
