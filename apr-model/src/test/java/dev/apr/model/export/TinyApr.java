package dev.apr.model.export;

import dev.apr.format.DType;
import dev.apr.format.Floats;
import dev.apr.format.apr.AprWriter;
import dev.apr.model.ModelConfig;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/** Tiny APR models written by the project's one APR writer, with seeded random weights. */
final class TinyApr {
    private TinyApr() {}

    static final Path TESTDATA = Path.of(System.getProperty("apr.testdata"));
    static final Path QWEN_TOKENIZER = TESTDATA.resolve("qwen3-tokenizer");

    /** A qwen2 shape with the Qwen vocabulary (151,936 rows), hidden 32, 2 layers. */
    static ModelConfig qwen2(boolean tie) {
        return new ModelConfig("qwen2", 32, 2, 4, 2, 8, 64, 151936, 512, 1e6, 1e-6, true, tie, 151643, 151643);
    }

    static ModelConfig llama(int vocab, boolean tie) {
        return new ModelConfig("llama", 32, 2, 4, 2, 8, 64, vocab, 512, 10000.0, 1e-5, false, tie, 1, 2);
    }

    /** Writes every tensor of {@code c} in {@code dtype}, metadata from the config plus {@code extra}. */
    static Path write(Path file, ModelConfig c, DType dtype, int flags, Map<String, Object> extra) {
        AprWriter w = new AprWriter().metadata(c.toAprMetadata()).metadata(extra).flag(flags);
        SplittableRandom rnd = new SplittableRandom(42);
        for (var e : c.expectedTensors().entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            w.tensor(e.getKey(), dtype, e.getValue(), bytes(dtype, (int) n, rnd));
        }
        w.write(file);
        return file;
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
