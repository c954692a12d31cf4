package dev.apr.model.export;

import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.ModelFile;
import dev.apr.format.Tensor;
import dev.apr.format.gguf.GgufNames;
import dev.apr.format.gguf.GgufValueType;
import dev.apr.format.gguf.GgufWriter;
import dev.apr.format.io.Progress;
import dev.apr.format.quant.Dequantize;
import dev.apr.format.quant.Quantize;
import dev.apr.model.ModelConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.stream.IntStream;

/**
 * Exports an APR model (any {@link ModelFile} with HF tensor names and APR architecture metadata)
 * to a GGUF that llama.cpp loads for the {@code llama} or {@code qwen2} architecture
 * (specs/gguf-safetensors.md §1-5, checklist §9): every required key with its exact type, the
 * tokenizer padded to the embedding rows, tensors renamed, {@code ne} reversed (never transposed),
 * llama q/k permuted to adjacent-pair RoPE, types chosen by {@link GgufPlan}.
 *
 * <p>Tensors are converted row by row while the file is written (no whole model in the heap);
 * rows of one chunk are quantized on all cores.
 */
public final class GgufExporter {
    private GgufExporter() {}

    /** What an export did: the file, its size, the per-tensor plan, and every fallback or guess. */
    public record Report(Path out, long bytes, GgufQuant quant, List<GgufPlan.Entry> plan, List<String> notes, double seconds) {
        /** The plan entries whose wanted type llama.cpp's fallback replaced. */
        public List<GgufPlan.Entry> fallbacks() { return plan.stream().filter(GgufPlan.Entry::fellBack).toList(); }
    }

    /** Exports {@code src} (an APR model) to {@code out}; the config comes from the APR metadata. */
    public static Report export(ModelFile src, Path out, GgufQuant quant) {
        return export(src, out, quant, Progress.NONE);
    }

    /** The same, showing the conversion (the long part: dequantize, permute, quantize) on {@code progress}. */
    public static Report export(ModelFile src, Path out, GgufQuant quant, Progress progress) {
        ModelConfig cfg = ModelConfig.fromAprMetadata(src.metadata(), src.path().toString());
        return export(src, cfg, out, quant, progress);
    }

    public static Report export(ModelFile src, ModelConfig cfg, Path out, GgufQuant quant) {
        return export(src, cfg, out, quant, Progress.NONE);
    }

    public static Report export(ModelFile src, ModelConfig cfg, Path out, GgufQuant quant, Progress progress) {
        long t0 = System.nanoTime();
        String where = src.path().toString();
        Map<String, long[]> shapes = checkTensors(src, cfg, where);
        List<GgufPlan.Entry> plan = GgufPlan.plan(cfg, shapes, quant);
        List<String> notes = new ArrayList<>();
        for (GgufPlan.Entry e : plan)
            if (e.fellBack()) notes.add(e.ggufName() + ": " + e.wanted() + " -> " + e.type() + " (" + e.reason() + ")");
        if (cfg.tieWordEmbeddings() && src.tensor("lm_head.weight") != null)
            notes.add("lm_head.weight: not written (tied embeddings: llama.cpp reuses token_embd.weight)");

        GgufVocab vocab = GgufVocab.fromAprMetadata(src.metadata(), cfg.vocabSize(), cfg.bosTokenId(), cfg.eosTokenId(), where);
        notes.addAll(vocab.notes());

        GgufWriter w = new GgufWriter();
        String arch = cfg.family();
        w.putString("general.architecture", arch);
        w.putString("general.type", "model");
        w.putString("general.name", src.metadata().get("name") instanceof String n && !n.isBlank() ? n : stem(out));
        w.putU32("general.file_type", quant.fileType);
        if (quant != GgufQuant.F32 && quant != GgufQuant.F16) w.putU32("general.quantization_version", 2);
        w.putU32(arch + ".context_length", cfg.maxPositions());
        w.putU32(arch + ".embedding_length", cfg.hiddenSize());
        w.putU32(arch + ".block_count", cfg.numLayers());
        w.putU32(arch + ".feed_forward_length", cfg.intermediateSize());
        w.putU32(arch + ".attention.head_count", cfg.numHeads());
        w.putU32(arch + ".attention.head_count_kv", cfg.numKvHeads());
        w.putF32(arch + ".rope.freq_base", (float) cfg.ropeTheta());
        w.putF32(arch + ".attention.layer_norm_rms_epsilon", (float) cfg.rmsNormEps());
        w.putU32(arch + ".attention.key_length", cfg.headDim());
        w.putU32(arch + ".attention.value_length", cfg.headDim());
        if (arch.equals("llama")) {
            w.putU32(arch + ".rope.dimension_count", cfg.headDim());   // must equal the head dim
            w.putU32(arch + ".vocab_size", cfg.vocabSize());
        }
        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", vocab.pre());
        w.putArray("tokenizer.ggml.tokens", GgufValueType.STRING, vocab.tokens());
        w.putArray("tokenizer.ggml.token_type", GgufValueType.INT32, vocab.tokenTypes());
        w.putArray("tokenizer.ggml.merges", GgufValueType.STRING, vocab.merges());
        if (vocab.bos() >= 0) w.putU32("tokenizer.ggml.bos_token_id", vocab.bos());
        if (vocab.eos() >= 0) w.putU32("tokenizer.ggml.eos_token_id", vocab.eos());
        if (vocab.pad() >= 0) w.putU32("tokenizer.ggml.padding_token_id", vocab.pad());
        w.putBool("tokenizer.ggml.add_bos_token", vocab.addBos());
        if (vocab.chatTemplate() != null) w.putString("tokenizer.chat_template", vocab.chatTemplate());

        long total = 0;
        for (GgufPlan.Entry e : plan) total += e.type().byteSize(Arrays.stream(e.shape()).reduce(1, Math::multiplyExact));
        LongConsumer advance = progress.counter(out.getFileName() + " (" + quant.name().toLowerCase(java.util.Locale.ROOT) + ")", total);
        for (GgufPlan.Entry e : plan) {
            Tensor t = src.tensor(e.hfName());
            w.addTensor(e.ggufName(), e.type(), e.shape(), sink -> writeTensor(t, e, cfg.headDim(), sink, advance));
        }
        if (cfg.ropeScaling() != null) {
            // Llama 3.1-style RoPE: the per-pair divisors llama.cpp reads, first as its converter writes them
            float[] f = cfg.ropeScaling().ggufFactors(cfg.ropeTheta(), cfg.headDim());
            w.addTensor("rope_freqs.weight", DType.F32, new long[] {f.length}, java.lang.foreign.MemorySegment.ofArray(f));
            notes.add("rope_freqs.weight: llama3 RoPE scaling (factor " + cfg.ropeScaling().factor() + ") as per-pair divisors");
        }
        long bytes = w.write(out);
        return new Report(out, bytes, quant, plan, notes, (System.nanoTime() - t0) / 1e9);
    }

    /** Every tensor the architecture needs is there with its exact shape, and nothing else. */
    private static Map<String, long[]> checkTensors(ModelFile src, ModelConfig cfg, String where) {
        Map<String, long[]> expected = cfg.expectedTensors();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (var e : expected.entrySet()) {
            Tensor t = src.tensor(e.getKey());
            if (t == null)
                throw AprException.badInput("EXPORT_MISSING_TENSOR", where + ": tensor '" + e.getKey() + "': expected shape "
                        + Arrays.toString(e.getValue()) + " for this " + cfg.family() + " config, got no such tensor");
            if (!Arrays.equals(t.shape(), e.getValue()))
                throw AprException.badInput("EXPORT_SHAPE_MISMATCH", where + ": tensor '" + e.getKey() + "': shape: expected "
                        + Arrays.toString(e.getValue()) + ", got " + t.shapeString());
            Dequantize.checkLayout(t);
            shapes.put(e.getKey(), e.getValue());
        }
        for (Tensor t : src.tensors())
            if (!expected.containsKey(t.name()) && !(t.name().equals("lm_head.weight") && cfg.tieWordEmbeddings()))
                throw AprException.badInput("EXPORT_UNKNOWN_TENSOR", where + ": tensor '" + t.name() + "': expected only the "
                        + cfg.family() + " tensors of its config (llama.cpp refuses extra tensors), got this one too");
        return shapes;
    }

    /** Converts one tensor row by row into the sink, permuting llama q/k rows on the way. */
    private static void writeTensor(Tensor t, GgufPlan.Entry e, int headDim, GgufWriter.Sink sink, LongConsumer advance)
            throws IOException {
        DType to = e.type();
        // fast path: same type, no permutation, unpadded rows: copy the bytes as they are
        if (t.dtype() == to && !e.permute() && t.data().byteSize() == to.byteSize(t.elementCount())) {
            sink.write(t.data());
            advance.accept(t.data().byteSize());
            return;
        }
        if (e.shape().length == 1) {   // a bias or norm: one row, permuted element-wise for llama q/k bias
            float[] x = Dequantize.toFloats(t);
            if (e.permute()) {
                float[] p = new float[x.length];
                for (int i = 0; i < x.length; i++) p[i] = x[(int) GgufNames.hfRowOfGgufRow(i, headDim)];
                x = p;
            }
            byte[] b = Quantize.quantize(to, x);
            sink.write(b, 0, b.length);
            advance.accept(b.length);
            return;
        }
        int cols = (int) t.cols();
        long rows = t.rows();
        int rowBytes = (int) to.byteSize(cols);
        int chunk = (int) Math.max(1, Math.min(rows, (4 << 20) / Math.max(cols, 1)));   // ~16 MB of floats per chunk
        float[] x = new float[chunk * cols];
        byte[] out = new byte[chunk * rowBytes];
        for (long r0 = 0; r0 < rows; r0 += chunk) {
            int n = (int) Math.min(chunk, rows - r0);
            final long base = r0;
            IntStream.range(0, n).parallel().forEach(i -> {
                long dst = base + i;
                long srcRow = e.permute() ? GgufNames.hfRowOfGgufRow(dst, headDim) : dst;
                Dequantize.row(t, srcRow, x, i * cols);
                Quantize.row(to, x, i * cols, cols, out, i * rowBytes);
            });
            sink.write(out, 0, n * rowBytes);
            advance.accept((long) n * rowBytes);
        }
    }

    private static String stem(Path p) {
        String s = p.getFileName().toString();
        return s.endsWith(".gguf") ? s.substring(0, s.length() - 5) : s;
    }
}
