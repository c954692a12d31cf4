package dev.apr.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apr.format.AprException;
import dev.apr.train.Pretrain;
import dev.apr.train.PretrainOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code apr pretrain}: parse the flags of specs/pretrain.md and call {@link Pretrain#run}. */
@Command(name = "pretrain", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Pretrain a model from scratch, or fine-tune one with --init, on token shards (apr tokenize encode-corpus) or a --synthetic stream.",
                "Step 0 is always evaluated (prints 'step 0 val_loss=...'); checkpoints go to RUN-DIR/ckpt/step-NNNNNN.apr (+ .json, .optim),",
                "metrics to RUN-DIR/metrics.jsonl, the loss curve to RUN-DIR/loss.svg."})
public final class PretrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--data", paramLabel = "DIR", description = "Token shard directory (required unless --synthetic).")
    Path data;
    @Option(names = "--val-data", paramLabel = "DIR", description = "Validation shards [default: the first 16 batches of --data, then excluded from training].")
    Path valData;
    @Option(names = "--run-dir", paramLabel = "DIR", required = true, description = "Where checkpoints, metrics.jsonl and loss.svg go.")
    Path runDir;
    @Option(names = "--config", paramLabel = "PRESET|config.json", description = "Model shape when there is no --init (a preset such as qwen2-0.5b, qwen2-h128, or a HF config.json); with --init, the architecture the init must match.")
    String config;
    @Option(names = "--init", paramLabel = "PATH", description = {
            "Optional. Start from the weights of this APR checkpoint (fine-tuning) instead of random weights.",
            "Checked before anything is allocated: the file must be a valid APR v2 decoder (qwen2/llama) whose architecture matches --config (when given),",
            "with every tensor present at its exact shape; a tied init keeps lm_head = embedding. Optimizer state starts fresh (moments 0, step 0)."})
    Path init;
    @Option(names = "--mode", paramLabel = "finetune|from-scratch", description = "Default hyper-parameters [finetune with --init, else from-scratch].")
    String mode;
    @Option(names = "--lr", description = "Peak learning rate [finetune 5e-5, from-scratch 3e-4].")
    Double lr;
    @Option(names = "--warmup-steps", description = "Linear warmup steps, then cosine decay to lr/100 [finetune 100, from-scratch 1000; capped at --num-steps].")
    Integer warmupSteps;
    @Option(names = "--num-steps", defaultValue = "1000", description = "Optimizer steps [${DEFAULT-VALUE}].")
    int numSteps;
    @Option(names = "--batch-size", defaultValue = "16", description = "Sequences per micro-batch [${DEFAULT-VALUE}].")
    int batchSize;
    @Option(names = "--seq-length", defaultValue = "1024", description = "Tokens per sequence [${DEFAULT-VALUE}].")
    int seqLength;
    @Option(names = "--grad-accum", defaultValue = "1", description = "Micro-batches per optimizer step [${DEFAULT-VALUE}].")
    int gradAccum;
    @Option(names = "--eval-every", defaultValue = "100", description = "Validation every N steps [${DEFAULT-VALUE}].")
    int evalEvery;
    @Option(names = "--save-every", description = "Checkpoint every N steps [= --eval-every].")
    Integer saveEvery;
    @Option(names = "--seed", defaultValue = "42", description = "Seed of the initial weights [${DEFAULT-VALUE}].")
    long seed;
    @Option(names = "--threads", description = "Worker threads [all cores].")
    Integer threads;
    @Option(names = "--synthetic", description = "Train on a generated, learnable token stream (no corpus needed).")
    boolean synthetic;
    @Option(names = "--resume", description = "Continue from the newest checkpoint in --run-dir.")
    boolean resume;
    @Option(names = "--tokenizer", paramLabel = "DIR", description = "A tokenizer (directory with tokenizer.json); its vocabulary must fit the model's.")
    Path tokenizer;
    @Option(names = "--time-limit", paramLabel = "MINUTES", description = "Stop after this much wall time even before --num-steps (evaluated, checkpointed; --resume continues) [none].")
    Double timeLimit;
    @Option(names = "--json", description = "Print the result as JSON on stdout.")
    boolean json;

    @Override public Integer call() throws Exception {
        PretrainOptions o = new PretrainOptions();
        o.data = data;
        o.valData = valData;
        o.runDir = runDir;
        o.config = config;
        o.init = init;
        o.mode = mode;
        o.lr = lr;
        o.warmupSteps = warmupSteps;
        o.numSteps = numSteps;
        o.batchSize = batchSize;
        o.seqLength = seqLength;
        o.gradAccum = gradAccum;
        o.evalEvery = evalEvery;
        o.saveEvery = saveEvery;
        o.seed = seed;
        o.threads = threads;
        o.synthetic = synthetic;
        o.resume = resume;
        o.tokenizer = tokenizer;
        if (timeLimit != null) {
            if (!(timeLimit > 0)) throw new AprException("BAD_OPTION", AprException.USAGE,
                    "--time-limit: expected a positive number of minutes, got " + timeLimit);
            o.timeLimitSeconds = timeLimit * 60;
        }
        PrintStream out = WriterStream.printStream(spec.commandLine().getOut());
        PrintStream err = WriterStream.printStream(spec.commandLine().getErr());
        // Ctrl-C / SIGTERM: finish the step in flight, checkpoint it, then exit with the signal's status
        try (GracefulStop stop = new GracefulStop("apr pretrain", "finishing the current step and writing its checkpoint", err)) {
            o.stopRequested = stop::requested;
            Pretrain.Result r = Pretrain.run(o, json ? null : out, err);
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("final_step", r.finalStep());
                m.put("train_loss", Double.isFinite(r.trainLoss()) ? r.trainLoss() : null);
                m.put("step0_val_loss", r.step0ValLoss());
                m.put("val_loss", r.valLoss());
                m.put("checkpoint", r.lastCheckpoint() != null ? r.lastCheckpoint().toString() : null);
                m.put("tokens_per_s", r.tokensPerSecond());
                m.put("tokens_seen", r.tokensSeen());
                m.put("run_dir", runDir.toString());
                m.put("interrupted", r.interrupted());
                out.println(new ObjectMapper().writeValueAsString(m));
            } else if (r.lastCheckpoint() != null) {
                out.println("checkpoint: " + r.lastCheckpoint());
            }
            if (r.interrupted())
                err.println("apr pretrain: interrupted at step " + r.finalStep() + " of " + numSteps
                        + "; run the same command with --resume to continue from " + r.lastCheckpoint());
            out.flush();
            err.flush();
        }
        return 0;
    }
}
