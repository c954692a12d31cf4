package dev.apr.cli;

import dev.apr.format.DType;
import dev.apr.format.Floats;
import dev.apr.format.apr.AprWriter;
import dev.apr.model.ModelConfig;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/** Tiny APR models (seeded random weights) and an in-process CLI runner for stamp/export tests. */
final class TinyAprModels {
    private TinyAprModels() {}

    static final Path TESTDATA = Path.of(System.getProperty("apr.testdata"));
    static final Path QWEN_TOKENIZER = TESTDATA.resolve("qwen3-tokenizer");

    record Run(int exit, String out, String err) {}

    /** Runs {@code apr args...} in-process, capturing stdout and stderr. */
    static Run apr(String... args) {
        CommandLine cl = AprCli.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    static ModelConfig qwen2(boolean tie) {
        return new ModelConfig("qwen2", 32, 2, 4, 2, 8, 64, 151936, 512, 1e6, 1e-6, true, tie, 151643, 151643);
    }

    static ModelConfig llama(int vocab, boolean tie) {
        return new ModelConfig("llama", 32, 2, 4, 2, 8, 64, vocab, 512, 10000.0, 1e-5, false, tie, 1, 2);
    }

    static Path write(Path file, ModelConfig c, DType dtype, Map<String, Object> extra) {
        AprWriter w = new AprWriter().metadata(c.toAprMetadata()).metadata(extra);
        SplittableRandom rnd = new SplittableRandom(7);
        for (var e : c.expectedTensors().entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            int width = dtype == DType.F32 ? 4 : 2;
            ByteBuffer b = ByteBuffer.allocate((int) n * width).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                float v = (float) (rnd.nextDouble() - 0.5);
                switch (dtype) {
                    case F32 -> b.putFloat(v);
                    case F16 -> b.putShort(Floats.f32ToF16(v));
                    case BF16 -> b.putShort(Floats.f32ToBf16(v));
                    default -> throw new IllegalArgumentException(dtype.toString());
                }
            }
            w.tensor(e.getKey(), dtype, e.getValue(), b.array());
        }
        w.write(file);
        return file;
    }
}
