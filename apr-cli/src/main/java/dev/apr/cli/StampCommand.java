package dev.apr.cli;

import dev.apr.format.AprException;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "stamp", mixinStandardHelpOptions = true, description = "Rewrite an APR file's metadata: licence, provenance, embedded tokenizer.")
public final class StampCommand implements Callable<Integer> {
    @Override public Integer call() {
        throw new AprException("NOT_IMPLEMENTED", AprException.USAGE, "'apr stamp' is not built yet");
    }
}
