package dev.apr.cli;

import dev.apr.format.AprException;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "tokenize", mixinStandardHelpOptions = true, description = "Tokenize text corpora into u32 token shards.")
public final class TokenizeCommand implements Callable<Integer> {
    @Override public Integer call() {
        throw new AprException("NOT_IMPLEMENTED", AprException.USAGE, "'apr tokenize' is not built yet");
    }
}
