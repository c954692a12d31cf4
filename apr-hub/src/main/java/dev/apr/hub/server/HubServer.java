package dev.apr.hub.server;

import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A self-hosted, Hugging Face Hub-compatible server (spec hf-hub-protocol.md §12) that the
 * official clients accept: each repository is a bare git repository, large files live in a
 * content-addressed LFS store, uploads go through the LFS batch API (basic or multipart) and
 * land in one atomic NDJSON commit.
 *
 * <pre>{@code
 * HubServer hub = new HubServer();
 * int port = hub.start(Path.of("hub-data"), "127.0.0.1", 0);  // 0 = any free port
 * hub.addToken("alice", "hf_test_token");                     // or hub.initialToken() on first start
 * ... HF_ENDPOINT=hub.url() ...
 * hub.stop();
 * }</pre>
 *
 * Data directory layout: {@code repos/<type>s/<ns>/<name>.git}, {@code lfs/objects/ab/cd/<sha256>},
 * {@code tokens.json} (SHA-256 of each token), {@code signing.key} (for pre-signed upload URLs).
 */
public final class HubServer implements AutoCloseable {
    /** The user that owns the token minted on first start. */
    public static final String DEFAULT_USER = "apr";

    private final HubLimits limits;
    private Server jetty;
    private RepoStore repos;
    private TokenStore tokens;
    private String url;
    private String initialToken;

    public HubServer() { this(HubLimits.defaults()); }

    public HubServer(HubLimits limits) { this.limits = limits; }

    /**
     * Opens (creating if needed) the data directory and starts serving.
     *
     * @param port 0 picks a free port
     * @return the bound port
     */
    public synchronized int start(Path dataDir, String host, int port) throws IOException {
        if (jetty != null) throw new IllegalStateException("hub server already started at " + url);
        Files.createDirectories(dataDir);
        repos = new RepoStore(dataDir);
        tokens = new TokenStore(dataDir);
        if (tokens.isEmpty()) initialToken = tokens.mint(DEFAULT_USER, "apr hub serve (first start)");
        HubContext ctx = new HubContext(repos, new LfsStore(dataDir), tokens, new UrlSigner(dataDir), limits);

        QueuedThreadPool threads = new QueuedThreadPool(64, 4);
        threads.setName("apr-hub");
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        // %2F inside a revision or path segment is legal for the Hub (refs%2Fpr%2F1, spec §1.2):
        // the handler decodes and validates every segment itself.
        http.setUriCompliance(UriCompliance.UNSAFE);
        http.setSendServerVersion(false);
        http.setSendDateHeader(true);
        http.setRequestHeaderSize(64 * 1024);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(300_000);
        server.addConnector(connector);
        server.setHandler(new HubHandler(ctx));
        server.setStopTimeout(5_000);
        try {
            server.start();
        } catch (Exception e) {
            try { server.stop(); } catch (Exception ignored) { /* already failing */ }
            repos.close();
            throw new IOException("cannot start the hub server on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        jetty = server;
        int bound = connector.getLocalPort();
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        url = "http://" + h + ":" + bound;
        return bound;
    }

    /** {@code http://host:port} (no trailing slash), for {@code HF_ENDPOINT} / {@code hubUrl}. */
    public synchronized String url() {
        if (url == null) throw new IllegalStateException("hub server not started");
        return url;
    }

    /** The token minted because the data directory had none; present only on that first start. */
    public synchronized Optional<String> initialToken() { return Optional.ofNullable(initialToken); }

    /** Registers a known token (must start with {@code hf_}); stored hashed. Call after {@link #start}. */
    public synchronized void addToken(String user, String token) throws IOException {
        if (tokens == null) throw new IllegalStateException("hub server not started");
        tokens.add(user, "added token", token);
    }

    /** Stops serving (in-flight requests get a few seconds) and closes the repositories. */
    public synchronized void stop() {
        if (jetty == null) return;
        try {
            jetty.stop();
        } catch (Exception e) {
            throw new IllegalStateException("stopping the hub server failed: " + e.getMessage(), e);
        } finally {
            jetty = null;
            repos.close();
        }
    }

    public synchronized boolean isRunning() { return jetty != null && jetty.isRunning(); }

    /** Blocks until the server stops. */
    public void join() throws InterruptedException {
        Server s;
        synchronized (this) { s = jetty; }
        if (s != null) s.join();
    }

    @Override public void close() { stop(); }
}
