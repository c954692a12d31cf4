package dev.apr.format.gguf;

import dev.apr.format.DType;
import dev.apr.format.Tensor;
import dev.apr.format.quant.Dequantize;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/** The real llama.cpp-quantized fixture (testdata/qwen2-h256-q4km) parses with the expected content. */
class GgufFixtureTest {
    static Path fixture() {
        return Path.of(System.getProperty("apr.testdata"), "qwen2-h256-q4km", "model-q4_k_m.gguf");
    }

    @Test void parsesLlamaCppQ4KMFile() {
        try (GgufFile g = GgufFile.open(fixture())) {
            assertEquals(3, g.version());
            assertEquals(32, g.alignment());
            assertEquals(0, g.dataStart() % 32);
            assertEquals("qwen2", g.architecture());
            Map<DType, Integer> counts = new TreeMap<>();
            for (Tensor t : g.tensors()) counts.merge(t.dtype(), 1, Integer::sum);
            assertEquals(Map.of(DType.Q4_K, 12, DType.Q6_K, 3, DType.F32, 11), counts);
            assertEquals(26, g.tensors().size());

            // shapes are row-major: token_embd is [vocab, hidden], ffn_down is [hidden, intermediate]
            assertArrayEquals(new long[] {151936, 256}, g.tensor("token_embd.weight").shape());
            assertArrayEquals(new long[] {256, 151936}, g.tensorInfos().stream()
                    .filter(i -> i.name().equals("token_embd.weight")).findFirst().orElseThrow().ne());
            assertArrayEquals(new long[] {256, 512}, g.tensor("blk.0.ffn_down.weight").shape());
            assertArrayEquals(new long[] {512, 256}, g.tensor("blk.0.ffn_up.weight").shape());
            assertArrayEquals(new long[] {128}, g.tensor("blk.1.attn_k.bias").shape());
            assertEquals(DType.Q6_K, g.tensor("token_embd.weight").dtype());
            assertEquals(151936L * 256 / 256 * 210, g.tensor("token_embd.weight").byteSize());

            // metadata with the exact types llama.cpp demands (spec §4.1, §5)
            assertEquals(GgufValueType.UINT32, g.type("qwen2.block_count"));
            assertEquals(2, g.u32("qwen2.block_count"));
            assertEquals(256, g.u32("qwen2.embedding_length"));
            assertEquals(512, g.u32("qwen2.feed_forward_length"));
            assertEquals(4, g.u32("qwen2.attention.head_count"));
            assertEquals(2, g.u32("qwen2.attention.head_count_kv"));
            assertEquals(1e6f, g.f32("qwen2.rope.freq_base"));
            assertEquals(1e-6f, g.f32("qwen2.attention.layer_norm_rms_epsilon"));
            assertEquals(15, g.u32("general.file_type"));
            assertEquals("gpt2", g.string("tokenizer.ggml.model"));
            assertEquals("qwen2", g.string("tokenizer.ggml.pre"));
            List<String> tokens = g.array("tokenizer.ggml.tokens", GgufValueType.STRING);
            assertEquals(151936, tokens.size());
            assertEquals("def", tokens.get(750));   // the README's tokenization of "def fibonacci(n):"
            assertEquals("!", tokens.get(0));
            List<Integer> types = g.array("tokenizer.ggml.token_type", GgufValueType.INT32);
            assertEquals(151936, types.size());
            assertEquals(1, types.get(0));
            assertFalse(g.array("tokenizer.ggml.merges", GgufValueType.STRING).isEmpty());
            assertEquals(GgufValueType.UINT32, g.type("tokenizer.ggml.eos_token_id"));

            // the Q6_K embedding decodes to the N(0, 0.05) weights it was made from
            float[] row = new float[256];
            Dequantize.row(g.tensor("token_embd.weight"), 750, row, 0);
            double ss = 0;
            for (float v : row) ss += v * v;
            double std = Math.sqrt(ss / 256);
            assertTrue(std > 0.03 && std < 0.07, "std " + std);
        }
    }
}
