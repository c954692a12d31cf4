package dev.apr.model.tokenizer;

import dev.apr.format.AprException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The bare vocabulary of APR metadata (specs/apr-v2.md: {@code tokenizer.vocabulary}, index = id,
 * beside {@code tokenizer.merges} and {@code tokenizer.pre_type}), as a file without an embedded
 * {@code tokenizer.json} carries it: those written by the Rust aprender importer, for one. Read here
 * once for {@code apr run} ({@link Tokenizer#fromAprMetadata}) and for GGUF export, so both see the
 * same tokens and the same split.
 */
public final class AprVocabulary {
    private AprVocabulary() {}

    /** The text of an id that has no token (vocab_size beyond the tokenizer), as llama.cpp's converter names it. */
    public static String padToken(int id) { return "[PAD" + id + "]"; }

    /** What aprender fills the ids without a token with, up to the config's vocab_size. */
    static final String RUST_PAD = "<unk>";

    /**
     * Token texts by id, null where an id is padding: aprender pads the vocabulary to vocab_size
     * with repeated {@code "<unk>"} (Qwen2.5: 151,936 rows, 151,665 tokens); the first stays a token,
     * the repeats are ids BPE never produces. Any other repeated text is a broken vocabulary.
     */
    public static List<String> tokens(List<?> vocab, String source) {
        List<String> out = new ArrayList<>(vocab.size());
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < vocab.size(); i++) {
            if (!(vocab.get(i) instanceof String s))
                throw AprException.badInput("TOKENIZER_BAD", source + ": tokenizer.vocabulary[" + i + "]: expected a string, got " + vocab.get(i));
            if (seen.add(s)) out.add(s);
            else if (s.equals(RUST_PAD)) out.add(null);
            else throw AprException.badInput("TOKENIZER_BAD", source + ": tokenizer.vocabulary[" + i
                    + "]: expected unique tokens (repeats only of aprender's padding '" + RUST_PAD + "'), got '" + s + "' again");
        }
        return out;
    }

    /**
     * llama.cpp's pre-tokenizer name for this vocabulary: {@code tokenizer.pre_type} when set, else
     * recognised from a family's fixed special-token id (aprender's SafeTensors import writes no
     * pre_type): Qwen2/2.5/3 have {@code <|endoftext|>} at 151643, Llama 3 {@code <|begin_of_text|>} at
     * 128000. Null when neither says: the caller refuses, since a guessed split gives wrong ids.
     */
    public static String preType(Map<String, Object> md, List<String> tokens) {
        if (md.get("tokenizer.pre_type") instanceof String s && !s.isBlank()) return s;
        if (tokens.size() > 151643 && "<|endoftext|>".equals(tokens.get(151643))) return "qwen2";
        if (tokens.size() > 128000 && "<|begin_of_text|>".equals(tokens.get(128000))) return "llama-bpe";
        return null;
    }

    /**
     * Whether a prompt starts with BOS: {@code tokenizer.add_bos_token} when the file says (aprender
     * copies it from a GGUF), else llama.cpp's default for the split (Llama 3's adds it, the others not).
     */
    public static boolean addBos(Map<String, Object> md, String pre) {
        return md.get("tokenizer.add_bos_token") instanceof Boolean b ? b : PreTokenizerRegex.isLlama3(pre);
    }

    /** GGUF token types (1 normal, 3 control, 4 user-defined, 5 unused). */
    public static final int NORMAL = 1, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5;

    /**
     * The GGUF token type of each id: {@code tokenizer.token_type} when the file has it (aprender
     * copies it from a GGUF), else a guess from the text alone: {@code <|...|>} tokens are control
     * tokens, everything else normal (so e.g. Qwen3's {@code <think>} is then an ordinary piece).
     * Padding ids are UNUSED either way.
     */
    public static int[] types(Map<String, Object> md, List<String> tokens, String source) {
        int[] types = new int[tokens.size()];
        List<?> given = md.get("tokenizer.token_type") instanceof List<?> l ? l : null;
        if (given != null && given.size() != tokens.size())
            throw AprException.badInput("TOKENIZER_BAD", source + ": tokenizer.token_type: expected " + tokens.size()
                    + " entries (one per tokenizer.vocabulary entry), got " + given.size());
        for (int i = 0; i < types.length; i++) {
            String t = tokens.get(i);
            if (t == null) types[i] = UNUSED;
            else if (given != null) {
                if (!(given.get(i) instanceof Number n) || n.intValue() < 1 || n.intValue() > 6)
                    throw AprException.badInput("TOKENIZER_BAD", source + ": tokenizer.token_type[" + i + "]: expected a GGUF token type 1-6, got " + given.get(i));
                types[i] = n.intValue() == 2 || n.intValue() == 6 ? NORMAL : n.intValue();
            } else types[i] = looksSpecial(t) ? CONTROL : NORMAL;
        }
        return types;
    }

    /** A token spelled as a special one: {@code <|...|>}, or DeepSeek's full-width {@code <｜...｜>}. */
    public static boolean looksSpecial(String t) {
        return (t.startsWith("<|") && t.endsWith("|>") && t.length() > 4)
                || (t.startsWith("<\uff5c") && t.endsWith("\uff5c>") && t.length() > 4);
    }

    /** The refusal when {@link #preType} is null. */
    public static AprException unknownPre(String code, String source) {
        return AprException.badInput(code, source + ": tokenizer.pre_type: expected qwen2, llama-bpe, smollm or gpt-2 (or an"
                + " embedded tokenizer.json), got none, and the vocabulary is neither Qwen's (<|endoftext|> at 151643) nor"
                + " Llama 3's (<|begin_of_text|> at 128000); re-stamp with 'apr stamp --tokenizer DIR'");
    }
}
