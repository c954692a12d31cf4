package dev.apr.model.io;

import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.Json;
import dev.apr.format.Tensor;
import dev.apr.format.TensorBytes;
import dev.apr.format.apr.AprFile;
import dev.apr.format.apr.AprFlags;
import dev.apr.format.apr.AprWriter;
import dev.apr.format.gguf.GgufFile;
import dev.apr.format.gguf.GgufNames;
import dev.apr.format.gguf.GgufValueType;
import dev.apr.format.quant.Dequantize;
import dev.apr.model.ModelConfig;
import dev.apr.model.RopeScaling;
import dev.apr.model.tokenizer.PreTokenizerRegex;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code apr import MODEL.gguf -o model.apr}: a llama.cpp GGUF ({@code llama} or {@code qwen2})
 * to an APR v2 file with HF tensor names (specs/gguf-safetensors.md §4): llama q/k rows put
 * back into HF's split-halves order (§4.4 inverse), F32/F16/BF16 kept (or converted with
 * {@code --dtype}), Q4_K/Q6_K kept byte for byte (APR codes 12/14), every other quantized type
 * dequantized to F32; the config from the GGUF keys; the tokenizer embedded as APR tokenizer keys
 * plus a {@code tokenizer.json} rebuilt from the GGUF vocabulary.
 */
public final class GgufImporter {
    private GgufImporter() {}

    /** The outcome of an import; {@code toString} is the one-line summary the CLI prints. */
    public record Result(Path output, ModelConfig config, int tensorCount, Map<DType, Integer> dtypes,
                         long fileBytes, List<String> notes) {
        @Override public String toString() {
            return config.family() + ", hidden " + config.hiddenSize() + ", " + config.numLayers() + " layers, vocab "
                    + config.vocabSize() + ", " + tensorCount + " tensors " + dtypes + ", " + fileBytes + " bytes"
                    + (notes.isEmpty() ? "" : "; " + String.join("; ", notes));
        }
    }

    /** Imports keeping F32/F16/BF16 and Q4_K/Q6_K as stored. */
    public static Result importGguf(Path gguf, Path outApr) { return importGguf(gguf, outApr, null); }

    /**
     * Imports; {@code floatType} (F32, F16, BF16 or null to keep) converts the float tensors.
     * Quantized Q4_K/Q6_K tensors are kept either way; other quantized types become F32.
     */
    public static Result importGguf(Path gguf, Path outApr, DType floatType) {
        if (floatType != null && !floatType.isFloat())
            throw new AprException("BAD_DTYPE", AprException.USAGE, "--dtype: expected keep, f32, bf16 or f16, got " + floatType);
        List<String> notes = new ArrayList<>();
        try (GgufFile g = GgufFile.open(gguf)) {
            String where = gguf.toString();
            ModelConfig cfg = config(g, where);
            Map<String, Object> md = new LinkedHashMap<>(cfg.toAprMetadata());
            md.put("name", g.has("general.name") && g.type("general.name") == GgufValueType.STRING
                    ? g.string("general.name") : stem(gguf));
            md.put("source", gguf.toAbsolutePath().normalize().toString());
            md.put("original_format", "gguf");
            boolean vocab = addTokenizer(g, cfg, md, notes);

            AprWriter w = new AprWriter().metadata(md);
            if (vocab) w.flag(AprFlags.HAS_VOCAB);
            Map<String, long[]> expected = cfg.expectedTensors();
            for (Tensor t : g.tensors()) {
                if (t.name().equals("rope_freqs.weight") && cfg.ropeScaling() != null) continue;   // in the config
                String hf = GgufNames.toHf(t.name());
                if (hf == null || !expected.containsKey(hf))
                    throw AprException.badInput("GGUF_UNSUPPORTED_TENSOR", where + ": tensor '" + t.name() + "': expected one of the "
                            + cfg.family() + " tensors apr models (no HF counterpart), got this one");
                if (!Arrays.equals(expected.get(hf), t.shape()))
                    throw AprException.badInput("GGUF_BAD_SHAPE", where + ": tensor '" + t.name() + "': shape: expected "
                            + Arrays.toString(expected.get(hf)) + " from the GGUF keys, got " + t.shapeString());
                boolean unpermute = cfg.family().equals("llama") && (hf.endsWith("q_proj.weight") || hf.endsWith("q_proj.bias")
                        || hf.endsWith("k_proj.weight") || hf.endsWith("k_proj.bias"));
                addTensor(w, t, hf, unpermute, cfg.headDim(), floatType, notes);
            }
            for (String hf : expected.keySet())
                if (g.tensor(GgufNames.toGguf(hf)) == null)
                    throw AprException.badInput("GGUF_MISSING_TENSOR", where + ": tensor '" + GgufNames.toGguf(hf)
                            + "': expected for this " + cfg.family() + " model, got no such tensor");
            w.write(outApr);
        }
        // re-read what was written with every check of the APR reader
        try (AprFile f = AprFile.open(outApr)) {
            Map<DType, Integer> types = new java.util.TreeMap<>();
            for (Tensor t : f.tensors()) types.merge(t.dtype(), 1, Integer::sum);
            return new Result(outApr, ModelConfig.fromAprMetadata(f.metadata(), outApr.toString()), f.tensors().size(),
                    types, f.fileSize(), List.copyOf(notes));
        }
    }

    /** The model shape from the GGUF keys (spec §4.1), each read with the exact type llama.cpp reads. */
    public static ModelConfig config(GgufFile g, String where) {
        String arch = g.architecture();
        if (!arch.equals("llama") && !arch.equals("qwen2"))
            throw AprException.badInput("UNKNOWN_ARCHITECTURE", where + ": general.architecture: expected llama or qwen2, got '" + arch + "'");
        int hidden = u32(g, arch + ".embedding_length", -1);
        int heads = u32(g, arch + ".attention.head_count", -1);
        int kv = u32(g, arch + ".attention.head_count_kv", heads);
        int headDim = u32(g, arch + ".attention.key_length", heads > 0 ? hidden / heads : -1);
        if (g.has(arch + ".rope.dimension_count") && u32(g, arch + ".rope.dimension_count", -1) != headDim)
            throw AprException.badInput("GGUF_UNSUPPORTED_ROPE", where + ": " + arch + ".rope.dimension_count: expected the head dim "
                    + headDim + " (apr rotates whole heads), got " + g.u32(arch + ".rope.dimension_count"));
        if (g.has(arch + ".rope.scaling.type") && !"none".equals(g.metadata().get(arch + ".rope.scaling.type")))
            throw AprException.badInput("GGUF_UNSUPPORTED_ROPE", where + ": " + arch + ".rope.scaling.type: expected none, got "
                    + g.metadata().get(arch + ".rope.scaling.type"));
        Tensor embd = g.tensor("token_embd.weight");
        if (embd == null) throw AprException.badInput("GGUF_MISSING_TENSOR", where + ": tensor 'token_embd.weight': expected, got no such tensor");
        int vocab = (int) embd.shape()[0];
        boolean tied = g.tensor("output.weight") == null;
        boolean bias = arch.equals("qwen2") || g.tensor("blk.0.attn_q.bias") != null;
        double theta = g.has(arch + ".rope.freq_base") ? g.f32(arch + ".rope.freq_base") : 10000.0;
        double eps = g.f32(arch + ".attention.layer_norm_rms_epsilon");
        return new ModelConfig(arch, hidden, u32(g, arch + ".block_count", -1), heads, kv, headDim,
                u32(g, arch + ".feed_forward_length", -1), vocab, u32(g, arch + ".context_length", -1),
                exactDecimal(theta), exactDecimal(eps), bias, tied,
                u32(g, "tokenizer.ggml.bos_token_id", -1), u32(g, "tokenizer.ggml.eos_token_id", -1),
                ropeScaling(g, where, exactDecimal(theta), headDim));
    }

    /**
     * Llama 3.1/3.2 files carry their RoPE scaling as {@code rope_freqs.weight}, one F32 divisor per
     * rotated pair (llama.cpp's converter writes no parameters): matched to the published parameters.
     */
    private static RopeScaling ropeScaling(GgufFile g, String where, double theta, int headDim) {
        Tensor t = g.tensor("rope_freqs.weight");
        if (t == null) return null;
        if (!g.architecture().equals("llama"))
            throw AprException.badInput("GGUF_UNSUPPORTED_ROPE", where + ": tensor 'rope_freqs.weight': expected none for "
                    + g.architecture() + ", got one");
        if (t.dtype() != DType.F32 || t.shape().length != 1)
            throw AprException.badInput("GGUF_UNSUPPORTED_ROPE", where + ": tensor 'rope_freqs.weight': expected F32 [" + headDim / 2
                    + "], got " + t.dtype() + " " + t.shapeString());
        float[] f = new float[(int) t.shape()[0]];
        for (int i = 0; i < f.length; i++) f[i] = t.data().get(F32_LE, 4L * i);
        return RopeScaling.fromGgufFactors(f, theta, headDim, where);
    }

    private static final java.lang.foreign.ValueLayout.OfFloat F32_LE =
            java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A float32 key widened to the shortest decimal that reads back as it (1e-6f -> 1.0E-6, not 9.99...E-7). */
    private static double exactDecimal(float f) { return Double.parseDouble(Float.toString(f)); }

    private static double exactDecimal(double d) { return exactDecimal((float) d); }

    private static int u32(GgufFile g, String key, int dflt) {
        if (!g.has(key)) {
            if (dflt != -1 || key.startsWith("tokenizer.")) return dflt;
            throw AprException.badInput("GGUF_MISSING_KEY", g.path() + ": key '" + key + "': expected a UINT32, got nothing (key missing)");
        }
        long v = g.u32(key);
        if (v > Integer.MAX_VALUE) throw AprException.badInput("GGUF_BAD_VALUE", g.path() + ": key '" + key + "': expected <= 2^31-1, got " + v);
        return (int) v;
    }

    // ---- tensors ------------------------------------------------------------------------------

    private static void addTensor(AprWriter w, Tensor t, String hf, boolean unpermute, int headDim, DType floatType, List<String> notes) {
        DType from = t.dtype();
        DType to;
        if (from == DType.Q4_K || from == DType.Q6_K) to = from;                 // APR codes 12 / 14, bytes as they are
        else if (from.isFloat() && from != DType.F64) to = floatType != null ? floatType : from;
        else if (Dequantize.supports(from)) {
            to = DType.F32;
            notes.add(t.name() + ": " + from + " dequantized to F32 (APR stores no " + from + ")");
        } else throw AprException.badInput("GGUF_UNSUPPORTED_DTYPE", t.name() + ": type: expected F32, F16, BF16 or a"
                + " Q4_0..Q6_K block type, got " + from);
        long rows = t.rows();
        int cols = (int) t.cols();
        if (to == from && !unpermute) {
            w.tensor(hf, to, t.shape(), t.data());
            return;
        }
        long rowBytesIn = Dequantize.rowStride(t);
        long outBytes = to.byteSize(t.elementCount());
        boolean oneD = t.shape().length == 1;
        TensorBytes bytes = out -> {
            if (to == from) {   // permuted rows of a kept type: move whole rows (a 1-D bias moves elements)
                long unit = oneD ? from.blockBytes : rowBytesIn;
                long n = oneD ? t.elementCount() : rows;
                for (long r = 0; r < n; r++) {
                    long src = GgufNames.ggufRowOfHfRow(r, headDim);
                    out.write(t.data().asSlice(src * unit, unit));
                }
                return;
            }
            float[] x = new float[cols];
            ByteBuffer buf = ByteBuffer.allocate(cols * to.blockBytes).order(ByteOrder.LITTLE_ENDIAN);
            if (oneD && unpermute) {   // a llama q/k bias: permuted element-wise
                float[] all = Dequantize.toFloats(t);
                for (int i = 0; i < cols; i++) x[i] = all[(int) GgufNames.ggufRowOfHfRow(i, headDim)];
                put(buf, x, to);
                out.write(buf.flip());
                return;
            }
            for (long r = 0; r < rows; r++) {
                Dequantize.row(t, unpermute ? GgufNames.ggufRowOfHfRow(r, headDim) : r, x, 0);
                buf.clear();
                put(buf, x, to);
                out.write(buf.flip());
            }
        };
        w.tensor(hf, to, t.shape(), outBytes, bytes);
    }

    private static void put(ByteBuffer buf, float[] x, DType to) {
        for (float f : x) {
            switch (to) {
                case F32 -> buf.putFloat(f);
                case F16 -> buf.putShort(Float.floatToFloat16(f));
                case BF16 -> buf.putShort(dev.apr.format.Floats.f32ToBf16(f));
                default -> throw new IllegalStateException(to.toString());
            }
        }
    }

    // ---- tokenizer ----------------------------------------------------------------------------

    /** APR tokenizer keys from {@code tokenizer.ggml.*}; false when the GGUF has no vocabulary. */
    static boolean addTokenizer(GgufFile g, ModelConfig cfg, Map<String, Object> md, List<String> notes) {
        if (!g.has("tokenizer.ggml.tokens")) {
            notes.add("no tokenizer.ggml.tokens: imported without a vocabulary (HAS_VOCAB not set)");
            return false;
        }
        String model = g.string("tokenizer.ggml.model");
        if (!model.equals("gpt2"))
            throw AprException.badInput("GGUF_UNSUPPORTED_TOKENIZER", g.path() + ": tokenizer.ggml.model: expected gpt2 (byte-level BPE),"
                    + " got '" + model + "'");
        List<String> tokens = g.array("tokenizer.ggml.tokens", GgufValueType.STRING);
        List<Integer> types = g.has("tokenizer.ggml.token_type") ? g.array("tokenizer.ggml.token_type", GgufValueType.INT32) : null;
        if (types != null && types.size() != tokens.size())
            throw AprException.badInput("GGUF_BAD_TOKENIZER", g.path() + ": tokenizer.ggml.token_type: expected " + tokens.size()
                    + " entries (one per token), got " + types.size());
        List<String> merges = g.array("tokenizer.ggml.merges", GgufValueType.STRING);
        String pre = g.has("tokenizer.ggml.pre") ? g.string("tokenizer.ggml.pre") : null;
        PreTokenizerRegex.forGgufPre(pre, g.path().toString());   // a pre type apr cannot split as llama.cpp does: refused here
        if (pre == null) notes.add("no tokenizer.ggml.pre: the rebuilt tokenizer.json uses GPT-2's split regex, as llama.cpp's 'default' does");

        md.put("tokenizer.model_type", "BPE");
        md.put("tokenizer.vocab_size", tokens.size());
        md.put("tokenizer.vocabulary", tokens);
        md.put("tokenizer.merges", merges);
        if (pre != null) md.put("tokenizer.pre_type", pre);
        // llama.cpp prepends BOS when add_bos_token says so (default: llama-bpe files do): the rebuilt
        // tokenizer.json says the same with a post-processor template, as Llama 3's own file does
        boolean llama3 = PreTokenizerRegex.isLlama3(pre);
        boolean addBos = g.has("tokenizer.ggml.add_bos_token") ? Boolean.TRUE.equals(g.metadata().get("tokenizer.ggml.add_bos_token")) : llama3;
        int bosId = cfg.bosTokenId() >= 0 && cfg.bosTokenId() < tokens.size() ? cfg.bosTokenId() : -1;
        if (addBos && bosId < 0) notes.add("tokenizer.ggml.add_bos_token is true but there is no bos id: no BOS is added");
        md.put("tokenizer.json", Json.compactString(rebuildTokenizerJson(tokens, types, merges, pre, addBos ? bosId : -1)));
        Map<String, Object> special = new LinkedHashMap<>();
        int bos = cfg.bosTokenId(), eos = cfg.eosTokenId();
        if (bos >= 0 && bos < tokens.size()) { md.put("tokenizer.bos_token_id", bos); special.put("bos_token", tokens.get(bos)); }
        if (eos >= 0 && eos < tokens.size()) { md.put("tokenizer.eos_token_id", eos); special.put("eos_token", tokens.get(eos)); }
        int pad = u32(g, "tokenizer.ggml.padding_token_id", -1);
        if (pad >= 0 && pad < tokens.size()) special.put("pad_token", tokens.get(pad));
        if (tokens.contains("<|im_start|>")) special.put("im_start_token", "<|im_start|>");
        if (tokens.contains("<|im_end|>")) special.put("im_end_token", "<|im_end|>");
        if (!special.isEmpty()) md.put("special_tokens", special);
        if (g.has("tokenizer.chat_template")) {
            String tmpl = g.string("tokenizer.chat_template");
            md.put("chat_template", tmpl);
            md.put("chat_format", tmpl.contains("<|im_start|>") ? "chatml" : "custom");
        }
        return true;
    }

    /**
     * A Hugging Face {@code tokenizer.json} equivalent to the GGUF vocabulary: NORMAL tokens form
     * the BPE vocab, CONTROL and USER_DEFINED tokens become added tokens (special when CONTROL),
     * UNUSED {@code [PAD<i>]} fillers are dropped; the pre-tokenizer is the Qwen2 or Llama-3
     * split regex followed by byte-level mapping, as in those models' own files.
     */
    public static Map<String, Object> rebuildTokenizerJson(List<String> tokens, List<Integer> types, List<String> merges, String pre) {
        return rebuildTokenizerJson(tokens, types, merges, pre, -1);
    }

    /** As above; {@code bosPrefix} >= 0: a post-processor template that puts that token before every text. */
    public static Map<String, Object> rebuildTokenizerJson(List<String> tokens, List<Integer> types, List<String> merges, String pre,
                                                           int bosPrefix) {
        List<String> regexes = PreTokenizerRegex.forGgufPre(pre);   // refuses a pre type apr cannot split like llama.cpp
        boolean llama3 = PreTokenizerRegex.isLlama3(pre);
        boolean qwen2 = "qwen2".equals(pre);
        List<Object> added = new ArrayList<>();
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            int type = types == null ? 1 : types.get(i);
            if (type == 5) continue;                              // UNUSED padding
            if (type == 3 || type == 4) {
                Map<String, Object> a = new LinkedHashMap<>();
                a.put("id", i);
                a.put("content", tokens.get(i));
                a.put("single_word", false);
                a.put("lstrip", false);
                a.put("rstrip", false);
                a.put("normalized", type == 4);
                a.put("special", type == 3);
                added.add(a);
            } else vocab.put(tokens.get(i), i);
        }
        // each split regex as an Isolated Split step (smollm: digits, then GPT-2's rule), then bytes
        List<Object> steps = new ArrayList<>();
        for (String regex : regexes) {
            Map<String, Object> split = new LinkedHashMap<>();
            split.put("type", "Split");
            split.put("pattern", Map.of("Regex", regex));
            split.put("behavior", "Isolated");
            split.put("invert", false);
            steps.add(split);
        }
        Map<String, Object> byteLevel = new LinkedHashMap<>();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", false);
        byteLevel.put("trim_offsets", !qwen2);
        byteLevel.put("use_regex", false);
        steps.add(byteLevel);
        Map<String, Object> decoder = new LinkedHashMap<>();
        decoder.put("type", "ByteLevel");
        decoder.put("add_prefix_space", true);
        decoder.put("trim_offsets", true);
        decoder.put("use_regex", true);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "BPE");
        m.put("dropout", null);
        m.put("unk_token", null);
        m.put("continuing_subword_prefix", "");
        m.put("end_of_word_suffix", "");
        m.put("fuse_unk", false);
        m.put("byte_fallback", false);
        m.put("ignore_merges", llama3);
        m.put("vocab", vocab);
        m.put("merges", merges);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("truncation", null);
        root.put("padding", null);
        root.put("added_tokens", added);
        root.put("normalizer", qwen2 ? Map.of("type", "NFC") : null);
        root.put("pre_tokenizer", Map.of("type", "Sequence", "pretokenizers", steps));
        Map<String, Object> byteLevelPost = Map.of("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", false, "use_regex", false);
        if (bosPrefix < 0) root.put("post_processor", byteLevelPost);
        else {
            String bos = tokens.get(bosPrefix);
            Map<String, Object> template = new LinkedHashMap<>();
            template.put("type", "TemplateProcessing");
            template.put("single", List.of(Map.of("SpecialToken", Map.of("id", bos, "type_id", 0)),
                    Map.of("Sequence", Map.of("id", "A", "type_id", 0))));
            template.put("pair", List.of(Map.of("SpecialToken", Map.of("id", bos, "type_id", 0)), Map.of("Sequence", Map.of("id", "A", "type_id", 0)),
                    Map.of("SpecialToken", Map.of("id", bos, "type_id", 1)), Map.of("Sequence", Map.of("id", "B", "type_id", 1))));
            template.put("special_tokens", Map.of(bos, Map.of("id", bos, "ids", List.of(bosPrefix), "tokens", List.of(bos))));
            root.put("post_processor", Map.of("type", "Sequence", "processors", List.of(byteLevelPost, template)));
        }
        root.put("decoder", decoder);
        root.put("model", m);
        return root;
    }

    private static String stem(Path p) {
        String s = p.getFileName().toString();
        return s.toLowerCase(Locale.ROOT).endsWith(".gguf") ? s.substring(0, s.length() - 5) : s;
    }
}
