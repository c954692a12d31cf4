package dev.apr.train;

import java.nio.file.Path;

/**
 * Every flag of {@code apr pretrain} (specs/pretrain.md). Null / 0 means "use the default", which
 * {@link Pretrain} resolves (some defaults depend on the mode).
 */
public final class PretrainOptions {
    public Path data;                 // --data DIR (required unless synthetic)
    public Path valData;              // --val-data DIR [first 16 batches of --data, then excluded]
    public Path runDir;               // --run-dir DIR (required)
    public String config;             // --config PRESET|config.json
    public Path init;                 // --init PATH
    public String mode;               // --mode finetune|from-scratch [finetune with --init, else from-scratch]
    public Double lr;                 // --lr [finetune 5e-5, from-scratch 3e-4]
    public Integer warmupSteps;       // --warmup-steps [finetune 100, from-scratch 1000, capped at num-steps]
    public int numSteps = 1000;
    public int batchSize = 16;
    public int seqLength = 1024;
    public int gradAccum = 1;
    public int evalEvery = 100;
    public Integer saveEvery;         // [= eval-every]
    public long seed = 42;
    public Integer threads;           // [all cores]
    public boolean synthetic;
    public boolean resume;
    public Path tokenizer;            // --tokenizer DIR|tokenizer.json
    public Double timeLimitSeconds;   // --time-limit MINUTES [none]: stop early, checkpointed and resumable
    public int valBatches = 16;       // held-out batches (spec: 16)
    /**
     * Polled after every optimizer step: once true, the run stops there, writes a checkpoint of that
     * step (resumable) and returns with {@link Pretrain.Result#interrupted()} set. The CLI sets it
     * on SIGINT / SIGTERM, so Ctrl-C loses at most the step in flight, not everything since the last save.
     */
    public java.util.function.BooleanSupplier stopRequested = () -> false;
    /** Test hook: poison the gradient with NaN at this step (-1: never). Not a CLI flag. */
    int injectNaNAtStep = -1;
}
