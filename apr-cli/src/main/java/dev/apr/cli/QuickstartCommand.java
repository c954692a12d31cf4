package dev.apr.cli;

import dev.apr.format.AprException;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "quickstart", mixinStandardHelpOptions = true, description = "The whole journey on the embedded default in minutes.")
public final class QuickstartCommand implements Callable<Integer> {
    @Override public Integer call() {
        throw new AprException("NOT_IMPLEMENTED", AprException.USAGE, "'apr quickstart' is not built yet");
    }
}
