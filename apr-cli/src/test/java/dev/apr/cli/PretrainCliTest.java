package dev.apr.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** `apr pretrain` flags through the CLI: --json result, usage errors, --resume. */
class PretrainCliTest {
    static String cfg(Path dir) throws IOException {
        Path c = dir.resolve("config.json");
        Files.writeString(c, "{\"model_type\":\"qwen2\",\"hidden_size\":32,\"num_hidden_layers\":1,\"num_attention_heads\":4,"
                + "\"num_key_value_heads\":2,\"intermediate_size\":64,\"vocab_size\":300,\"max_position_embeddings\":64,"
                + "\"tie_word_embeddings\":false}");
        return c.toString();
    }

    @Test
    void jsonResultAndResume(@TempDir Path dir) throws IOException {
        String run = dir.resolve("run").toString();
        var r = PretrainInitCliTest.apr("pretrain", "--synthetic", "--config", cfg(dir), "--run-dir", run, "--num-steps", "4",
                "--batch-size", "2", "--seq-length", "16", "--eval-every", "2", "--lr", "1e-3", "--warmup-steps", "1", "--json");
        assertEquals(0, r.exit(), r.err());
        Map<?, ?> m = new ObjectMapper().readValue(r.out(), Map.class);
        assertEquals(4, m.get("final_step"));
        assertEquals(Math.log(300), ((Number) m.get("step0_val_loss")).doubleValue(), 0.15);
        assertTrue(m.get("checkpoint").toString().endsWith("step-000004.apr"));
        assertTrue(r.err().contains("step 0 val_loss="), "progress and the step-0 line go to stderr with --json");
        // a second run into the same dir without --resume is refused (nothing is overwritten)
        var again = PretrainInitCliTest.apr("pretrain", "--synthetic", "--config", cfg(dir), "--run-dir", run, "--num-steps", "4",
                "--batch-size", "2", "--seq-length", "16");
        assertEquals(2, again.exit());
        assertTrue(again.err().contains("[RUN_DIR_NOT_EMPTY]"), again.err());
    }

    @Test
    void usageErrorsExitOne(@TempDir Path dir) throws IOException {
        var noData = PretrainInitCliTest.apr("pretrain", "--config", cfg(dir), "--run-dir", dir.resolve("r").toString());
        assertEquals(1, noData.exit());
        assertTrue(noData.err().contains("--data DIR is required"), noData.err());
        var noConfig = PretrainInitCliTest.apr("pretrain", "--synthetic", "--run-dir", dir.resolve("r").toString());
        assertEquals(1, noConfig.exit());
        assertTrue(noConfig.err().contains("--config PRESET|config.json is required without --init"), noConfig.err());
        var badPreset = PretrainInitCliTest.apr("pretrain", "--synthetic", "--config", "qwen9-huge", "--run-dir", dir.resolve("r").toString());
        assertEquals(1, badPreset.exit());
        assertTrue(badPreset.err().contains("[UNKNOWN_PRESET]"), badPreset.err());
        var tooLong = PretrainInitCliTest.apr("pretrain", "--synthetic", "--config", cfg(dir), "--run-dir", dir.resolve("r").toString(),
                "--seq-length", "65");
        assertEquals(1, tooLong.exit());
        assertTrue(tooLong.err().contains("max_position_embeddings 64, got 65"), tooLong.err());
    }

    @Test
    void timeLimitStopsAfterTheCurrentStepEvaluatedAndCheckpointedAndResumeFinishes(@TempDir Path dir) throws IOException {
        String run = dir.resolve("run").toString();
        String[] common = {"pretrain", "--synthetic", "--config", cfg(dir), "--run-dir", run, "--num-steps", "4",
                "--batch-size", "2", "--seq-length", "16", "--eval-every", "2", "--lr", "1e-3", "--warmup-steps", "1", "--json"};
        // 1e-6 minutes: the deadline has passed when step 1 ends
        var r = PretrainInitCliTest.apr(plus(common, "--time-limit", "0.000001"));
        assertEquals(0, r.exit(), r.err());
        Map<?, ?> m = new ObjectMapper().readValue(r.out(), Map.class);
        assertEquals(1, m.get("final_step"));
        assertTrue(m.get("checkpoint").toString().endsWith("step-000001.apr"), m.toString());
        assertTrue(Double.isFinite(((Number) m.get("val_loss")).doubleValue()), "the last step is evaluated: " + m);
        assertTrue(r.err().contains("--time-limit") && r.err().contains("after step 1 of 4"), r.err());

        var again = PretrainInitCliTest.apr(plus(common, "--resume"));
        assertEquals(0, again.exit(), again.err());
        Map<?, ?> m2 = new ObjectMapper().readValue(again.out(), Map.class);
        assertEquals(4, m2.get("final_step"));
        assertTrue(m2.get("checkpoint").toString().endsWith("step-000004.apr"), m2.toString());
    }

    /**
     * Ctrl-C as a user sends it: SIGINT to a separate `apr pretrain` process between save points. The step
     * in flight finishes, gets its checkpoint (weights + optimizer state), the process exits 130, and
     * --resume continues from that step.
     */
    @Test
    void sigintCheckpointsTheCurrentStepAndExits130(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        String[] args = {"pretrain", "--synthetic", "--config", cfg(dir), "--run-dir", run.toString(), "--num-steps", "200000",
                "--batch-size", "2", "--seq-length", "16", "--eval-every", "100000", "--lr", "1e-3", "--warmup-steps", "1",
                "--threads", "1"};
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules", "jdk.incubator.vector",
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), "dev.apr.cli.AprCli"));
        cmd.addAll(java.util.List.of(args));
        Path log = dir.resolve("err.txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Path metrics = run.resolve("metrics.jsonl");
            long until = System.nanoTime() + 60_000_000_000L;
            while (!(Files.exists(metrics) && Files.readAllLines(metrics).size() > 20)) {
                assertTrue(p.isAlive(), "apr pretrain ended early:\n" + Files.readString(log));
                assertTrue(System.nanoTime() < until, "no 20 training steps within 60 s:\n" + Files.readString(log));
                Thread.sleep(20);
            }
            assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start().waitFor());
            assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "stopped within 60 s of SIGINT");
        } finally {
            p.destroyForcibly();
        }
        String err = Files.readString(log);
        assertEquals(130, p.exitValue(), err);
        assertTrue(err.contains("apr pretrain: stop requested"), err);
        var m = java.util.regex.Pattern.compile("interrupted at step (\\d+) of 200000").matcher(err);
        assertTrue(m.find(), err);
        int step = Integer.parseInt(m.group(1));
        assertTrue(step > 20 && step < 200000, "stopped at step " + step);
        String name = String.format("step-%06d", step);
        for (String ext : new String[] {".apr", ".optim", ".json"})
            assertTrue(Files.isRegularFile(run.resolve("ckpt").resolve(name + ext)), name + ext + " written:\n" + err);
        assertTrue(err.contains("checkpoint: " + run.resolve("ckpt").resolve(name + ".apr")), err);
        java.util.List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(step + 1, lines.size(), "metrics up to the interrupted step");

        // --resume continues from that step (one more step here: the time limit has passed as soon as it ends)
        var again = PretrainInitCliTest.apr(plus(args, "--resume", "--time-limit", "0.000001", "--json"));
        assertEquals(0, again.exit(), again.err());
        assertTrue(again.err().contains("resuming from " + run.resolve("ckpt").resolve(name + ".apr") + " (step " + step + ")"), again.err());
        Map<?, ?> r = new ObjectMapper().readValue(again.out(), Map.class);
        assertEquals(step + 1, r.get("final_step"));
        assertEquals(false, r.get("interrupted"));
    }

    private static String[] plus(String[] args, String... more) {
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return all;
    }

    @Test
    void nonPositiveTimeLimitIsAUsageError(@TempDir Path dir) throws IOException {
        var r = PretrainInitCliTest.apr("pretrain", "--synthetic", "--config", cfg(dir), "--run-dir", dir.resolve("r").toString(),
                "--num-steps", "2", "--batch-size", "2", "--seq-length", "16", "--time-limit", "0");
        assertEquals(1, r.exit(), r.err());
        assertTrue(r.err().contains("--time-limit: expected a positive number of minutes, got 0.0"), r.err());
    }
}
