package dev.apr.model.export;

import dev.apr.format.DType;
import dev.apr.format.Floats;
import dev.apr.format.apr.AprWriter;
import dev.apr.format.quant.Quantize;
import dev.apr.model.ModelConfig;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/** Tiny APR models written by the project's one APR writer, with seeded random weights. */
final class TinyApr {
    private TinyApr() {}

    static final Path TESTDATA = Path.of(System.getProperty("apr.testdata"));
    static final Path QWEN_TOKENIZER = TESTDATA.resolve("qwen3-tokenizer");

    /** A qwen2 shape with the Qwen vocabulary (151,936 rows), hidden 32, 2 layers. */
    static ModelConfig qwen2(boolean tie) {
        return new ModelConfig("qwen2", 32, 2, 4, 2, 8, 64, 151936, 512, 1e6, 1e-6, true, tie, -1, -1);
    }

    static ModelConfig llama(int vocab, boolean tie) {
        return new ModelConfig("llama", 32, 2, 4, 2, 8, 64, vocab, 512, 10000.0, 1e-5, false, tie, 1, 2);
    }

    /** Writes every tensor of {@code c} in {@code dtype}, metadata from the config plus {@code extra}. */
    static Path write(Path file, ModelConfig c, DType dtype, int flags, Map<String, Object> extra) {
        return write(file, c, dtype, flags, extra, Map.of(), Set.of(), Map.of());
    }

    /**
     * As above, with some tensors stored in another dtype ({@code types}: Q4_K rows padded to 256,
     * APR_Q8), some left out ({@code skip}) and extra tensors of the given shapes ({@code more}).
     */
    static Path write(Path file, ModelConfig c, DType dtype, int flags, Map<String, Object> extra,
                      Map<String, DType> types, Set<String> skip, Map<String, long[]> more) {
        AprWriter w = new AprWriter().metadata(c.toAprMetadata()).flag(flags);
        // what import writes for a config.json with bos/eos ids
        if (c.bosTokenId() >= 0) w.put("tokenizer.bos_token_id", c.bosTokenId());
        if (c.eosTokenId() >= 0) w.put("tokenizer.eos_token_id", c.eosTokenId());
        w.metadata(extra);
        SplittableRandom rnd = new SplittableRandom(42);
        Map<String, long[]> all = new LinkedHashMap<>(c.expectedTensors());
        all.putAll(more);
        for (var e : all.entrySet()) {
            if (skip.contains(e.getKey())) continue;
            long[] shape = e.getValue();
            long n = 1;
            for (long d : shape) n *= d;
            DType t = types.getOrDefault(e.getKey(), dtype);
            w.tensor(e.getKey(), t, shape, switch (t) {
                case Q4_K -> q4kRows(floats((int) n, rnd), (int) shape[shape.length - 1]);
                case APR_Q8 -> aprQ8(floats((int) n, rnd));
                default -> bytes(t, (int) n, rnd);
            });
        }
        w.write(file);
        return file;
    }

    static float[] floats(int n, SplittableRandom rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() - 0.5);
        return x;
    }

    /** Q4_K with each row zero-padded to a multiple of 256 (APR's layout for K-quants). */
    static byte[] q4kRows(float[] x, int cols) {
        int rows = x.length / cols, padded = (cols + 255) / 256 * 256;
        byte[] out = new byte[rows * (padded / 256) * 144];
        for (int r = 0; r < rows; r++) {
            float[] row = new float[padded];
            System.arraycopy(x, r * cols, row, 0, cols);
            Quantize.row(DType.Q4_K, row, 0, padded, out, r * (padded / 256) * 144);
        }
        return out;
    }

    static byte[] aprQ8(float[] x) {
        byte[] out = new byte[4 + x.length];
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, 1f / 127);
        for (int i = 0; i < x.length; i++) out[4 + i] = (byte) Math.round(x[i] * 127);
        return out;
    }

    static byte[] bytes(DType t, int n, SplittableRandom rnd) {
        int width = t == DType.F32 ? 4 : 2;
        ByteBuffer b = ByteBuffer.allocate(n * width).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            float v = (float) (rnd.nextDouble() - 0.5);
            switch (t) {
                case F32 -> b.putFloat(v);
                case F16 -> b.putShort(Floats.f32ToF16(v));
                case BF16 -> b.putShort(Floats.f32ToBf16(v));
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
        return b.array();
    }
}
