package dev.apr.model.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.PyJson;
import dev.apr.model.ModelConfig;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class HfConfigFilesTest {
    /** Qwen/Qwen2.5-0.5B config.json, specs/gguf-safetensors.md §7.2. */
    static final String QWEN25_05B = """
            {"architectures":["Qwen2ForCausalLM"], "attention_dropout":0.0, "bos_token_id":151643,
            "eos_token_id":151643, "hidden_act":"silu", "hidden_size":896, "initializer_range":0.02,
            "intermediate_size":4864, "max_position_embeddings":32768, "max_window_layers":24,
            "model_type":"qwen2", "num_attention_heads":14, "num_hidden_layers":24, "num_key_value_heads":2,
            "rms_norm_eps":1e-06, "rope_theta":1000000.0, "sliding_window":32768, "tie_word_embeddings":true,
            "torch_dtype":"bfloat16", "transformers_version":"4.40.1", "use_cache":true, "use_mrope":false,
            "use_sliding_window":false, "vocab_size":151936}""";

    /** §7.3: the fields LlamaForCausalLM needs written. */
    static final Set<String> LLAMA_FIELDS = Set.of("architectures", "model_type", "hidden_size", "intermediate_size",
            "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim", "max_position_embeddings",
            "rms_norm_eps", "rope_theta", "rope_scaling", "vocab_size", "tie_word_embeddings", "attention_bias",
            "mlp_bias", "hidden_act", "bos_token_id", "eos_token_id", "torch_dtype");

    @SuppressWarnings("unchecked")
    static Map<String, Object> parse(String json) throws Exception {
        return new ObjectMapper().readValue(json, LinkedHashMap.class);
    }

    @Test
    void qwen25PresetEqualsTheHubFileOnEveryArchitectureField() throws Exception {
        Map<String, Object> hub = parse(QWEN25_05B);
        Map<String, Object> ours = parse(PyJson.dumps(HfConfigFiles.config(ModelConfig.preset("qwen2-0.5b"), "bfloat16")));
        for (String k : hub.keySet()) {
            if (k.equals("transformers_version")) continue; // which Transformers wrote it: not architecture
            assertTrue(ours.containsKey(k), "config.json lacks " + k);
            assertEquals(hub.get(k), ours.get(k), k);
            // int stays int and float stays float (transformers v5 strict dataclass)
            assertEquals(hub.get(k).getClass(), ours.get(k).getClass(), k + " JSON type");
        }
    }

    @Test
    void floatsAreWrittenAsPythonWritesThem() {
        String json = PyJson.dumps(HfConfigFiles.config(ModelConfig.preset("qwen2-0.5b"), "bfloat16"));
        assertTrue(json.contains("\"rope_theta\": 1000000.0,"), json);
        assertTrue(json.contains("\"rms_norm_eps\": 1e-06,"), json);
        assertTrue(json.contains("\"attention_dropout\": 0.0,"), json);
        assertTrue(json.contains("\"hidden_size\": 896,"), json);
        assertTrue(json.startsWith("{\n  \"architectures\": [\n    \"Qwen2ForCausalLM\"\n  ],\n  \"attention_dropout\""), json);
        assertTrue(json.endsWith("\n}\n"));
    }

    @Test
    void llamaConfigHasEveryFieldWithThisModelsValues() throws Exception {
        for (boolean tie : new boolean[] {false, true}) {
            ModelConfig c = new ModelConfig("llama", 64, 2, 4, 2, 16, 128, 151936, 2048, 500000.0, 1e-5,
                    false, tie, 151643, 151645);
            Map<String, Object> m = parse(PyJson.dumps(HfConfigFiles.config(c, "float32")));
            assertTrue(m.keySet().containsAll(LLAMA_FIELDS), "missing " + LLAMA_FIELDS.stream().filter(k -> !m.containsKey(k)).toList());
            assertEquals(List.of("LlamaForCausalLM"), m.get("architectures"));
            assertEquals("llama", m.get("model_type"));
            assertEquals(64, m.get("hidden_size"));
            assertEquals(128, m.get("intermediate_size"));
            assertEquals(2, m.get("num_hidden_layers"));
            assertEquals(4, m.get("num_attention_heads"));
            assertEquals(2, m.get("num_key_value_heads"));
            assertEquals(16, m.get("head_dim"));
            assertEquals(2048, m.get("max_position_embeddings"));
            assertEquals(1e-5, m.get("rms_norm_eps"));
            assertEquals(500000.0, m.get("rope_theta"));
            assertNull(m.get("rope_scaling"));
            assertEquals(151936, m.get("vocab_size"));
            assertEquals(tie, m.get("tie_word_embeddings"));
            assertEquals(false, m.get("attention_bias"));
            assertEquals(false, m.get("mlp_bias"));
            assertEquals("silu", m.get("hidden_act"));
            assertEquals(151643, m.get("bos_token_id"));
            assertEquals(151645, m.get("eos_token_id"));
            assertEquals("float32", m.get("torch_dtype"));
        }
    }

    @Test
    void qwen2TieFalseIsWrittenExplicitly() throws Exception {
        ModelConfig c = ModelConfig.preset("qwen2-7b");
        Map<String, Object> m = parse(PyJson.dumps(HfConfigFiles.config(c, "bfloat16")));
        assertEquals(false, m.get("tie_word_embeddings"));
        assertEquals(4, m.get("num_key_value_heads"));
        assertEquals(152064, m.get("vocab_size"));
        assertEquals(3584, m.get("hidden_size"));
    }

    @Test
    void llamaWithoutTokenIdsIsRefused() {
        AprException e = assertThrows(AprException.class,
                () -> HfConfigFiles.config(ModelConfig.preset("llama-370m"), "float32"));
        assertEquals("MISSING_TOKEN_IDS", e.code());
        assertTrue(e.getMessage().contains("eos_token_id"), e.getMessage());
    }

    /** A Llama-shaped model with Qwen's tokenizer (no BOS): bos_token_id is an explicit null, not LlamaConfig's default 1. */
    @Test
    void llamaWithoutBosWritesAnExplicitNull() throws Exception {
        ModelConfig c = ModelConfig.preset("llama-tiny");
        c = new ModelConfig(c.family(), c.hiddenSize(), c.numLayers(), c.numHeads(), c.numKvHeads(), c.headDim(),
                c.intermediateSize(), c.vocabSize(), c.maxPositions(), c.ropeTheta(), c.rmsNormEps(), c.attentionBias(),
                c.tieWordEmbeddings(), -1, 151645);
        String json = PyJson.dumps(HfConfigFiles.config(c, "float32"));
        assertTrue(json.contains("\"bos_token_id\": null,"), json);
        Map<String, Object> m = parse(json);
        assertTrue(m.containsKey("bos_token_id"));
        assertNull(m.get("bos_token_id"));
        assertEquals(151645, m.get("eos_token_id"));
        // read back as the importer reads a config.json: no BOS
        assertEquals(-1, ModelConfig.fromHfConfig(m, "config.json").bosTokenId());
    }

    @Test
    void generationConfigListsEveryEosAndIsDeterministic() throws Exception {
        String json = PyJson.dumps(HfConfigFiles.generationConfig(151643, List.of(151645, 151643), 151643));
        Map<String, Object> m = parse(json);
        assertEquals(151643, m.get("bos_token_id"));
        assertEquals(List.of(151645, 151643), m.get("eos_token_id"));
        assertEquals(151643, m.get("pad_token_id"));
        assertEquals(false, m.get("do_sample"));
        assertEquals("{\n  \"bos_token_id\": 151643,\n  \"do_sample\": false,\n  \"eos_token_id\": [\n    151645,\n    151643\n  ],\n"
                + "  \"pad_token_id\": 151643,\n  \"transformers_version\": \"4.45.0\"\n}\n", json);
        Map<String, Object> single = HfConfigFiles.generationConfig(-1, List.of(2, 2), -1);
        assertEquals(2, single.get("eos_token_id"));
        assertFalse(single.containsKey("bos_token_id"));
        assertFalse(single.containsKey("pad_token_id"));
    }

    @Test
    void torchDtypeNames() {
        assertEquals("bfloat16", HfConfigFiles.torchDtype(DType.BF16));
        assertEquals("float16", HfConfigFiles.torchDtype(DType.F16));
        assertEquals("float32", HfConfigFiles.torchDtype(DType.F32));
        assertThrows(AprException.class, () -> HfConfigFiles.torchDtype(DType.Q4_K));
    }

    @Test
    void pyFloatMatchesPythonRepr() {
        // expected strings printed by CPython 3 repr()
        double[] v = {1e6, 1e-6, 0.02, 1e-5, 1e16, 1.5e16, 123456789012345.6, 1e-4, 0.00012, 5e-324,
                1.7976931348623157e308, 10000.0, 0.1, 1.0 / 3, 9999999999999998.0, 2.5e-05, -0.5, 100.0, 0.0};
        String[] py = {"1000000.0", "1e-06", "0.02", "1e-05", "1e+16", "1.5e+16", "123456789012345.6", "0.0001",
                "0.00012", "5e-324", "1.7976931348623157e+308", "10000.0", "0.1", "0.3333333333333333",
                "9999999999999998.0", "2.5e-05", "-0.5", "100.0", "0.0"};
        for (int i = 0; i < v.length; i++) assertEquals(py[i], PyJson.pyFloat(v[i]), "repr(" + v[i] + ")");
        assertThrows(AprException.class, () -> PyJson.pyFloat(Double.NaN));
    }

    @Test
    void stringsAreEscapedLikePythonEnsureAscii() {
        assertEquals("\"a\\\"b\\\\c\\n\\u00e9\\u0120\"\n", PyJson.dumps("a\"b\\c\né\u0120"));
        StringBuilder kept = new StringBuilder(), escaped = new StringBuilder();   // json.dumps("é\x01\x7f", ensure_ascii=...)
        PyJson.string(kept, "é\u0001\u007f", false);
        PyJson.string(escaped, "é\u0001\u007f", true);
        assertEquals("\"é\\u0001\u007f\"", kept.toString());
        assertEquals("\"\\u00e9\\u0001\\u007f\"", escaped.toString());
        assertEquals("[]\n", PyJson.dumps(List.of()));
        assertEquals("{}\n", PyJson.dumps(Map.of()));
    }
}
