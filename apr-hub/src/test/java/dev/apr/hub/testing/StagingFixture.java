package dev.apr.hub.testing;

import dev.apr.format.DType;
import dev.apr.format.PyJson;
import dev.apr.format.apr.AprWriter;
import dev.apr.format.gguf.GgufNames;
import dev.apr.format.gguf.GgufValueType;
import dev.apr.format.gguf.GgufWriter;
import dev.apr.format.quant.Quantize;
import dev.apr.format.safetensors.SafeTensorsWriter;
import dev.apr.model.ModelConfig;
import dev.apr.model.export.HfConfigFiles;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A complete 12-file staging directory with a tiny but valid Qwen2 model (hidden 64, 2 layers,
 * a 260-token byte-level BPE vocabulary): the same weights as APR, SafeTensors (+ config.json)
 * and GGUF (Q8_0 matrices: rows of 64 are too short for Q4_K), and real tokenizer files.
 */
public final class StagingFixture {
    private StagingFixture() {}

    public static final int VOCAB = 260, EOS = 259;
    public static final ModelConfig CONFIG = new ModelConfig("qwen2", 64, 2, 4, 2, 16, 128, VOCAB, 256, 1e6, 1e-6,
            true, true, EOS, EOS);

    /** Writes the staging dir for repo name {@code name}; {@code readme} null = no README (a card is generated). */
    public static void write(Path dir, String name, String readme, long seed) throws Exception {
        Files.createDirectories(dir);
        List<String> tokens = byteLevelTokens();
        List<String[]> merges = List.of(new String[] {"Ġ", "t"}, new String[] {"h", "e"}, new String[] {"Ġt", "he"});
        for (String[] m : merges) tokens.add(m[0] + m[1]);
        tokens.add("<|endoftext|>");

        Map<String, float[]> weights = weights(seed);
        // APR
        AprWriter apr = new AprWriter().metadata(CONFIG.toAprMetadata())
                .put("name", name).put("license", "Apache-2.0").put("data_source", "org/corpus")
                .put("training", Map.of("val_loss", 3.25, "steps", 10))
                .put("tokenizer.vocabulary", tokens).put("tokenizer.model_type", "BPE").put("tokenizer.pre_type", "gpt-2")   // tokenizer.json below: ByteLevel with its regex
                .put("tokenizer.merges", merges.stream().map(m -> m[0] + " " + m[1]).toList())
                .put("tokenizer.bos_token_id", EOS).put("tokenizer.eos_token_id", EOS)
                .flag("HAS_VOCAB");
        for (var e : weights.entrySet()) apr.tensor(e.getKey(), shape(e.getKey()), e.getValue());
        apr.write(dir.resolve(name + ".apr"));
        // SafeTensors + config
        SafeTensorsWriter st = new SafeTensorsWriter();
        for (var e : weights.entrySet()) st.tensor(e.getKey(), shape(e.getKey()), e.getValue());
        st.write(dir.resolve(name + ".safetensors"));
        Files.writeString(dir.resolve("config.json"), PyJson.dumps(HfConfigFiles.config(CONFIG, "float32")));
        Files.writeString(dir.resolve("generation_config.json"), PyJson.dumps(HfConfigFiles.generationConfig(EOS, List.of(EOS), EOS)));
        // GGUF
        GgufWriter g = new GgufWriter();
        String a = "qwen2";
        g.putString("general.architecture", a).putString("general.name", name).putU32("general.file_type", 7)
                .putU32("general.quantization_version", 2)
                .putU32(a + ".context_length", CONFIG.maxPositions()).putU32(a + ".embedding_length", CONFIG.hiddenSize())
                .putU32(a + ".block_count", CONFIG.numLayers()).putU32(a + ".feed_forward_length", CONFIG.intermediateSize())
                .putU32(a + ".attention.head_count", CONFIG.numHeads()).putU32(a + ".attention.head_count_kv", CONFIG.numKvHeads())
                .putF32(a + ".rope.freq_base", (float) CONFIG.ropeTheta()).putF32(a + ".attention.layer_norm_rms_epsilon", (float) CONFIG.rmsNormEps())
                .putString("tokenizer.ggml.model", "gpt2").putString("tokenizer.ggml.pre", "qwen2")
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, tokens)
                .putArray("tokenizer.ggml.merges", GgufValueType.STRING, merges.stream().map(m -> m[0] + " " + m[1]).toList())
                .putU32("tokenizer.ggml.eos_token_id", EOS).putU32("tokenizer.ggml.bos_token_id", EOS);
        for (var e : weights.entrySet()) {
            long[] s = shape(e.getKey());
            if (s.length == 1) g.addTensor(GgufNames.toGguf(e.getKey()), DType.F32, s, MemorySegment.ofArray(le(e.getValue())));
            else g.addTensor(GgufNames.toGguf(e.getKey()), DType.Q8_0, s, MemorySegment.ofArray(Quantize.quantize(DType.Q8_0, e.getValue())));
        }
        g.write(dir.resolve(name + "-q4k.gguf"));
        // tokenizer files
        Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson(tokens, merges));
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int i = 0; i < tokens.size() - 1; i++) vocab.put(tokens.get(i), i);
        Files.writeString(dir.resolve("vocab.json"), PyJson.dumps(vocab));
        StringBuilder mt = new StringBuilder("#version: 0.2\n");
        for (String[] m : merges) mt.append(m[0]).append(' ').append(m[1]).append('\n');
        Files.writeString(dir.resolve("merges.txt"), mt.toString());
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"add_bos_token": false, "bos_token": null, "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
                 "model_max_length": 256, "tokenizer_class": "Qwen2Tokenizer", "clean_up_tokenization_spaces": false,
                 "added_tokens_decoder": {"259": {"content": "<|endoftext|>", "lstrip": false, "normalized": false,
                 "rstrip": false, "single_word": false, "special": true}}}
                """);
        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"eos_token\": \"<|endoftext|>\", \"pad_token\": \"<|endoftext|>\"}\n");
        Files.writeString(dir.resolve("LICENSE"), "Apache License\nVersion 2.0, January 2004\n(test fixture)\n");
        if (readme != null) Files.writeString(dir.resolve("README.md"), readme);
    }

    public static final String README = """
            ---
            library_name: apr
            license: apache-2.0
            pipeline_tag: text-generation
            tags: [code, apr, java]
            datasets: [org/corpus]
            ---
            # A hand-written card

            Published verbatim.
            """;

    static long[] shape(String name) {
        long[] s = CONFIG.expectedTensors().get(name);
        if (s == null) throw new IllegalArgumentException(name);
        return s;
    }

    static Map<String, float[]> weights(long seed) {
        Random r = new Random(seed);
        Map<String, float[]> m = new LinkedHashMap<>();
        for (var e : CONFIG.expectedTensors().entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            float[] w = new float[(int) n];
            boolean norm = e.getKey().endsWith("layernorm.weight") || e.getKey().equals("model.norm.weight");
            for (int i = 0; i < w.length; i++) w[i] = norm ? 1f + 0.05f * (float) r.nextGaussian() : 0.08f * (float) r.nextGaussian();
            m.put(e.getKey(), w);
        }
        return m;
    }

    static byte[] le(float[] x) {
        ByteBuffer b = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(x);
        return b.array();
    }

    /** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 onwards. */
    static List<String> byteLevelTokens() {
        List<String> out = new ArrayList<>();
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            out.add(String.valueOf((char) (printable ? b : 256 + n++)));
        }
        return out;
    }

    static String tokenizerJson(List<String> tokens, List<String[]> merges) {
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int i = 0; i < tokens.size() - 1; i++) vocab.put(tokens.get(i), i);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        model.put("vocab", vocab);
        model.put("merges", merges.stream().map(List::of).toList());
        Map<String, Object> added = new LinkedHashMap<>();
        added.put("id", EOS);
        added.put("content", "<|endoftext|>");
        added.put("single_word", false);
        added.put("lstrip", false);
        added.put("rstrip", false);
        added.put("normalized", false);
        added.put("special", true);
        Map<String, Object> bl = new LinkedHashMap<>();
        bl.put("type", "ByteLevel");
        bl.put("add_prefix_space", false);
        bl.put("trim_offsets", true);
        bl.put("use_regex", true);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("version", "1.0");
        t.put("truncation", null);
        t.put("padding", null);
        t.put("added_tokens", List.of(added));
        t.put("normalizer", null);
        t.put("pre_tokenizer", bl);
        t.put("post_processor", null);
        t.put("decoder", bl);
        t.put("model", model);
        return PyJson.dumps(t);
    }
}
