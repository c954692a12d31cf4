package dev.apr.cli;

import dev.apr.format.AprException;
import dev.apr.hub.client.RepoId;
import dev.apr.hub.publish.Verifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Verify the three load paths (apr, Transformers, llama.cpp) of a hub repository and the cross-format logits; exit 4 on a failure.")
public final class VerifyCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "ORG/NAME|DIR", description = "A hub repository (pulled into the cache), or a local snapshot/staging directory")
    String target;
    @Option(names = "--revision", paramLabel = "REV", defaultValue = "main") String revision;
    @Option(names = {"-n", "--tokens"}, paramLabel = "N", defaultValue = "16", description = "Tokens to generate on the apr path [16]") int tokens;
    @Option(names = "--name", paramLabel = "NAME", description = "Model file stem for a local DIR [the directory name]") String name;
    @Mixin HubOptions hub;

    @Override public Integer call() {
        List<Verifier.Check> checks;
        Path local = Path.of(target);
        if (Files.isDirectory(local)) checks = Verifier.verifySnapshot(local, name != null ? name : local.getFileName().toString(), tokens);
        else checks = Verifier.verify(hub.client(), hub.settings().cacheDir(), RepoId.parse(target), revision, tokens);
        checks.forEach(System.out::println);
        long failed = checks.stream().filter(c -> c.status() == Verifier.Status.FAIL).count();
        System.out.println(failed == 0 ? "verify passed" : "verify FAILED: " + failed + " check" + (failed == 1 ? "" : "s"));
        return failed == 0 ? 0 : AprException.VERIFY;
    }
}
