package dev.apr.model.io;

import dev.apr.format.AprException;
import dev.apr.format.BadInput;
import dev.apr.format.DType;
import dev.apr.format.Floats;
import dev.apr.format.Json;
import dev.apr.format.Tensor;
import dev.apr.format.TokenizerJson;
import dev.apr.format.TensorBytes;
import dev.apr.format.apr.AprFile;
import dev.apr.format.apr.AprFlags;
import dev.apr.format.apr.AprWriter;
import dev.apr.format.io.ByteSink;
import dev.apr.format.io.Progress;
import dev.apr.format.safetensors.SafeTensorsFile;
import dev.apr.model.ModelConfig;
import dev.apr.model.tokenizer.AprVocabulary;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * {@code apr import HF_DIR -o model.apr}: a Hugging Face checkpoint directory (config.json,
 * model.safetensors or shards, tokenizer files) to one APR v2 file with full typed metadata.
 *
 * <p>Refuses, by name: unknown architectures (through {@link ModelConfig#fromHfConfig}), missing
 * and unexpected tensors (against {@link ModelConfig#expectedTensors()}), wrong shapes and
 * non-float source dtypes. A tied model may carry {@code lm_head.weight}: it is dropped (HF
 * ignores it too) and said so; {@code rotary_emb.inv_freq} buffers are dropped likewise.
 * Tensor bytes stream from the mapped SafeTensors into the output, converted on the fly when
 * {@code --dtype} asks for it.
 */
public final class HfImporter {
    private HfImporter() {}

    /** What {@code --dtype} may ask for: keep the source dtype, or convert every tensor. */
    public enum TargetDType {
        KEEP(null), F32(DType.F32), BF16(DType.BF16), F16(DType.F16);

        final DType dtype;

        TargetDType(DType d) { dtype = d; }

        /** The dtype to convert float tensors to, or null to keep each tensor's own. */
        public DType dtype() { return dtype; }

        public static TargetDType parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new AprException("BAD_DTYPE", AprException.USAGE, "--dtype: expected keep, f32, bf16 or f16, got '" + s + "'");
            }
        }
    }

    /** The outcome of an import, for the CLI to print. */
    public record Result(Path output, ModelConfig config, int tensorCount, long parameterCount, long fileBytes,
                         boolean hasVocab, List<String> notes) {}

    public static Result importDir(Path hfDir, Path output, TargetDType target) {
        return importDir(hfDir, output, target, s -> {});
    }

    /** Imports; {@code notes} receives one line per thing the user should know (dropped tensors...). */
    public static Result importDir(Path hfDir, Path output, TargetDType target, Consumer<String> notes) {
        return importDir(hfDir, output, target, notes, Progress.NONE);
    }

    /** The same, showing the tensor bytes written (the long part) on {@code progress}. */
    public static Result importDir(Path hfDir, Path output, TargetDType target, Consumer<String> notes, Progress progress) {
        if (!Files.isDirectory(hfDir))
            throw BadInput.of("NOT_A_DIRECTORY", hfDir, "input", "a Hugging Face model directory (config.json + *.safetensors)",
                    Files.exists(hfDir) ? "a file" : "nothing (no such path)");
        Path configPath = hfDir.resolve("config.json");
        if (!Files.isRegularFile(configPath))
            throw BadInput.of("MISSING_CONFIG", hfDir, "config.json", "a config.json in the directory", "none");
        Map<String, Object> hfConfig = Json.readObject(configPath, false);
        ModelConfig cfg = ModelConfig.fromHfConfig(hfConfig, configPath.toString());
        List<String> said = new ArrayList<>();
        Consumer<String> note = s -> { said.add(s); notes.accept(s); };

        try (SafeTensorsFile st = SafeTensorsFile.open(hfDir)) {
            List<Tensor> tensors = checkTensors(st, cfg, note);
            AprWriter w = new AprWriter();
            Map<String, Object> md = new LinkedHashMap<>(cfg.toAprMetadata());
            md.put("name", hfDir.toAbsolutePath().normalize().getFileName().toString());
            md.put("source", hfDir.toAbsolutePath().normalize().toString());
            md.put("original_format", "safetensors");
            if (!st.headerMetadata().isEmpty()) md.put("source_metadata", new LinkedHashMap<>(st.headerMetadata()));
            if (hfConfig.get("torch_dtype") instanceof String td) md.put("source_dtype", td);

            boolean vocab = addTokenizer(hfDir, cfg, md, note);
            w.metadata(md);
            if (vocab) w.flag(AprFlags.HAS_VOCAB);

            long total = 0;
            for (Tensor t : tensors) total += outBytes(t, target);
            LongConsumer advance = progress.counter(output.getFileName().toString(), total);
            for (Tensor t : tensors) {
                DType to = target.dtype == null ? t.dtype() : target.dtype;
                long size = outBytes(t, target);
                TensorBytes bytes = to == t.dtype() ? out -> out.write(t.data()) : convert(t, to);
                w.tensor(t.name(), to, t.shape(), size, out -> {
                    bytes.writeTo(out);
                    advance.accept(size);
                });
            }
            w.write(output);
        }
        // re-read what was written: every check of the reader, footer CRC included
        try (AprFile f = AprFile.open(output)) {
            long params = 0;
            for (Tensor t : f.tensors()) params += t.elementCount();
            return new Result(output, cfg, f.tensors().size(), params, f.fileSize(), f.hasFlag(AprFlags.HAS_VOCAB), List.copyOf(said));
        }
    }

    private static long outBytes(Tensor t, TargetDType target) {
        return target.dtype == null ? t.byteSize() : t.elementCount() * target.dtype.blockBytes;
    }

    /** The tensors to write: exactly the architecture's, with the shapes it needs. */
    static List<Tensor> checkTensors(SafeTensorsFile st, ModelConfig cfg, Consumer<String> note) {
        Map<String, long[]> expected = cfg.expectedTensors();
        List<Tensor> out = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        for (Tensor t : st.tensors()) {
            String n = t.name();
            long[] shape = expected.get(n);
            if (shape == null) {
                if (n.equals("lm_head.weight") && cfg.tieWordEmbeddings()) {
                    note.accept("dropped lm_head.weight: tie_word_embeddings is true, so the head is model.embed_tokens.weight");
                    continue;
                }
                if (n.endsWith(".rotary_emb.inv_freq")) {
                    note.accept("dropped " + n + ": RoPE frequencies are recomputed from rope_theta");
                    continue;
                }
                unexpected.add(n);
                continue;
            }
            if (!Arrays.equals(shape, t.shape()))
                throw BadInput.of("BAD_TENSOR_SHAPE", st.path(), "tensor '" + n + "' shape", Arrays.toString(shape)
                        + " (from config.json)", Arrays.toString(t.shape()));
            if (t.dtype() != DType.F32 && t.dtype() != DType.BF16 && t.dtype() != DType.F16)
                throw BadInput.of("BAD_TENSOR_DTYPE", st.path(), "tensor '" + n + "' dtype", "F32, BF16 or F16", t.dtype());
            out.add(t);
        }
        if (!unexpected.isEmpty())
            throw BadInput.of("UNEXPECTED_TENSOR", st.path(), "tensors", "only the " + cfg.hfArchitecture() + " tensors of config.json",
                    unexpected.size() + " more: " + firstFew(unexpected));
        TreeSet<String> missing = new TreeSet<>(expected.keySet());
        for (Tensor t : out) missing.remove(t.name());
        if (!missing.isEmpty())
            throw BadInput.of("MISSING_TENSOR", st.path(), "tensors", "every " + cfg.hfArchitecture() + " tensor of config.json"
                    + (cfg.tieWordEmbeddings() ? "" : " (tie_word_embeddings is false, so lm_head.weight too)"),
                    missing.size() + " missing: " + firstFew(new ArrayList<>(missing)));
        return out;
    }

    private static String firstFew(List<String> names) {
        return names.size() <= 5 ? String.join(", ", names) : String.join(", ", names.subList(0, 5)) + ", ...";
    }

    // ---- tokenizer ----------------------------------------------------------------------------

    /** Qwen2's pre-tokenizer split pattern: its presence identifies tokenizer.pre_type "qwen2". */
    static final String QWEN2_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /**
     * Fills the tokenizer keys from tokenizer.json (read by {@link TokenizerJson}, the one reader)
     * and tokenizer_config.json; true when a vocabulary was embedded.
     */
    static boolean addTokenizer(Path dir, ModelConfig cfg, Map<String, Object> md, Consumer<String> note) {
        Path tjPath = dir.resolve("tokenizer.json");
        Path tcPath = dir.resolve("tokenizer_config.json");
        TokenizerJson.Config tc = Files.isRegularFile(tcPath) ? TokenizerJson.readConfig(tcPath) : null;
        if (tc != null && tc.chatTemplate() != null) {
            md.put("chat_template", tc.chatTemplate());
            md.put("chat_format", tc.chatTemplate().contains("<|im_start|>") ? "chatml" : "custom");
        }
        if (!Files.isRegularFile(tjPath)) {
            note.accept("no tokenizer.json in " + dir + ": imported without a vocabulary (HAS_VOCAB not set)");
            putTokenIds(cfg, md, null, tc);
            return false;
        }
        byte[] bytes = Json.readFile(tjPath);
        TokenizerJson tok = TokenizerJson.parse(bytes, tjPath);
        if (!"BPE".equals(tok.modelType()))
            throw BadInput.of("UNSUPPORTED_TOKENIZER", tjPath, "model.type", "BPE", "\"" + tok.modelType() + "\"");
        String[] byId = tok.allTokensById();
        int holes = 0;
        List<String> vocabulary = new ArrayList<>(byId.length);
        for (int i = 0; i < byId.length; i++) {
            if (byId[i] == null) { holes++; vocabulary.add(AprVocabulary.padToken(i)); } else vocabulary.add(byId[i]);
        }
        if (holes > 0) note.accept(holes + " token ids of " + tjPath + " have no token; they are named [PAD<id>]");
        if (vocabulary.size() > cfg.vocabSize())
            throw BadInput.of("VOCAB_MISMATCH", tjPath, "vocabulary size", "<= vocab_size " + cfg.vocabSize() + " of config.json (embedding rows)",
                    vocabulary.size());
        md.put("tokenizer.model_type", "BPE");
        md.put("tokenizer.vocab_size", vocabulary.size());
        md.put("tokenizer.vocabulary", vocabulary);
        md.put("tokenizer.merges", tok.mergeStrings());
        for (TokenizerJson.PreTokenizerStep step : tok.preTokenizers())
            if ("Split".equals(step.type()) && QWEN2_PATTERN.equals(step.regex())) md.put("tokenizer.pre_type", "qwen2");
        // the whole file travels with the model, minified: the exact pretty-printed Qwen file
        // (11 MB, ~13 MB as a JSON string) would push the metadata past APR's 16 MiB limit
        md.put("tokenizer.json", Json.minify(bytes, tjPath.toString()));
        putTokenIds(cfg, md, tok, tc);
        return true;
    }

    private static void putTokenIds(ModelConfig cfg, Map<String, Object> md, TokenizerJson tok, TokenizerJson.Config tc) {
        Map<String, Object> special = new LinkedHashMap<>();
        if (tc != null) {
            if (tc.bosToken() != null) special.put("bos_token", tc.bosToken());
            if (tc.eosToken() != null) special.put("eos_token", tc.eosToken());
            if (tc.unkToken() != null) special.put("unk_token", tc.unkToken());
            if (tc.padToken() != null) special.put("pad_token", tc.padToken());
        }
        int bos = cfg.bosTokenId(), eos = cfg.eosTokenId();
        if (tok != null) {
            if (bos < 0 && special.get("bos_token") instanceof String s) bos = tok.idOf(s);
            if (eos < 0 && special.get("eos_token") instanceof String s) eos = tok.idOf(s);
            if (bos >= 0 && tok.token(bos) != null) special.putIfAbsent("bos_token", tokenAt(tok, bos));
            if (eos >= 0) special.putIfAbsent("eos_token", tokenAt(tok, eos));
            if (tok.idOf("<|im_start|>") >= 0) special.put("im_start_token", "<|im_start|>");
            if (tok.idOf("<|im_end|>") >= 0) special.put("im_end_token", "<|im_end|>");
        }
        special.values().removeIf(v -> v == null);
        if (bos >= 0) md.put("tokenizer.bos_token_id", bos);
        if (eos >= 0) md.put("tokenizer.eos_token_id", eos);
        if (!special.isEmpty()) md.put("special_tokens", special);
    }

    private static String tokenAt(TokenizerJson tok, int id) {
        String[] all = tok.allTokensById();
        return id < all.length ? all[id] : null;
    }

    // ---- dtype conversion --------------------------------------------------------------------

    /**
     * Converts F32/BF16/F16 to another of them, 256K elements at a time (never the whole tensor),
     * with the bulk (Vector API) conversions of {@link Floats}.
     */
    static TensorBytes convert(Tensor t, DType to) {
        DType from = t.dtype();
        MemorySegment src = t.data();
        long n = t.elementCount();
        return (ByteSink out) -> {
            int chunk = 1 << 18;
            float[] f = new float[chunk];
            short[] h = new short[chunk];
            MemorySegment outSeg = MemorySegment.ofArray(new byte[chunk * to.blockBytes]);
            ValueLayout.OfShort sh = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            ValueLayout.OfFloat fl = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < n; i += chunk) {
                int k = (int) Math.min(chunk, n - i);
                switch (from) {   // source elements -> f32
                    case F32 -> MemorySegment.copy(src, fl, i * 4, f, 0, k);
                    case BF16 -> { MemorySegment.copy(src, sh, i * 2, h, 0, k); Floats.bf16ToF32(h, f, k); }
                    case F16 -> { MemorySegment.copy(src, sh, i * 2, h, 0, k); Floats.f16ToF32(h, f, k); }
                    default -> throw new IllegalStateException(from.toString());
                }
                switch (to) {     // f32 -> target elements
                    case F32 -> MemorySegment.copy(f, 0, outSeg, fl, 0, k);
                    case BF16 -> { Floats.f32ToBf16(f, h, k); MemorySegment.copy(h, 0, outSeg, sh, 0, k); }
                    case F16 -> { Floats.f32ToF16(f, h, k); MemorySegment.copy(h, 0, outSeg, sh, 0, k); }
                    default -> throw new IllegalStateException(to.toString());
                }
                out.write(outSeg.asSlice(0, (long) k * to.blockBytes));
            }
        };
    }
}
