package dev.apr.model.export;

import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.Floats;
import dev.apr.format.ModelFile;
import dev.apr.format.PyJson;
import dev.apr.format.Tensor;
import dev.apr.format.TensorBytes;
import dev.apr.format.TokenizerJson;
import dev.apr.format.io.AtomicWrite;
import dev.apr.format.io.Progress;
import dev.apr.format.quant.Dequantize;
import dev.apr.format.safetensors.SafeTensorsFile;
import dev.apr.format.safetensors.SafeTensorsWriter;
import dev.apr.model.ModelConfig;
import dev.apr.model.tokenizer.AprVocabulary;
import dev.apr.model.tokenizer.Tokenizer;
import dev.apr.model.tokenizer.TokenizerFiles;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * {@code apr export MODEL.apr --format safetensors -o DIR/NAME.safetensors [--dtype keep|f32|bf16|f16]}:
 * the files Transformers loads (specs/publish.md, specs/gguf-safetensors.md §6-7), all in DIR:
 * <ul>
 *   <li>{@code NAME.safetensors}: exactly the tensors of the real class with their HF names and
 *       shapes, in the stored float dtype (or {@code --dtype}); Q4_K/Q6_K tensors are dequantized
 *       to F32 (said so); {@code lm_head.weight} omitted when tied and required when untied (a
 *       missing head would load as a random one); {@code __metadata__ {"format":"pt"}};</li>
 *   <li>{@code config.json} for Qwen2ForCausalLM / LlamaForCausalLM with every field, and
 *       {@code generation_config.json} with the tokenizer's bos/eos/pad ids;</li>
 *   <li>the tokenizer files when the model embeds a tokenizer.json (HAS_VOCAB): that exact
 *       {@code tokenizer.json} text, {@code tokenizer_config.json} (the embedded upstream file,
 *       else generated), {@code vocab.json} and {@code merges.txt} (derived). A model without one
 *       still exports tensors and configs; a warning says the tokenizer files were not written
 *       and how to embed one ({@code apr stamp --tokenizer DIR}).</li>
 * </ul>
 * Nothing is overwritten without {@code force}: all target files are checked before the first
 * write. Every file is written atomically; the SafeTensors file is re-read and checked.
 */
public final class SafeTensorsExporter {
    private SafeTensorsExporter() {}

    /** {@code --dtype}: keep each tensor's float dtype, or convert all of them. */
    public enum Target {
        KEEP(null), F32(DType.F32), BF16(DType.BF16), F16(DType.F16);

        final DType dtype;

        Target(DType d) { dtype = d; }

        public static Target parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new AprException("BAD_DTYPE", AprException.USAGE, "--dtype: expected keep, f32, bf16 or f16, got '" + s + "'");
            }
        }
    }

    /** What was written. {@code files} lists every file, the SafeTensors first. */
    public record Result(Path safetensors, List<Path> files, int tensorCount, long bytes, String torchDtype,
                         boolean tokenizerWritten, List<String> warnings) {}

    public static final String CONFIG = "config.json", GENERATION_CONFIG = "generation_config.json",
            TOKENIZER = "tokenizer.json", TOKENIZER_CONFIG = "tokenizer_config.json", VOCAB = "vocab.json",
            MERGES = "merges.txt";

    public static Result export(ModelFile src, Path out, Target target, boolean force) {
        return export(src, out, target, force, Progress.NONE);
    }

    /** The same, showing the tensor bytes written (the long part) on {@code progress}. */
    public static Result export(ModelFile src, Path out, Target target, boolean force, Progress progress) {
        String name = out.getFileName() == null ? "" : out.getFileName().toString();
        if (!name.endsWith(".safetensors") || name.length() == ".safetensors".length())
            throw new AprException("BAD_OUTPUT", AprException.USAGE, out + ": -o: expected DIR/NAME.safetensors, got a name"
                    + " without the .safetensors extension");
        if (!"APR".equals(src.format()))
            throw AprException.badInput("EXPORT_NOT_APR", src.path() + ": expected an APR file (import it first with"
                    + " 'apr import'), got " + src.format());
        Path dir = out.toAbsolutePath().getParent();
        Map<String, Object> md = src.metadata();
        ModelConfig cfg = ModelConfig.fromAprMetadata(md, src.path().toString());
        List<String> warnings = new ArrayList<>();

        // ---- the tensors Transformers' class expects, nothing else -----------------------------
        List<Tensor> tensors = selectTensors(src, cfg, warnings);
        Map<DType, Long> elementsByDtype = new EnumMap<>(DType.class);
        List<DType> outTypes = new ArrayList<>();
        int dequantized = 0;
        for (Tensor t : tensors) {
            DType to = outputType(t, target, src.path());
            if (t.dtype().isQuantized()) dequantized++;
            outTypes.add(to);
            elementsByDtype.merge(to, t.elementCount(), Long::sum);
        }
        if (dequantized > 0)
            warnings.add(dequantized + " quantized tensors (Q4_K/Q6_K) dequantized to F32: the SafeTensors file holds their"
                    + " dequantized values, not the original full-precision weights");
        // torch_dtype names the dtype holding most of the weights (norms may stay F32)
        DType main = elementsByDtype.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        String torchDtype = HfConfigFiles.torchDtype(main);

        // ---- configs and tokenizer files, prepared in memory before anything is written -------
        Map<String, byte[]> companions = new LinkedHashMap<>();
        TokenizerOut tok = tokenizerFiles(md, cfg, src.path().toString(), warnings);
        ModelConfig withIds = cfg.withTokens(tok.bos, tok.eos);
        companions.put(CONFIG, utf8(PyJson.dumps(HfConfigFiles.config(withIds, torchDtype))));
        companions.put(GENERATION_CONFIG, utf8(PyJson.dumps(HfConfigFiles.generationConfig(tok.bos, tok.eosIds, tok.pad))));
        companions.putAll(tok.files);

        List<Path> targets = new ArrayList<>();
        targets.add(out.toAbsolutePath());
        for (String f : companions.keySet()) targets.add(dir.resolve(f));
        if (!force) {
            List<String> existing = targets.stream().filter(Files::exists).map(Path::toString).toList();
            if (!existing.isEmpty())
                throw AprException.badInput("OUTPUT_EXISTS", "export: expected new files, got existing " + existing
                        + " (use -f to overwrite them)");
        }
        for (Path p : targets)
            if (Files.isDirectory(p)) throw AprException.badInput("OUTPUT_IS_DIRECTORY", p + ": expected a file path, got a directory");

        // ---- write: the tensors first (the long part), then the small files ------------------
        SafeTensorsWriter w = new SafeTensorsWriter();
        long total = 0;
        for (int i = 0; i < tensors.size(); i++) total += outTypes.get(i).byteSize(tensors.get(i).elementCount());
        LongConsumer advance = progress.counter(name, total);
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            DType to = outTypes.get(i);
            long bytes = to.byteSize(t.elementCount());
            TensorBytes body = to == t.dtype() ? copy(t.data()) : convert(t, to);
            w.tensor(t.name(), to, t.shape(), bytes, o -> {
                body.writeTo(o);
                advance.accept(bytes);
            });
        }
        w.write(out);
        long size = check(out, tensors, outTypes);
        for (var e : companions.entrySet()) AtomicWrite.writeBytes(dir.resolve(e.getKey()), e.getValue());
        return new Result(out, List.copyOf(targets), tensors.size(), size, torchDtype, !tok.files.isEmpty(), List.copyOf(warnings));
    }

    // ---- tensors -----------------------------------------------------------------------------

    /**
     * The architecture's tensors in its order, each checked for presence and shape. A tied
     * model's stray {@code lm_head.weight} is dropped (Transformers ignores it too); an untied
     * model without one is refused.
     */
    static List<Tensor> selectTensors(ModelFile src, ModelConfig cfg, List<String> warnings) {
        Map<String, long[]> expected = cfg.expectedTensors();
        List<Tensor> out = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (var e : expected.entrySet()) {
            Tensor t = src.tensor(e.getKey());
            if (t == null) { missing.add(e.getKey()); continue; }
            if (!Arrays.equals(t.shape(), e.getValue()))
                throw AprException.badInput("SHAPE_MISMATCH", src.path() + ": tensor '" + t.name() + "' shape: expected "
                        + Arrays.toString(e.getValue()) + " (from the model's metadata), got " + t.shapeString());
            out.add(t);
        }
        if (missing.contains("lm_head.weight"))
            throw AprException.badInput("LM_HEAD_MISSING", src.path() + ": tensor 'lm_head.weight': expected one (the model"
                    + " is untied: tied_embeddings is false), got none; Transformers would load a random head");
        if (!missing.isEmpty())
            throw AprException.badInput("MISSING_TENSOR", src.path() + ": tensors: expected every tensor of "
                    + cfg.hfArchitecture() + ", got " + missing.size() + " missing: "
                    + String.join(", ", missing.subList(0, Math.min(5, missing.size()))) + (missing.size() > 5 ? ", ..." : ""));
        List<String> extra = new ArrayList<>();
        for (Tensor t : src.tensors()) {
            if (expected.containsKey(t.name())) continue;
            if (t.name().equals("lm_head.weight") && cfg.tieWordEmbeddings()) {
                warnings.add("lm_head.weight dropped: the model is tied (tied_embeddings), so Transformers uses model.embed_tokens.weight");
                continue;
            }
            extra.add(t.name());
        }
        if (!extra.isEmpty())
            throw AprException.badInput("UNEXPECTED_TENSOR", src.path() + ": tensors: expected only those of "
                    + cfg.hfArchitecture() + ", got " + extra.size() + " more: "
                    + String.join(", ", extra.subList(0, Math.min(5, extra.size()))) + (extra.size() > 5 ? ", ..." : ""));
        return out;
    }

    /** The SafeTensors dtype of one tensor: kept float, converted, dequantized to F32, or refused. */
    static DType outputType(Tensor t, Target target, Path src) {
        DType d = t.dtype();
        boolean floating = d == DType.F32 || d == DType.F16 || d == DType.BF16;
        boolean dequantizable = d == DType.Q4_K || d == DType.Q6_K;
        if (!floating && !dequantizable)
            throw AprException.badInput("UNSUPPORTED_DTYPE", src + ": tensor '" + t.name() + "' dtype: expected F32, F16, BF16,"
                    + " Q4_K or Q6_K to export to SafeTensors, got " + d
                    + (d == DType.APR_Q4 || d == DType.APR_Q8 ? " (APR-only quantization: re-export from the full-precision model)" : ""));
        if (target.dtype != null) return target.dtype;
        return floating ? d : DType.F32;
    }

    private static TensorBytes copy(MemorySegment data) { return out -> out.write(data); }

    /**
     * Row by row: decode (F16/BF16 widen exactly; Q4_K/Q6_K as ggml dequantizes, each stored row
     * padded to a multiple of 256) and encode to {@code to} (BF16/F16 round to nearest even).
     * Batches of rows are converted on all cores, then written in order.
     */
    static TensorBytes convert(Tensor t, DType to) {
        return out -> {
            DType from = t.dtype();
            int cols = (int) t.cols();
            long rows = t.rows();
            int padded = (int) ((cols + from.blockSize - 1) / from.blockSize * from.blockSize);
            long rowBytes = from.byteSize(padded);
            int outRow = cols * to.blockBytes;
            int batch = (int) Math.max(1, Math.min(rows, (4 << 20) / Math.max(1, outRow))); // ~4 MB per batch
            byte[] buf = new byte[batch * outRow];
            for (long r0 = 0; r0 < rows; r0 += batch) {
                long first = r0;
                int n = (int) Math.min(batch, rows - r0);
                java.util.stream.IntStream.range(0, n).parallel().forEach(i -> {
                    float[] row = new float[padded];
                    Dequantize.decode(from, t.data(), (first + i) * rowBytes, row, 0, padded, "tensor '" + t.name() + "'");
                    ByteBuffer b = ByteBuffer.wrap(buf, i * outRow, outRow).order(ByteOrder.LITTLE_ENDIAN);
                    switch (to) {
                        case F32 -> { for (int c = 0; c < cols; c++) b.putFloat(row[c]); }
                        case BF16 -> { for (int c = 0; c < cols; c++) b.putShort(Floats.f32ToBf16(row[c])); }
                        case F16 -> { for (int c = 0; c < cols; c++) b.putShort(Floats.f32ToF16(row[c])); }
                        default -> throw new IllegalStateException(to.toString());
                    }
                });
                out.write(buf, 0, n * outRow);
            }
        };
    }

    /** Re-reads the written file through the one SafeTensors reader: names, dtypes, shapes. */
    private static long check(Path out, List<Tensor> tensors, List<DType> types) {
        try (SafeTensorsFile f = SafeTensorsFile.open(out)) {
            if (f.tensors().size() != tensors.size())
                throw new AprException("EXPORT_VERIFY_FAILED", AprException.VERIFY, out + ": tensor count: expected "
                        + tensors.size() + ", got " + f.tensors().size());
            for (int i = 0; i < tensors.size(); i++) {
                Tensor want = tensors.get(i), got = f.tensor(want.name());
                if (got == null || got.dtype() != types.get(i) || !Arrays.equals(got.shape(), want.shape()))
                    throw new AprException("EXPORT_VERIFY_FAILED", AprException.VERIFY, out + ": tensor '" + want.name()
                            + "': expected " + types.get(i) + " " + want.shapeString() + ", got " + got);
            }
            if (!"pt".equals(f.headerMetadata().get("format")))
                throw new AprException("EXPORT_VERIFY_FAILED", AprException.VERIFY, out + ": __metadata__.format: expected pt, got "
                        + f.headerMetadata().get("format"));
        }
        try {
            return Files.size(out);
        } catch (java.io.IOException e) {
            throw new AprException("IO_ERROR", AprException.BAD_INPUT, out + ": cannot stat: " + e, e);
        }
    }

    // ---- tokenizer files and special ids -----------------------------------------------------

    private record TokenizerOut(Map<String, byte[]> files, int bos, List<Integer> eosIds, int eos, int pad) {}

    /**
     * The tokenizer companions and the special ids for the configs. Ids: the embedded
     * tokenizer's (tokenizer.bos_token_id / eos_token_id from stamp or import), else the model's;
     * pad: special_tokens.pad_token.
     */
    private static TokenizerOut tokenizerFiles(Map<String, Object> md, ModelConfig cfg, String source, List<String> warnings) {
        int bos = cfg.bosTokenId(), eos = cfg.eosTokenId(), pad = -1;
        List<String> vocabulary = new ArrayList<>();
        if (md.get("tokenizer.vocabulary") instanceof List<?> l) for (Object o : l) vocabulary.add(String.valueOf(o));
        if (md.get("special_tokens") instanceof Map<?, ?> sp && sp.get("pad_token") instanceof String p)
            pad = TokenizerEmbedding.indexOf(vocabulary, p);

        Map<String, byte[]> files = new LinkedHashMap<>();
        Map<String, Integer> added = new LinkedHashMap<>();
        if (md.get("tokenizer.json") instanceof String text) {
            byte[] tokenizerJson = utf8(text);
            TokenizerJson tj = TokenizerJson.parse(tokenizerJson, Path.of(source + ":tokenizer.json"));
            if (vocabulary.isEmpty()) vocabulary = Arrays.asList(tj.allTokensById());
            for (TokenizerJson.AddedToken a : tj.addedTokens()) added.put(a.content(), a.id());
            files.put(TOKENIZER, tokenizerJson);
            if (md.get("tokenizer_config.json") instanceof String tc) {
                files.put(TOKENIZER_CONFIG, utf8(tc));
            } else {
                // the APR's tokenizer as apr run reads it: its stamped special tokens and chat template
                Tokenizer t = Tokenizer.fromAprMetadata(md, source);
                files.put(TOKENIZER_CONFIG, TokenizerFiles.tokenizerConfigJson(tj, t, cfg.maxPositions()));
                warnings.add("no upstream tokenizer_config.json embedded: " + TOKENIZER_CONFIG + " generated from tokenizer.json");
            }
            files.put(VOCAB, TokenizerFiles.vocabJson(tj));
            files.put(MERGES, TokenizerFiles.mergesTxt(tj));
        } else if (!vocabulary.isEmpty()) {
            warnings.add("the model embeds a vocabulary but no tokenizer.json: tokenizer files NOT written"
                    + " (stamp it with 'apr stamp --tokenizer DIR' where DIR holds tokenizer.json)");
        } else {
            warnings.add("the model has no embedded tokenizer (HAS_VOCAB not set): tokenizer files NOT written;"
                    + " embed one with 'apr stamp --tokenizer DIR' and export again");
        }
        if (added.isEmpty()) // no tokenizer.json: the <|...|> texts of the vocabulary stand for its added tokens
            for (int i = 0; i < vocabulary.size(); i++)
                if (AprVocabulary.looksSpecial(vocabulary.get(i))) added.put(vocabulary.get(i), i);
        if (pad < 0 && md.get("special_tokens") instanceof Map<?, ?> sp && sp.get("pad_token") instanceof String p && added.containsKey(p))
            pad = added.get(p);
        List<Integer> eosIds = TokenizerEmbedding.endOfGenerationIds(added, eos);
        return new TokenizerOut(files, bos, eosIds, eos, pad);
    }

    private static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }
}
