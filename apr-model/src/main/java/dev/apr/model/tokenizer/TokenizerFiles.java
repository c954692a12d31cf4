package dev.apr.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apr.format.AprException;
import dev.apr.format.PyJson;
import dev.apr.format.TokenizerJson;
import dev.apr.format.io.AtomicWrite;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The tokenizer files of a published repository derived from {@code tokenizer.json}
 * (specs/publish.md): {@code vocab.json} and {@code merges.txt} for transformers' legacy
 * ("slow") BPE path, and a {@code tokenizer_config.json} when upstream has none.
 *
 * <p>vocab.json and merges.txt are byte-identical to what transformers' {@code save_vocabulary}
 * writes for GPT2/Qwen2 tokenizers: {@code json.dumps(encoder, indent=2, sort_keys=True,
 * ensure_ascii=False) + "\n"}, and {@code "#version: 0.2\n"} followed by one "left right" per line in
 * rank order.
 */
public final class TokenizerFiles {
    private TokenizerFiles() {}

    /** vocab.json: the base vocabulary (no added tokens), keys sorted as Python sorts str. */
    public static byte[] vocabJson(TokenizerJson tj) {
        List<Map.Entry<String, Integer>> entries = new ArrayList<>(tj.vocab().entrySet());
        entries.sort(Map.Entry.comparingByKey(TokenizerFiles::compareCodePoints));
        StringBuilder sb = new StringBuilder(entries.size() * 16);
        sb.append('{');
        for (int i = 0; i < entries.size(); i++) {
            sb.append(i == 0 ? "\n  " : ",\n  ");
            PyJson.string(sb, entries.get(i).getKey(), false);
            sb.append(": ").append(entries.get(i).getValue());
        }
        sb.append(entries.isEmpty() ? "}" : "\n}").append('\n');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** merges.txt: {@code #version: 0.2} then "left right" per merge, in rank order. */
    public static byte[] mergesTxt(TokenizerJson tj) {
        StringBuilder sb = new StringBuilder(tj.merges().size() * 12);
        sb.append("#version: 0.2\n");
        for (String[] m : tj.merges()) {
            if (m[0].indexOf(' ') >= 0 || m[1].indexOf(' ') >= 0)
                throw AprException.badInput("TOKENIZER_BAD", tj.source() + ": merges: expected pieces without spaces for merges.txt, got '"
                        + m[0] + "', '" + m[1] + "'");
            sb.append(m[0]).append(' ').append(m[1]).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A tokenizer_config.json for a tokenizer.json that came without one: added_tokens_decoder from
     * added_tokens; bos/eos/pad from {@code tok}'s special ids; a chat_template matching
     * {@link Tokenizer#applyChatTemplate} (ChatML or Llama-3); {@code tokenizer_class}
     * Qwen2Tokenizer for ChatML tokenizers (it can load vocab.json + merges.txt alone), else
     * PreTrainedTokenizerFast.
     *
     * @param modelMaxLength the model's max positions (written as model_max_length)
     */
    public static byte[] tokenizerConfigJson(TokenizerJson tj, Tokenizer tok, long modelMaxLength) {
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode o = om.createObjectNode();
        o.put("add_bos_token", tok.addBos());
        o.put("add_prefix_space", false);
        ObjectNode dec = o.putObject("added_tokens_decoder");
        List<TokenizerJson.AddedToken> added = new ArrayList<>(tj.addedTokens());
        added.sort(Comparator.comparingInt(TokenizerJson.AddedToken::id));
        for (TokenizerJson.AddedToken t : added) {
            dec.putObject(String.valueOf(t.id()))
                    .put("content", t.content()).put("lstrip", t.lstrip()).put("normalized", t.normalized())
                    .put("rstrip", t.rstrip()).put("single_word", t.singleWord()).put("special", t.special());
        }
        var extra = o.putArray("additional_special_tokens");
        for (TokenizerJson.AddedToken t : added)
            if (t.special() && t.id() != tok.bosId() && t.id() != tok.eosId() && t.id() != tok.padId()) extra.add(t.content());
        putToken(o, "bos_token", tok, tok.bosId());
        String template = switch (tok.chatFormat()) {
            case CHATML -> CHATML_TEMPLATE;
            case LLAMA3 -> LLAMA3_TEMPLATE;
            case NONE -> null;
        };
        if (tok.chatTemplate() != null) template = tok.chatTemplate();
        if (template == null) o.putNull("chat_template"); else o.put("chat_template", template);
        o.put("clean_up_tokenization_spaces", false);
        putToken(o, "eos_token", tok, tok.eosId());
        o.put("errors", "replace");
        o.put("model_max_length", modelMaxLength);
        putToken(o, "pad_token", tok, tok.padId());
        o.put("split_special_tokens", false);
        o.put("tokenizer_class", tok.chatFormat() == Tokenizer.ChatFormat.CHATML ? "Qwen2Tokenizer" : "PreTrainedTokenizerFast");
        o.putNull("unk_token");
        try {
            return (om.writeValueAsString(o) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** ChatML without a default system prompt: what {@link Tokenizer#applyChatTemplate} renders. */
    public static final String CHATML_TEMPLATE =
            "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** Llama-3 instruct format: what {@link Tokenizer#applyChatTemplate} renders. */
    public static final String LLAMA3_TEMPLATE =
            "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
            + " + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    /**
     * Writes vocab.json and merges.txt into {@code dir} (each atomically), and tokenizer_config.json
     * only if {@code dir} has none. Returns the files written.
     */
    public static List<Path> writeDerived(TokenizerJson tj, Tokenizer tok, long modelMaxLength, Path dir) {
        List<Path> written = new ArrayList<>();
        written.add(writeAtomically(dir.resolve("vocab.json"), vocabJson(tj)));
        written.add(writeAtomically(dir.resolve("merges.txt"), mergesTxt(tj)));
        Path cfg = dir.resolve("tokenizer_config.json");
        if (!Files.exists(cfg)) written.add(writeAtomically(cfg, tokenizerConfigJson(tj, tok, modelMaxLength)));
        return written;
    }

    private static void putToken(ObjectNode o, String key, Tokenizer tok, int id) {
        String t = id < 0 ? null : tok.token(id);
        if (t == null) o.putNull(key); else o.put(key, t);
    }

    /** Python's str ordering: by code point (not UTF-16 unit). */
    static int compareCodePoints(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i), cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    private static Path writeAtomically(Path target, byte[] bytes) {
        AtomicWrite.writeBytes(target, bytes);
        return target;
    }

    /** For tests and callers holding a parsed config: the raw JSON tree. */
    static JsonNode parse(byte[] json) throws IOException { return new ObjectMapper().readTree(json); }
}
