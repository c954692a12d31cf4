package dev.apr.cli;

import dev.apr.format.AprException;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "hub", mixinStandardHelpOptions = true, description = "Run the embedded, Hugging Face-compatible hub (apr hub serve).")
public final class HubCommand implements Callable<Integer> {
    @Override public Integer call() {
        throw new AprException("NOT_IMPLEMENTED", AprException.USAGE, "'apr hub' is not built yet");
    }
}
