package dev.apr.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apr.format.AprException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code manifest.json} of a token-shard directory (specs/pretrain.md): the shards are flat
 * little-endian u32 token ids with no header; the manifest says what made them. No timestamps,
 * so the same inputs give the same bytes.
 *
 * <pre>{
 *   "format": "apr-token-shards", "version": 1, "dtype": "u32le", "split": "train" | "val",
 *   "tokenizer_sha256": "...", "vocab_size": 151669, "eos_id": 151643, "eos_policy": "between",
 *   "documents": 12, "tokens": 345, "shard_tokens": 10000000,
 *   "tokens_per_shard": [345],
 *   "shards": [{"file": "shard-00000.bin", "tokens": 345, "sha256": "..."}],
 *   "corpus": ["..."], "include": null, "content_field": "content", "val_fraction": 0.0,
 *   "document_order": "name" | "sha256-of-name"
 * }</pre>
 */
public record ShardManifest(String split, String tokenizerSha256, int vocabSize, int eosId, String eosPolicy,
                            long documents, long tokens, long shardTokens, List<Shard> shards,
                            List<String> corpus, String include, String contentField, double valFraction,
                            String documentOrder) {

    public static final String FILE = "manifest.json";
    /** Document orders: by name, or by SHA-256 of the name (encode-corpus --shuffle). */
    public static final String ORDER_NAME = "name", ORDER_SHUFFLED = "sha256-of-name";

    /** One shard file and its token count. */
    public record Shard(String file, long tokens, String sha256) {}

    public List<Long> tokensPerShard() {
        List<Long> l = new ArrayList<>();
        for (Shard s : shards) l.add(s.tokens());
        return l;
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public byte[] toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", "apr-token-shards");
        o.put("version", 1);
        o.put("dtype", "u32le");
        o.put("split", split);
        o.put("tokenizer_sha256", tokenizerSha256);
        o.put("vocab_size", vocabSize);
        o.put("eos_id", eosId);
        o.put("eos_policy", eosPolicy);
        o.put("documents", documents);
        o.put("tokens", tokens);
        o.put("shard_tokens", shardTokens);
        ArrayNode tps = o.putArray("tokens_per_shard");
        for (Shard s : shards) tps.add(s.tokens());
        ArrayNode sh = o.putArray("shards");
        for (Shard s : shards) sh.addObject().put("file", s.file()).put("tokens", s.tokens()).put("sha256", s.sha256());
        ArrayNode c = o.putArray("corpus");
        for (String s : corpus) c.add(s);
        if (include == null) o.putNull("include"); else o.put("include", include);
        o.put("content_field", contentField);
        o.put("val_fraction", valFraction);
        o.put("document_order", documentOrder);
        try {
            return (JSON.writeValueAsString(o) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads {@code dir/manifest.json} and checks that every shard file exists with 4 x tokens bytes. */
    public static ShardManifest read(Path dir) {
        Path f = dir.resolve(FILE);
        JsonNode o;
        try {
            if (!Files.isRegularFile(f)) throw AprException.badInput("SHARDS_BAD", f + ": no such file (not a token-shard directory)");
            if (Files.size(f) > (64L << 20)) throw AprException.badInput("SHARDS_BAD", f + ": expected at most 64 MiB, got " + Files.size(f) + " bytes");
            o = new ObjectMapper().readTree(f.toFile());
        } catch (IOException e) {
            throw AprException.badInput("SHARDS_BAD", f + ": not valid JSON: " + e.getMessage());
        }
        if (!"u32le".equals(o.path("dtype").asText()))
            throw AprException.badInput("SHARDS_BAD", f + ": dtype: expected \"u32le\", got " + o.path("dtype"));
        List<Shard> shards = new ArrayList<>();
        for (JsonNode s : o.path("shards")) {
            String name = s.path("file").asText("");
            if (!name.matches("shard-\\d{5,}\\.bin"))
                throw AprException.badInput("SHARDS_BAD", f + ": shards[].file: expected shard-NNNNN.bin, got '" + name + "'");
            long n = s.path("tokens").asLong(-1);
            Path p = dir.resolve(name);
            try {
                if (!Files.isRegularFile(p) || Files.size(p) != n * 4)
                    throw AprException.badInput("SHARDS_BAD", p + ": expected " + (n * 4) + " bytes (" + n + " tokens), got "
                            + (Files.isRegularFile(p) ? Files.size(p) + " bytes" : "no file"));
            } catch (IOException e) {
                throw AprException.badInput("SHARDS_BAD", p + ": cannot read: " + e.getMessage());
            }
            shards.add(new Shard(name, n, s.path("sha256").asText(null)));
        }
        List<String> corpus = new ArrayList<>();
        for (JsonNode c : o.path("corpus")) corpus.add(c.asText());
        return new ShardManifest(o.path("split").asText("train"), o.path("tokenizer_sha256").asText(null),
                o.path("vocab_size").asInt(-1), o.path("eos_id").asInt(-1), o.path("eos_policy").asText(null),
                o.path("documents").asLong(), o.path("tokens").asLong(), o.path("shard_tokens").asLong(),
                List.copyOf(shards), corpus, o.path("include").isNull() ? null : o.path("include").asText(),
                o.path("content_field").asText(null), o.path("val_fraction").asDouble(),
                o.path("document_order").asText(ORDER_NAME));
    }
}
