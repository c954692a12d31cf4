package dev.apr.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class PretrainTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** A tiny qwen2 config.json: hidden 32, 2 layers, 4/2 heads, vocab 512, tied. */
    static Path tinyConfig(Path dir) throws IOException {
        Path p = dir.resolve("config.json");
        Files.writeString(p, """
                {"architectures":["Qwen2ForCausalLM"],"model_type":"qwen2","hidden_size":32,"num_hidden_layers":2,
                 "num_attention_heads":4,"num_key_value_heads":2,"intermediate_size":64,"vocab_size":512,
                 "max_position_embeddings":256,"rope_theta":10000.0,"rms_norm_eps":1e-6,"tie_word_embeddings":true}""");
        return p;
    }

    /** A checkpoint's parameters, read through the init loader. */
    static float[] weights(Path apr) {
        try (InitCheckpoint c = InitCheckpoint.check(apr, null, -1)) {
            TrainModel m = new TrainModel(c.config(), 1, 4);
            c.loadInto(m);
            return m.params.clone();
        }
    }

    static PretrainOptions synthetic(Path runDir, Path config, int steps) {
        PretrainOptions o = new PretrainOptions();
        o.synthetic = true;
        o.runDir = runDir;
        o.config = config.toString();
        o.numSteps = steps;
        o.batchSize = 8;
        o.seqLength = 32;
        o.lr = 1e-2;
        o.warmupSteps = 5;
        o.evalEvery = 20;
        o.valBatches = 2;
        return o;
    }

    static Pretrain.Result run(PretrainOptions o, ByteArrayOutputStream out) {
        return Pretrain.run(o, new PrintStream(out, true), new PrintStream(new ByteArrayOutputStream(), true));
    }

    @Test
    void syntheticStreamIsLearnedAndEverythingIsLogged(@TempDir Path dir) throws IOException {
        Path cfg = tinyConfig(dir);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Pretrain.Result r = run(synthetic(dir.resolve("run"), cfg, 60), out);
        // step 0 is evaluated before any update, at about ln(512) = 6.24 for random weights
        assertTrue(out.toString().startsWith("step 0 val_loss="), out.toString());
        assertEquals(Math.log(512), r.step0ValLoss(), 0.1);
        // the chain has entropy ln 2; the model must get well below the start
        assertTrue(r.valLoss() < r.step0ValLoss() - 2.0, "val " + r.valLoss() + " vs step0 " + r.step0ValLoss());
        List<String> lines = Files.readAllLines(dir.resolve("run/metrics.jsonl"));
        assertEquals(61, lines.size(), "one line per step plus step 0");
        Map<?, ?> last = JSON.readValue(lines.getLast(), Map.class);
        assertEquals(60, last.get("step"));
        assertTrue(((Number) last.get("grad_norm")).doubleValue() > 0);
        Map<?, ?> ck = JSON.readValue(dir.resolve("run/ckpt/step-000060.json").toFile(), Map.class);
        for (String k : new String[] {"train_loss", "val_loss", "train_perplexity", "val_perplexity", "lr", "grad_norm", "tokens_per_s", "wall_time_s"})
            assertTrue(ck.get(k) instanceof Number n && Double.isFinite(n.doubleValue()) && n.doubleValue() > 0, k + " = " + ck.get(k));
        assertEquals(Math.exp(((Number) ck.get("val_loss")).doubleValue()), ((Number) ck.get("val_perplexity")).doubleValue(), 1e-9);
        assertEquals(Math.exp(((Number) ck.get("train_loss")).doubleValue()), ((Number) ck.get("train_perplexity")).doubleValue(), 1e-9);
        assertEquals(1e-2 / 100, ((Number) ck.get("lr")).doubleValue(), 1e-9, "cosine ends at lr/100");
        assertTrue(Files.readString(dir.resolve("run/loss.svg")).contains("<polyline"));
        assertTrue(Files.exists(dir.resolve("run/ckpt/step-000020.apr")) && Files.exists(dir.resolve("run/ckpt/step-000040.optim")));
    }

    @Test
    void resumedRunEndsWithTheSameWeights(@TempDir Path dir) throws IOException {
        Path cfg = tinyConfig(dir);
        PretrainOptions o = synthetic(dir.resolve("run"), cfg, 6);
        o.evalEvery = 2;
        o.gradAccum = 2;
        run(o, new ByteArrayOutputStream());
        Path ckpt = dir.resolve("run/ckpt");
        float[] uninterrupted = weights(ckpt.resolve("step-000006.apr"));
        // "interrupt" after step 2: remove everything later, then resume
        for (String s : new String[] {"step-000004", "step-000006"})
            for (String ext : new String[] {".apr", ".json", ".optim"}) Files.delete(ckpt.resolve(s + ext));
        o.resume = true;
        Pretrain.Result r = run(o, new ByteArrayOutputStream());
        assertEquals(6, r.finalStep());
        // same final weights up to float rounding, not bit for bit: the vectorized exp and lane sums of the
        // interpreted and the JIT-compiled kernels may differ in the last bit, and which one runs a step depends on
        // compile timing. A lost optimizer state or data position would move weights by ~lr = 1e-2, not 1e-6.
        float[] resumed = weights(ckpt.resolve("step-000006.apr"));
        for (int i = 0; i < resumed.length; i++) assertEquals(uninterrupted[i], resumed[i], 1e-6, "parameter " + i);
        assertEquals(7, Files.readAllLines(dir.resolve("run/metrics.jsonl")).size());
    }

    @Test
    void stopRequestedBetweenSavePointsCheckpointsThatStepAndResumeEndsTheSame(@TempDir Path dir) throws IOException {
        Path cfg = tinyConfig(dir);
        PretrainOptions full = synthetic(dir.resolve("full"), cfg, 7);
        full.evalEvery = 5;
        run(full, new ByteArrayOutputStream());
        float[] uninterrupted = weights(dir.resolve("full/ckpt/step-000007.apr"));

        // the stop flag goes up during step 3 (the CLI raises it on SIGINT / SIGTERM): polled after each step
        PretrainOptions o = synthetic(dir.resolve("run"), cfg, 7);
        o.evalEvery = 5;
        int[] polls = {0};
        o.stopRequested = () -> ++polls[0] >= 3;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Pretrain.Result r = Pretrain.run(o, new PrintStream(new ByteArrayOutputStream(), true), new PrintStream(err, true));
        assertTrue(r.interrupted());
        assertEquals(3, r.finalStep());
        Path ckpt = dir.resolve("run/ckpt");
        assertEquals(ckpt.resolve("step-000003.apr"), r.lastCheckpoint(), "a checkpoint of the step reached, not of the last save point");
        assertTrue(Files.isRegularFile(ckpt.resolve("step-000003.optim")) && Files.isRegularFile(ckpt.resolve("step-000003.json")));
        assertTrue(err.toString().contains("interrupted: stopping after step 3 of 7"), err.toString());
        assertEquals(4, Files.readAllLines(dir.resolve("run/metrics.jsonl")).size(), "step 0 and steps 1-3");

        o.resume = true;
        o.stopRequested = () -> false;
        Pretrain.Result done = run(o, new ByteArrayOutputStream());
        assertFalse(done.interrupted());
        assertEquals(7, done.finalStep());
        float[] resumed = weights(ckpt.resolve("step-000007.apr"));
        for (int i = 0; i < resumed.length; i++) assertEquals(uninterrupted[i], resumed[i], 1e-6, "parameter " + i);
        assertEquals(8, Files.readAllLines(dir.resolve("run/metrics.jsonl")).size());
    }

    @Test
    void existingRunDirNeedsResume(@TempDir Path dir) throws IOException {
        Path cfg = tinyConfig(dir);
        run(synthetic(dir.resolve("run"), cfg, 0), new ByteArrayOutputStream());
        var e = assertThrows(dev.apr.format.AprException.class, () -> run(synthetic(dir.resolve("run"), cfg, 2), new ByteArrayOutputStream()));
        assertEquals("RUN_DIR_NOT_EMPTY", e.code());
    }

    /** Trains a small init model on the synthetic stream; returns its last checkpoint. */
    static Path trainedInit(Path dir, int steps) throws IOException {
        Path cfg = tinyConfig(dir);
        PretrainOptions o = synthetic(dir.resolve("base"), cfg, steps);
        o.evalEvery = steps;
        return run(o, new ByteArrayOutputStream()).lastCheckpoint();
    }

    /** INIT-010 and INIT-009: --num-steps 0 twice gives identical bytes; moments zero, step 0. */
    @Test
    void initWithZeroStepsIsDeterministicAndStartsOptimizerFresh(@TempDir Path dir) throws IOException {
        Path init = trainedInit(dir, 4);
        byte[][] bytes = new byte[2][];
        for (int i = 0; i < 2; i++) {
            PretrainOptions o = new PretrainOptions();
            o.synthetic = true;
            o.init = init;
            o.runDir = dir.resolve("ft" + i);
            o.numSteps = 0;
            o.seed = 42;
            o.batchSize = 4;
            o.seqLength = 16;
            o.valBatches = 1;
            run(o, new ByteArrayOutputStream());
            bytes[i] = Files.readAllBytes(o.runDir.resolve("ckpt/step-000000.apr"));
        }
        assertArrayEquals(bytes[0], bytes[1]);
        OptimizerStateFile.State st = OptimizerStateFile.read(dir.resolve("ft0/ckpt/step-000000.optim"), new ParamLayout(
                InitCheckpointTest.configOf(init)).totalChecked());
        assertEquals(0, st.step());
        for (float x : st.m()) assertEquals(0f, x);
        for (float x : st.v()) assertEquals(0f, x);
        // only weights inherit: the init's weights come back unchanged after zero steps
        try (InitCheckpoint a = InitCheckpoint.check(init, null, -1);
             InitCheckpoint b = InitCheckpoint.check(dir.resolve("ft0/ckpt/step-000000.apr"), null, -1)) {
            TrainModel ma = new TrainModel(a.config(), 1, 4), mb = new TrainModel(b.config(), 1, 4);
            a.loadInto(ma);
            b.loadInto(mb);
            assertArrayEquals(ma.params, mb.params);
        }
    }

    /** INIT-006: a trained init starts far below from-scratch on the same data. */
    @Test
    void trainedInitStartsFarBelowScratch(@TempDir Path dir) throws IOException {
        Path init = trainedInit(dir, 80);
        PretrainOptions o = synthetic(dir.resolve("ft"), tinyConfig(dir), 0);
        o.init = init;
        Pretrain.Result withInit = run(o, new ByteArrayOutputStream());
        Pretrain.Result scratch = run(synthetic(dir.resolve("scratch"), tinyConfig(dir), 0), new ByteArrayOutputStream());
        assertTrue(withInit.step0ValLoss() <= 6.0, "init step-0 val " + withInit.step0ValLoss());
        assertTrue(withInit.step0ValLoss() <= scratch.step0ValLoss() - 3.0,
                "init " + withInit.step0ValLoss() + " vs scratch " + scratch.step0ValLoss());
    }

    @Test
    void nonFiniteGradientAbortsAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws IOException {
        PretrainOptions o = synthetic(dir.resolve("run"), tinyConfig(dir), 6);
        o.evalEvery = 2;
        o.injectNaNAtStep = 3;
        var e = assertThrows(dev.apr.format.AprException.class, () -> run(o, new ByteArrayOutputStream()));
        assertEquals("TRAIN_NON_FINITE", e.code());
        assertTrue(e.getMessage().contains("step 3: gradient norm is NaN"), e.getMessage());
        assertTrue(e.getMessage().contains("step-000002.apr"), "names the last good checkpoint: " + e.getMessage());
        assertTrue(Files.exists(dir.resolve("run/ckpt/step-000002.apr")));
        assertFalse(Files.exists(dir.resolve("run/ckpt/step-000004.apr")));
        // the kept checkpoint is intact and loadable
        try (InitCheckpoint ck = InitCheckpoint.check(dir.resolve("run/ckpt/step-000002.apr"), null, -1)) {
            assertEquals(512, ck.config().vocabSize());
        }
    }

    @Test
    void validationLossMoreThanDoublingAborts(@TempDir Path dir) throws IOException {
        PretrainOptions o = synthetic(dir.resolve("run"), tinyConfig(dir), 5);
        o.lr = 20.0;          // absurd: the first update wrecks the model
        o.warmupSteps = 0;
        o.evalEvery = 1;
        var e = assertThrows(dev.apr.format.AprException.class, () -> run(o, new ByteArrayOutputStream()));
        assertTrue(e.code().equals("TRAIN_DIVERGED") || e.code().equals("TRAIN_NON_FINITE"), e.code() + ": " + e.getMessage());
        if (e.code().equals("TRAIN_DIVERGED")) assertTrue(e.getMessage().contains("more than double"), e.getMessage());
        assertTrue(Files.exists(dir.resolve("run/metrics.jsonl")));
    }
}
