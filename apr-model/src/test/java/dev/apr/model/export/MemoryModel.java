package dev.apr.model.export;

import dev.apr.format.DType;
import dev.apr.format.ModelFile;
import dev.apr.format.Tensor;
import dev.apr.model.ModelConfig;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** An in-memory "APR model" for export tests: random F32 weights of a config plus APR metadata. */
final class MemoryModel implements ModelFile {
    final Map<String, Object> md = new LinkedHashMap<>();
    final Map<String, Tensor> tensors = new LinkedHashMap<>();
    final Map<String, float[]> values = new LinkedHashMap<>();

    MemoryModel(ModelConfig cfg, long seed) {
        md.putAll(cfg.toAprMetadata());
        if (cfg.bosTokenId() >= 0) md.put("tokenizer.bos_token_id", cfg.bosTokenId());
        if (cfg.eosTokenId() >= 0) md.put("tokenizer.eos_token_id", cfg.eosTokenId());
        Random r = new Random(seed);
        for (var e : cfg.expectedTensors().entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            float[] x = new float[(int) n];
            boolean norm = e.getKey().endsWith("norm.weight");
            for (int i = 0; i < x.length; i++) x[i] = norm ? 1f + 0.1f * (float) r.nextGaussian() : 0.05f * (float) r.nextGaussian();
            put(e.getKey(), e.getValue(), x);
        }
    }

    void put(String name, long[] shape, float[] x) {
        values.put(name, x);
        tensors.put(name, new Tensor(name, DType.F32, shape, MemorySegment.ofArray(x)));
    }

    @Override public Path path() { return Path.of("memory.apr"); }
    @Override public String format() { return "APR"; }
    @Override public Map<String, Object> metadata() { return md; }
    @Override public List<Tensor> tensors() { return new ArrayList<>(tensors.values()); }
    @Override public Tensor tensor(String name) { return tensors.get(name); }
    @Override public void close() {}

    /** A byte-level BPE tokenizer.json with {@code n} base tokens, Qwen-style added tokens and regex. */
    static String smallTokenizerJson(int n) {
        StringBuilder sb = new StringBuilder("{\"version\":\"1.0\",\"added_tokens\":[");
        sb.append("{\"id\":").append(n).append(",\"content\":\"<|endoftext|>\",\"special\":true},");
        sb.append("{\"id\":").append(n + 1).append(",\"content\":\"<|im_start|>\",\"special\":true},");
        sb.append("{\"id\":").append(n + 2).append(",\"content\":\"<|im_end|>\",\"special\":true},");
        sb.append("{\"id\":").append(n + 3).append(",\"content\":\"<tool_call>\",\"special\":false}],");
        sb.append("\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":")
          .append("\"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+\"")
          .append("},\"behavior\":\"Isolated\"},{\"type\":\"ByteLevel\",\"use_regex\":false}]},");
        sb.append("\"model\":{\"type\":\"BPE\",\"vocab\":{");
        for (int i = 0; i < n; i++) sb.append(i > 0 ? "," : "").append("\"t").append(i).append("\":").append(i);
        sb.append("},\"merges\":[\"t 1\",[\"t\",\"2\"]]}}");
        return sb.toString();
    }
}
