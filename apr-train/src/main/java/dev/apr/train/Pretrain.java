package dev.apr.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apr.format.AprException;
import dev.apr.model.ModelConfig;
import dev.apr.train.data.SyntheticStream;
import dev.apr.train.data.TokenShards;
import dev.apr.train.data.TokenSource;
import dev.apr.model.kernel.Parallel;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code apr pretrain}: train a model from scratch or fine-tune it from {@code --init} on token
 * shards (or a {@code --synthetic} stream), with step-0 validation, periodic evaluation and
 * checkpoints, divergence and non-finite gates, and exact {@code --resume}.
 *
 * <p>Order of work: options and model shape are resolved, the {@code --init} contract is checked
 * and the memory need estimated BEFORE any trainer allocation; then weights are initialised or
 * loaded, step 0 is evaluated, and training runs.
 */
public final class Pretrain {
    private Pretrain() {}

    /** What a finished run reports. */
    public record Result(int finalStep, double trainLoss, double step0ValLoss, double valLoss,
                         Path lastCheckpoint, double tokensPerSecond, long tokensSeen, ModelConfig config,
                         boolean interrupted) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CKPT = Pattern.compile("step-(\\d{6,})\\.apr");

    /** Runs training; {@code out} gets the step-0 / evaluation lines (null: none), {@code err} the progress. */
    public static Result run(PretrainOptions o, PrintStream out, PrintStream err) {
        // ---- options ------------------------------------------------------------------------
        if (o.runDir == null) throw usage("--run-dir is required");
        if (o.data == null && !o.synthetic) throw usage("--data DIR is required (or --synthetic)");
        if (o.data != null && o.synthetic) throw usage("--data and --synthetic are exclusive");
        positive("--batch-size", o.batchSize);
        positive("--seq-length", o.seqLength);
        positive("--grad-accum", o.gradAccum);
        positive("--eval-every", o.evalEvery);
        if (o.numSteps < 0) throw usage("--num-steps: expected >= 0, got " + o.numSteps);
        int saveEvery = o.saveEvery != null ? o.saveEvery : o.evalEvery;
        positive("--save-every", saveEvery);
        String mode = o.mode != null ? o.mode : (o.init != null ? "finetune" : "from-scratch");
        if (!mode.equals("finetune") && !mode.equals("from-scratch"))
            throw usage("--mode: expected finetune or from-scratch, got '" + mode + "'");
        double lr = o.lr != null ? o.lr : (mode.equals("finetune") ? 5e-5 : 3e-4);
        if (!(lr > 0) || !Double.isFinite(lr)) throw usage("--lr: expected a positive number, got " + lr);
        int warmup = Math.min(o.warmupSteps != null ? o.warmupSteps : (mode.equals("finetune") ? 100 : 1000), o.numSteps);
        if (warmup < 0) throw usage("--warmup-steps: expected >= 0, got " + warmup);
        if (o.threads != null) {
            positive("--threads", o.threads);
            Parallel.setThreads(o.threads);
        }
        if (o.init != null && mode.equals("from-scratch"))
            err.println("apr pretrain: warning: --mode from-scratch with --init: training starts from the init weights"
                    + " with from-scratch defaults (lr " + lr + ", warmup " + warmup + ")");

        // ---- model shape and the --init contract, before any allocation -------------------------
        ModelConfig target = o.config != null ? resolveConfig(o.config) : null;
        int tokenizerVocab = o.tokenizer != null ? tokenizerVocabSize(o.tokenizer) : -1;
        InitCheckpoint init = null;
        ModelConfig cfg;
        if (o.init != null) {
            init = InitCheckpoint.check(o.init, target, tokenizerVocab);
            cfg = init.config();
        } else {
            if (target == null) throw usage("--config PRESET|config.json is required without --init");
            cfg = target;
            if (tokenizerVocab > cfg.vocabSize())
                throw AprException.badInput("TOKENIZER_TOO_LARGE", o.tokenizer + ": vocabulary size: expected <= the model's vocab_size "
                        + cfg.vocabSize() + ", got " + tokenizerVocab);
        }
        try {
            return train(o, cfg, init, mode, lr, warmup, saveEvery, out, err);
        } finally {
            if (init != null) init.close();
        }
    }

    private static Result train(PretrainOptions o, ModelConfig cfg, InitCheckpoint init, String mode, double lr, int warmup,
                                int saveEvery, PrintStream out, PrintStream err) {
        int B = o.batchSize, T = o.seqLength;
        if (T > cfg.maxPositions())
            throw usage("--seq-length: expected <= max_position_embeddings " + cfg.maxPositions() + ", got " + T);
        checkMemory(cfg, B, T);

        // ---- data ----------------------------------------------------------------------------
        List<AutoCloseable> closers = new ArrayList<>();
        try {
            TokenSource train;
            TokenSource val;
            long trainFirst, trainCount, valFirst, valCount;
            if (o.synthetic) {
                SyntheticStream s = new SyntheticStream(cfg.vocabSize());
                train = s;
                val = s;
                trainFirst = 0;
                trainCount = Long.MAX_VALUE;
                valFirst = SyntheticStream.VAL_OFFSET;
                valCount = (long) o.valBatches * B;
                if (o.valData != null) err.println("apr pretrain: warning: --val-data is ignored with --synthetic (validation uses held-out synthetic windows)");
            } else {
                TokenShards d = TokenShards.open(o.data);
                closers.add(d);
                checkManifestVocab(d, cfg);
                train = d;
                long windows = d.windows(T);
                if (o.valData != null) {
                    TokenShards v = TokenShards.open(o.valData);
                    closers.add(v);
                    checkManifestVocab(v, cfg);
                    val = v;
                    valFirst = 0;
                    valCount = Math.min((long) o.valBatches * B, v.windows(T) / B * B);
                    if (valCount < B)
                        throw AprException.badInput("DATA_TOO_SMALL", o.valData + ": expected at least one batch of " + B
                                + " windows of " + (T + 1) + " tokens, got " + v.windows(T) + " windows");
                    trainFirst = 0;
                    trainCount = windows;
                } else {
                    long batches = windows / B;
                    if (batches < 2)
                        throw AprException.badInput("DATA_TOO_SMALL", o.data + ": expected at least 2 batches of " + B
                                + " windows of " + (T + 1) + " tokens (validation + training), got " + windows + " windows");
                    long valBatches = Math.min(o.valBatches, batches / 2);
                    if (valBatches < o.valBatches)
                        err.println("apr pretrain: warning: " + o.data + " holds only " + batches + " batches; holding out "
                                + valBatches + " (not " + o.valBatches + ") for validation");
                    val = d;
                    valFirst = 0;
                    valCount = valBatches * B;
                    trainFirst = valCount;
                    trainCount = windows - valCount;
                }
                if (trainCount < B)
                    throw AprException.badInput("DATA_TOO_SMALL", o.data + ": expected at least " + B + " training windows of "
                            + (T + 1) + " tokens, got " + trainCount);
            }

            // ---- run directory, resume point --------------------------------------------------
            Path ckptDir = o.runDir.resolve("ckpt");
            Files.createDirectories(ckptDir);
            String fingerprint = String.format(Locale.ROOT, "model=%s;batch=%d;seq=%d;accum=%d;lr=%s;warmup=%d;seed=%d;data=%s;init=%s;mode=%s",
                    cfg, B, T, o.gradAccum, lr, warmup, o.seed,
                    o.synthetic ? "synthetic" : train.manifestSha256(), init != null ? init.sha256() : "none", mode);
            int resumeStep = -1;
            Path resumeFrom = null;
            List<Integer> existing = checkpointSteps(ckptDir);
            if (!existing.isEmpty() && !o.resume)
                throw AprException.badInput("RUN_DIR_NOT_EMPTY", ckptDir + ": holds checkpoints (newest step "
                        + existing.getLast() + "); pass --resume to continue, or use a new --run-dir");
            if (o.resume) {
                for (int i = existing.size() - 1; i >= 0 && resumeFrom == null; i--) {
                    Path optim = ckptDir.resolve(stepName(existing.get(i)) + ".optim");
                    if (Files.isRegularFile(optim)) {
                        resumeStep = existing.get(i);
                        resumeFrom = ckptDir.resolve(stepName(resumeStep) + ".apr");
                    }
                }
                if (resumeFrom == null) err.println("apr pretrain: --resume: no checkpoint in " + ckptDir + "; starting at step 0");
            }

            // ---- allocate and initialise -------------------------------------------------------
            TrainModel model = new TrainModel(cfg, B, T);
            AdamW opt = new AdamW(model.layout());
            if (init != null) init.loadInto(model);
            else model.initRandom(o.seed);
            double prevVal = Double.NaN;
            double step0Val = Double.NaN;
            if (resumeFrom != null) {
                try (InitCheckpoint ck = InitCheckpoint.check(resumeFrom, cfg, -1)) {
                    ck.loadInto(model);
                }
                OptimizerStateFile.State st = OptimizerStateFile.read(ckptDir.resolve(stepName(resumeStep) + ".optim"), model.params.length);
                if (!st.fingerprint().equals(fingerprint))
                    throw AprException.badInput("RESUME_MISMATCH", ckptDir.resolve(stepName(resumeStep) + ".optim")
                            + ": run settings differ from the interrupted run: expected " + st.fingerprint() + ", got " + fingerprint);
                opt.restore(st.step(), st.m(), st.v());
                Map<?, ?> info = JSON.readValue(ckptDir.resolve(stepName(resumeStep) + ".json").toFile(), Map.class);
                if (info.get("val_loss") instanceof Number n) prevVal = n.doubleValue();
                if (info.get("step0_val_loss") instanceof Number n) step0Val = n.doubleValue();
                truncateMetrics(o.runDir.resolve("metrics.jsonl"), resumeStep);
                err.println("apr pretrain: resuming from " + resumeFrom + " (step " + resumeStep + ")");
            } else {
                Files.deleteIfExists(o.runDir.resolve("metrics.jsonl"));
            }
            int startStep = Math.max(0, resumeStep);

            err.printf(Locale.ROOT, "apr pretrain: %s %s, %,d parameters (%s), batch %d x %d x accum %d, lr %.3g warmup %d, %d steps, %d threads; data: %s%n",
                    mode, cfg.family(), cfg.parameterCount(), cfg.tieWordEmbeddings() ? "tied lm_head" : "separate lm_head",
                    B, T, o.gradAccum, lr, warmup, o.numSteps, Parallel.shared().threads(), train.describe());

            // ---- the loop -----------------------------------------------------------------------
            Batches batches = new Batches(B, T);
            LrSchedule schedule = new LrSchedule(lr, warmup, o.numSteps);
            Path metrics = o.runDir.resolve("metrics.jsonl");
            List<LossCurve.Point> trainCurve = new ArrayList<>(), valCurve = new ArrayList<>();
            readCurves(metrics, trainCurve, valCurve);
            long tokensPerStep = (long) B * T * o.gradAccum;
            double trainLoss = Double.NaN, gradNorm = Double.NaN, curLr = 0, valLoss = prevVal;
            double trainSeconds = 0;
            long tokensTimed = 0;
            long wallStart = System.nanoTime();
            Path lastCkpt = resumeFrom;

            if (resumeFrom == null) {
                valLoss = evaluate(model, batches, val, valFirst, valCount);
                step0Val = valLoss;
                prevVal = valLoss;
                String line = String.format(Locale.ROOT, "step 0 val_loss=%.4f val_ppl=%.2f", valLoss, Math.exp(valLoss));
                if (out != null) out.println(line);
                else err.println("apr pretrain: " + line);     // once on screen, not twice
                gate(valLoss, "step 0 validation loss", 0, lastCkpt);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("step", 0);
                m.put("val_loss", valLoss);
                m.put("val_perplexity", Math.exp(valLoss));
                m.put("tokens_seen", 0);
                appendLine(metrics, m);
                valCurve.add(new LossCurve.Point(0, valLoss));
                if (o.numSteps == 0) {
                    lastCkpt = save(ckptDir, 0, model, opt, cfg, init, train, o, mode, fingerprint, 0,
                            Double.NaN, valLoss, step0Val, 0, Double.NaN, 0, 0);
                }
            }

            long lastPrint = 0;
            // --time-limit: stop early (evaluated, checkpointed, resumable) rather than overrun a budget
            long deadline = o.timeLimitSeconds == null ? Long.MAX_VALUE : wallStart + (long) (o.timeLimitSeconds * 1e9);
            int lastStep = o.numSteps;
            boolean interrupted = false;
            for (int step = startStep + 1; step <= lastStep; step++) {
                long t0 = System.nanoTime();
                model.zeroGrads();
                double sum = 0;
                for (int micro = 0; micro < o.gradAccum; micro++) {
                    long mb = (long) (step - 1) * o.gradAccum + micro;
                    batches.load(train, trainFirst, trainCount, mb * B);
                    checkTokens(batches, cfg, train);
                    sum += model.forwardBackward(batches.inputs, batches.targets, 1f / o.gradAccum);
                }
                trainLoss = sum / o.gradAccum;
                if (step == o.injectNaNAtStep) model.grads[0] = Float.NaN;
                gate(trainLoss, "training loss", step, lastCkpt);
                gradNorm = AdamW.gradNorm(model.grads);
                gate(gradNorm, "gradient norm", step, lastCkpt);
                curLr = schedule.at(step);
                opt.update(model.params, model.grads, (float) curLr, gradNorm);
                double dt = (System.nanoTime() - t0) / 1e9;
                trainSeconds += dt;
                tokensTimed += tokensPerStep;
                double tps = tokensTimed / trainSeconds;

                Map<String, Object> m = new LinkedHashMap<>();
                m.put("step", step);
                m.put("train_loss", trainLoss);
                m.put("lr", curLr);
                m.put("grad_norm", gradNorm);
                m.put("tokens_seen", step * tokensPerStep);
                m.put("tokens_per_s", Math.round(tps * 10) / 10.0);
                m.put("step_s", Math.round(dt * 1e4) / 1e4);
                trainCurve.add(new LossCurve.Point(step, trainLoss));

                if (step < lastStep && System.nanoTime() > deadline) {
                    err.printf(Locale.ROOT, "apr pretrain: --time-limit %.1f min reached after step %d of %d; stopping here"
                            + " (continue with --resume and a larger --time-limit)%n", o.timeLimitSeconds / 60, step, o.numSteps);
                    lastStep = step;
                }
                if (step < lastStep && o.stopRequested.getAsBoolean()) {
                    // no extra evaluation: an interrupted user wants the checkpoint now, not after the val set
                    err.printf(Locale.ROOT, "apr pretrain: interrupted: stopping after step %d of %d and writing its checkpoint"
                            + " (continue with --resume)%n", step, o.numSteps);
                    lastStep = step;
                    interrupted = true;
                }
                boolean evalNow = step % o.evalEvery == 0 || (step == lastStep && !interrupted);
                boolean saveNow = step % saveEvery == 0 || step == lastStep;
                if (evalNow) {
                    valLoss = evaluate(model, batches, val, valFirst, valCount);
                    m.put("val_loss", valLoss);
                    m.put("val_perplexity", Math.exp(valLoss));
                    valCurve.add(new LossCurve.Point(step, valLoss));
                }
                appendLine(metrics, m);
                long now = System.nanoTime();
                if (evalNow || step == startStep + 1 || now - lastPrint > 2_000_000_000L) {
                    lastPrint = now;
                    err.printf(Locale.ROOT, "step %d/%d loss %.4f lr %.3g grad_norm %.3f %.0f tok/s%n",
                            step, o.numSteps, trainLoss, curLr, gradNorm, tps);
                }
                if (evalNow) {
                    String line = String.format(Locale.ROOT, "step %d val_loss=%.4f val_ppl=%.2f", step, valLoss, Math.exp(valLoss));
                    if (out != null) out.println(line);
                    else err.println("apr pretrain: " + line);
                    gate(valLoss, "validation loss", step, lastCkpt);
                    if (Double.isFinite(prevVal) && valLoss > 2 * prevVal) {
                        writeCurve(o.runDir, trainCurve, valCurve);
                        throw AprException.badInput("TRAIN_DIVERGED", "step " + step + ": val_loss " + fmt(valLoss)
                                + " is more than double the previous evaluation's " + fmt(prevVal)
                                + "; stopping (lower --lr?). Last good checkpoint: " + (lastCkpt != null ? lastCkpt : "none"));
                    }
                    prevVal = valLoss;
                }
                if (saveNow) {
                    lastCkpt = save(ckptDir, step, model, opt, cfg, init, train, o, mode, fingerprint, step * tokensPerStep,
                            trainLoss, evalNow ? valLoss : Double.NaN, step0Val, curLr, gradNorm, tps,
                            (System.nanoTime() - wallStart) / 1e9);
                }
            }
            writeCurve(o.runDir, trainCurve, valCurve);
            return new Result(Math.max(lastStep, startStep), trainLoss, step0Val, valLoss, lastCkpt,
                    tokensTimed > 0 ? tokensTimed / trainSeconds : 0, (long) Math.max(lastStep, startStep) * tokensPerStep, cfg,
                    interrupted);
        } catch (IOException e) {
            throw AprException.badInput("TRAIN_IO", o.runDir + ": " + e);
        } finally {
            for (AutoCloseable c : closers) {
                try { c.close(); } catch (Exception ignored) { }
            }
        }
    }

    // ---- batches ------------------------------------------------------------------------------

    /** Inputs and targets of one micro-batch: window i gives inputs w[0..T), targets w[1..T]. */
    static final class Batches {
        final int B, T;
        final int[] inputs, targets, window;

        Batches(int B, int T) {
            this.B = B;
            this.T = T;
            inputs = new int[B * T];
            targets = new int[B * T];
            window = new int[T + 1];
        }

        /** Loads B consecutive windows starting at {@code first + (index mod count)}, wrapping around. */
        void load(TokenSource src, long first, long count, long index) {
            for (int b = 0; b < B; b++) {
                long w = first + Math.floorMod(index + b, count);
                src.window(w, T, window, 0);
                System.arraycopy(window, 0, inputs, b * T, T);
                System.arraycopy(window, 1, targets, b * T, T);
            }
        }
    }

    /** Mean loss over the held-out windows (forward only). */
    static double evaluate(TrainModel model, Batches batches, TokenSource val, long first, long count) {
        double sum = 0;
        int n = 0;
        for (long w = 0; w + batches.B <= count; w += batches.B) {
            batches.load(val, first, count, w);
            checkTokens(batches, model.config(), val);
            sum += model.loss(batches.inputs, batches.targets);
            n++;
        }
        return sum / n;
    }

    private static void checkTokens(Batches b, ModelConfig cfg, TokenSource src) {
        for (int i = 0; i < b.inputs.length; i++)
            if (b.inputs[i] >= cfg.vocabSize() || b.targets[i] >= cfg.vocabSize())
                throw AprException.badInput("DATA_TOKEN_OUT_OF_RANGE", src.describe() + ": token id "
                        + Math.max(b.inputs[i], b.targets[i]) + ": expected < the model's vocab_size " + cfg.vocabSize());
    }

    // ---- gates ----------------------------------------------------------------------------------

    private static void gate(double v, String what, int step, Path lastGood) {
        if (!Double.isFinite(v))
            throw AprException.badInput("TRAIN_NON_FINITE", "step " + step + ": " + what + " is " + v
                    + "; stopping. Last good checkpoint: " + (lastGood != null ? lastGood : "none (no checkpoint written yet)"));
    }

    // ---- checkpoints ------------------------------------------------------------------------

    static String stepName(int step) { return String.format(Locale.ROOT, "step-%06d", step); }

    private static Path save(Path dir, int step, TrainModel model, AdamW opt, ModelConfig cfg, InitCheckpoint init,
                             TokenSource data, PretrainOptions o, String mode, String fingerprint, long tokensSeen,
                             double trainLoss, double valLoss, double step0Val, double lr, double gradNorm, double tps,
                             double wallSeconds) throws IOException {
        String name = stepName(step);
        Path apr = dir.resolve(name + ".apr");
        // weights with config + provenance; nothing time- or path-dependent (deterministic bytes)
        Map<String, Object> md = new LinkedHashMap<>(cfg.toAprMetadata());
        md.put("license", null);
        md.put("data_source", null);
        md.put("data_license", null);
        md.put("source", "apr pretrain");
        md.put("original_format", "apr");
        List<AprCheckpointFile.Out> tensors = new ArrayList<>();
        long bytes = 0;
        for (ParamLayout.Slot s : model.layout().slots()) {
            tensors.add(new AprCheckpointFile.Out(s.name(), s.shape(), model.params, s.offset()));
            bytes += 4L * s.size();
        }
        md.put("total_size", bytes);
        md.put("param_count", cfg.parameterCount());
        md.put("pretrain.base_model", init != null ? init.baseModel() : null);
        md.put("pretrain.init_sha256", init != null ? init.sha256() : null);
        md.put("pretrain.data_manifest_sha256", data.manifestSha256());
        md.put("pretrain.data", o.synthetic ? "synthetic" : "token-shards");
        md.put("pretrain.mode", mode);
        md.put("pretrain.steps", step);
        md.put("pretrain.tokens_seen", tokensSeen);
        md.put("pretrain.seed", o.seed);
        md.put("pretrain.batch_size", o.batchSize);
        md.put("pretrain.seq_length", o.seqLength);
        md.put("pretrain.grad_accum", o.gradAccum);
        AprCheckpointFile.write(apr, md, tensors);
        OptimizerStateFile.write(dir.resolve(name + ".optim"), opt.step(), fingerprint, opt.m, opt.v);

        Map<String, Object> info = new LinkedHashMap<>();
        info.put("step", step);
        info.put("train_loss", finite(trainLoss));
        info.put("val_loss", finite(valLoss));
        info.put("train_perplexity", finite(Math.exp(trainLoss)));
        info.put("val_perplexity", finite(Math.exp(valLoss)));
        info.put("step0_val_loss", finite(step0Val));
        info.put("lr", lr);
        info.put("grad_norm", finite(gradNorm));
        info.put("tokens_seen", tokensSeen);
        info.put("tokens_per_s", Math.round(tps * 10) / 10.0);
        info.put("wall_time_s", Math.round(wallSeconds * 1000) / 1000.0);
        info.put("optimizer_step", opt.step());
        info.put("checkpoint", apr.getFileName().toString());
        writeAtomic(dir.resolve(name + ".json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(info));
        return apr;
    }

    private static Object finite(double v) { return Double.isFinite(v) ? v : null; }

    private static List<Integer> checkpointSteps(Path dir) throws IOException {
        List<Integer> steps = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(p -> {
                Matcher m = CKPT.matcher(p.getFileName().toString());
                if (m.matches()) steps.add(Integer.parseInt(m.group(1)));
            });
        }
        steps.sort(null);
        return steps;
    }

    private static void writeAtomic(Path path, byte[] bytes) {
        dev.apr.format.io.AtomicWrite.writeBytes(path, bytes);
    }

    // ---- metrics ------------------------------------------------------------------------------

    private static void appendLine(Path metrics, Map<String, Object> m) throws IOException {
        Files.write(metrics, (JSON.writeValueAsString(m) + "\n").getBytes(StandardCharsets.UTF_8),
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** On resume: drop lines of steps after the checkpoint (they will be redone). */
    private static void truncateMetrics(Path metrics, int step) throws IOException {
        if (!Files.exists(metrics)) return;
        List<String> keep = new ArrayList<>();
        for (String line : Files.readAllLines(metrics)) {
            if (line.isBlank()) continue;
            Map<?, ?> m = JSON.readValue(line, Map.class);
            if (m.get("step") instanceof Number n && n.intValue() <= step) keep.add(line);
        }
        writeAtomic(metrics, (String.join("\n", keep) + (keep.isEmpty() ? "" : "\n")).getBytes(StandardCharsets.UTF_8));
    }

    /** The train and validation points of a run's {@code metrics.jsonl} (nothing when it does not exist). */
    public static void readCurves(Path metrics, List<LossCurve.Point> train, List<LossCurve.Point> val) throws IOException {
        if (!Files.exists(metrics)) return;
        for (String line : Files.readAllLines(metrics)) {
            if (line.isBlank()) continue;
            Map<?, ?> m = JSON.readValue(line, Map.class);
            int step = ((Number) m.get("step")).intValue();
            if (m.get("train_loss") instanceof Number n) train.add(new LossCurve.Point(step, n.doubleValue()));
            if (m.get("val_loss") instanceof Number n) val.add(new LossCurve.Point(step, n.doubleValue()));
        }
    }

    private static void writeCurve(Path runDir, List<LossCurve.Point> train, List<LossCurve.Point> val) throws IOException {
        LossCurve.write(runDir.resolve("loss.svg"), train, val);
    }

    // ---- model shape, tokenizer, memory -------------------------------------------------------

    /** A preset name, or a Hugging Face config.json path. */
    public static ModelConfig resolveConfig(String spec) {
        Path p = Path.of(spec);
        if (Files.isDirectory(p)) p = p.resolve("config.json");
        if (Files.isRegularFile(p)) {
            try {
                @SuppressWarnings("unchecked") Map<String, Object> m = JSON.readValue(p.toFile(), Map.class);
                return ModelConfig.fromHfConfig(m, p.toString());
            } catch (IOException e) {
                throw AprException.badInput("BAD_CONFIG", p + ": expected a JSON object (HF config.json), got unparsable JSON: " + e.getMessage());
            }
        }
        if (spec.endsWith(".json") || spec.contains("/"))
            throw AprException.badInput("CONFIG_MISSING", spec + ": --config: no such file (expected a preset name "
                    + ModelConfig.PRESETS + " or a config.json path)");
        return ModelConfig.preset(spec);
    }

    /** Vocabulary size of a tokenizer (directory or tokenizer.json), added tokens included: the one reader. */
    static int tokenizerVocabSize(Path p) {
        return dev.apr.format.TokenizerJson.read(p).vocabSize();
    }

    private static void checkManifestVocab(TokenShards d, ModelConfig cfg) {
        int v = d.manifestVocabSize();
        if (v > cfg.vocabSize())
            throw AprException.badInput("DATA_VOCAB_TOO_LARGE", d.describe() + "/manifest.json: vocab_size: expected <= the model's vocab_size "
                    + cfg.vocabSize() + ", got " + v);
    }

    /** Refuses a run whose buffers cannot fit the heap, before allocating them. */
    static void checkMemory(ModelConfig cfg, int B, int T) {
        long p = new ParamLayout(cfg).total();
        long rows = (long) B * T;
        long C = cfg.hiddenSize(), F = cfg.intermediateSize(), Q = cfg.qDim(), KV = cfg.kvDim();
        long perLayer = rows * (4 * C + 2 * Q + 2 * KV + 3 * F + 2) + (long) B * cfg.numHeads() * T;
        long scratch = rows * (4 * C + 2 * Q + 2 * KV + 3 * F);
        long head = (long) TrainModel.headRows((int) Math.min(rows, Integer.MAX_VALUE), cfg.vocabSize()) * cfg.vocabSize();
        long floats = 5 * p + cfg.numLayers() * perLayer + scratch + head;
        long bytes = floats * 4;
        long max = Runtime.getRuntime().maxMemory();
        if (p > Integer.MAX_VALUE - 64 || bytes > max * 0.92)
            throw AprException.badInput("TRAIN_OUT_OF_MEMORY", String.format(Locale.ROOT,
                    "model %s with batch %d x seq %d needs about %.2f GiB (weights, gradients, AdamW moments, activations); "
                            + "the JVM may use %.2f GiB: lower --batch-size/--seq-length or raise -Xmx (APR_JAVA_OPTS)",
                    cfg.family(), B, T, bytes / 1073741824.0, max / 1073741824.0));
    }

    private static void positive(String flag, int v) {
        if (v < 1) throw usage(flag + ": expected a positive integer, got " + v);
    }

    private static AprException usage(String msg) {
        return new AprException("PRETRAIN_USAGE", AprException.USAGE, msg);
    }

    private static String fmt(double v) { return String.format(Locale.ROOT, "%.4f", v); }
}
