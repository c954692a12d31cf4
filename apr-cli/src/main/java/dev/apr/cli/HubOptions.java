package dev.apr.cli;

import dev.apr.hub.client.HubClient;
import dev.apr.hub.client.HubSettings;
import dev.apr.format.io.Progress;
import picocli.CommandLine.Option;

/** {@code --endpoint} and {@code --token}, shared by the hub commands (a picocli mixin). */
public final class HubOptions {
    @Option(names = "--endpoint", paramLabel = "URL",
            description = "Hub URL [HF_ENDPOINT, else the embedded hub: $APR_HOME/hub.url, else " + HubSettings.DEFAULT_EMBEDDED_ENDPOINT + "]")
    String endpoint;

    @Option(names = "--token", paramLabel = "TOKEN", description = "Hub access token [HF_TOKEN, else $HF_HOME/token]; never printed")
    String token;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Download cache [HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub]")
    java.nio.file.Path cacheDir;

    @Option(names = {"-q", "--quiet"}, description = "No progress on stderr")
    boolean quiet;

    HubSettings settings() {
        HubSettings s = HubSettings.resolve(endpoint, token);
        return cacheDir == null ? s : new HubSettings(s.endpoint(), s.token(), cacheDir);
    }

    HubClient client() {
        return new HubClient(settings()).progress(quiet ? Progress.NONE : Progress.to(System.err));
    }
}
