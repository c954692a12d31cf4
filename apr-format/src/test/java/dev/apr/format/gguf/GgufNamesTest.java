package dev.apr.format.gguf;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class GgufNamesTest {
    @Test void namesMapBothWaysPerSpecSection4_2() {
        String[][] pairs = {
                {"model.embed_tokens.weight", "token_embd.weight"},
                {"model.norm.weight", "output_norm.weight"},
                {"lm_head.weight", "output.weight"},
                {"model.layers.0.input_layernorm.weight", "blk.0.attn_norm.weight"},
                {"model.layers.23.self_attn.q_proj.weight", "blk.23.attn_q.weight"},
                {"model.layers.3.self_attn.k_proj.bias", "blk.3.attn_k.bias"},
                {"model.layers.3.self_attn.v_proj.bias", "blk.3.attn_v.bias"},
                {"model.layers.3.self_attn.o_proj.weight", "blk.3.attn_output.weight"},
                {"model.layers.10.post_attention_layernorm.weight", "blk.10.ffn_norm.weight"},
                {"model.layers.1.mlp.gate_proj.weight", "blk.1.ffn_gate.weight"},
                {"model.layers.1.mlp.up_proj.weight", "blk.1.ffn_up.weight"},
                {"model.layers.1.mlp.down_proj.weight", "blk.1.ffn_down.weight"},
        };
        for (String[] p : pairs) {
            assertEquals(p[1], GgufNames.toGguf(p[0]));
            assertEquals(p[0], GgufNames.toHf(p[1]));
        }
        assertNull(GgufNames.toHf("rope_freqs.weight"));
        assertNull(GgufNames.toGguf("model.layers.0.self_attn.rotary_emb.inv_freq"));
        assertNull(GgufNames.toGguf("model.layers.01.mlp.up_proj.weight"));   // no leading zeros
        assertEquals(23, GgufNames.layer("blk.23.attn_q.weight"));
    }

    @Test void llamaPermutationInterleavesHalvesAndInverts() {
        int d = 8;
        // GGUF rows of one head come from HF rows 0,4,1,5,2,6,3,7 (spec §4.4)
        long[] expected = {0, 4, 1, 5, 2, 6, 3, 7};
        for (int r = 0; r < d; r++) assertEquals(expected[r], GgufNames.hfRowOfGgufRow(r, d));
        assertEquals(8 + 4, GgufNames.hfRowOfGgufRow(8 + 1, d));   // second head
        for (long r = 0; r < 64; r++) assertEquals(r, GgufNames.ggufRowOfHfRow(GgufNames.hfRowOfGgufRow(r, 16), 16));
    }
}
