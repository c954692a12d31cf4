package dev.apr.cli;

import dev.apr.format.apr.AprWriter;
import dev.apr.format.gguf.GgufFile;
import dev.apr.format.gguf.GgufValueType;
import dev.apr.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class ExportCommandTest {
    @TempDir Path dir;

    static final ModelConfig CFG = new ModelConfig("qwen2", 64, 2, 4, 2, 16, 256, 151936, 2048, 1e6, 1e-6, true, true, 151643, 151645);

    /** A tiny random qwen2 APR with the real Qwen tokenizer embedded (vocab rows 151936, hidden 64). */
    Path tinyApr(boolean withTokenizer) throws IOException {
        AprWriter w = new AprWriter().metadata(CFG.toAprMetadata());
        w.put("tokenizer.bos_token_id", 151643).put("tokenizer.eos_token_id", 151645);
        if (withTokenizer) {
            Path tj = Path.of(System.getProperty("apr.testdata"), "qwen3-tokenizer", "tokenizer.json");
            w.put("tokenizer.json", Files.readString(tj)).flag("HAS_VOCAB");
        }
        Random r = new Random(3);
        for (var e : CFG.expectedTensors().entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            float[] x = new float[(int) n];
            for (int i = 0; i < x.length; i++) x[i] = 0.02f * (float) r.nextGaussian();
            w.tensor(e.getKey(), e.getValue(), x);
        }
        Path p = dir.resolve(withTokenizer ? "tiny.apr" : "notok.apr");
        w.write(p);
        return p;
    }

    record Run(int code, String out, String err) {}

    static Run apr(String... args) {
        CommandLine cl = AprCli.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test void exportsInt4GgufAndPrintsTheFallbacks() throws IOException {
        Path apr = tinyApr(true);
        Path out = dir.resolve("tiny-q4k.gguf");
        Run r = apr("export", apr.toString(), "--format", "gguf", "--quantize", "int4", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("blk.0.attn_q.weight: Q4_K -> Q5_0 (ne[0] = 64 is not a multiple of 256)"), r.out());
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals(15, g.u32("general.file_type"));
            assertEquals(151936, g.array("tokenizer.ggml.tokens", GgufValueType.STRING).size());
            assertEquals(151645, g.u32("tokenizer.ggml.eos_token_id"));
            assertEquals(26, g.tensors().size());
        }
        // refuses to overwrite without -f (usage), then overwrites with it
        assertEquals(1, apr("export", apr.toString(), "--format", "gguf", "-o", out.toString()).code());
        Run j = apr("export", apr.toString(), "--format", "gguf", "--quantize", "q8_0", "-o", out.toString(), "-f", "--json");
        assertEquals(0, j.code(), j.err());
        assertTrue(j.out().startsWith("{\"output\":") && j.out().contains("\"quantize\":\"q8_0\""), j.out());
    }

    @Test void badInputAndUsageExitCodes() throws IOException {
        Path noTok = tinyApr(false);
        Run r = apr("export", noTok.toString(), "--format", "gguf", "-o", dir.resolve("x.gguf").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("EXPORT_NO_TOKENIZER"), r.err());
        assertFalse(Files.exists(dir.resolve("x.gguf")));
        assertEquals(1, apr("export", noTok.toString(), "--format", "gguf", "--quantize", "int3", "-o", dir.resolve("y.gguf").toString()).code());
        assertEquals(1, apr("export", noTok.toString(), "--format", "onnx", "-o", dir.resolve("z").toString()).code());
    }
}
