package dev.apr.model.export;

import dev.apr.format.AprException;
import dev.apr.format.BadInput;
import dev.apr.format.Json;
import dev.apr.format.TokenizerJson;
import dev.apr.model.tokenizer.AprVocabulary;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The APR metadata keys that embed a Hugging Face tokenizer in a model (specs/apr-v2.md
 * "Custom keys"), built from a tokenizer directory through {@link TokenizerJson}, the one
 * tokenizer reader:
 * <ul>
 *   <li>{@code tokenizer.vocabulary} (index = id, added tokens included, ids without a token
 *       named {@code [PAD<id>]}), {@code tokenizer.vocab_size}, {@code tokenizer.merges}
 *       ({@code "a b"}), {@code tokenizer.model_type} ({@code BPE}), {@code tokenizer.pre_type},
 *       {@code tokenizer.bos_token_id}, {@code tokenizer.eos_token_id}: what the Rust apr reads;</li>
 *   <li>{@code tokenizer.json}: the whole file, minified (same JSON value, key order kept) so
 *       that export and publish can recreate it with its pre-tokenizer, normalizer and added
 *       tokens; minified because the pretty-printed Qwen file (11 MB, 13 MB as a JSON string)
 *       would push the metadata past APR's 16 MiB limit;</li>
 *   <li>{@code tokenizer_config.json} (verbatim) when the directory has one, plus its
 *       {@code chat_template} as the typed key {@code chat_template}, and
 *       {@code special_tokens {bos_token, eos_token, unk_token, pad_token, im_start_token,
 *       im_end_token}}.</li>
 * </ul>
 * Special ids come from tokenizer_config.json's token strings first, then from the model's
 * existing ids (specs/gguf-safetensors.md §5).
 */
public final class TokenizerEmbedding {
    private TokenizerEmbedding() {}

    /** Every key this class writes: stamping a new tokenizer removes all of them first. */
    public static final List<String> KEYS = List.of(
            "tokenizer.vocabulary", "tokenizer.vocab_size", "tokenizer.merges", "tokenizer.model_type",
            "tokenizer.pre_type", "tokenizer.bos_token_id", "tokenizer.eos_token_id", "tokenizer.json",
            "tokenizer_config.json", "chat_template", "chat_format", "special_tokens");

    /** The keys to put into the metadata, and what the user should be told. */
    public record Embedded(Map<String, Object> keys, int vocabSize, List<String> notes) {}

    /** Tokens that end generation whatever the configured eos says (llama.cpp's EOG list). */
    static final List<String> END_OF_GENERATION = List.of("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end_of_text|>",
            "<|end|>", "</s>", "<|eom_id|>");

    /**
     * Reads the tokenizer in {@code dir} ({@code tokenizer.json}, else {@code vocab.json} +
     * {@code merges.txt}; {@code tokenizer_config.json} when present) for a model with
     * {@code modelVocabSize} embedding rows whose existing special ids are {@code bos}/{@code eos}
     * (-1 when unknown). Refuses a tokenizer with more tokens than the model has rows.
     */
    public static Embedded fromDirectory(Path dir, int modelVocabSize, int bos, int eos) {
        if (!Files.isDirectory(dir))
            throw AprException.badInput("TOKENIZER_MISSING", dir + ": --tokenizer: expected a directory holding tokenizer.json"
                    + " (or vocab.json + merges.txt), got " + (Files.exists(dir) ? "a file" : "nothing (no such directory)"));
        List<String> notes = new ArrayList<>();
        Path tjPath = dir.resolve("tokenizer.json");
        boolean hasTokenizerJson = Files.isRegularFile(tjPath);
        TokenizerJson tj = TokenizerJson.read(dir); // tokenizer.json, else vocab.json + merges.txt, else refused
        if (!"BPE".equals(tj.modelType()))
            throw BadInput.of("TOKENIZER_UNSUPPORTED", tj.source(), "model.type", "BPE (the tokenizers apr runs)", tj.modelType());

        Path tcPath = dir.resolve("tokenizer_config.json");
        TokenizerJson.Config tc = Files.isRegularFile(tcPath) ? TokenizerJson.readConfig(tcPath) : null;

        // ---- vocabulary: base tokens and added tokens by id ----------------------------------
        String[] byId = tj.allTokensById();
        if (!hasTokenizerJson && tc != null) {
            // the legacy pair has no added tokens: they live in tokenizer_config's added_tokens_decoder
            int n = byId.length;
            for (TokenizerJson.AddedToken a : tc.addedTokensDecoder()) n = Math.max(n, a.id() + 1);
            byId = Arrays.copyOf(byId, n);
            for (TokenizerJson.AddedToken a : tc.addedTokensDecoder()) byId[a.id()] = a.content();
        }
        if (byId.length > modelVocabSize)
            throw BadInput.of("VOCAB_MISMATCH", tj.source(), "vocabulary size",
                    "<= the model's vocab_size " + modelVocabSize + " (embedding rows)", byId.length + " tokens");
        int holes = 0;
        List<String> vocabulary = new ArrayList<>(byId.length);
        for (int i = 0; i < byId.length; i++) {
            if (byId[i] == null) { byId[i] = AprVocabulary.padToken(i); holes++; }
            vocabulary.add(byId[i]);
        }
        if (holes > 0) notes.add(holes + " token ids of " + tj.source() + " have no token; they are named [PAD<id>]");

        Map<String, Object> k = new LinkedHashMap<>();
        k.put("tokenizer.model_type", "BPE");
        k.put("tokenizer.vocab_size", vocabulary.size());
        k.put("tokenizer.vocabulary", vocabulary);
        k.put("tokenizer.merges", tj.mergeStrings());
        // a legacy vocab.json pair splits as its slow class does: Qwen2Tokenizer with Qwen's regex
        String pre = tj.legacyPair() && tc != null && "Qwen2Tokenizer".equals(tc.tokenizerClass()) ? "qwen2" : preType(tj.preTokenizers());
        if (pre != null) k.put("tokenizer.pre_type", pre);
        else notes.add(tj.source() + ": pre-tokenizer is none of Qwen2's, Llama-3's, SmolLM's or GPT-2's: tokenizer.pre_type not set");

        if (hasTokenizerJson) k.put("tokenizer.json", minify(Json.readFile(tjPath), tjPath));
        else notes.add("no tokenizer.json in " + dir + ": embedded the vocab.json + merges.txt vocabulary only; without"
                + " tokenizer.json 'apr export' cannot write the tokenizer files");

        // ---- special tokens and chat template ------------------------------------------------
        Map<String, Object> special = new LinkedHashMap<>();
        if (tc != null) {
            // verbatim (it is small): export and publish recreate the upstream file byte for byte
            byte[] tcBytes = Json.readFile(tcPath);
            Json.parse(tcBytes, tcPath.toString(), false);
            k.put("tokenizer_config.json", new String(tcBytes, java.nio.charset.StandardCharsets.UTF_8));
            putIfPresent(special, "bos_token", tc.bosToken());
            putIfPresent(special, "eos_token", tc.eosToken());
            putIfPresent(special, "unk_token", tc.unkToken());
            putIfPresent(special, "pad_token", tc.padToken());
            if (tc.chatTemplate() != null) {
                k.put("chat_template", tc.chatTemplate());
                k.put("chat_format", tc.chatTemplate().contains("<|im_start|>") ? "chatml" : "custom");
            }
        }
        for (Map.Entry<String, Object> e : special.entrySet())
            if (indexOf(vocabulary, (String) e.getValue()) < 0)
                throw BadInput.of("TOKENIZER_BAD", tcPath, e.getKey(), "a token of the vocabulary", "'" + e.getValue() + "'");
        int bosId = special.get("bos_token") instanceof String s ? indexOf(vocabulary, s) : bos;
        int eosId = special.get("eos_token") instanceof String s ? indexOf(vocabulary, s) : eos;
        if (bosId >= vocabulary.size()) bosId = -1;
        if (eosId >= vocabulary.size()) eosId = -1;
        if (bosId >= 0) { k.put("tokenizer.bos_token_id", bosId); special.putIfAbsent("bos_token", vocabulary.get(bosId)); }
        if (eosId >= 0) { k.put("tokenizer.eos_token_id", eosId); special.putIfAbsent("eos_token", vocabulary.get(eosId)); }
        if (vocabulary.contains("<|im_start|>")) special.put("im_start_token", "<|im_start|>");
        if (vocabulary.contains("<|im_end|>")) special.put("im_end_token", "<|im_end|>");
        if (!special.isEmpty()) k.put("special_tokens", special);
        if (eosId < 0) notes.add("tokenizer: no eos token (neither tokenizer_config.json nor the model names one)");
        return new Embedded(k, vocabulary.size(), List.copyOf(notes));
    }

    /**
     * {@code tokenizer.pre_type}, the llama.cpp pre type whose splitting equals these steps:
     * {@code qwen2} splits digits one at a time ({@code \p{N}}), {@code llama-bpe} (Llama 3) in
     * groups of up to three ({@code \p{N}{1,3}}), {@code smollm} is Digits (one at a time) then
     * ByteLevel's GPT-2 regex, {@code gpt-2} that regex alone; null for anything else.
     */
    public static String preType(List<TokenizerJson.PreTokenizerStep> steps) {
        for (var st : steps) if (st.regex() != null && st.regex().contains("\\p{N}{1,3}")) return "llama-bpe";
        for (var st : steps)
            if (st.regex() != null && st.regex().contains("\\p{N}") && st.regex().contains("\\p{L}")) return "qwen2";
        List<String> kinds = steps.stream().map(st -> switch (st.type()) {
            case "Digits" -> st.individualDigits() ? "each digit" : "digit runs";
            case "ByteLevel" -> st.useRegex() && !st.addPrefixSpace() ? "GPT-2 regex" : "other ByteLevel";
            default -> st.type();
        }).toList();
        if (kinds.equals(List.of("each digit", "GPT-2 regex"))) return "smollm";
        if (kinds.equals(List.of("GPT-2 regex"))) return "gpt-2";
        return null;
    }

    /**
     * The end-of-generation ids for generation_config.json: the eos id first, then every other
     * added (special) token that ends generation ({@code <|endoftext|>}, {@code <|im_end|>}, ...)
     * in id order: Qwen2.5-Instruct's {@code [151645, 151643]}. Only added tokens count: a base
     * vocabulary may hold the text {@code </s>} as an ordinary piece.
     */
    public static List<Integer> endOfGenerationIds(Map<String, Integer> addedTokenIds, int eos) {
        List<Integer> ids = new ArrayList<>();
        if (eos >= 0) ids.add(eos);
        List<Integer> more = new ArrayList<>();
        for (String t : END_OF_GENERATION) {
            Integer id = addedTokenIds.get(t);
            if (id != null && id != eos) more.add(id);
        }
        more.sort(null);
        ids.addAll(more);
        return ids;
    }

    /**
     * The same JSON without insignificant whitespace, token by token (keys in file order, numbers
     * as written), without building a tree of the 150k-entry vocabulary. The bytes were already
     * validated by {@link TokenizerJson}.
     */
    static String minify(byte[] json, Path source) {
        var factory = Json.mapper().getFactory();
        java.io.StringWriter out = new java.io.StringWriter(json.length / 2);
        try (var p = factory.createParser(json); var g = factory.createGenerator(out)) {
            while (p.nextToken() != null) g.copyCurrentEventExact(p);
        } catch (java.io.IOException e) {
            throw AprException.badInput("TOKENIZER_BAD", source + ": not valid JSON: " + e.getMessage());
        }
        return out.toString();
    }

    private static void putIfPresent(Map<String, Object> m, String k, String v) { if (v != null) m.put(k, v); }

    /** Id of a token text: the highest id holding it (added tokens sit above base tokens). */
    static int indexOf(List<String> vocabulary, String token) { return vocabulary.lastIndexOf(token); }
}
