package dev.apr.hub.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apr.format.AprException;
import dev.apr.format.io.Progress;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client for the Hugging Face Hub HTTP protocol (specs/hf-hub-protocol.md), for the real Hub
 * and for {@code apr hub serve}. JDK {@link java.net.http.HttpClient} only.
 *
 * <p>Every call that only reads, or that can be repeated with the same effect (repo creation
 * answered 409, preupload, LFS batch, LFS PUTs), is retried with backoff; {@link #commit} is
 * sent exactly once — the caller must check the branch head before trying again (§9.2).
 */
public final class HubClient {

    private final String endpoint;
    private final HubHttp http;

    public HubClient(HubSettings settings) { this(settings, HubHttp.Backoff.DEFAULT); }

    public HubClient(HubSettings settings, HubHttp.Backoff backoff) {
        this.endpoint = settings.endpoint();
        this.http = new HubHttp(settings.token(), backoff);
    }

    public String endpoint() { return endpoint; }

    public HubClient progress(Progress p) { http.progress(p); return this; }

    public Progress progress() { return http.progress(); }

    HubHttp http() { return http; }

    public String redact(String s) { return http.redact(s); }

    // ---- account and repositories ----------------------------------------------------------

    /** {@code GET /api/whoami-v2} (§1.5). */
    public JsonNode whoami() {
        requireToken("whoami");
        return http.sendJson("whoami", () -> http.request(api("/api/whoami-v2"), true).GET().build(), true);
    }

    /**
     * {@code POST /api/repos/create} (§2.1). Returns true when the repo was created, false when it
     * already existed (409).
     */
    public boolean createRepo(RepoId repo, boolean isPrivate) {
        requireToken("create repo " + repo);
        ObjectNode body = HubHttp.JSON.createObjectNode();
        body.put("name", repo.name());
        body.put("organization", repo.namespace());
        body.put("type", "model");
        body.put("private", isPrivate);
        body.put("visibility", isPrivate ? "private" : "public");
        byte[] bytes = json(body);
        HttpResponse<byte[]> r = http.send("create repo " + repo,
                () -> http.request(api("/api/repos/create"), true).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(),
                HttpResponse.BodyHandlers.ofByteArray(), true);
        if (r.statusCode() == 409) return false;
        if (r.statusCode() / 100 != 2) throw http.error("create repo " + repo, r);
        return true;
    }

    /**
     * {@code POST /api/validate-yaml} (§11): the Hub's own check of a README's front matter.
     * Returns its warnings; its errors are refused as bad input (exit 2).
     */
    public List<String> validateYaml(String readme) {
        ObjectNode body = HubHttp.JSON.createObjectNode();
        body.put("content", readme);
        body.put("repoType", "model");
        byte[] bytes = json(body);
        HttpResponse<byte[]> r = http.send("validate README.md",
                () -> http.request(api("/api/validate-yaml"), true).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(),
                HttpResponse.BodyHandlers.ofByteArray(), true);
        if (r.statusCode() == 400) {
            JsonNode j = HubHttp.parseJson("validate README.md", r);
            List<String> errors = messages(j.path("errors"));
            if (errors.isEmpty() && j.hasNonNull("error")) errors.add(j.get("error").asText());
            throw AprException.badInput("CARD_REJECTED_BY_HUB", "README.md: the hub rejected the front matter: " + String.join("; ", errors));
        }
        if (r.statusCode() / 100 != 2) throw http.error("validate README.md", r);
        return messages(HubHttp.parseJson("validate README.md", r).path("warnings"));
    }

    /** {@code GET /api/models/{repo}[/revision/{rev}]} (§2.2). */
    public JsonNode modelInfo(RepoId repo, String revision, boolean blobs) {
        String path = "/api/models/" + repo + (revision == null ? "" : "/revision/" + encode(revision));
        URI uri = api(path + (blobs ? "?blobs=true" : ""));
        return http.sendJson("model info " + repo, () -> http.request(uri, true).GET().build(), true);
    }

    /** The 40-hex commit a revision (branch, tag, sha, HEAD) points at now. */
    public String headCommit(RepoId repo, String revision) {
        JsonNode info = modelInfo(repo, revision, false);
        String sha = info.path("sha").asText(null);
        if (sha == null || !sha.matches("[0-9a-f]{40}"))
            throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE,
                    "model info " + repo + "@" + revision + ": 'sha': expected a 40-hex commit id, got " + info.get("sha"));
        return sha;
    }

    /** One entry of a tree listing (§3.1); {@code lfsOid} is null for regular files. */
    public record TreeEntry(String type, String path, String oid, long size, String lfsOid) {
        public boolean isFile() { return "file".equals(type); }

        /** The id a download is cached under: sha256 for LFS files, the git blob SHA-1 otherwise. */
        public String etag() { return lfsOid != null ? lfsOid : oid; }
    }

    /** {@code GET /api/models/{repo}/tree/{rev}?recursive=true}, following {@code Link: rel="next"} pages. */
    public List<TreeEntry> listTree(RepoId repo, String revision, boolean recursive) {
        List<TreeEntry> out = new ArrayList<>();
        URI next = api("/api/models/" + repo + "/tree/" + encode(revision) + "?recursive=" + recursive + "&expand=false");
        int pages = 0;
        while (next != null) {
            URI page = next;
            HttpResponse<byte[]> r = http.send("list files of " + repo, () -> http.request(page, true).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray(), true);
            if (r.statusCode() / 100 != 2) throw http.error("list files of " + repo, r);
            JsonNode arr = HubHttp.parseJson("list files of " + repo, r);
            if (!arr.isArray())
                throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE, "list files of " + repo + ": expected a JSON array");
            for (JsonNode e : arr) {
                JsonNode lfs = e.get("lfs");
                out.add(new TreeEntry(e.path("type").asText(), e.path("path").asText(), e.path("oid").asText(null),
                        e.path("size").asLong(), lfs != null && lfs.isObject() ? lfs.path("oid").asText(null) : null));
            }
            next = nextLink(r.headers().allValues("Link"));
            if (++pages > 100_000) throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE, "list files of " + repo + ": endless pagination");
        }
        return out;
    }

    /** The {@code rel="next"} URL of GitHub-style Link headers (§3.1), or null on the last page. */
    static URI nextLink(List<String> linkHeaders) {
        for (String header : linkHeaders)
            for (String link : header.split(",(?=\\s*<)")) {
                Matcher m = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?").matcher(link);
                if (m.find()) return URI.create(m.group(1));
            }
        return null;
    }

    // ---- upload ------------------------------------------------------------------------------

    /** What preupload says about one file (§4). {@code remoteOid} is null when the hub has none. */
    public record UploadMode(String path, boolean lfs, boolean shouldIgnore, String remoteOid) {}

    /** A file offered to preupload: repo path, size and its first ≤ 512 bytes (base64). */
    public record PreuploadFile(String path, long size, String sampleBase64) {}

    /** {@code POST /api/models/{repo}/preupload/{rev}} in batches of ≤ 256 (§4). Empty files are forced regular. */
    public Map<String, UploadMode> preupload(RepoId repo, String revision, List<PreuploadFile> files) {
        Map<String, UploadMode> out = new LinkedHashMap<>();
        for (int from = 0; from < files.size(); from += 256) {
            List<PreuploadFile> batch = files.subList(from, Math.min(files.size(), from + 256));
            ObjectNode body = HubHttp.JSON.createObjectNode();
            ArrayNode arr = body.putArray("files");
            for (PreuploadFile f : batch) arr.addObject().put("path", f.path()).put("sample", f.sampleBase64()).put("size", f.size());
            byte[] bytes = json(body);
            URI uri = api("/api/models/" + repo + "/preupload/" + encode(revision));
            JsonNode j = http.sendJson("preupload to " + repo, () -> http.request(uri, true).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), true);
            for (JsonNode e : j.path("files")) {
                String path = e.path("path").asText(null);
                String mode = e.path("uploadMode").asText(null);
                if (path == null || !("lfs".equals(mode) || "regular".equals(mode)))
                    throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE,
                            "preupload to " + repo + ": expected {path, uploadMode: lfs|regular}, got " + e);
                out.put(path, new UploadMode(path, "lfs".equals(mode), e.path("shouldIgnore").asBoolean(false), e.path("oid").asText(null)));
            }
        }
        for (PreuploadFile f : files) {
            UploadMode m = out.get(f.path());
            if (m == null) throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE, "preupload to " + repo + ": no answer for " + f.path());
            if (f.size() == 0 && m.lfs()) out.put(f.path(), new UploadMode(f.path(), false, m.shouldIgnore(), m.remoteOid()));
        }
        return out;
    }

    /** One object of an LFS batch answer (§5.1): no {@code uploadHref} = already stored. */
    public record LfsAction(String oid, long size, String uploadHref, Map<String, String> uploadHeader,
                            String verifyHref, Map<String, String> verifyHeader) {
        public boolean needsUpload() { return uploadHref != null; }

        public boolean multipart() { return uploadHeader.containsKey("chunk_size"); }
    }

    /** {@code POST /{repo}.git/info/lfs/objects/batch} for upload, ≤ 256 objects per call. */
    public Map<String, LfsAction> lfsBatch(RepoId repo, String branch, Map<String, Long> objects) {
        Map<String, LfsAction> out = new LinkedHashMap<>();
        List<Map.Entry<String, Long>> all = new ArrayList<>(objects.entrySet());
        for (int from = 0; from < all.size(); from += 256) {
            ObjectNode body = HubHttp.JSON.createObjectNode();
            body.put("operation", "upload");
            body.putArray("transfers").add("basic").add("multipart");
            body.put("hash_algo", "sha256");
            if (branch != null) body.putObject("ref").put("name", branch);
            ArrayNode arr = body.putArray("objects");
            for (var e : all.subList(from, Math.min(all.size(), from + 256))) arr.addObject().put("oid", e.getKey()).put("size", e.getValue());
            byte[] bytes = json(body);
            URI uri = api("/" + repo + ".git/info/lfs/objects/batch");
            JsonNode j = http.sendJson("LFS batch for " + repo, () -> http.request(uri, true)
                    .header("Accept", "application/vnd.git-lfs+json").header("Content-Type", "application/vnd.git-lfs+json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), true);
            String transfer = j.path("transfer").asText("basic");
            if (!transfer.equals("basic") && !transfer.equals("multipart"))
                throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE,
                        "LFS batch for " + repo + ": transfer '" + transfer + "' is not supported (apr speaks basic and multipart)");
            for (JsonNode o : j.path("objects")) {
                String oid = o.path("oid").asText(null);
                if (oid == null || !objects.containsKey(oid))
                    throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE, "LFS batch for " + repo + ": answer for an object not asked for: " + o.get("oid"));
                if (o.has("error"))
                    throw new AprException("HUB_LFS_ERROR", AprException.REMOTE, "LFS batch for " + repo + ": object " + oid + ": "
                            + o.path("error").path("code").asInt() + " " + o.path("error").path("message").asText());
                JsonNode up = o.path("actions").path("upload"), ver = o.path("actions").path("verify");
                out.put(oid, new LfsAction(oid, o.path("size").asLong(),
                        up.path("href").asText(null), headers(up.path("header")),
                        ver.path("href").asText(null), headers(ver.path("header"))));
            }
        }
        for (String oid : objects.keySet())
            if (!out.containsKey(oid)) throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE, "LFS batch for " + repo + ": no answer for object " + oid);
        return out;
    }

    /** The result of a commit (§6.3). */
    public record CommitResult(String commitOid, String commitUrl) {}

    /**
     * {@code POST /api/models/{repo}/commit/{rev}} with an NDJSON body (§6). Sent once, never
     * retried here: an error or a lost answer leaves the caller to check the branch head.
     */
    public CommitResult commit(RepoId repo, String revision, byte[] ndjson) {
        URI uri = api("/api/models/" + repo + "/commit/" + encode(revision));
        HttpResponse<byte[]> r = http.send("commit to " + repo, () -> http.request(uri, true)
                .header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofByteArray(ndjson)).build(), HttpResponse.BodyHandlers.ofByteArray(), false);
        if (r.statusCode() / 100 != 2) throw http.error("commit to " + repo, r);
        JsonNode j = HubHttp.parseJson("commit to " + repo, r);
        String oid = j.path("commitOid").asText(null);
        if (oid == null) throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE, "commit to " + repo + ": answer has no commitOid: " + j);
        return new CommitResult(oid, j.path("commitUrl").asText(null));
    }

    // ---- helpers ---------------------------------------------------------------------------

    URI api(String pathAndQuery) { return URI.create(endpoint + pathAndQuery); }

    /** The resolve URL of a file (§7.1): revision quoted with safe="", path segments quoted, '/' kept. */
    public URI resolveUrl(RepoId repo, String revision, String path) {
        StringBuilder p = new StringBuilder();
        for (String seg : path.split("/")) p.append('/').append(encode(seg));
        return api("/" + repo + "/resolve/" + encode(revision) + p);
    }

    /** Percent-encodes everything outside RFC 3986 unreserved characters (Python's quote(s, safe="")). */
    public static String encode(String s) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~')
                b.append((char) c);
            else b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16))).append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
        }
        return b.toString();
    }

    private void requireToken(String step) {
        if (!http.hasToken())
            throw new AprException("HUB_NO_TOKEN", AprException.REMOTE,
                    step + ": needs a token: pass --token or set HF_TOKEN (for `apr hub serve`, the token it printed)");
    }

    private static Map<String, String> headers(JsonNode h) {
        Map<String, String> m = new LinkedHashMap<>();
        if (h != null && h.isObject()) h.properties().forEach(e -> m.put(e.getKey(), e.getValue().asText()));
        return m;
    }

    private static List<String> messages(JsonNode arr) {
        List<String> out = new ArrayList<>();
        if (arr != null && arr.isArray()) for (JsonNode e : arr) out.add(e.isTextual() ? e.asText() : e.path("message").asText(e.toString()));
        return out;
    }

    static byte[] json(JsonNode n) {
        try {
            return HubHttp.JSON.writeValueAsBytes(n);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
