package dev.apr.hub.server;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Content;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevCommit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Downloads: {@code GET|HEAD /{repo}/resolve/{rev}/{path}} and {@code /raw/...} (spec §7.1).
 * Files are served directly (no redirect) with {@code X-Repo-Commit}, an {@code ETag} that is
 * the git blob id for regular files and the SHA-256 for LFS files (also in
 * {@code X-Linked-Etag} with {@code X-Linked-Size}), {@code Accept-Ranges} and single
 * {@code Range} requests answered 206. No compression, ever.
 */
final class FileApi {
    private final HubContext ctx;

    FileApi(HubContext ctx) { this.ctx = ctx; }

    void serve(Exchange ex, String type, String ns, String name, String rev, String path, boolean raw) throws IOException {
        HubRepo repo = ctx.readable(ex, type, ns, name);
        RepoPaths.checkFilePath(path);
        RevCommit commit = repo.resolve(rev);
        ex.header("X-Repo-Commit", commit.name());
        HubRepo.Entry entry = repo.entry(commit, path);
        if (entry == null || entry.directory()) throw HttpError.entryNotFound(path);

        if (entry.lfs() != null && !raw) {
            LfsPointer lfs = entry.lfs();
            Path file = ctx.lfs().path(lfs.oid());
            if (!ctx.lfs().has(lfs.oid(), lfs.size()))
                throw new HttpError(404, "EntryNotFound", "The LFS object of " + path + " (" + lfs.oid() + ") is missing from this hub's store");
            String etag = "\"" + lfs.oid() + "\"";
            ex.header("ETag", etag);
            ex.header("X-Linked-Etag", etag);
            ex.header("X-Linked-Size", String.valueOf(lfs.size()));
            String fileName = path.substring(path.lastIndexOf('/') + 1);
            ex.header("Content-Disposition", "inline; filename*=UTF-8''" + URLEncoder.encode(fileName, StandardCharsets.UTF_8).replace("+", "%20")
                    + "; filename=\"" + Exchange.headerSafe(fileName).replace("\"", "") + "\";");
            sendFile(ex, file, lfs.size());
            return;
        }
        ex.header("ETag", "\"" + entry.oid().name() + "\"");
        try (ObjectReader reader = repo.git.newObjectReader()) {
            ObjectLoader loader = reader.open(entry.oid(), Constants.OBJ_BLOB);
            sendBlob(ex, loader, contentType(path));
        }
    }

    static String contentType(String path) {
        String p = path.toLowerCase();
        if (p.endsWith(".json")) return "application/json; charset=utf-8";
        if (p.endsWith(".md") || p.endsWith(".txt") || p.endsWith(".jinja") || p.equals("license") || p.endsWith("/license")
                || p.endsWith(".gitattributes") || p.endsWith(".gitignore") || p.endsWith(".yaml") || p.endsWith(".yml"))
            return "text/plain; charset=utf-8";
        return "application/octet-stream";
    }

    /** A parsed single byte range: [start, end] inclusive; null means the whole file. */
    record Range(long start, long end) {
        long length() { return end - start + 1; }
    }

    /**
     * The requested range of a {@code size}-byte file: null (whole file) for no or unsupported
     * Range headers (several ranges, other units), 416 for a range that starts past the end.
     */
    static Range range(Exchange ex, long size) {
        String h = ex.header("Range");
        if (h == null) return null;
        h = h.strip();
        if (!h.startsWith("bytes=") || h.indexOf(',') >= 0) return null;
        String spec = h.substring(6).strip();
        int dash = spec.indexOf('-');
        if (dash < 0) return null;
        try {
            String a = spec.substring(0, dash).strip(), b = spec.substring(dash + 1).strip();
            long start, end;
            if (a.isEmpty()) {
                if (b.isEmpty()) return null;
                long suffix = Long.parseLong(b);
                if (suffix <= 0) throw unsatisfiable(size);
                start = Math.max(0, size - suffix);
                end = size - 1;
            } else {
                start = Long.parseLong(a);
                end = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
                if (start < 0 || (!b.isEmpty() && Long.parseLong(b) < start)) return null;
            }
            if (start >= size) throw unsatisfiable(size);
            return new Range(start, end);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static HttpError unsatisfiable(long size) {
        return new RangeError(size);
    }

    /** 416 with {@code Content-Range: bytes * /size}. */
    static final class RangeError extends HttpError {
        final long size;

        RangeError(long size) {
            super(416, "RangeNotSatisfiable", "Requested range not satisfiable (file size " + size + ")");
            this.size = size;
        }
    }

    /** Sends (part of) a stored file; the copy runs asynchronously from the file channel. */
    static void sendFile(Exchange ex, Path file, long size) throws IOException {
        Range r;
        try {
            r = range(ex, size);
        } catch (RangeError e) {
            ex.header("Content-Range", "bytes */" + size);
            throw e;
        }
        long start = r == null ? 0 : r.start(), length = r == null ? size : r.length();
        ex.header("Accept-Ranges", "bytes");
        if (r != null) ex.header("Content-Range", "bytes " + r.start() + "-" + r.end() + "/" + size);
        if (ex.response.getHeaders().get(HttpHeader.CONTENT_TYPE) == null)
            ex.response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
        ex.response.getHeaders().put(HttpHeader.CONTENT_LENGTH, length);
        ex.response.setStatus(r == null ? 200 : 206);
        ex.markDone();
        if (ex.method.equals("HEAD") || length == 0) {
            ex.response.write(true, null, ex.callback);
            return;
        }
        ByteBufferPool.Sized pool = new ByteBufferPool.Sized(ex.request.getComponents().getByteBufferPool(), true, 1 << 20);
        Content.Source source = Content.Source.from(pool, file, start, length);
        Content.copy(source, ex.response, ex.callback);
    }

    /** Sends (part of) a git blob (regular files are at most a few MiB). */
    private static void sendBlob(Exchange ex, ObjectLoader loader, String contentType) throws IOException {
        long size = loader.getSize();
        Range r;
        try {
            r = range(ex, size);
        } catch (RangeError e) {
            ex.header("Content-Range", "bytes */" + size);
            throw e;
        }
        long start = r == null ? 0 : r.start(), length = r == null ? size : r.length();
        ex.header("Accept-Ranges", "bytes");
        if (r != null) ex.header("Content-Range", "bytes " + r.start() + "-" + r.end() + "/" + size);
        ex.response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        ex.response.getHeaders().put(HttpHeader.CONTENT_LENGTH, length);
        if (ex.method.equals("HEAD")) {
            ex.response.setStatus(r == null ? 200 : 206);
            ex.markDone();
            ex.response.write(true, null, ex.callback);
            return;
        }
        try (InputStream in = loader.openStream(); OutputStream out = ex.stream(r == null ? 200 : 206)) {
            in.skipNBytes(start);
            byte[] buf = new byte[64 * 1024];
            long left = length;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) break;
                out.write(buf, 0, n);
                left -= n;
            }
        }
        ex.callback.succeeded();
    }

}
