package dev.apr.cli;

import dev.apr.format.AprException;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "verify", mixinStandardHelpOptions = true, description = "Verify the three load paths (apr, Transformers, llama.cpp) of a hub repository.")
public final class VerifyCommand implements Callable<Integer> {
    @Override public Integer call() {
        throw new AprException("NOT_IMPLEMENTED", AprException.USAGE, "'apr verify' is not built yet");
    }
}
