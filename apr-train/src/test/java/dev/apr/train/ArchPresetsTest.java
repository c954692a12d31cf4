package dev.apr.train;

import dev.apr.model.ModelConfig;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** ARCH-001: the presets `apr pretrain --config` accepts equal the real models' HF configs field for field. */
class ArchPresetsTest {
    static Map<String, Object> hf(String type, int hidden, int layers, int heads, int kv, int ff, int vocab, int maxPos,
                                  double theta, double eps, boolean tie, int bos, int eos) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of(type.equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM"));
        m.put("model_type", type);
        m.put("hidden_size", hidden);
        m.put("num_hidden_layers", layers);
        m.put("num_attention_heads", heads);
        m.put("num_key_value_heads", kv);
        m.put("intermediate_size", ff);
        m.put("vocab_size", vocab);
        m.put("max_position_embeddings", maxPos);
        m.put("rope_theta", theta);
        m.put("rms_norm_eps", eps);
        m.put("tie_word_embeddings", tie);
        if (bos >= 0) m.put("bos_token_id", bos);
        if (eos >= 0) m.put("eos_token_id", eos);
        return m;
    }

    @Test
    void presetsEqualTheRealConfigs() {
        // Qwen/Qwen2.5-0.5B config.json
        assertEquals(ModelConfig.fromHfConfig(hf("qwen2", 896, 24, 14, 2, 4864, 151936, 32768, 1e6, 1e-6, true, 151643, 151643), "Qwen2.5-0.5B"),
                ModelConfig.preset("qwen2-0.5b"));
        // Qwen/Qwen2.5-1.5B
        assertEquals(ModelConfig.fromHfConfig(hf("qwen2", 1536, 28, 12, 2, 8960, 151936, 32768, 1e6, 1e-6, true, 151643, 151643), "Qwen2.5-1.5B"),
                ModelConfig.preset("qwen2-1.5b"));
        // Qwen/Qwen2.5-7B: separate lm_head, larger vocabulary
        assertEquals(ModelConfig.fromHfConfig(hf("qwen2", 3584, 28, 28, 4, 18944, 152064, 32768, 1e6, 1e-6, false, 151643, 151643), "Qwen2.5-7B"),
                ModelConfig.preset("qwen2-7b"));
        ModelConfig q = ModelConfig.preset("qwen2-0.5b");
        assertTrue(q.attentionBias() && q.tieWordEmbeddings());
        assertEquals(64, q.headDim());
        assertFalse(ModelConfig.preset("qwen2-7b").tieWordEmbeddings());
        ModelConfig l = ModelConfig.preset("llama-370m");
        assertEquals(ModelConfig.fromHfConfig(hf("llama", 1024, 24, 16, 4, 2816, 50257, 4096, 1e4, 1e-5, true, -1, -1), "llama-370m"), l);
        assertFalse(l.attentionBias());
        // the trainer lays out exactly the preset's tensors: qwen2-0.5b tied has no lm_head
        assertFalse(new ParamLayout(q).has("lm_head.weight"));
        assertTrue(new ParamLayout(ModelConfig.preset("qwen2-7b")).has("lm_head.weight"));
        assertEquals(q.parameterCount(), new ParamLayout(q).slots().stream().mapToLong(ParamLayout.Slot::size).sum());
        assertEquals(494_032_768L, q.parameterCount(), "Qwen2.5-0.5B has 494,032,768 parameters");
    }
}
