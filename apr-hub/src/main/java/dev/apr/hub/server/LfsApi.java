package dev.apr.hub.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;

/**
 * The LFS batch API (spec §5) and the pre-signed transfer URLs it hands out: basic PUT,
 * multipart part PUTs with the completion POST, verify, and signed downloads. Never offers
 * {@code xet}, so the clients fall back to these transfers.
 */
final class LfsApi {
    static final long URL_LIFETIME_SECONDS = 24 * 3600;
    private static final int MAX_PARTS = 10_000;
    private static final String LFS_JSON = "application/vnd.git-lfs+json";
    private final HubContext ctx;
    private final SecureRandom random = new SecureRandom();

    LfsApi(HubContext ctx) { this.ctx = ctx; }

    // ---------------------------------------------------------------- batch

    void batch(Exchange ex, String type, String ns, String name) throws IOException {
        JsonNode body = ex.readJson(ctx.limits().maxJsonBodyBytes());
        String operation = RepoApi.textOrNull(body, "operation");
        if (!"upload".equals(operation) && !"download".equals(operation))
            throw new HttpError(422, "BadRequest", "Unsupported LFS operation '" + RepoPaths.printable(String.valueOf(operation)) + "': expected upload or download");
        if (operation.equals("upload")) ctx.writable(ex, type, ns, name);
        else ctx.readable(ex, type, ns, name);
        String algo = RepoApi.textOrNull(body, "hash_algo");
        if (algo != null && !algo.equals("sha256") && !algo.equals("sha_256"))
            throw new HttpError(409, "BadRequest", "Unsupported hash algorithm '" + RepoPaths.printable(algo) + "': expected sha256");
        boolean multipartOffered = false;
        for (JsonNode t : body.path("transfers")) multipartOffered |= t.asText().equals("multipart");
        if (!body.path("objects").isArray()) throw HttpError.badRequest("Expected \"objects\": [...]");

        String base = ex.baseUrl();
        long expires = System.currentTimeMillis() / 1000 + URL_LIFETIME_SECONDS;
        ObjectNode out = Json.MAPPER.createObjectNode();
        ArrayNode objects = Json.MAPPER.createArrayNode();
        boolean usedMultipart = false;
        for (JsonNode req : body.get("objects")) {
            String oid = RepoApi.textOrNull(req, "oid");
            long size = req.path("size").asLong(-1);
            ObjectNode o = objects.addObject();
            o.put("oid", oid == null ? "" : oid).put("size", Math.max(size, 0));
            if (oid == null || !LfsStore.OID.matcher(oid).matches()) { objectError(o, 422, "Invalid object id: expected 64 lowercase hex digits"); continue; }
            if (!req.path("size").canConvertToLong() || size < 0) { objectError(o, 422, "Invalid size"); continue; }
            if (size > ctx.limits().maxLfsObjectBytes()) { objectError(o, 422, "Object of " + size + " bytes is larger than this hub's limit of " + ctx.limits().maxLfsObjectBytes()); continue; }
            OptionalLong stored = ctx.lfs().size(oid);
            if (operation.equals("download")) {
                if (stored.isEmpty() || stored.getAsLong() != size) { objectError(o, 404, "Object does not exist"); continue; }
                o.put("authenticated", true);
                o.putObject("actions").putObject("download")
                        .put("href", base + "/api/lfs/objects/" + oid + "?expires=" + expires + "&sig=" + ctx.signer().sign(getPayload(oid, expires)))
                        .put("expires_in", URL_LIFETIME_SECONDS);
                continue;
            }
            if (stored.isPresent()) {
                if (stored.getAsLong() != size) objectError(o, 422, "Object " + oid + " is stored with " + stored.getAsLong() + " bytes, not " + size);
                continue; // already stored: no actions, the client skips the upload
            }
            o.put("authenticated", true);
            ObjectNode actions = o.putObject("actions");
            ObjectNode upload = actions.putObject("upload");
            if (multipartOffered && size > ctx.limits().multipartThreshold()) {
                usedMultipart = true;
                long chunk = Math.max(ctx.limits().multipartChunkBytes(), (size + MAX_PARTS - 1) / MAX_PARTS);
                int parts = (int) ((size + chunk - 1) / chunk);
                String uploadId = newUploadId();
                upload.put("href", base + "/api/lfs/objects/" + oid + "/complete/" + uploadId + "?size=" + size + "&chunk=" + chunk
                        + "&expires=" + expires + "&sig=" + ctx.signer().sign(completePayload(oid, size, chunk, uploadId, expires)));
                ObjectNode header = upload.putObject("header");
                header.put("chunk_size", String.valueOf(chunk));
                for (int n = 1; n <= parts; n++)
                    header.put(String.format("%05d", n), base + "/api/lfs/objects/" + oid + "/parts/" + uploadId + "/" + n
                            + "?size=" + size + "&chunk=" + chunk + "&expires=" + expires
                            + "&sig=" + ctx.signer().sign(partPayload(oid, size, chunk, uploadId, n, expires)));
            } else {
                upload.put("href", base + "/api/lfs/objects/" + oid + "?size=" + size + "&expires=" + expires
                        + "&sig=" + ctx.signer().sign(putPayload(oid, size, expires)));
            }
            upload.put("expires_in", URL_LIFETIME_SECONDS);
            actions.putObject("verify").put("href", base + "/api/lfs/objects/" + oid + "/verify").put("expires_in", URL_LIFETIME_SECONDS);
        }
        out.put("transfer", usedMultipart ? "multipart" : "basic");
        out.set("objects", objects);
        out.put("hash_algo", "sha256");
        byte[] bytes = Json.MAPPER.writeValueAsBytes(out);
        ex.send(200, LFS_JSON, bytes);
    }

    private static void objectError(ObjectNode o, int code, String message) {
        o.putObject("error").put("code", code).put("message", message);
    }

    private String newUploadId() {
        byte[] b = new byte[16];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static String putPayload(String oid, long size, long expires) { return "put\n" + oid + "\n" + size + "\n" + expires; }

    static String getPayload(String oid, long expires) { return "get\n" + oid + "\n" + expires; }

    static String partPayload(String oid, long size, long chunk, String uploadId, int n, long expires) {
        return "part\n" + oid + "\n" + size + "\n" + chunk + "\n" + uploadId + "\n" + n + "\n" + expires;
    }

    static String completePayload(String oid, long size, long chunk, String uploadId, long expires) {
        return "complete\n" + oid + "\n" + size + "\n" + chunk + "\n" + uploadId + "\n" + expires;
    }

    // ---------------------------------------------------------------- the signed URLs: /api/lfs/objects/{oid}[/...]

    void signed(Exchange ex, List<String> s) throws IOException {
        if (s.size() < 2 || !s.getFirst().equals("objects")) return;
        String oid = LfsStore.checkOid(s.get(1));
        List<String> rest = s.subList(2, s.size());
        String m = ex.method;
        if (rest.isEmpty() && m.equals("PUT")) putBasic(ex, oid);
        else if (rest.isEmpty() && (m.equals("GET") || m.equals("HEAD"))) download(ex, oid);
        else if (rest.size() == 3 && rest.getFirst().equals("parts") && m.equals("PUT")) putPart(ex, oid, rest.get(1), rest.get(2));
        else if (rest.size() == 2 && rest.getFirst().equals("complete") && m.equals("POST")) complete(ex, oid, rest.get(1));
        else if (rest.size() == 1 && rest.getFirst().equals("verify") && m.equals("POST")) verify(ex, oid);
    }

    private long longParam(Exchange ex, String name) {
        String v = ex.param(name);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException | NullPointerException e) {
            throw new HttpError(403, "SignatureDoesNotMatch", "The upload URL is missing '" + name + "'");
        }
    }

    private void putBasic(Exchange ex, String oid) throws IOException {
        long size = longParam(ex, "size"), expires = longParam(ex, "expires");
        ctx.signer().verify(putPayload(oid, size, expires), ex.param("sig"), expires);
        long declared = ex.contentLength();
        if (declared >= 0 && declared != size)
            throw HttpError.badRequest("Content-Length " + declared + " does not match the object size " + size);
        if (!ctx.lfs().has(oid, size)) {
            ctx.lfs().put(oid, size, ex.bodyStream());
        }
        ex.header("ETag", "\"" + oid + "\"");
        ex.send(200, "text/plain; charset=utf-8", new byte[0]);
    }

    private void putPart(Exchange ex, String oid, String uploadId, String partText) throws IOException {
        long size = longParam(ex, "size"), chunk = longParam(ex, "chunk"), expires = longParam(ex, "expires");
        int n;
        try {
            n = Integer.parseInt(partText);
        } catch (NumberFormatException e) {
            throw HttpError.badRequest("Invalid part number");
        }
        ctx.signer().verify(partPayload(oid, size, chunk, uploadId, n, expires), ex.param("sig"), expires);
        long parts = (size + chunk - 1) / chunk;
        if (n < 1 || n > parts) throw HttpError.badRequest("Part number " + n + " outside 1.." + parts);
        long expected = n < parts ? chunk : size - chunk * (parts - 1);
        long declared = ex.contentLength();
        if (declared >= 0 && declared != expected)
            throw HttpError.badRequest("Part " + n + ": Content-Length " + declared + " does not match the expected " + expected + " bytes");
        String etag;
        etag = ctx.lfs().putPart(uploadId, n, chunk * (n - 1), expected, ex.bodyStream());
        ex.header("ETag", etag);
        ex.send(200, "text/plain; charset=utf-8", new byte[0]);
    }

    private void complete(Exchange ex, String oid, String uploadId) throws IOException {
        long size = longParam(ex, "size"), chunk = longParam(ex, "chunk"), expires = longParam(ex, "expires");
        ctx.signer().verify(completePayload(oid, size, chunk, uploadId, expires), ex.param("sig"), expires);
        JsonNode body = ex.readJson(ctx.limits().maxJsonBodyBytes());
        if (body.hasNonNull("oid") && !oid.equals(body.get("oid").asText()))
            throw HttpError.badRequest("Completion body oid " + RepoPaths.printable(body.get("oid").asText()) + " does not match the URL's " + oid);
        int parts = (int) ((size + chunk - 1) / chunk);
        String[] etags = new String[parts];
        for (JsonNode p : body.path("parts")) {
            int n = p.path("partNumber").asInt(-1);
            if (n < 1 || n > parts) throw HttpError.badRequest("Completion: part number " + n + " outside 1.." + parts);
            etags[n - 1] = p.path("etag").asText("");
        }
        List<String> list = new ArrayList<>();
        for (int i = 0; i < parts; i++) {
            if (etags[i] == null) throw HttpError.badRequest("Completion: part " + (i + 1) + " is missing");
            list.add(etags[i]);
        }
        ctx.lfs().completeMultipart(uploadId, oid, size, parts, list);
        ex.json(200, java.util.Map.of("oid", oid, "size", size));
    }

    private void verify(Exchange ex, String oid) throws IOException {
        ctx.requireCaller(ex);
        JsonNode body = ex.readJson(ctx.limits().maxJsonBodyBytes());
        long size = body.path("size").asLong(-1);
        if (!ctx.lfs().has(oid, size))
            throw new HttpError(404, "EntryNotFound", "LFS object " + oid + " with " + size + " bytes is not stored");
        ex.send(200, LFS_JSON, Json.MAPPER.writeValueAsBytes(java.util.Map.of("oid", oid, "size", size)));
    }

    private void download(Exchange ex, String oid) throws IOException {
        long expires = longParam(ex, "expires");
        ctx.signer().verify(getPayload(oid, expires), ex.param("sig"), expires);
        OptionalLong size = ctx.lfs().size(oid);
        if (size.isEmpty()) throw new HttpError(404, "EntryNotFound", "LFS object " + oid + " is not stored");
        ex.header("ETag", "\"" + oid + "\"");
        FileApi.sendFile(ex, ctx.lfs().path(oid), size.getAsLong());
    }
}
