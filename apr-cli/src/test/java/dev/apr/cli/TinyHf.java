package dev.apr.cli;

import dev.apr.format.DType;
import dev.apr.format.Floats;
import dev.apr.format.Json;
import dev.apr.format.safetensors.SafeTensorsWriter;
import dev.apr.model.ModelConfig;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/** Tiny Hugging Face checkpoints written by the tests themselves: config.json, safetensors, tokenizer files. */
final class TinyHf {
    private TinyHf() {}

    static final Path TESTDATA = Path.of(System.getProperty("apr.testdata"));

    static ModelConfig qwen2() {
        return new ModelConfig("qwen2", 64, 2, 4, 2, 16, 128, 151936, 2048, 1e6, 1e-6, true, true, 151643, 151645);
    }

    static ModelConfig llama() { return ModelConfig.preset("llama-tiny"); }

    /** A model directory; {@code extra} adds tensors, {@code skip} leaves one out, shards when maxShard > 0. */
    static Path write(Path dir, ModelConfig cfg, Map<String, long[]> extra, String skip, long maxShard, boolean tokenizer) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), Json.pretty(cfg.toHfConfig("bfloat16")));
        SafeTensorsWriter w = new SafeTensorsWriter();
        int seed = 1;
        for (Map.Entry<String, long[]> e : cfg.expectedTensors().entrySet()) {
            if (e.getKey().equals(skip)) continue;
            w.tensor(e.getKey(), DType.BF16, e.getValue(), 2 * count(e.getValue()), bf16(e.getValue(), seed++));
        }
        for (Map.Entry<String, long[]> e : extra.entrySet())
            w.tensor(e.getKey(), DType.BF16, e.getValue(), 2 * count(e.getValue()), bf16(e.getValue(), seed++));
        if (maxShard > 0) w.writeSharded(dir, maxShard);
        else w.write(dir.resolve("model.safetensors"));
        if (tokenizer) {
            Files.copy(TESTDATA.resolve("qwen3-tokenizer/tokenizer.json"), dir.resolve("tokenizer.json"));
            Files.copy(TESTDATA.resolve("qwen3-tokenizer/tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        }
        return dir;
    }

    static long count(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Finite pseudo-random BF16 values in about [-0.1, 0.1]. */
    static dev.apr.format.TensorBytes bf16(long[] shape, int seed) {
        long n = count(shape);
        return out -> {
            SplittableRandom r = new SplittableRandom(seed);
            ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < n; i++) {
                if (!b.hasRemaining()) { b.flip(); out.write(b); b.clear(); }
                b.putShort(Floats.f32ToBf16((float) (r.nextDouble() * 0.2 - 0.1)));
            }
            b.flip();
            out.write(b);
        };
    }
}
