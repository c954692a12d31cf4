package dev.apr.hub.client;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * LFS transfers (§5.2-5.4): a basic single PUT or a multipart upload (one PUT per part, then a
 * completion POST), both streamed from disk through a small buffer so memory stays bounded
 * whatever the file size, then the optional verify POST. Upload URLs are pre-signed: they get
 * no Hub token; verify does.
 */
public final class LfsUploader {

    private final HubClient client;
    private final HubHttp http;

    public LfsUploader(HubClient client) {
        this.client = client;
        this.http = client.http();
    }

    /** Uploads {@code file} (whose sha256 is {@code action.oid()}) as the hub asked, then verifies. */
    public void upload(HubClient.LfsAction action, Path file, String label) {
        long size = size(file);
        if (size != action.size())
            throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE,
                    "LFS batch: object " + action.oid() + ": size " + action.size() + " does not match " + file + " (" + size + " bytes)");
        if (action.needsUpload()) {
            if (action.multipart()) multipart(action, file, size, label);
            else basic(action, file, size, label);
        }
        if (action.verifyHref() != null) verify(action);
    }

    private void basic(HubClient.LfsAction a, Path file, long size, String label) {
        URI uri = URI.create(a.uploadHref());
        AtomicLong done = new AtomicLong();
        HttpResponse<byte[]> r = http.send("upload " + label, () -> {
            done.set(0);
            return http.request(uri, false).PUT(slice(file, 0, size, done, size, label)).build();
        }, HttpResponse.BodyHandlers.ofByteArray(), true);
        if (r.statusCode() / 100 != 2) throw http.error("upload " + label, r);
    }

    private void multipart(HubClient.LfsAction a, Path file, long size, String label) {
        long chunk;
        try {
            chunk = Long.parseLong(a.uploadHeader().get("chunk_size").strip());
        } catch (NumberFormatException e) {
            throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE, "LFS batch: chunk_size '" + a.uploadHeader().get("chunk_size") + "' is not a number");
        }
        if (chunk <= 0) throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE, "LFS batch: chunk_size " + chunk + " must be > 0");
        // part number -> URL: every all-digit header key (HF pads them: "00001")
        TreeMap<Integer, String> parts = new TreeMap<>();
        for (Map.Entry<String, String> e : a.uploadHeader().entrySet())
            if (e.getKey().matches("\\d+")) parts.put(Integer.parseInt(e.getKey()), e.getValue());
        long expected = (size + chunk - 1) / chunk;
        if (parts.size() != expected || (!parts.isEmpty() && (parts.firstKey() != 1 || parts.lastKey() != expected)))
            throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE, "LFS batch: " + label + ": expected part URLs 1.." + expected
                    + " for " + size + " bytes in chunks of " + chunk + ", got " + parts.size());
        ObjectNode completion = HubHttp.JSON.createObjectNode();
        completion.put("oid", a.oid());
        ArrayNode done = completion.putArray("parts");
        AtomicLong total = new AtomicLong();
        for (var part : parts.entrySet()) {
            int n = part.getKey();
            long off = (n - 1L) * chunk, len = Math.min(chunk, size - off);
            URI uri = URI.create(part.getValue());
            long base = off;
            HttpResponse<byte[]> r = http.send("upload " + label + " part " + n, () -> {
                total.set(base);
                return http.request(uri, false).PUT(slice(file, off, len, total, size, label)).build();
            }, HttpResponse.BodyHandlers.ofByteArray(), true);
            if (r.statusCode() / 100 != 2) throw http.error("upload " + label + " part " + n, r);
            String etag = r.headers().firstValue("ETag").orElse("");
            if (etag.isEmpty())
                throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE, "upload " + label + " part " + n + ": the answer has no ETag");
            done.addObject().put("partNumber", n).put("etag", etag);
        }
        byte[] body = HubClient.json(completion);
        URI uri = URI.create(a.uploadHref());
        HttpResponse<byte[]> r = http.send("complete upload " + label, () -> http.request(uri, false)
                .header("Accept", "application/vnd.git-lfs+json").header("Content-Type", "application/vnd.git-lfs+json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray(), true);
        if (r.statusCode() / 100 != 2) throw http.error("complete upload " + label, r);
    }

    private void verify(HubClient.LfsAction a) {
        ObjectNode body = HubHttp.JSON.createObjectNode().put("oid", a.oid()).put("size", a.size());
        byte[] bytes = HubClient.json(body);
        URI uri = URI.create(a.verifyHref());
        HttpResponse<byte[]> r = http.send("verify LFS object " + a.oid(), () -> {
            HttpRequest.Builder b = http.request(uri, true).header("Accept", "application/vnd.git-lfs+json")
                    .header("Content-Type", "application/vnd.git-lfs+json");
            a.verifyHeader().forEach((k, v) -> { if (!k.equalsIgnoreCase("authorization")) b.header(k, v); });
            return b.POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build();
        }, HttpResponse.BodyHandlers.ofByteArray(), true);
        if (r.statusCode() / 100 != 2) throw http.error("verify LFS object " + a.oid(), r);
    }

    /** A body of bytes [off, off+len) of the file, read on demand through a 1 MiB buffer, with a Content-Length. */
    private HttpRequest.BodyPublisher slice(Path file, long off, long len, AtomicLong done, long total, String label) {
        Progress p = client.progress();
        return HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
            try {
                return new SliceStream(FileChannel.open(file, StandardOpenOption.READ), off, len, n -> p.update(label, done.addAndGet(n), total));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }), len);
    }

    /** Reads a byte range of a channel; reports each read to {@code onRead}. */
    private static final class SliceStream extends InputStream {
        private final FileChannel ch;
        private final java.util.function.LongConsumer onRead;
        private long pos;
        private final long end;

        SliceStream(FileChannel ch, long off, long len, java.util.function.LongConsumer onRead) {
            this.ch = ch;
            this.pos = off;
            this.end = off + len;
            this.onRead = onRead;
        }

        @Override public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override public int read(byte[] b, int o, int n) throws IOException {
            if (pos >= end) return -1;
            int want = (int) Math.min(n, end - pos);
            int got = ch.read(ByteBuffer.wrap(b, o, want), pos);
            if (got < 0) throw new IOException("file shrank while uploading: expected bytes up to " + end + ", ended at " + pos);
            pos += got;
            onRead.accept(got);
            return got;
        }

        @Override public void close() throws IOException { ch.close(); }
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            throw AprException.badInput("READ_FAILED", f + ": cannot read: " + e.getMessage());
        }
    }

    /** Parts of a multipart upload in order; exposed for tests. */
    static List<long[]> partRanges(long size, long chunk) {
        List<long[]> out = new ArrayList<>();
        for (long off = 0; off < size; off += chunk) out.add(new long[] {off, Math.min(chunk, size - off)});
        return out;
    }
}
