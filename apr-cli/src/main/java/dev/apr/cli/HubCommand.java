package dev.apr.cli;

import dev.apr.format.AprException;
import dev.apr.hub.client.HubSettings;
import dev.apr.hub.server.HubLimits;
import dev.apr.hub.server.HubServerMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "hub", mixinStandardHelpOptions = true,
        description = "Run the embedded, Hugging Face-compatible hub (apr hub serve).",
        subcommands = {HubCommand.Serve.class})
public final class HubCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = {"Serve a self-hosted hub that huggingface_hub, @huggingface/hub and apr accept.",
                    "Prints 'apr hub: serving URL (data DIR)', writes URL to $APR_HOME/hub.url, runs until SIGTERM/SIGINT.",
                    "The first start mints an hf_ token and prints it once; APR_HUB_TOKEN or --token-file add a known one."})
    public static final class Serve implements Callable<Integer> {
        @Option(names = "--port", defaultValue = "7878", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE})")
        int port;

        @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to bind (default: ${DEFAULT-VALUE})")
        String host;

        @Option(names = "--data", description = "data directory (default: $APR_HUB_DATA, else $APR_HOME/hub, APR_HOME defaulting to ~/.apr)")
        Path data;

        @Option(names = "--token-file", description = "file holding an hf_ token to accept (besides APR_HUB_TOKEN)")
        Path tokenFile;

        @Option(names = "--max-file-mb", defaultValue = "10", description = "largest regular (non-LFS) file in a commit, MiB (default: ${DEFAULT-VALUE})")
        long maxFileMb;

        @Option(names = "--multipart-threshold-mb", defaultValue = "64", description = "LFS uploads above this use multipart, MiB (default: ${DEFAULT-VALUE})")
        long multipartThresholdMb;

        @Option(names = "--multipart-chunk-mb", defaultValue = "16", description = "multipart part size, MiB (default: ${DEFAULT-VALUE})")
        long multipartChunkMb;

        @Override public Integer call() throws Exception {
            if (port < 0 || port > 65535) throw new AprException("HUB_BAD_PORT", AprException.USAGE, "--port: expected 0..65535, got " + port);
            if (maxFileMb <= 0 || multipartThresholdMb <= 0 || multipartChunkMb < 5)
                throw new AprException("HUB_BAD_LIMIT", AprException.USAGE,
                        "--max-file-mb and --multipart-threshold-mb must be positive and --multipart-chunk-mb at least 5");
            Path dir = data;
            if (dir == null) {
                String env = System.getenv("APR_HUB_DATA");
                dir = env != null && !env.isBlank() ? Path.of(env) : HubSettings.aprHome(System.getenv()).resolve("hub");
            }
            HubLimits d = HubLimits.defaults();
            HubLimits limits = d.withRegularFileAndBody(maxFileMb * HubLimits.MiB, Math.max(d.maxCommitBodyBytes(), maxFileMb * HubLimits.MiB * 2))
                    .withMultipart(multipartThresholdMb * HubLimits.MiB, multipartChunkMb * HubLimits.MiB);
            // clients without HF_ENDPOINT find the embedded hub through $APR_HOME/hub.url (HubSettings)
            HubServerMain.serve(dir, host, port, tokenFile, limits, HubSettings.aprHome(System.getenv()).resolve("hub.url"));
            return 0;
        }
    }
}
