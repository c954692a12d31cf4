package dev.apr.model.tokenizer;

import dev.apr.format.AprException;

import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The split regexes of byte-level BPE tokenizers, translated from the Oniguruma dialect Hugging Face
 * tokenizers uses to {@link java.util.regex}.
 *
 * <p>Both engines are backtracking, leftmost-first, with greedy quantifiers, so a pattern keeps its
 * meaning once three differences are bridged:
 * <ul>
 *   <li>{@code \s}: Oniguruma (UTF-8) matches the Unicode White_Space set (NBSP, U+3000, U+2028, ...);
 *       Java's plain {@code \s} is ASCII only. Both {@code \s} and {@code \S} are rewritten to
 *       explicit classes, inside and outside brackets.</li>
 *   <li>{@code (?i:...)}: Oniguruma folds case by Unicode ({@code 'ſ} matches {@code 's}, as HF
 *       itself shows); Java needs {@code u} with {@code i} for that.</li>
 *   <li>{@code \p{L}}, {@code \p{N}} mean the same general categories in both.</li>
 * </ul>
 */
public final class PreTokenizerRegex {
    private PreTokenizerRegex() {}

    /** Qwen2 / Qwen2.5 / Qwen3 (GGUF pre "qwen2"): digits one at a time. */
    public static final String QWEN2 =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Llama 3 (GGUF pre "llama-bpe"): up to three digits together. */
    public static final String LLAMA3 =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** GPT-2 (the ByteLevel pre-tokenizer's built-in regex, GGUF pre "gpt-2"/"default"). */
    public static final String GPT2 =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** Unicode White_Space, the members of Oniguruma's {@code \s}, as class content. */
    static final String WHITE_SPACE = "\\t\\n\\x0B\\f\\r\\x20\\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";

    /** Each digit alone: HF's {@code Digits} pre-tokenizer with {@code individual_digits} (SmolLM). */
    public static final String DIGITS = "\\p{N}";

    /**
     * The HF split regexes, applied in order, for a GGUF {@code tokenizer.ggml.pre} value (the
     * groups llama.cpp's llama-vocab.cpp gives each pre type): {@code smollm} splits off each
     * digit, then applies GPT-2's rule, as SmolLM's tokenizer.json (Digits, then ByteLevel) does.
     */
    public static List<String> forGgufPre(String pre) { return forGgufPre(pre, "GGUF"); }

    /** Whether a GGUF pre type is Llama 3's (digits by three, merges ignored for whole-vocabulary words, BOS by default). */
    public static boolean isLlama3(String pre) {
        return pre != null && (pre.equals("llama-bpe") || pre.equals("llama3") || pre.equals("llama-v3"));
    }

    /** As {@link #forGgufPre(String)}; {@code source} names the file in the refusal. */
    public static List<String> forGgufPre(String pre, String source) {
        if (pre == null) return List.of(GPT2);
        return switch (pre) {
            case "qwen2" -> List.of(QWEN2);
            case "llama-bpe", "llama3", "llama-v3" -> List.of(LLAMA3);
            case "smollm" -> List.of(DIGITS, GPT2);
            case "gpt-2", "default" -> List.of(GPT2);
            default -> throw AprException.badInput("TOKENIZER_UNSUPPORTED",
                    source + ": tokenizer.ggml.pre: expected qwen2, llama-bpe (llama3, llama-v3), smollm, gpt-2 or default, got '" + pre + "'");
        };
    }

    /** Translates an HF (Oniguruma) pattern into an equivalent Java pattern. */
    public static Pattern compile(String hfPattern) {
        String java = translate(hfPattern);
        try {
            return Pattern.compile(java);
        } catch (PatternSyntaxException e) {
            throw AprException.badInput("TOKENIZER_UNSUPPORTED",
                    "pre_tokenizer regex: expected a pattern java.util.regex accepts, got '" + hfPattern + "': " + e.getDescription());
        }
    }

    static String translate(String p) {
        StringBuilder out = new StringBuilder(p.length() + 64);
        boolean inClass = false;
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '\\' && i + 1 < p.length()) {
                char n = p.charAt(++i);
                if (n == 's') {
                    out.append(inClass ? WHITE_SPACE : "[" + WHITE_SPACE + "]");
                } else if (n == 'S') {
                    if (inClass) throw AprException.badInput("TOKENIZER_UNSUPPORTED",
                            "pre_tokenizer regex: \\S inside a character class is not supported: '" + p + "'");
                    out.append("[^").append(WHITE_SPACE).append(']');
                } else {
                    out.append(c).append(n);
                }
            } else if (c == '[' && !inClass) {
                inClass = true;
                out.append(c);
                // A ']' or '^]' right after '[' is literal in both dialects.
                if (i + 1 < p.length() && p.charAt(i + 1) == '^') out.append(p.charAt(++i));
            } else if (c == ']' && inClass) {
                inClass = false;
                out.append(c);
            } else if (c == '(' && !inClass && p.startsWith("(?i:", i)) {
                out.append("(?iu:");
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
