package dev.apr.hub.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Repository endpoints: whoami, create/delete/settings, model info, tree, paths-info, refs, commits, validate-yaml. */
final class RepoApi {
    private static final DateTimeFormatter ISO_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private final HubContext ctx;

    RepoApi(HubContext ctx) { this.ctx = ctx; }

    static String iso(Instant t) { return ISO_MILLIS.format(t); }

    static String iso(RevCommit c) { return iso(c.getCommitterIdent().getWhenAsInstant()); }

    /** A stable 24-hex object id for a repository (the Hub's {@code _id} is a Mongo ObjectId). */
    static String objectId(String kind, String id) {
        return TokenStore.sha256(kind + ":" + id).substring(0, 24);
    }

    // ---------------------------------------------------------------- whoami

    void whoami(Exchange ex) throws IOException {
        TokenStore.Entry who = ctx.requireCaller(ex);
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("type", "user").put("id", objectId("user", who.user())).put("name", who.user()).put("fullname", who.user())
                .putNull("email").put("emailVerified", false).put("isPro", false).put("canPay", false)
                .put("avatarUrl", "").putNull("periodEnd").put("billingMode", "postpaid");
        o.putArray("orgs");
        ObjectNode auth = o.putObject("auth");
        auth.put("type", "access_token");
        auth.putObject("accessToken").put("displayName", who.displayName()).put("role", "write").put("createdAt", who.createdAt());
        ex.json(200, o);
    }

    // ---------------------------------------------------------------- create / delete / settings

    void create(Exchange ex) throws IOException {
        TokenStore.Entry who = ctx.requireCaller(ex);
        JsonNode body = ex.readJson(ctx.limits().maxCommitBodyBytes());
        String name = textOrNull(body, "name");
        String ns = textOrNull(body, "organization");
        if (ns == null) ns = who.user();
        String type = textOrNull(body, "type");
        if (type == null) type = "model";
        if (!type.equals("model") && !type.equals("dataset") && !type.equals("space"))
            throw HttpError.badRequest("Invalid repo type '" + RepoPaths.printable(type) + "': expected model, dataset or space");
        RepoPaths.checkName("namespace", ns);
        RepoPaths.checkName("repo name", name);
        String visibility = textOrNull(body, "visibility");
        boolean isPrivate = visibility != null ? visibility.equals("private") : body.path("private").asBoolean(false);
        if (visibility != null && !Set.of("public", "private", "protected").contains(visibility))
            throw HttpError.badRequest("Invalid visibility '" + RepoPaths.printable(visibility) + "': expected public or private");
        String url = repoUrl(ex, type, ns, name);
        HubRepo repo;
        try {
            repo = ctx.repos().create(type, ns, name, isPrivate, who.user());
        } catch (HttpError e) {
            if (e.status != 409) throw e;
            // huggingface_hub's exist_ok reads "url" from the 409 body (spec §2.1)
            ex.header("X-Error-Message", "You already created this " + type + " repo");
            ex.json(409, Map.of("error", "You already created this " + type + " repo", "url", url));
            return;
        }
        List<HubRepo.Op> ops = new ArrayList<>();
        try (ObjectInserter ins = repo.git.newObjectInserter()) {
            String license = textOrNull(body, "license");
            boolean readmeGiven = false;
            for (JsonNode f : body.path("files")) {
                String path = RepoPaths.checkFilePath(textOrNull(f, "path"));
                byte[] content = decodeContent(f, path);
                if (content.length > ctx.limits().maxRegularFileBytes())
                    throw HttpError.badRequest("File " + path + " is larger than " + ctx.limits().maxRegularFileBytes() + " bytes");
                readmeGiven |= path.equals("README.md");
                ops.add(new HubRepo.Put(path, ins.insert(Constants.OBJ_BLOB, content), null));
            }
            if (license != null && !readmeGiven)
                ops.add(new HubRepo.Put("README.md", ins.insert(Constants.OBJ_BLOB,
                        ("---\nlicense: " + license + "\n---\n").getBytes(StandardCharsets.UTF_8)), null));
            ins.flush();
        }
        if (!ops.isEmpty()) repo.commit("main", null, false, ops, "Upload files", "", HubRepo.ident(who.user()));
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("url", url).put("name", ns + "/" + name).put("id", objectId(type, ns + "/" + name));
        ex.json(200, o);
    }

    static byte[] decodeContent(JsonNode f, String path) {
        String content = textOrNull(f, "content");
        if (content == null) throw HttpError.badRequest("File " + path + ": 'content' is missing");
        String encoding = textOrNull(f, "encoding");
        if (encoding == null || encoding.equals("base64")) {
            try {
                return Base64.getMimeDecoder().decode(content);
            } catch (IllegalArgumentException e) {
                throw HttpError.badRequest("File " + path + ": content is not valid base64");
            }
        }
        if (encoding.equals("utf-8") || encoding.equals("utf8")) return content.getBytes(StandardCharsets.UTF_8);
        throw HttpError.badRequest("File " + path + ": unknown encoding '" + RepoPaths.printable(encoding) + "' (expected base64 or utf-8)");
    }

    void delete(Exchange ex) throws IOException {
        TokenStore.Entry who = ctx.requireCaller(ex);
        JsonNode body = ex.readJson(ctx.limits().maxJsonBodyBytes());
        String ns = textOrNull(body, "organization");
        if (ns == null) ns = who.user();
        String type = textOrNull(body, "type");
        ctx.repos().delete(type == null ? "model" : type, ns, textOrNull(body, "name"));
        ex.send(200, "text/plain; charset=utf-8", "OK".getBytes(StandardCharsets.UTF_8));
    }

    void settings(Exchange ex, String type, String ns, String name) throws IOException {
        if (type == null) throw HttpError.badRequest("Invalid repo type");
        HubRepo repo = ctx.writable(ex, type, ns, name);
        JsonNode body = ex.readJson(ctx.limits().maxJsonBodyBytes());
        if (body.has("private")) repo.setPrivate(body.get("private").asBoolean());
        if (body.has("visibility")) repo.setPrivate("private".equals(body.get("visibility").asText()));
        ex.json(200, Map.of("private", repo.isPrivate()));
    }

    static String repoUrl(Exchange ex, String type, String ns, String name) {
        return ex.baseUrl() + (type.equals("model") ? "" : "/" + type + "s") + "/" + ns + "/" + name;
    }

    // ---------------------------------------------------------------- model info

    void info(Exchange ex, String type, String ns, String name, String rev) throws IOException {
        HubRepo repo = ctx.readable(ex, type, ns, name);
        RevCommit commit = repo.resolve(rev);
        boolean blobs = ex.flag("blobs");
        List<HubRepo.Entry> files = repo.list(commit, "", true).stream().filter(e -> !e.directory()).toList();

        ObjectNode meta = null;
        String readme = repo.readText(commit, "README.md", ctx.limits().maxRegularFileBytes());
        if (readme != null) meta = ModelCard.parse(readme).metadata();

        ObjectNode o = Json.MAPPER.createObjectNode();
        String id = ns + "/" + name;
        o.put("_id", objectId(type, id)).put("id", id);
        if (type.equals("model")) o.put("modelId", id);
        o.put("author", ns).put("sha", commit.name()).put("lastModified", iso(commit))
                .put("createdAt", repo.createdAt() != null ? iso(Instant.parse(repo.createdAt())) : iso(commit))
                .put("private", repo.isPrivate()).put("gated", false).put("disabled", false)
                .put("downloads", 0).put("likes", 0);
        String library = ModelCard.text(meta, "library_name");
        String pipeline = ModelCard.text(meta, "pipeline_tag");
        if (library != null) o.put("library_name", library);
        if (pipeline != null) o.put("pipeline_tag", pipeline);

        ObjectNode config = modelConfig(repo, commit);
        Set<String> tags = new LinkedHashSet<>(ModelCard.list(meta, "tags"));
        if (library != null) tags.add(library);
        if (files.stream().anyMatch(f -> f.path().endsWith(".safetensors"))) tags.add("safetensors");
        if (files.stream().anyMatch(f -> f.path().endsWith(".gguf"))) tags.add("gguf");
        if (config != null && config.hasNonNull("model_type")) tags.add(config.get("model_type").asText());
        if (pipeline != null) tags.add(pipeline);
        for (String l : ModelCard.list(meta, "language")) tags.add(l);
        for (String b : ModelCard.list(meta, "base_model")) tags.add("base_model:" + b);
        for (String d : ModelCard.list(meta, "datasets")) tags.add("dataset:" + d);
        String license = ModelCard.text(meta, "license");
        if (license != null) tags.add("license:" + license);
        ArrayNode tagArray = o.putArray("tags");
        tags.forEach(tagArray::add);

        if (meta != null) {
            o.set("cardData", meta);
            if (meta.has("model-index")) o.set("model-index", meta.get("model-index"));
        }
        if (config != null) o.set("config", config);
        ArrayNode siblings = o.putArray("siblings");
        long storage = 0;
        for (HubRepo.Entry f : files) {
            storage += f.size();
            ObjectNode s = siblings.addObject().put("rfilename", f.path());
            if (blobs) {
                s.put("size", f.size()).put("blobId", f.oid().name());
                if (f.lfs() != null)
                    s.putObject("lfs").put("sha256", f.lfs().oid()).put("size", f.lfs().size()).put("pointerSize", f.lfs().pointerSize());
            }
        }
        o.putArray("spaces");
        o.put("usedStorage", storage);
        ex.json(200, o);
    }

    /** The {@code config} the Hub shows: architectures and model_type from config.json. */
    private ObjectNode modelConfig(HubRepo repo, RevCommit commit) {
        try {
            String text = repo.readText(commit, "config.json", 4 * HubLimits.MiB);
            if (text == null) return null;
            JsonNode cfg = Json.MAPPER.readTree(text);
            if (!cfg.isObject()) return null;
            ObjectNode out = Json.MAPPER.createObjectNode();
            if (cfg.has("architectures")) out.set("architectures", cfg.get("architectures"));
            if (cfg.has("model_type")) out.set("model_type", cfg.get("model_type"));
            return out;
        } catch (IOException | RuntimeException e) {
            return null; // a broken config.json is the repo's problem, not the info endpoint's
        }
    }

    /**
     * {@code GET /api/models?author=&search=&limit=}: the repositories the caller may see, newest
     * first is not tracked, so sorted by id; each with the info fields that need no tree walk.
     */
    void listRepos(Exchange ex, String type) throws IOException {
        boolean authed = ctx.caller(ex).isPresent();
        String author = ex.param("author"), search = ex.param("search");
        int limit = Integer.MAX_VALUE;
        if (ex.param("limit") != null) {
            try {
                limit = Math.max(0, Integer.parseInt(ex.param("limit")));
            } catch (NumberFormatException e) {
                throw HttpError.badRequest("Invalid limit");
            }
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (String id : ctx.repos().list(type)) {
            if (out.size() >= limit) break;
            String ns = id.substring(0, id.indexOf('/')), name = id.substring(id.indexOf('/') + 1);
            if (author != null && !author.equals(ns)) continue;
            if (search != null && !id.toLowerCase().contains(search.toLowerCase())) continue;
            HubRepo repo;
            RevCommit head;
            try {
                repo = ctx.repos().open(type, ns, name);
                head = repo.resolve("HEAD");
            } catch (HttpError e) {
                continue; // deleted meanwhile, or not a valid name on disk
            }
            if (repo.isPrivate() && !authed) continue;
            ObjectNode o = out.addObject();
            o.put("_id", objectId(type, id)).put("id", id);
            if (type.equals("model")) o.put("modelId", id);
            o.put("author", ns).put("sha", head.name()).put("lastModified", iso(head)).put("private", repo.isPrivate())
                    .put("gated", false).put("downloads", 0).put("likes", 0);
        }
        ex.json(200, out);
    }

    // ---------------------------------------------------------------- tree and paths-info

    void tree(Exchange ex, String type, String ns, String name, String rev, String path) throws IOException {
        HubRepo repo = ctx.readable(ex, type, ns, name);
        RevCommit commit = repo.resolve(rev);
        if (!path.isEmpty()) RepoPaths.checkFilePath(path);
        boolean recursive = ex.flag("recursive"), expand = ex.flag("expand");
        List<HubRepo.Entry> all = repo.list(commit, path, recursive);

        int pageSize = expand ? Math.min(50, ctx.limits().treePageSize()) : ctx.limits().treePageSize();
        String limitParam = ex.param("limit");
        if (limitParam != null) {
            try {
                pageSize = Math.max(1, Math.min(pageSize, Integer.parseInt(limitParam)));
            } catch (NumberFormatException e) {
                throw HttpError.badRequest("Invalid limit '" + RepoPaths.printable(limitParam) + "'");
            }
        }
        int start = 0;
        String cursor = ex.param("cursor");
        if (cursor != null) {
            try {
                start = Integer.parseInt(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII));
            } catch (IllegalArgumentException e) {
                throw HttpError.badRequest("Invalid cursor");
            }
            if (start < 0 || start > all.size()) throw HttpError.badRequest("Invalid cursor");
        }
        int end = Math.min(all.size(), start + pageSize);
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (HubRepo.Entry e : all.subList(start, end)) out.add(entryJson(repo, commit, e, expand));
        if (end < all.size()) {
            String next = ex.baseUrl() + "/api/" + type + "s/" + ns + "/" + name + "/tree/" + Exchange.encodeSegment(rev)
                    + (path.isEmpty() ? "" : "/" + Exchange.encodePath(path))
                    + "?recursive=" + recursive + "&expand=" + expand + "&limit=" + pageSize
                    + "&cursor=" + Base64.getUrlEncoder().withoutPadding().encodeToString(String.valueOf(end).getBytes(StandardCharsets.US_ASCII));
            ex.header("Link", "<" + next + ">; rel=\"next\"");
        }
        ex.json(200, out);
    }

    void pathsInfo(Exchange ex, String type, String ns, String name, String rev) throws IOException {
        HubRepo repo = ctx.readable(ex, type, ns, name);
        RevCommit commit = repo.resolve(rev);
        byte[] body = ex.readBody(ctx.limits().maxJsonBodyBytes());
        String contentType = ex.header("Content-Type");
        List<String> paths = new ArrayList<>();
        boolean expand;
        if (contentType != null && contentType.startsWith("application/x-www-form-urlencoded")) {
            Map<String, List<String>> form = Exchange.parseQuery(new String(body, StandardCharsets.UTF_8));
            paths.addAll(form.getOrDefault("paths", List.of()));
            List<String> e = form.getOrDefault("expand", List.of());
            expand = !e.isEmpty() && (e.getFirst().equalsIgnoreCase("true") || e.getFirst().equals("1"));
        } else {
            JsonNode json;
            try {
                json = Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw HttpError.badRequest("Invalid JSON body: " + Exchange.firstLine(e.getMessage()));
            }
            if (json == null || !json.path("paths").isArray()) throw HttpError.badRequest("Expected {\"paths\": [...]}");
            for (JsonNode p : json.get("paths")) paths.add(p.asText());
            expand = json.path("expand").asBoolean(false);
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (String p : paths) {
            String clean = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
            if (clean.isEmpty()) continue;
            RepoPaths.checkFilePath(clean);
            HubRepo.Entry e = repo.entry(commit, clean);
            if (e != null) out.add(entryJson(repo, commit, e, expand));
        }
        ex.json(200, out);
    }

    /** A tree entry as the Hub lists it (spec §3.1): oid for files and directories, lfs for LFS files. */
    private ObjectNode entryJson(HubRepo repo, RevCommit commit, HubRepo.Entry e, boolean expand) throws IOException {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("type", e.directory() ? "directory" : "file").put("oid", e.oid().name()).put("size", e.size()).put("path", e.path());
        if (e.lfs() != null)
            o.putObject("lfs").put("oid", e.lfs().oid()).put("size", e.lfs().size()).put("pointerSize", e.lfs().pointerSize());
        if (expand) {
            RevCommit last = repo.lastCommitTouching(commit, e.path());
            o.putObject("lastCommit").put("id", last.name()).put("title", last.getShortMessage()).put("date", iso(last));
        }
        return o;
    }

    // ---------------------------------------------------------------- refs and commits

    void refs(Exchange ex, String type, String ns, String name) throws IOException {
        HubRepo repo = ctx.readable(ex, type, ns, name);
        ObjectNode o = Json.MAPPER.createObjectNode();
        ArrayNode branches = o.putArray("branches"), tags = o.putArray("tags");
        for (Ref r : repo.git.getRefDatabase().getRefsByPrefix("refs/heads/"))
            branches.addObject().put("name", r.getName().substring(11)).put("ref", r.getName()).put("targetCommit", r.getObjectId().name());
        for (Ref r : repo.git.getRefDatabase().getRefsByPrefix("refs/tags/")) {
            ObjectId target = r.getPeeledObjectId() != null ? r.getPeeledObjectId() : r.getObjectId();
            tags.addObject().put("name", r.getName().substring(10)).put("ref", r.getName()).put("targetCommit", target.name());
        }
        o.putArray("converts");
        ex.json(200, o);
    }

    /** {@code POST .../branch/{branch}} with optional {@code {"startingPoint": rev}}; 409 when it exists. */
    void createBranch(Exchange ex, String type, String ns, String name, String branch) throws IOException {
        HubRepo repo = ctx.writable(ex, type, ns, name);
        byte[] raw = ex.readBody(ctx.limits().maxJsonBodyBytes());
        JsonNode body = raw.length == 0 ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(raw);
        String start = textOrNull(body, "startingPoint");
        RevCommit from = repo.resolve(start == null ? "HEAD" : start);
        createRef(repo, "refs/heads/" + branch, from, "Branch");
        ex.json(200, Map.of());
    }

    void deleteBranch(Exchange ex, String type, String ns, String name, String branch) throws IOException {
        HubRepo repo = ctx.writable(ex, type, ns, name);
        if (branch.equals("main")) throw new HttpError(403, null, "The main branch cannot be deleted");
        if (repo.git.exactRef("refs/heads/" + branch) == null) throw HttpError.revisionNotFound(branch);
        org.eclipse.jgit.lib.RefUpdate ru = repo.git.updateRef("refs/heads/" + branch);
        ru.setForceUpdate(true);
        org.eclipse.jgit.lib.RefUpdate.Result r = ru.delete();
        if (r != org.eclipse.jgit.lib.RefUpdate.Result.FORCED) throw new HttpError(500, null, "deleting branch " + branch + " failed: " + r);
        ex.json(200, Map.of());
    }

    /** {@code POST .../tag/{rev}} with {@code {"tag": name, "message"?}}; 409 when it exists. */
    void createTag(Exchange ex, String type, String ns, String name, String rev) throws IOException {
        HubRepo repo = ctx.writable(ex, type, ns, name);
        JsonNode body = ex.readJson(ctx.limits().maxJsonBodyBytes());
        String tag = textOrNull(body, "tag");
        if (tag == null) throw HttpError.badRequest("\"tag\" is required");
        createRef(repo, "refs/tags/" + tag, repo.resolve(rev), "Tag");
        ex.json(200, Map.of());
    }

    private static void createRef(HubRepo repo, String ref, RevCommit target, String what) throws IOException {
        if (!org.eclipse.jgit.lib.Repository.isValidRefName(ref) || ref.contains("..") || ref.endsWith("/"))
            throw HttpError.badRequest("Invalid " + what.toLowerCase() + " name '" + RepoPaths.printable(ref) + "'");
        org.eclipse.jgit.lib.RefUpdate ru = repo.git.updateRef(ref);
        ru.setNewObjectId(target);
        ru.setExpectedOldObjectId(ObjectId.zeroId());
        org.eclipse.jgit.lib.RefUpdate.Result r = ru.update();
        if (r == org.eclipse.jgit.lib.RefUpdate.Result.LOCK_FAILURE || r == org.eclipse.jgit.lib.RefUpdate.Result.NO_CHANGE
                || r == org.eclipse.jgit.lib.RefUpdate.Result.REJECTED)
            throw new HttpError(409, "Conflict", what + " " + ref.substring(ref.indexOf('/', 5) + 1) + " already exists");
        if (r != org.eclipse.jgit.lib.RefUpdate.Result.NEW) throw new HttpError(500, null, "creating " + ref + " failed: " + r);
    }

    void commits(Exchange ex, String type, String ns, String name, String rev) throws IOException {
        HubRepo repo = ctx.readable(ex, type, ns, name);
        RevCommit head = repo.resolve(rev);
        ArrayNode out = Json.MAPPER.createArrayNode();
        try (RevWalk walk = new RevWalk(repo.git)) {
            walk.markStart(walk.parseCommit(head));
            for (RevCommit c : walk) {
                ObjectNode o = out.addObject();
                o.put("id", c.name()).put("title", c.getShortMessage()).put("message", c.getFullMessage()).put("date", iso(c));
                o.putArray("authors").addObject().put("user", c.getAuthorIdent().getName());
                if (out.size() >= 1000) break;
            }
        }
        ex.json(200, out);
    }

    // ---------------------------------------------------------------- validate-yaml

    void validateYaml(Exchange ex) throws IOException {
        JsonNode body = ex.readJson(ctx.limits().maxJsonBodyBytes());
        String content = textOrNull(body, "content");
        if (content == null) throw HttpError.badRequest("\"content\" is required");
        ModelCard.Result r = ModelCard.parse(content);
        ObjectNode o = Json.MAPPER.createObjectNode();
        ArrayNode warnings = o.putArray("warnings");
        r.warnings().forEach(w -> warnings.addObject().put("message", w));
        if (r.ok()) {
            ex.json(200, o);
            return;
        }
        ArrayNode errors = o.putArray("errors");
        r.errors().forEach(e -> errors.addObject().put("message", e));
        o.put("error", r.errorMessage());
        ex.header("X-Error-Code", "BadRequest");
        ex.header("X-Error-Message", Exchange.headerSafe(r.errorMessage()));
        ex.json(400, o);
    }

    static String textOrNull(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
