package dev.apr.cli;

import dev.apr.format.AprException;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "export", mixinStandardHelpOptions = true, description = "Export an APR model to SafeTensors (+ config.json) or GGUF (f32/f16/q8_0/int4).")
public final class ExportCommand implements Callable<Integer> {
    @Override public Integer call() {
        throw new AprException("NOT_IMPLEMENTED", AprException.USAGE, "'apr export' is not built yet");
    }
}
