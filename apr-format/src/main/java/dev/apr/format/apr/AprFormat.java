package dev.apr.format.apr;

import dev.apr.format.DType;

import java.util.List;
import java.util.Map;

/** Constants of APR v2 shared by the reader and the writer (specs/apr-v2.md). */
public final class AprFormat {
    private AprFormat() {}

    public static final byte[] MAGIC = {'A', 'P', 'R', 0};
    public static final byte[] MAGIC_V1 = {'A', 'P', 'R', 'N'};
    public static final int HEADER_SIZE = 64;
    public static final int ALIGN = 64;
    public static final int VERSION_MAJOR = 2, VERSION_MINOR = 0;
    public static final int MAX_METADATA_SIZE = 16 << 20;
    public static final int MAX_NAME_LEN = 256;
    public static final int MAX_NDIM = 8;
    /** Real models hold thousands of tensors; more than this is refused before any list is sized by it. */
    public static final long MAX_TENSORS = 1_000_000;
    /** Smallest index entry: name_len, empty name, dtype, ndim 0, offset, size. */
    public static final int MIN_ENTRY_SIZE = 2 + 1 + 1 + 8 + 8;

    /** Typed metadata keys in the order a writer emits them (the Rust struct's field order). */
    public static final List<String> TYPED_KEYS = List.of(
            "model_type", "name", "description", "author", "license", "data_source", "data_license",
            "version", "source", "original_format", "created_at", "total_size", "param_count",
            "quantization", "sharding", "chat_template", "chat_format", "special_tokens",
            "architecture", "hf_architecture", "hf_model_type", "hidden_size", "num_layers", "num_heads",
            "num_kv_heads", "vocab_size", "intermediate_size", "max_position_embeddings", "rope_theta",
            "rope_type", "rms_norm_eps", "head_dim");

    /** Keys always written, as null when unset. */
    public static final List<String> ALWAYS_WRITTEN_NULLABLE = List.of("license", "data_source", "data_license");

    /** Typed keys holding a string (or null). */
    public static final List<String> STRING_KEYS = List.of(
            "model_type", "name", "description", "author", "license", "data_source", "data_license", "version",
            "source", "original_format", "created_at", "chat_template", "chat_format", "architecture",
            "hf_architecture", "hf_model_type");

    /** Typed keys holding a non-negative integer (or null). */
    public static final List<String> UINT_KEYS = List.of(
            "total_size", "param_count", "hidden_size", "num_layers", "num_heads", "num_kv_heads", "vocab_size",
            "intermediate_size", "max_position_embeddings", "rope_type", "head_dim");

    /** Typed keys holding a number (or null). */
    public static final List<String> FLOAT_KEYS = List.of("rope_theta", "rms_norm_eps");

    /** Typed keys holding an object (or null). */
    public static final List<String> OBJECT_KEYS = List.of("quantization", "sharding", "special_tokens");

    /** Aliases seen in the wild, promoted to the typed key on read when the typed key is absent. */
    public static final Map<String, String> ALIASES = Map.ofEntries(
            Map.entry("n_embd", "hidden_size"), Map.entry("d_model", "hidden_size"),
            Map.entry("embedding_length", "hidden_size"), Map.entry("hidden_dim", "hidden_size"),
            Map.entry("num_hidden_layers", "num_layers"), Map.entry("n_layer", "num_layers"),
            Map.entry("n_layers", "num_layers"), Map.entry("block_count", "num_layers"),
            Map.entry("n_head", "num_heads"), Map.entry("n_heads", "num_heads"), Map.entry("num_attention_heads", "num_heads"),
            Map.entry("num_key_value_heads", "num_kv_heads"), Map.entry("n_head_kv", "num_kv_heads"),
            Map.entry("n_kv_heads", "num_kv_heads"),
            Map.entry("context_length", "max_position_embeddings"), Map.entry("n_ctx", "max_position_embeddings"),
            Map.entry("max_seq_len", "max_position_embeddings"), Map.entry("n_positions", "max_position_embeddings"),
            Map.entry("n_vocab", "vocab_size"),
            Map.entry("n_ff", "intermediate_size"), Map.entry("n_inner", "intermediate_size"),
            Map.entry("ffn_dim", "intermediate_size"), Map.entry("feed_forward_length", "intermediate_size"),
            Map.entry("intermediate_dim", "intermediate_size"),
            Map.entry("rope_freq_base", "rope_theta"),
            Map.entry("layer_norm_epsilon", "rms_norm_eps"), Map.entry("layer_norm_rms_epsilon", "rms_norm_eps"),
            Map.entry("norm_eps", "rms_norm_eps"), Map.entry("rms_eps", "rms_norm_eps"),
            // the serde aliases of realizar's AprMetadata (the Rust runtime of APR files)
            Map.entry("layer_norm_eps", "rms_norm_eps"));

    /**
     * Exact stored byte size of a tensor of this dtype and shape, or -1 when the shape cannot be
     * stored in this dtype. Q4_K/Q6_K pad each row to a multiple of 256; APR_Q4 blocks run over
     * the whole tensor (the last block zero-padded); APR_Q8 carries a 4-byte scale.
     * Throws ArithmeticException on overflow.
     */
    public static long tensorBytes(DType t, long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) return -1;
            n = Math.multiplyExact(n, d);
        }
        return switch (t) {
            case Q4_K, Q6_K -> {
                long cols = shape.length == 0 ? 1 : shape[shape.length - 1];
                long rows = cols == 0 ? 0 : n / cols;
                yield Math.multiplyExact(Math.multiplyExact(rows, (cols + 255) / 256), (long) t.blockBytes);
            }
            case APR_Q4 -> Math.multiplyExact((n + 31) / 32, 18L);
            case APR_Q8 -> n == 0 ? 0 : Math.addExact(n, 4);
            default -> t.aprCode < 0 ? -1 : t.byteSize(n);
        };
    }
}
