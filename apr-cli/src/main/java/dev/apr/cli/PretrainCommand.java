package dev.apr.cli;

import dev.apr.format.AprException;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "pretrain", mixinStandardHelpOptions = true, description = "Pretrain or fine-tune (--init) a model on token shards.")
public final class PretrainCommand implements Callable<Integer> {
    @Override public Integer call() {
        throw new AprException("NOT_IMPLEMENTED", AprException.USAGE, "'apr pretrain' is not built yet");
    }
}
