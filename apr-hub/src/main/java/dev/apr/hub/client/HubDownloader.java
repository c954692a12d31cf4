package dev.apr.hub.client;

import dev.apr.format.AprException;
import dev.apr.format.io.Progress;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Downloads repository files into the {@code huggingface_hub} cache (§7.1, §7.3): a HEAD on
 * {@code /resolve} for the commit, ETag and size, then a GET resumed with {@code Range} from
 * {@code blobs/<etag>.incomplete} after a dropped connection, the content checked against its id
 * (sha256 for LFS, git SHA-1 otherwise), renamed into {@code blobs/}, and linked from
 * {@code snapshots/<commit>/}.
 */
public final class HubDownloader {

    private final HubClient client;
    private final HubHttp http;
    private final Path cacheDir;

    public HubDownloader(HubClient client, Path cacheDir) {
        this.client = client;
        this.http = client.http();
        this.cacheDir = cacheDir;
    }

    /**
     * Downloads every file of {@code repo} at {@code revision} whose path passes {@code filter}
     * (null = all) and returns the snapshot directory {@code snapshots/<commit>}.
     */
    public Path snapshot(RepoId repo, String revision, Predicate<String> filter) {
        String rev = revision == null ? "main" : revision;
        String commit = rev.matches("[0-9a-f]{40}") ? rev : client.headCommit(repo, rev);
        HubCache cache = new HubCache(cacheDir, repo);
        List<HubClient.TreeEntry> files = new ArrayList<>();
        for (HubClient.TreeEntry e : client.listTree(repo, commit, true))
            if (e.isFile() && (filter == null || filter.test(e.path()))) files.add(e);
        for (HubClient.TreeEntry e : files) download(cache, repo, commit, e);
        try {
            Files.createDirectories(cache.snapshotDir(commit));
        } catch (IOException e) {
            throw new AprException("CACHE_IO", AprException.BAD_INPUT, cache.snapshotDir(commit) + ": " + e.getMessage());
        }
        if (!rev.equals(commit)) cache.writeRef(rev, commit);
        return cache.snapshotDir(commit);
    }

    /** Downloads one file of a commit into the cache; returns its snapshot path. */
    public Path download(HubCache cache, RepoId repo, String commit, HubClient.TreeEntry entry) {
        String etag = entry.etag();
        Path blob = cache.blob(etag);
        if (!(Files.isRegularFile(blob) && sizeOf(blob) == entry.size())) {
            try (FileChannel lock = cache.lock(etag)) {
                if (!(Files.isRegularFile(blob) && sizeOf(blob) == entry.size())) fetch(cache, repo, commit, entry);
            } catch (IOException e) {
                throw new AprException("CACHE_IO", AprException.BAD_INPUT, cache.lockFile(etag) + ": " + e.getMessage());
            }
        }
        return cache.link(commit, entry.path(), etag);
    }

    /** What a HEAD on /resolve says (§7.1 step 2). */
    record FileMeta(String commit, String etag, long size, URI location) {}

    FileMeta head(RepoId repo, String commit, String path) {
        URI uri = client.resolveUrl(repo, commit, path);
        String step = "resolve " + repo + "/" + path;
        for (int hops = 0; hops < 5; hops++) {
            URI at = uri;
            HttpResponse<byte[]> r = http.send(step, () -> http.request(at, true).header("Accept-Encoding", "identity")
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray(), true);
            int s = r.statusCode();
            var h = r.headers();
            String loc = h.firstValue("Location").orElse(null);
            boolean redirect = s / 100 == 3 && loc != null;
            String etag = h.firstValue("X-Linked-Etag").or(() -> h.firstValue("ETag")).orElse(null);
            if (redirect && URI.create(loc).getHost() == null) {   // relative redirect: HEAD again there
                uri = at.resolve(loc);
                continue;
            }
            if (!redirect && s / 100 != 2) throw http.error(step, r);
            String repoCommit = h.firstValue("X-Repo-Commit").orElse(null);
            String size = h.firstValue("X-Linked-Size").orElse(redirect ? null : h.firstValue("Content-Length").orElse(null));
            if (repoCommit == null || etag == null || size == null)
                throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE, step + ": HEAD answer lacks X-Repo-Commit, ETag or size");
            return new FileMeta(repoCommit, normaliseEtag(etag), Long.parseLong(size.strip()), redirect ? at.resolve(loc) : at);
        }
        throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE, step + ": too many redirects");
    }

    static String normaliseEtag(String etag) {
        String e = etag.strip();
        if (e.startsWith("W/")) e = e.substring(2);
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) e = e.substring(1, e.length() - 1);
        return e;
    }

    private void fetch(HubCache cache, RepoId repo, String commit, HubClient.TreeEntry entry) {
        FileMeta meta = head(repo, commit, entry.path());
        String label = entry.path();
        if (!meta.etag().equals(entry.etag()) || meta.size() != entry.size())
            throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE, "resolve " + repo + "/" + label + ": the hub says etag "
                    + meta.etag() + " size " + meta.size() + ", the tree listing said " + entry.etag() + " size " + entry.size());
        Path part = cache.incomplete(meta.etag()), blob = cache.blob(meta.etag());
        boolean lfs = entry.lfsOid() != null;
        boolean sameHost = sameOrigin(meta.location(), URI.create(client.endpoint()));
        try {
            Files.createDirectories(part.getParent());
            HubHttp.Backoff b = HubHttp.Backoff.DEFAULT;
            for (int attempt = 0; ; attempt++) {
                long have = Files.exists(part) ? Files.size(part) : 0;
                if (have > meta.size()) { Files.delete(part); have = 0; }
                if (have == meta.size() && meta.size() > 0) break;
                long from = have;
                try {
                    HttpResponse<InputStream> r = http.send("download " + label, () -> {
                        HttpRequest.Builder rb = http.request(meta.location(), sameHost).header("Accept-Encoding", "identity");
                        if (from > 0) rb.header("Range", "bytes=" + from + "-");
                        return rb.GET().build();
                    }, HttpResponse.BodyHandlers.ofInputStream(), true);
                    int s = r.statusCode();
                    if (s == 416 && from > 0) { r.body().close(); Files.delete(part); continue; }
                    if (s != 200 && s != 206) { r.body().close(); throw http.error("download " + label, r); }
                    boolean append = s == 206;
                    if (append) checkContentRange(r, from, meta.size(), label);
                    try (InputStream in = r.body(); FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                        out.truncate(append ? from : 0);
                        long pos = append ? from : 0;
                        out.position(pos);
                        byte[] buf = new byte[1 << 20];
                        int n;
                        while ((n = in.read(buf)) > 0) {
                            out.write(ByteBuffer.wrap(buf, 0, n));
                            pos += n;
                            if (pos > meta.size())
                                throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE, "download " + label + ": more bytes than the announced " + meta.size());
                            client.progress().update(label, pos, meta.size());
                        }
                        out.force(true);
                        if (pos == meta.size()) break;
                        throw new IOException("connection ended at byte " + pos + " of " + meta.size());
                    }
                } catch (IOException e) {
                    if (attempt + 1 >= b.maxAttempts())
                        throw new AprException("HUB_DOWNLOAD_FAILED", AprException.REMOTE, http.redact("download " + label + ": " + e.getMessage()
                                + " (partial data kept in " + part + "; run again to resume)"));
                    long wait = b.delayMillis(attempt, null);
                    client.progress().note("download " + label + ": " + e.getMessage() + "; resuming in " + wait + " ms");
                    HubHttp.sleep(wait);
                }
            }
            if (meta.size() == 0) Files.write(part, new byte[0]);
            String actual = lfs ? digest(part, "SHA-256", null) : digest(part, "SHA-1", ("blob " + meta.size() + "\0").getBytes());
            if (!actual.equals(meta.etag())) {
                Files.delete(part);
                throw new AprException("HUB_DOWNLOAD_CORRUPT", AprException.REMOTE, "download " + label + ": content hashes to " + actual
                        + ", expected " + meta.etag() + " (the partial file was removed)");
            }
            HubCache.move(part, blob);
        } catch (IOException e) {
            throw new AprException("CACHE_IO", AprException.BAD_INPUT, part + ": " + e.getMessage());
        }
    }

    private static void checkContentRange(HttpResponse<?> r, long from, long size, String label) {
        String cr = r.headers().firstValue("Content-Range").orElse("");
        if (!cr.startsWith("bytes " + from + "-"))
            throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE,
                    "download " + label + ": asked for bytes " + from + "-, got Content-Range '" + cr + "'");
    }

    private static String digest(Path f, String algo, byte[] prefix) throws IOException {
        MessageDigest md = FileDigest.md(algo);
        if (prefix != null) md.update(prefix);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            while (ch.read(buf) >= 0) {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static boolean sameOrigin(URI a, URI b) {
        return String.valueOf(a.getHost()).equalsIgnoreCase(String.valueOf(b.getHost())) && port(a) == port(b)
                && String.valueOf(a.getScheme()).equalsIgnoreCase(String.valueOf(b.getScheme()));
    }

    private static int port(URI u) { return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80; }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    // ---- model sources for `apr run` -----------------------------------------------------------

    /**
     * Turns what a user typed into a local model path: an existing file or directory is returned
     * as is; {@code org/name} is pulled (only its {@code .apr} file and small companions) from the
     * hub given by {@code HF_ENDPOINT} / the embedded default, and the path of the {@code .apr}
     * file in the snapshot is returned. With {@code HF_HUB_OFFLINE=1} the cached {@code refs/main}
     * snapshot is used and the network is not touched.
     */
    public static Path resolveModelSource(String source) {
        return resolveModelSource(source, HubSettings.resolve(null, null), Progress.to(System.err));
    }

    /** The same, with the endpoint, token and cache of {@code settings} (the CLI's --endpoint, --token, --cache-dir). */
    public static Path resolveModelSource(String source, HubSettings settings, Progress progress) {
        Path local = Path.of(source);
        if (Files.exists(local)) return local;
        if (!RepoId.looksLikeRepoId(source))
            throw AprException.badInput("MODEL_NOT_FOUND", source + ": no such file or directory, and not a hub repo id (namespace/name)");
        RepoId repo = RepoId.parse(source);
        Map<String, String> env = System.getenv();
        Path snapshot;
        if ("1".equals(env.get("HF_HUB_OFFLINE"))) {
            HubCache cache = new HubCache(settings.cacheDir(), repo);
            String commit = cache.readRef("main");
            if (commit == null)
                throw AprException.badInput("MODEL_NOT_CACHED", source + ": HF_HUB_OFFLINE=1 and the cache has no refs/main under " + cache.repoDir());
            snapshot = cache.snapshotDir(commit);
        } else {
            HubDownloader d = new HubDownloader(new HubClient(settings).progress(progress), settings.cacheDir());
            snapshot = d.snapshot(repo, "main", RUN_FILES);
        }
        return pickApr(snapshot, repo);
    }

    /** What {@code apr run} needs: the APR checkpoint plus the small JSON/text companions. */
    public static final Predicate<String> RUN_FILES = p -> !p.contains("/")
            && (p.endsWith(".apr") || p.endsWith(".json") || p.equals("merges.txt") || p.equals("README.md"));

    private static Path pickApr(Path snapshot, RepoId repo) {
        Path preferred = snapshot.resolve(repo.name() + ".apr");
        if (Files.exists(preferred)) return preferred;
        try (Stream<Path> s = Files.list(snapshot)) {
            List<Path> aprs = s.filter(p -> p.getFileName().toString().endsWith(".apr")).sorted().toList();
            if (aprs.size() == 1) return aprs.get(0);
            throw AprException.badInput("MODEL_NOT_FOUND", repo + ": expected one .apr file in " + snapshot + ", found " + aprs.size());
        } catch (IOException e) {
            throw AprException.badInput("MODEL_NOT_FOUND", snapshot + ": " + e.getMessage());
        }
    }
}
