package dev.apr.cli;

import dev.apr.hub.client.HubClient;
import dev.apr.hub.client.HubDownloader;
import dev.apr.hub.client.HubSettings;
import dev.apr.hub.client.RepoId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

@Command(name = "pull", mixinStandardHelpOptions = true,
        description = "Download a hub repository into the huggingface_hub cache (HF_HUB_CACHE / HF_HOME) and print the snapshot directory.")
public final class PullCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "ORG/NAME") String repo;
    @Option(names = "--revision", paramLabel = "REV", defaultValue = "main", description = "Branch, tag or commit [main]") String revision;
    @Option(names = "--include", paramLabel = "GLOB", split = ",", description = "Only files matching these globs (e.g. '*.apr,*.json')")
    List<String> include = new ArrayList<>();
    @Mixin HubOptions hub;

    @Override public Integer call() {
        RepoId id = RepoId.parse(repo);
        HubSettings s = hub.settings();
        HubClient client = hub.client();
        Predicate<String> filter = null;
        if (!include.isEmpty()) {
            List<PathMatcher> ms = include.stream().map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g)).toList();
            filter = p -> ms.stream().anyMatch(m -> m.matches(Path.of(p)));
        }
        Path snapshot = new HubDownloader(client, s.cacheDir()).snapshot(id, revision, filter);
        System.out.println(snapshot);
        return 0;
    }
}
