package dev.apr.hub.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A deliberately dumb Hub client for the tests: raw java.net.http requests shaped exactly as the
 * protocol spec describes (no code shared with the server), so the tests check the wire format.
 */
final class RawHub {
    static final ObjectMapper JSON = new ObjectMapper();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).build();
    final String base;
    final String token;

    RawHub(String base, String token) {
        this.base = base;
        this.token = token;
    }

    RawHub as(String otherToken) { return new RawHub(base, otherToken); }

    HttpRequest.Builder req(String pathOrUrl) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(pathOrUrl.startsWith("http") ? pathOrUrl : base + pathOrUrl));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return b;
    }

    HttpResponse<byte[]> send(HttpRequest r) {
        try {
            return http.send(r, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("request " + r.method() + " " + r.uri() + " failed: " + e, e);
        }
    }

    HttpResponse<byte[]> get(String path, String... headers) {
        HttpRequest.Builder b = req(path).GET();
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return send(b.build());
    }

    HttpResponse<byte[]> head(String path) {
        return send(req(path).method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
    }

    HttpResponse<byte[]> postJson(String path, Object body) {
        return postBytes(path, "application/json", json(body));
    }

    HttpResponse<byte[]> postBytes(String path, String contentType, byte[] body) {
        return send(req(path).header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    /** A PUT with no Authorization header, as the clients send LFS uploads to pre-signed URLs. */
    HttpResponse<byte[]> putUnauthenticated(String url, byte[] body) {
        return send(HttpRequest.newBuilder(URI.create(url)).PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    HttpResponse<byte[]> postUnauthenticated(String url, String contentType, byte[] body) {
        return send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    static byte[] json(Object o) {
        try {
            return o instanceof byte[] b ? b : JSON.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static JsonNode tree(HttpResponse<byte[]> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON (" + r.statusCode() + "): " + new String(r.body(), StandardCharsets.UTF_8), e);
        }
    }

    static String text(HttpResponse<byte[]> r) { return new String(r.body(), StandardCharsets.UTF_8); }

    // ---------------------------------------------------------------- protocol steps

    HttpResponse<byte[]> createRepo(String ns, String name, boolean isPrivate) {
        return postJson("/api/repos/create", Map.of("name", name, "organization", ns, "type", "model",
                "visibility", isPrivate ? "private" : "public"));
    }

    /** The NDJSON commit body: header line, then one line per operation (spec §6.2). */
    static byte[] ndjson(String summary, String parentCommit, List<Map<String, Object>> ops) {
        StringBuilder b = new StringBuilder();
        ObjectNode header = JSON.createObjectNode();
        header.put("summary", summary).put("description", "");
        if (parentCommit != null) header.put("parentCommit", parentCommit);
        b.append("{\"key\":\"header\",\"value\":").append(header).append("}\n");
        for (Map<String, Object> op : ops) b.append(new String(json(op), StandardCharsets.UTF_8)).append('\n');
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    static Map<String, Object> fileLine(String path, byte[] content) {
        return Map.of("key", "file", "value", Map.of("path", path, "content", Base64.getEncoder().encodeToString(content), "encoding", "base64"));
    }

    static Map<String, Object> lfsLine(String path, byte[] content) {
        return Map.of("key", "lfsFile", "value", Map.of("path", path, "algo", "sha256", "oid", sha256(content), "size", content.length));
    }

    HttpResponse<byte[]> commit(String repo, String branch, byte[] ndjson) {
        return postBytes("/api/models/" + repo + "/commit/" + branch, "application/x-ndjson", ndjson);
    }

    /** LFS batch upload request (spec §5.1), shaped as huggingface_hub sends it. */
    HttpResponse<byte[]> lfsBatch(String repo, byte[]... objects) {
        List<Map<String, Object>> objs = new ArrayList<>();
        for (byte[] o : objects) objs.add(Map.of("oid", sha256(o), "size", o.length));
        return send(req("/" + repo + ".git/info/lfs/objects/batch")
                .header("Accept", "application/vnd.git-lfs+json").header("Content-Type", "application/vnd.git-lfs+json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json(Map.of("operation", "upload",
                        "transfers", List.of("basic", "multipart"), "hash_algo", "sha256",
                        "ref", Map.of("name", "main"), "objects", objs)))).build());
    }

    /** Batch, then a basic PUT of every object the server asks for; returns how many were uploaded. */
    int uploadLfs(String repo, byte[]... objects) {
        HttpResponse<byte[]> r = lfsBatch(repo, objects);
        if (r.statusCode() != 200) throw new AssertionError("batch: " + r.statusCode() + " " + text(r));
        int uploaded = 0;
        for (JsonNode o : tree(r).get("objects")) {
            JsonNode upload = o.path("actions").path("upload");
            if (upload.isMissingNode()) continue;
            byte[] content = null;
            for (byte[] c : objects) if (sha256(c).equals(o.get("oid").asText())) content = c;
            HttpResponse<byte[]> put = putUnauthenticated(upload.get("href").asText(), content);
            if (put.statusCode() / 100 != 2) throw new AssertionError("PUT: " + put.statusCode() + " " + text(put));
            uploaded++;
        }
        return uploaded;
    }

    String headSha(String repo) {
        HttpResponse<byte[]> r = get("/api/models/" + repo);
        if (r.statusCode() != 200) throw new AssertionError("info: " + r.statusCode() + " " + text(r));
        return tree(r).get("sha").asText();
    }

    // ---------------------------------------------------------------- independent hashes

    static String sha256(byte[] b) { return hex("SHA-256", b); }

    /** git's blob id: sha1("blob " + size + "\0" + content). */
    static String gitBlobSha1(byte[] content) {
        byte[] header = ("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[header.length + content.length];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(content, 0, all, header.length, content.length);
        return hex("SHA-1", all);
    }

    static String hex(String algo, byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algo).digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] bytes(int n, int seed) {
        byte[] out = new byte[n];
        new java.util.Random(seed).nextBytes(out);
        return out;
    }
}
