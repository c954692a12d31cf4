package dev.apr.train;

import dev.apr.format.AprException;
import dev.apr.model.ModelConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code --init} contract (specs/pretrain.md, contracts/pretrain-init.yaml): every check runs
 * here, on the mapped file, BEFORE the trainer allocates anything. Each failure is an
 * {@link AprException} (exit 2) with a stable code naming the path, the key or tensor, and the
 * expected and actual values. Only after {@link #check} succeeds does {@link #loadInto} copy the
 * weights (exact shapes, no reshape, no transpose, no partial load).
 */
public final class InitCheckpoint implements AutoCloseable {
    private final AprCheckpointFile.Opened file;
    private final ModelConfig config;
    private final String sha256;

    private InitCheckpoint(AprCheckpointFile.Opened file, ModelConfig config, String sha256) {
        this.file = file;
        this.config = config;
        this.sha256 = sha256;
    }

    /** The architecture of the init file (tied when the file's lm_head is the embedding). */
    public ModelConfig config() { return config; }

    /** SHA-256 of the init file's bytes (provenance). */
    public String sha256() { return sha256; }

    /** The base model's name for provenance: the file's {@code name} metadata, else its file name. */
    public String baseModel() {
        Object n = file.metadata().get("name");
        return n instanceof String s && !s.isBlank() ? s : file.path().getFileName().toString();
    }

    /**
     * Runs the whole contract. {@code target} is the run's --config (null when absent);
     * {@code tokenizerVocab} the --tokenizer's vocabulary size (-1 when absent).
     */
    public static InitCheckpoint check(Path path, ModelConfig target, int tokenizerVocab) {
        // INIT-003 / INIT-004: the file itself
        AprCheckpointFile.Opened f;
        try {
            f = AprCheckpointFile.open(path);
        } catch (AprException e) {
            throw new AprException(initCode(e.code()), e.exitCode(), "--init " + e.getMessage(), e);
        }
        try {
            Map<String, Object> md = f.metadata();
            // ARCH-007 before anything else: an encoder (or any non-decoder) is refused by name
            String nonDecoder = nonDecoder(md);
            if (nonDecoder != null)
                throw AprException.badInput("INIT_NOT_DECODER", path + ": " + nonDecoder
                        + "; expected a decoder-only causal LM (qwen2 / llama, Qwen2ForCausalLM / LlamaForCausalLM)");
            // INIT-005: architecture metadata present and sane, naming the key
            ModelConfig cfg;
            try {
                cfg = ModelConfig.fromAprMetadata(md, path.toString());
            } catch (AprException e) {
                String code = e.code().equals("INIT_ARCH_MISSING") || e.getMessage().contains("missing")
                        ? "INIT_ARCH_MISSING" : "INIT_ARCH_BOGUS";
                throw new AprException(code, AprException.BAD_INPUT, "--init " + e.getMessage(), e);
            }
            // a file without lm_head.weight and without an explicit tied_embeddings=false is tied
            boolean hasHead = f.tensors().containsKey("lm_head.weight");
            if (!cfg.tieWordEmbeddings() && !hasHead && !Boolean.FALSE.equals(md.get("tied_embeddings")))
                cfg = withTie(cfg, true);
            // INIT-005b: the run's target architecture, every mismatching field named
            if (target != null) {
                List<String> diffs = new ArrayList<>();
                diff(diffs, "architecture", target.family(), cfg.family());
                diff(diffs, "vocab_size", target.vocabSize(), cfg.vocabSize());
                diff(diffs, "hidden_size", target.hiddenSize(), cfg.hiddenSize());
                diff(diffs, "num_layers", target.numLayers(), cfg.numLayers());
                diff(diffs, "num_heads", target.numHeads(), cfg.numHeads());
                diff(diffs, "num_kv_heads", target.numKvHeads(), cfg.numKvHeads());
                diff(diffs, "intermediate_size", target.intermediateSize(), cfg.intermediateSize());
                diff(diffs, "max_position_embeddings", target.maxPositions(), cfg.maxPositions());
                // beyond the spec's list: the RoPE the weights were trained with must be the run's too
                diff(diffs, "head_dim", target.headDim(), cfg.headDim());
                diff(diffs, "rope_theta", target.ropeTheta(), cfg.ropeTheta());
                diff(diffs, "rope_scaling", String.valueOf(target.ropeScaling()), String.valueOf(cfg.ropeScaling()));
                if (!diffs.isEmpty())
                    throw AprException.badInput("INIT_ARCH_MISMATCH", path + ": architecture differs from --config: "
                            + String.join("; ", diffs));
            }
            // INIT-005c: exactly the expected tensors with exactly the expected shapes
            Map<String, long[]> expected = cfg.expectedTensors();
            List<String> problems = new ArrayList<>();
            String code = null;
            for (Map.Entry<String, long[]> e : expected.entrySet()) {
                AprCheckpointFile.In t = f.tensors().get(e.getKey());
                if (t == null) {
                    problems.add("tensor '" + e.getKey() + "' is missing (expected shape " + java.util.Arrays.toString(e.getValue()) + ")");
                    code = code == null ? "INIT_TENSOR_MISSING" : code;
                } else if (!java.util.Arrays.equals(t.shape(), e.getValue())) {
                    problems.add("tensor '" + e.getKey() + "': shape: expected " + java.util.Arrays.toString(e.getValue())
                            + ", got " + java.util.Arrays.toString(t.shape()));
                    code = code == null ? "INIT_SHAPE_MISMATCH" : code;
                } else if (!(t.dtype() == dev.apr.format.DType.F32 || t.dtype() == dev.apr.format.DType.F16
                        || t.dtype() == dev.apr.format.DType.BF16)) {
                    problems.add("tensor '" + e.getKey() + "': dtype: expected F32, F16 or BF16, got " + t.dtype());
                    code = code == null ? "INIT_DTYPE" : code;
                }
            }
            for (AprCheckpointFile.In t : f.tensors().values()) {
                if (expected.containsKey(t.name())) continue;
                // a tied file may still carry lm_head.weight (flagged by tied_embeddings): it is the embedding
                if (t.name().equals("lm_head.weight") && cfg.tieWordEmbeddings()
                        && java.util.Arrays.equals(t.shape(), new long[] {cfg.vocabSize(), cfg.hiddenSize()})) continue;
                problems.add("tensor '" + t.name() + "' " + java.util.Arrays.toString(t.shape()) + " is not part of a "
                        + cfg.family() + " model of this shape (unexpected)");
                code = code == null ? "INIT_TENSOR_UNEXPECTED" : code;
            }
            if (!problems.isEmpty())
                throw AprException.badInput(code, path + ": " + problems.size() + " tensor problem(s), nothing loaded: "
                        + String.join("; ", problems.subList(0, Math.min(8, problems.size())))
                        + (problems.size() > 8 ? "; ..." : ""));
            // ARCH-009/010: a tokenizer may be smaller than the embedding, never larger
            int embedded = embeddedTokenizerVocab(md);
            if (embedded > cfg.vocabSize())
                throw AprException.badInput("INIT_TOKENIZER_TOO_LARGE", path + ": embedded tokenizer vocabulary: expected <= vocab_size "
                        + cfg.vocabSize() + ", got " + embedded);
            if (tokenizerVocab > cfg.vocabSize())
                throw AprException.badInput("INIT_TOKENIZER_TOO_LARGE", "--tokenizer vocabulary size: expected <= the init model's vocab_size "
                        + cfg.vocabSize() + " (" + path + "), got " + tokenizerVocab);
            return new InitCheckpoint(f, cfg, sha256(path));
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** Copies every tensor into the trainer's flat parameters (after {@link #check}). */
    public void loadInto(TrainModel model) {
        ParamLayout layout = model.layout();
        for (ParamLayout.Slot s : layout.slots())
            AprCheckpointFile.readFloats(file.path(), file.tensors().get(s.name()), model.params, s.offset());
    }

    @Override public void close() { file.close(); }

    // ---- helpers -----------------------------------------------------------------------------

    private static String initCode(String readerCode) {
        return switch (readerCode) {
            case "FILE_NOT_FOUND" -> "INIT_MISSING";
            case "FILE_UNREADABLE", "NOT_A_FILE" -> "INIT_UNREADABLE";
            case "APR_BAD_MAGIC", "APR_V1_UNSUPPORTED" -> "INIT_BAD_MAGIC";
            case "APR_TRUNCATED", "APR_BAD_OFFSET" -> "INIT_TRUNCATED";   // bytes promised past the end of the file
            case "APR_BAD_CHECKSUM" -> "INIT_BAD_CHECKSUM";
            case "BAD_JSON", "BAD_UTF8" -> "INIT_BAD_METADATA";
            default -> "INIT_BAD_FILE";
        };
    }

    private static final List<String> ENCODER_MARKERS = List.of("bert", "roberta", "electra", "albert", "deberta",
            "encoder", "maskedlm", "sequenceclassification", "tokenclassification", "t5", "bart", "whisper", "vit", "clip");

    /** A description of why the metadata names a non-decoder model, or null. */
    private static String nonDecoder(Map<String, Object> md) {
        for (String key : new String[] {"architecture", "hf_architecture", "model_type", "hf_model_type"}) {
            Object v = md.get(key);
            if (!(v instanceof String s)) continue;
            String low = s.toLowerCase(Locale.ROOT);
            if (low.equals("qwen2") || low.equals("llama") || low.equals("qwen2forcausallm") || low.equals("llamaforcausallm")) continue;
            for (String m : ENCODER_MARKERS)
                if (low.contains(m)) return "metadata key '" + key + "' is '" + s + "' (an encoder / non-causal model)";
        }
        Object dec = md.get("is_decoder");
        if (Boolean.FALSE.equals(dec)) return "metadata key 'is_decoder' is false";
        return null;
    }

    private static int embeddedTokenizerVocab(Map<String, Object> md) {
        int n = -1;
        if (md.get("tokenizer.vocabulary") instanceof List<?> l) n = l.size();
        if (md.get("tokenizer.vocab_size") instanceof Number x) n = Math.max(n, x.intValue());
        return n;
    }

    private static void diff(List<String> out, String field, Object expected, Object actual) {
        if (!expected.equals(actual)) out.add(field + ": expected " + expected + " (--config), got " + actual + " (--init)");
    }

    static ModelConfig withTie(ModelConfig c, boolean tie) {
        return new ModelConfig(c.family(), c.hiddenSize(), c.numLayers(), c.numHeads(), c.numKvHeads(), c.headDim(),
                c.intermediateSize(), c.vocabSize(), c.maxPositions(), c.ropeTheta(), c.rmsNormEps(), c.attentionBias(), tie,
                c.bosTokenId(), c.eosTokenId(), c.ropeScaling());
    }

    static String sha256(Path p) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(p), MessageDigest.getInstance("SHA-256"))) {
            MessageDigest md = ((DigestInputStream) in).getMessageDigest();
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw AprException.badInput("INIT_UNREADABLE", p + ": " + e);
        }
    }
}
