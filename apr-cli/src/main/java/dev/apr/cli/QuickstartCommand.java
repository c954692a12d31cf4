package dev.apr.cli;

import dev.apr.cli.quickstart.Journey;
import dev.apr.format.AprException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = {"The whole journey on the embedded default, in minutes: tokenize the JDK's sources, pretrain a small Qwen2,"
                + " fine-tune it with --init, stamp, export SafeTensors + GGUF Q4_K, publish to an embedded hub, audit, verify,"
                + " and run it from the hub. Writes quickstart-report.md and loss-curves.svg in --workdir."})
public final class QuickstartCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--workdir", defaultValue = "apr-quickstart", paramLabel = "DIR",
            description = "Where everything goes; a previous quickstart's output there is replaced (default: ${DEFAULT-VALUE}).")
    Path workdir;

    @Option(names = "--minutes", defaultValue = "6", paramLabel = "N",
            description = "Training time budget for both runs; the other stages add about a minute (default: ${DEFAULT-VALUE}).")
    double minutes;

    @Option(names = "--corpus", paramLabel = "SRC_ZIP", description = "The JDK sources (default: this JDK's lib/src.zip).")
    Path corpus;

    @Option(names = "--tokenizer", paramLabel = "DIR",
            description = "The Qwen tokenizer (default: testdata/qwen3-tokenizer beside the apr launcher).")
    Path tokenizer;

    @Option(names = "--repo", defaultValue = "apr/qwen2-java-quickstart", paramLabel = "ORG/NAME",
            description = "Repository name on the embedded hub (default: ${DEFAULT-VALUE}).")
    String repo;

    @Option(names = "--batch-size", defaultValue = "8", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seq-length", defaultValue = "128", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    int seq;

    @Override public Integer call() {
        if (!(minutes > 0) || minutes > 24 * 60)
            throw new AprException("BAD_OPTION", AprException.USAGE, "--minutes: expected a number in (0, 1440], got " + minutes);
        Path src = corpus != null ? corpus : Path.of(System.getProperty("java.home"), "lib", "src.zip");
        if (!Files.isRegularFile(src))
            throw AprException.badInput("QUICKSTART_NO_CORPUS", src + ": expected the JDK's source archive lib/src.zip, got no such"
                    + " file (install the JDK's sources or pass --corpus PATH)");
        Path tok = tokenizer != null ? tokenizer : defaultTokenizer();
        if (!Files.isRegularFile(tok.resolve("tokenizer.json")))
            throw AprException.badInput("QUICKSTART_NO_TOKENIZER", tok + ": expected a directory with tokenizer.json, got none"
                    + " (pass --tokenizer DIR)");
        PrintStream out = WriterStream.printStream(spec.commandLine().getOut());
        PrintStream err = WriterStream.printStream(spec.commandLine().getErr());
        Journey.run(new Journey.Options(workdir.toAbsolutePath().normalize(), minutes, src, tok, repo, batch, seq), out, err);
        return 0;
    }

    /** The launcher passes its own directory as apr.home; the repository ships the Qwen tokenizer under testdata/. */
    private static Path defaultTokenizer() {
        String home = System.getProperty("apr.home");
        return (home != null ? Path.of(home) : Path.of("")).resolve("testdata/qwen3-tokenizer").toAbsolutePath().normalize();
    }
}
