package dev.apr.cli;

import dev.apr.format.AprException;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "pull", mixinStandardHelpOptions = true, description = "Download a hub repository into the huggingface_hub cache.")
public final class PullCommand implements Callable<Integer> {
    @Override public Integer call() {
        throw new AprException("NOT_IMPLEMENTED", AprException.USAGE, "'apr pull' is not built yet");
    }
}
