package dev.apr.format.gguf;

import dev.apr.format.DType;
import dev.apr.format.quant.Dequantize;
import dev.apr.format.quant.Quantize;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class GgufWriterTest {
    @TempDir Path dir;

    @Test void bytesMatchTheSpecLayout() throws IOException {
        byte[] a = new byte[12], b = new byte[34];
        for (int i = 0; i < a.length; i++) a[i] = (byte) (i + 1);
        for (int i = 0; i < b.length; i++) b[i] = (byte) (100 + i);
        Path out = dir.resolve("m.gguf");
        long size = new GgufWriter()
                .putString("general.architecture", "llama")
                .putU32("llama.block_count", 2)
                .putF32("llama.rope.freq_base", 10000f)
                .putBool("tokenizer.ggml.add_bos_token", true)
                .putArray("tokenizer.ggml.token_type", GgufValueType.INT32, List.of(1, 3))
                .addTensor("a", DType.F32, new long[] {3}, MemorySegment.ofArray(a))
                .addTensor("b", DType.Q8_0, new long[] {1, 32}, MemorySegment.ofArray(b))
                .write(out);
        GgufBytes g = new GgufBytes().header(2, 5);
        g.str("general.architecture").u32(8).str("llama");
        g.str("llama.block_count").u32(4).u32(2);
        g.str("llama.rope.freq_base").u32(6).f32(10000f);
        g.str("tokenizer.ggml.add_bos_token").u32(7).u8(1);
        g.str("tokenizer.ggml.token_type").u32(9).u32(5).u64(2).u32(1).u32(3);
        g.info("a", 0, 0, 3).info("b", 8, 32, 32, 1).padTo(32);
        g.raw(a).padTo(32).raw(b).padTo(32);
        assertArrayEquals(g.bytes(), Files.readAllBytes(out));
        assertEquals(g.size(), size);
        // no temp file left behind
        try (var s = Files.list(dir)) { assertEquals(1, s.count()); }
    }

    @Test void everyValueTypeRoundTrips() {
        Path out = dir.resolve("kv.gguf");
        new GgufWriter(64)
                .put("u8", GgufValueType.UINT8, 250)
                .put("i8", GgufValueType.INT8, -5)
                .put("u16", GgufValueType.UINT16, 65000)
                .put("i16", GgufValueType.INT16, -300)
                .putU32("u32", 4_000_000_000L)
                .putI32("i32", -7)
                .putF32("f32", 1e-6f)
                .putBool("bool", false)
                .putString("str", "héllo ✓")
                .put("u64", GgufValueType.UINT64, 1L << 40)
                .put("i64", GgufValueType.INT64, -(1L << 40))
                .put("f64", GgufValueType.FLOAT64, 0.1)
                .putArray("strs", GgufValueType.STRING, List.of("Ġa", "b c", ""))
                .putArray("floats", GgufValueType.FLOAT32, List.of(1.5f, -2f))
                .addTensor("w", DType.F32, new long[] {2, 2}, MemorySegment.ofArray(new float[] {1, 2, 3, 4}))
                .write(out);
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(64, f.alignment());
            assertEquals(GgufValueType.UINT32, f.type("general.alignment"));
            assertEquals(0, f.dataStart() % 64);
            var m = f.metadata();
            assertEquals(250, m.get("u8"));
            assertEquals(-5, m.get("i8"));
            assertEquals(65000, m.get("u16"));
            assertEquals(-300, m.get("i16"));
            assertEquals(4_000_000_000L, f.u32("u32"));
            assertEquals(-7, m.get("i32"));
            assertEquals(1e-6f, f.f32("f32"));
            assertFalse(f.bool("bool"));
            assertEquals("héllo ✓", f.string("str"));
            assertEquals(1L << 40, m.get("u64"));
            assertEquals(-(1L << 40), m.get("i64"));
            assertEquals(0.1, m.get("f64"));
            assertEquals(List.of("Ġa", "b c", ""), f.array("strs", GgufValueType.STRING));
            assertEquals(List.of(1.5f, -2f), f.array("floats", GgufValueType.FLOAT32));
            assertArrayEquals(new float[] {1, 2, 3, 4}, Dequantize.toFloats(f.tensor("w")));
            assertArrayEquals(new long[] {2, 2}, f.tensor("w").shape());
        }
    }

    @Test void quantizedTensorsKeepShapeAndBytes() {
        float[] x = new float[2 * 512];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.37) * 0.1f;
        byte[] q4 = new byte[(int) DType.Q4_K.byteSize(x.length)];
        Quantize.rows(DType.Q4_K, x, 0, 2, 512, q4, 0);
        Path out = dir.resolve("q.gguf");
        new GgufWriter()
                .putString("general.architecture", "qwen2")
                .addTensor("blk.0.ffn_down.weight", DType.Q4_K, new long[] {2, 512}, MemorySegment.ofArray(q4))
                .addTensor("blk.0.attn_norm.weight", DType.F32, new long[] {5}, MemorySegment.ofArray(new float[] {1, 1, 1, 1, 1}))
                .write(out);
        try (GgufFile f = GgufFile.open(out)) {
            var t = f.tensor("blk.0.ffn_down.weight");
            assertArrayEquals(new long[] {512, 2}, f.tensorInfos().get(0).ne());
            assertArrayEquals(new long[] {2, 512}, t.shape());
            assertEquals(-1, t.data().mismatch(MemorySegment.ofArray(q4)));
            assertEquals((2 * 288 + 31) / 32 * 32, f.tensorInfos().get(1).offset());   // PAD(nbytes, 32)
        }
    }

    @Test void refusesWhatLlamaCppWouldRefuse() {
        GgufWriter w = new GgufWriter();
        assertThrows(IllegalArgumentException.class, () -> w.putI32("general.alignment", 32));
        assertThrows(dev.apr.format.AprException.class,
                () -> w.addTensor("t", DType.Q4_K, new long[] {4, 896}, MemorySegment.ofArray(new byte[0])));
        assertThrows(IllegalArgumentException.class,
                () -> w.addTensor("x".repeat(64), DType.F32, new long[] {1}, MemorySegment.ofArray(new byte[4])));
        w.putU32("k", 1);
        assertThrows(IllegalArgumentException.class, () -> w.putU32("k", 2));
    }
}
