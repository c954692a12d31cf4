package dev.apr.cli;

import dev.apr.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The --init contract through the real command line (in-process): exit codes and messages for every
 * failure row of contracts/pretrain-init.yaml. A refused init never creates the run directory:
 * the checks run before anything is allocated or written.
 */
class PretrainInitCliTest {
    /** The tiny qwen2 shape used throughout: hidden 32, 2 layers, 4/2 heads, vocab 512, tied. */
    static final ModelConfig TINY = new ModelConfig("qwen2", 32, 2, 4, 2, 8, 64, 512, 256, 10000.0, 1e-6, true, true, -1, -1);

    record Run(int exit, String out, String err) {}

    static Run apr(String... args) {
        CommandLine cl = AprCli.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    static String[] pretrain(Path init, Path runDir, String... more) {
        String[] base = {"pretrain", "--synthetic", "--init", init.toString(), "--run-dir", runDir.toString(),
                "--num-steps", "0", "--batch-size", "2", "--seq-length", "8"};
        String[] all = Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    /** Asserts a refusal: exit 2, the error code, every expected fragment in stderr, and no run dir. */
    static void assertRefused(Run r, Path runDir, String code, String... fragments) {
        assertEquals(2, r.exit(), "exit code; stderr: " + r.err());
        assertTrue(r.err().contains("[" + code + "]"), "code " + code + " in: " + r.err());
        for (String f : fragments) assertTrue(r.err().contains(f), "'" + f + "' in: " + r.err());
        assertFalse(Files.exists(runDir), "nothing was started or written");
    }

    static Path validInit(Path dir) throws IOException {
        Path p = dir.resolve("base.apr");
        TestApr.model(p, TINY, 1);
        return p;
    }

    @Test
    void initIsOptionalAndExplainedInHelp(@TempDir Path dir) throws IOException {
        Run help = apr("pretrain", "--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("--init"));
        String flat = help.out().replaceAll("\\s+", " ");
        assertTrue(flat.contains("--init=PATH Optional. Start from the weights of this APR checkpoint"), flat);
        // without --init: the from-scratch run of the --config shape
        Path cfg = dir.resolve("config.json");
        Files.writeString(cfg, "{\"model_type\":\"qwen2\",\"hidden_size\":32,\"num_hidden_layers\":2,\"num_attention_heads\":4,"
                + "\"num_key_value_heads\":2,\"intermediate_size\":64,\"vocab_size\":512,\"max_position_embeddings\":256,"
                + "\"tie_word_embeddings\":true}");
        Run r = apr("pretrain", "--synthetic", "--config", cfg.toString(), "--run-dir", dir.resolve("run").toString(),
                "--num-steps", "2", "--batch-size", "2", "--seq-length", "8", "--eval-every", "1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("step 0 val_loss="), r.out());
        assertTrue(Files.exists(dir.resolve("run/ckpt/step-000002.apr")));
    }

    @Test
    void missingFileIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("nope/base.apr");
        assertRefused(apr(pretrain(missing, dir.resolve("run"))), dir.resolve("run"), "INIT_MISSING", missing.toString());
    }

    @Test
    void badMagicIsRefused(@TempDir Path dir) throws IOException {
        Path p = validInit(dir);
        byte[] b = Files.readAllBytes(p);
        b[0] = 'G'; b[1] = 'G'; b[2] = 'U'; b[3] = 'F';
        Files.write(p, b);
        assertRefused(apr(pretrain(p, dir.resolve("run"))), dir.resolve("run"), "INIT_BAD_MAGIC", p.toString(), "magic");
    }

    @Test
    void emptyTruncatedAndCorruptFilesAreRefused(@TempDir Path dir) throws IOException {
        Path p = validInit(dir);
        byte[] b = Files.readAllBytes(p);
        Path empty = dir.resolve("empty.apr");
        Files.write(empty, new byte[0]);
        assertRefused(apr(pretrain(empty, dir.resolve("run"))), dir.resolve("run"), "INIT_TRUNCATED", empty.toString(), "got 0 bytes");
        Path half = dir.resolve("half.apr");
        Files.write(half, Arrays.copyOf(b, b.length / 2));
        assertRefused(apr(pretrain(half, dir.resolve("run"))), dir.resolve("run"), "INIT_TRUNCATED", half.toString());
        Path header = dir.resolve("header.apr");
        byte[] h = b.clone();
        h[8] ^= 1;   // tensor_count changed: header checksum no longer matches
        Files.write(header, h);
        assertRefused(apr(pretrain(header, dir.resolve("run"))), dir.resolve("run"), "INIT_BAD_CHECKSUM", "header CRC-32");
    }

    @Test
    void missingOrBogusArchitectureMetadataNamesTheKey(@TempDir Path dir) throws IOException {
        Map<String, Object> md = new LinkedHashMap<>(TINY.toAprMetadata());
        md.remove("architecture");
        Path noArch = dir.resolve("noarch.apr");
        TestApr.write(noArch, md, TINY.expectedTensors(), 1);
        assertRefused(apr(pretrain(noArch, dir.resolve("run"))), dir.resolve("run"), "INIT_ARCH_MISSING", "'architecture'");

        md = new LinkedHashMap<>(TINY.toAprMetadata());
        md.put("hidden_size", "thirty-two");
        Path bogus = dir.resolve("bogus.apr");
        TestApr.write(bogus, md, TINY.expectedTensors(), 1);
        assertRefused(apr(pretrain(bogus, dir.resolve("run"))), dir.resolve("run"), "INIT_ARCH_BOGUS", "hidden_size", "thirty-two");

        md = new LinkedHashMap<>(TINY.toAprMetadata());
        md.remove("num_layers");
        Path noLayers = dir.resolve("nolayers.apr");
        TestApr.write(noLayers, md, TINY.expectedTensors(), 1);
        assertRefused(apr(pretrain(noLayers, dir.resolve("run"))), dir.resolve("run"), "INIT_ARCH_MISSING", "num_layers");
    }

    @Test
    void architectureMismatchNamesEveryFieldWithBothValues(@TempDir Path dir) throws IOException {
        Path p = validInit(dir);
        Run r = apr(pretrain(p, dir.resolve("run"), "--config", "qwen2-tiny"));
        assertRefused(r, dir.resolve("run"), "INIT_ARCH_MISMATCH",
                "vocab_size: expected 151936 (--config), got 512 (--init)",
                "hidden_size: expected 64 (--config), got 32 (--init)",
                "intermediate_size: expected 128 (--config), got 64 (--init)",
                "max_position_embeddings: expected 2048 (--config), got 256 (--init)",
                // beyond the spec's list: the RoPE the init was trained with
                "head_dim: expected 16 (--config), got 8 (--init)",
                "rope_theta: expected 1000000.0 (--config), got 10000.0 (--init)");
        assertFalse(r.err().contains("num_layers"), "equal fields are not reported");
        assertFalse(r.err().contains("rope_scaling"), "equal fields are not reported");
    }

    @Test
    void tensorOfWrongShapeMissingOrExtraIsNamed(@TempDir Path dir) throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>(TINY.expectedTensors());
        shapes.put("model.layers.1.mlp.up_proj.weight", new long[] {32, 64});   // transposed
        Path wrong = dir.resolve("wrong.apr");
        TestApr.write(wrong, new LinkedHashMap<>(TINY.toAprMetadata()), shapes, 1);
        assertRefused(apr(pretrain(wrong, dir.resolve("run"))), dir.resolve("run"), "INIT_SHAPE_MISMATCH",
                "model.layers.1.mlp.up_proj.weight", "expected [64, 32], got [32, 64]");

        shapes = new LinkedHashMap<>(TINY.expectedTensors());
        shapes.remove("model.layers.0.self_attn.k_proj.bias");
        Path missing = dir.resolve("missing.apr");
        TestApr.write(missing, new LinkedHashMap<>(TINY.toAprMetadata()), shapes, 1);
        assertRefused(apr(pretrain(missing, dir.resolve("run"))), dir.resolve("run"), "INIT_TENSOR_MISSING",
                "model.layers.0.self_attn.k_proj.bias");

        shapes = new LinkedHashMap<>(TINY.expectedTensors());
        shapes.put("model.layers.2.mlp.up_proj.weight", new long[] {64, 32});
        Path extra = dir.resolve("extra.apr");
        TestApr.write(extra, new LinkedHashMap<>(TINY.toAprMetadata()), shapes, 1);
        assertRefused(apr(pretrain(extra, dir.resolve("run"))), dir.resolve("run"), "INIT_TENSOR_UNEXPECTED",
                "model.layers.2.mlp.up_proj.weight");
    }

    @Test
    void encoderInitIsRefused(@TempDir Path dir) throws IOException {
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("model_type", "bert");
        md.put("architecture", "bert");
        md.put("hf_architecture", "BertForMaskedLM");
        md.put("hidden_size", 32);
        md.put("num_layers", 2);
        md.put("num_heads", 4);
        md.put("vocab_size", 512);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("bert.embeddings.word_embeddings.weight", new long[] {512, 32});
        shapes.put("bert.encoder.layer.0.attention.self.query.weight", new long[] {32, 32});
        Path p = dir.resolve("bert.apr");
        TestApr.write(p, md, shapes, 1);
        assertRefused(apr(pretrain(p, dir.resolve("run"))), dir.resolve("run"), "INIT_NOT_DECODER", "'bert'", "decoder-only");
    }

    @Test
    void tokenizerLargerThanTheModelIsRefused(@TempDir Path dir) throws IOException {
        Path p = validInit(dir);
        Path tok = dir.resolve("tok");
        Files.createDirectories(tok);
        StringBuilder vocab = new StringBuilder();
        for (int i = 0; i < 600; i++) vocab.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":").append(i);
        Files.writeString(tok.resolve("tokenizer.json"), "{\"model\":{\"type\":\"BPE\",\"vocab\":{" + vocab + "},\"merges\":[]},\"added_tokens\":[]}");
        assertRefused(apr(pretrain(p, dir.resolve("run"), "--tokenizer", tok.toString())), dir.resolve("run"),
                "INIT_TOKENIZER_TOO_LARGE", "expected <= the init model's vocab_size 512", "got 600");
    }

    /** ARCH-009: the real Qwen tokenizer fixture (151,643 + 26 added = 151,669 ids) fits a 151,936-row embedding. */
    @Test
    void qwenTokenizerFitsTheQwenVocabulary(@TempDir Path dir) throws IOException {
        ModelConfig qwenVocab = new ModelConfig("qwen2", 8, 1, 2, 1, 4, 16, 151936, 64, 1e6, 1e-6, true, true, -1, -1);
        Path p = dir.resolve("qwen-vocab.apr");
        TestApr.model(p, qwenVocab, 2);
        Path tok = Path.of(System.getProperty("apr.testdata"), "qwen3-tokenizer");
        Run ok = apr(pretrain(p, dir.resolve("run"), "--tokenizer", tok.toString()));
        assertEquals(0, ok.exit(), ok.err());
        assertTrue(Files.exists(dir.resolve("run/ckpt/step-000000.apr")));
        // ARCH-010: the same tokenizer does not fit a smaller embedding
        ModelConfig small = new ModelConfig("qwen2", 8, 1, 2, 1, 4, 16, 151643, 64, 1e6, 1e-6, true, true, -1, -1);
        Path q = dir.resolve("small-vocab.apr");
        TestApr.model(q, small, 2);
        assertRefused(apr(pretrain(q, dir.resolve("run2"), "--tokenizer", tok.toString())), dir.resolve("run2"),
                "INIT_TOKENIZER_TOO_LARGE", "vocab_size 151643", "got 151669");
    }

    /** INIT-010 through the CLI: the same init, zero steps, seed 42, twice: identical checkpoint bytes. */
    @Test
    void zeroStepRunsAreByteIdentical(@TempDir Path dir) throws IOException {
        Path p = validInit(dir);
        for (String run : new String[] {"a", "b"}) {
            Run r = apr(pretrain(p, dir.resolve(run), "--seed", "42"));
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.out().contains("step 0 val_loss="));
        }
        assertArrayEquals(Files.readAllBytes(dir.resolve("a/ckpt/step-000000.apr")), Files.readAllBytes(dir.resolve("b/ckpt/step-000000.apr")));
    }

    @Test
    void fromScratchModeWithInitWarns(@TempDir Path dir) throws IOException {
        Run r = apr(pretrain(validInit(dir), dir.resolve("run"), "--mode", "from-scratch"));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("warning: --mode from-scratch with --init"), r.err());
    }
}
