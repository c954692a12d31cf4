package dev.apr.hub.server;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the hub as its own process (tests start it with ProcessBuilder; {@code apr hub serve}
 * uses {@link #serve}). Arguments: {@code [--port N] [--data DIR] [--host H] [--token-file F]}
 * and, for tests, byte limits {@code --multipart-threshold --multipart-chunk --max-file-bytes --max-commit-bytes};
 * environment {@code APR_HUB_TOKEN} registers a token too. Stops cleanly on SIGTERM / SIGINT.
 */
public final class HubServerMain {
    private HubServerMain() {}

    public static void main(String[] args) throws Exception {
        int port = 0;
        Path data = Path.of("hub-data");
        String host = "127.0.0.1";
        Path tokenFile = null;
        HubLimits limits = HubLimits.defaults();
        long multipartThreshold = limits.multipartThreshold(), multipartChunk = limits.multipartChunkBytes();
        long maxFile = limits.maxRegularFileBytes(), maxBody = limits.maxCommitBodyBytes();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) usage("missing value after " + a);
            switch (a) {
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--data" -> data = Path.of(args[++i]);
                case "--host" -> host = args[++i];
                case "--token-file" -> tokenFile = Path.of(args[++i]);
                case "--multipart-threshold" -> multipartThreshold = Long.parseLong(args[++i]);
                case "--multipart-chunk" -> multipartChunk = Long.parseLong(args[++i]);
                case "--max-file-bytes" -> maxFile = Long.parseLong(args[++i]);
                case "--max-commit-bytes" -> maxBody = Long.parseLong(args[++i]);
                default -> usage("unknown argument " + a);
            }
        }
        serve(data, host, port, tokenFile,
                limits.withMultipart(multipartThreshold, multipartChunk).withRegularFileAndBody(maxFile, maxBody), null);
    }

    private static void usage(String why) {
        System.err.println("apr hub serve: " + why + "\nusage: [--port N] [--data DIR] [--host H] [--token-file F]"
                + " [--multipart-threshold BYTES] [--multipart-chunk BYTES] [--max-file-bytes BYTES] [--max-commit-bytes BYTES]");
        System.exit(1);
    }

    /** Removes the URL hint file, unless another server has written its own URL there since. */
    private static void forgetUrl(Path urlFile, String url) {
        if (urlFile == null) return;
        try {
            if (Files.isRegularFile(urlFile) && Files.readString(urlFile).strip().equals(url)) Files.delete(urlFile);
        } catch (java.io.IOException ignored) {
            // a stale hint only makes clients try a URL that does not answer
        }
    }

    /**
     * Starts the server, prints the endpoint line (and a first-start token once), then blocks
     * until SIGTERM/SIGINT, when it stops gracefully.
     *
     * @param urlFile where to write the URL for clients that look for the embedded hub
     *                ({@code $APR_HOME/hub.url}, read by {@code HubSettings}); null for none
     */
    public static void serve(Path data, String host, int port, Path tokenFile, HubLimits limits, Path urlFile) throws Exception {
        HubServer hub = new HubServer(limits);
        hub.start(data, host, port);
        if (urlFile != null) AtomicFiles.write(urlFile, (hub.url() + "\n").getBytes(StandardCharsets.UTF_8));
        String env = System.getenv("APR_HUB_TOKEN");
        if (env != null && !env.isBlank()) hub.addToken(HubServer.DEFAULT_USER, env.strip());
        if (tokenFile != null) hub.addToken(HubServer.DEFAULT_USER, Files.readString(tokenFile, StandardCharsets.UTF_8).strip());
        CountDownLatch stopped = new CountDownLatch(1);
        String url = hub.url();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            hub.stop();
            forgetUrl(urlFile, url);
            stopped.countDown();
        }, "apr-hub-shutdown"));
        hub.initialToken().ifPresent(t -> System.out.println(
                "apr hub: created token " + t + " (stored hashed in " + data.resolve("tokens.json") + "; shown only this once)"));
        System.out.println("apr hub: serving " + hub.url() + " (data " + data.toAbsolutePath() + ")");
        System.out.flush();
        stopped.await();
    }
}
