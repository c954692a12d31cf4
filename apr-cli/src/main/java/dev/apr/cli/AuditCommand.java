package dev.apr.cli;

import dev.apr.format.AprException;
import dev.apr.hub.client.RepoId;
import dev.apr.hub.publish.Auditor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Check what the hub page of a repository shows: one PASS/FAIL line per rule of specs/publish.md; exit 4 on any failure.")
public final class AuditCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "ORG/NAME") String repo;
    @Option(names = "--revision", paramLabel = "REV", defaultValue = "main") String revision;
    @Option(names = "--library-name", paramLabel = "NAME", defaultValue = "apr", description = "The declared library_name [apr]") String libraryName;
    @Option(names = "--base-model", paramLabel = "ORG/NAME", description = "Require cardData.base_model to be this") String baseModel;
    @Mixin HubOptions hub;

    @Override public Integer call() {
        List<Auditor.Check> checks = Auditor.audit(hub.client(), RepoId.parse(repo), revision, libraryName, baseModel);
        checks.forEach(System.out::println);
        long failed = checks.stream().filter(c -> !c.pass()).count();
        System.out.println(failed == 0 ? "audit passed: " + checks.size() + " checks" : "audit FAILED: " + failed + " of " + checks.size() + " checks");
        return failed == 0 ? 0 : AprException.VERIFY;
    }
}
