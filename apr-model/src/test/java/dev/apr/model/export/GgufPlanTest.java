package dev.apr.model.export;

import dev.apr.format.DType;
import dev.apr.format.Tensor;
import dev.apr.format.gguf.GgufFile;
import dev.apr.model.ModelConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class GgufPlanTest {
    static Map<String, DType> types(List<GgufPlan.Entry> plan) {
        Map<String, DType> m = new HashMap<>();
        for (GgufPlan.Entry e : plan) m.put(e.ggufName(), e.type());
        return m;
    }

    /** Spec §3.7: what llama-quantize Q4_K_M produced for Qwen2.5-0.5B (896 hidden, 24 layers, tied). */
    @Test void qwen25HalfBillionInt4MatchesTheMeasuredRecipe() {
        ModelConfig cfg = ModelConfig.preset("qwen2-0.5b");
        List<GgufPlan.Entry> plan = GgufPlan.plan(cfg, GgufQuant.parse("int4"));
        Map<String, DType> t = types(plan);
        assertEquals(290, plan.size());
        assertFalse(t.containsKey("output.weight"));
        assertEquals(DType.Q8_0, t.get("token_embd.weight"));
        assertEquals(DType.F32, t.get("output_norm.weight"));
        Set<Integer> moreBits = Set.of(0, 1, 2, 5, 8, 11, 14, 17, 20, 21, 22, 23);
        for (int i = 0; i < 24; i++) {
            String b = "blk." + i + ".";
            for (String n : List.of("attn_q.weight", "attn_k.weight", "attn_output.weight", "ffn_gate.weight", "ffn_up.weight"))
                assertEquals(DType.Q5_0, t.get(b + n), b + n);
            assertEquals(moreBits.contains(i) ? DType.Q8_0 : DType.Q5_0, t.get(b + "attn_v.weight"), b + "attn_v");
            assertEquals(moreBits.contains(i) ? DType.Q6_K : DType.Q4_K, t.get(b + "ffn_down.weight"), b + "ffn_down");
            for (String n : List.of("attn_norm.weight", "ffn_norm.weight", "attn_q.bias", "attn_k.bias", "attn_v.bias"))
                assertEquals(DType.F32, t.get(b + n), b + n);
        }
        // every Q5_0 / attn_v Q8_0 is a fallback from a K-quant with an 896-wide row
        GgufPlan.Entry q = plan.stream().filter(e -> e.ggufName().equals("blk.0.attn_q.weight")).findFirst().orElseThrow();
        assertEquals(DType.Q4_K, q.wanted());
        assertTrue(q.reason().contains("896"));
        assertEquals(24 * 5 + 12 + 12 + 1, plan.stream().filter(GgufPlan.Entry::fellBack).count());
    }

    /** The llama.cpp-quantized fixture has exactly the types our plan gives for its shape. */
    @Test void planReproducesTheLlamaCppFixture() {
        Path f = Path.of(System.getProperty("apr.testdata"), "qwen2-h256-q4km", "model-q4_k_m.gguf");
        ModelConfig cfg = new ModelConfig("qwen2", 256, 2, 4, 2, 64, 512, 151936, 32768, 1e6, 1e-6, true, true, 151643, 151643);
        Map<String, DType> planned = types(GgufPlan.plan(cfg, GgufQuant.Q4_K_M));
        try (GgufFile g = GgufFile.open(f)) {
            assertEquals(g.tensors().size(), planned.size());
            for (Tensor t : g.tensors()) assertEquals(t.dtype(), planned.get(t.name()), t.name());
        }
    }

    @Test void otherQuantizationsKeepVectorsF32() {
        ModelConfig cfg = ModelConfig.preset("qwen2-0.5b");
        Map<String, DType> q8 = types(GgufPlan.plan(cfg, GgufQuant.Q8_0));
        assertEquals(DType.Q8_0, q8.get("token_embd.weight"));
        assertEquals(DType.Q8_0, q8.get("blk.3.ffn_down.weight"));
        assertEquals(DType.F32, q8.get("blk.3.attn_q.bias"));
        Map<String, DType> f16 = types(GgufPlan.plan(cfg, GgufQuant.F16));
        assertEquals(DType.F16, f16.get("blk.3.attn_q.weight"));
        assertEquals(DType.F32, f16.get("blk.3.ffn_norm.weight"));
        assertTrue(GgufPlan.plan(cfg, GgufQuant.F32).stream().allMatch(e -> e.type() == DType.F32));
    }
}
