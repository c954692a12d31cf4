package dev.apr.cli;

import dev.apr.format.AprException;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "publish", mixinStandardHelpOptions = true, description = "Publish a staging directory to a hub repository in one atomic commit.")
public final class PublishCommand implements Callable<Integer> {
    @Override public Integer call() {
        throw new AprException("NOT_IMPLEMENTED", AprException.USAGE, "'apr publish' is not built yet");
    }
}
