package dev.apr.hub.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.revwalk.RevCommit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * Preupload (which files go to LFS) and the commit endpoint (NDJSON lines header / file /
 * lfsFile / deletedFile / deletedFolder, or the legacy JSON body). File contents are written
 * into git's object store as each line arrives, so memory holds one line at a time.
 */
final class CommitApi {
    private static final Pattern SHA1 = Pattern.compile("[0-9a-f]{40}");
    /** Binary files above ~1 MB must be LFS on the Hub; the 10 MiB limit applies to all files (spec §4). */
    static final long BINARY_LFS_THRESHOLD = 1_000_000;
    static final long GIT_FILE_LIMIT = 10 * HubLimits.MiB;

    private final HubContext ctx;
    private final java.util.concurrent.Semaphore bodies = new java.util.concurrent.Semaphore(4);

    CommitApi(HubContext ctx) { this.ctx = ctx; }

    // ---------------------------------------------------------------- preupload

    void preupload(Exchange ex, String type, String ns, String name, String rev) throws IOException {
        HubRepo repo = ctx.writable(ex, type, ns, name);
        RevCommit commit = repo.resolve(rev);
        JsonNode body = ex.readJson(ctx.limits().maxJsonBodyBytes());
        if (!body.path("files").isArray()) throw HttpError.badRequest("Expected {\"files\": [...]}");
        String attrs = body.hasNonNull("gitAttributes") ? body.get("gitAttributes").asText()
                : repo.readText(commit, ".gitattributes", 16 * HubLimits.MiB);
        String ignore = body.hasNonNull("gitIgnore") ? body.get("gitIgnore").asText()
                : repo.readText(commit, ".gitignore", 16 * HubLimits.MiB);

        ObjectNode out = Json.MAPPER.createObjectNode();
        ArrayNode files = out.putArray("files");
        for (JsonNode f : body.get("files")) {
            String path = RepoPaths.checkFilePath(RepoApi.textOrNull(f, "path"));
            long size = f.path("size").asLong(-1);
            if (size < 0) throw HttpError.badRequest("File " + path + ": 'size' must be a non-negative integer");
            byte[] sample;
            try {
                sample = Base64.getMimeDecoder().decode(f.path("sample").asText(""));
            } catch (IllegalArgumentException e) {
                throw HttpError.badRequest("File " + path + ": 'sample' is not valid base64");
            }
            boolean lfs = size > 0 && (HubRepo.isLfsPath(attrs, path) || size > GIT_FILE_LIMIT
                    || size > ctx.limits().maxRegularFileBytes() || (size > BINARY_LFS_THRESHOLD && isBinary(sample)));
            ObjectNode o = files.addObject();
            o.put("path", path).put("uploadMode", lfs ? "lfs" : "regular").put("shouldIgnore", HubRepo.isIgnored(ignore, path));
            HubRepo.Entry existing = repo.entry(commit, path);
            if (existing != null && !existing.directory())
                o.put("oid", existing.lfs() != null ? existing.lfs().oid() : existing.oid().name());
        }
        out.put("commitOid", commit.name());
        ex.json(200, out);
    }

    /** git's own heuristic: a NUL byte in the first bytes means binary. */
    static boolean isBinary(byte[] sample) {
        for (byte b : sample) if (b == 0) return true;
        return false;
    }

    // ---------------------------------------------------------------- commit

    /** What the commit lines asked for, collected before the branch is touched. */
    private static final class Plan {
        String summary, description;
        ObjectId parent;
        final List<HubRepo.Op> ops = new ArrayList<>();
        byte[] readme;
    }

    void commit(Exchange ex, String type, String ns, String name, String rev) throws IOException, InterruptedException {
        TokenStore.Entry who = ctx.requireCaller(ex);
        HubRepo repo = ctx.repos().open(type, ns, name);
        if (ex.flag("create_pr"))
            throw new HttpError(501, "NotImplemented", "Pull requests (create_pr) are not supported by this hub");
        String branch = rev.startsWith("refs/heads/") ? rev.substring(11) : rev;
        if (SHA1.matcher(branch).matches() || branch.equals("HEAD") || branch.startsWith("refs/"))
            throw HttpError.badRequest("Invalid rev id: " + rev + " (commits go to a branch)");
        repo.resolve(branch); // 404 RevisionNotFound for a missing branch, before reading the body

        long declared = ex.contentLength();
        if (declared > ctx.limits().maxCommitBodyBytes())
            throw HttpError.tooLarge("Commit body of " + declared + " bytes is larger than the limit of " + ctx.limits().maxCommitBodyBytes() + " bytes");
        String contentType = ex.header("Content-Type");
        Plan plan = new Plan();
        // a commit line may hold ~4x the largest regular file while it is decoded: bound how many at once
        if (!bodies.tryAcquire(60, java.util.concurrent.TimeUnit.SECONDS))
            throw new HttpError(503, "Busy", "Too many commits in progress, retry later");
        try (ObjectInserter ins = repo.git.newObjectInserter()) {
            if (contentType != null && contentType.startsWith("application/json")) readLegacy(ex, plan, ins);
            else readNdjson(ex, plan, ins);
            ins.flush();
        } finally {
            bodies.release();
        }
        if (plan.summary == null) throw HttpError.badRequest("The commit has no header line with a summary");
        if (plan.readme != null) {
            ModelCard.Result card = ModelCard.parse(new String(plan.readme, StandardCharsets.UTF_8));
            if (!card.ok()) throw HttpError.badRequest(card.errorMessage());
        }
        ObjectId id = repo.commit(branch, plan.parent, false, plan.ops, plan.summary, plan.description, HubRepo.ident(who.user()));
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("success", true).put("commitOid", id.name())
                .put("commitUrl", RepoApi.repoUrl(ex, type, ns, name) + "/commit/" + id.name())
                .putNull("pullRequestUrl").put("hookOutput", "");
        ex.json(200, o);
    }

    private void readNdjson(Exchange ex, Plan plan, ObjectInserter ins) throws IOException {
        {
            InputStream in = ex.bodyStream();
            BoundedLineReader lines = new BoundedLineReader(in, ctx.limits().maxCommitLineBytes(), ctx.limits().maxCommitBodyBytes());
            int n = 0;
            for (byte[] raw; (raw = lines.next()) != null; ) {
                if (raw.length == 0) continue;
                n++;
                JsonNode line;
                try {
                    line = Json.MAPPER.readTree(raw);
                } catch (IOException e) {
                    throw HttpError.badRequest("Commit line " + n + " is not valid JSON: " + Exchange.firstLine(e.getMessage()));
                }
                String key = RepoApi.textOrNull(line, "key");
                JsonNode value = line.get("value");
                if (key == null || value == null || !value.isObject())
                    throw HttpError.badRequest("Commit line " + n + ": expected {\"key\": ..., \"value\": {...}}");
                if (n == 1 && !key.equals("header")) throw HttpError.badRequest("The first commit line must be the header");
                switch (key) {
                    case "header" -> {
                        if (n != 1) throw HttpError.badRequest("Commit line " + n + ": only the first line may be the header");
                        header(plan, value);
                    }
                    case "file" -> file(plan, value, ins);
                    case "lfsFile" -> lfsFile(plan, value, ins);
                    case "deletedFile" -> plan.ops.add(new HubRepo.Delete(RepoPaths.checkFilePath(RepoApi.textOrNull(value, "path"))));
                    case "deletedFolder" -> plan.ops.add(new HubRepo.DeleteFolder(folder(RepoApi.textOrNull(value, "path"))));
                    default -> throw HttpError.badRequest("Commit line " + n + ": unknown key '" + RepoPaths.printable(key)
                            + "'. Add a line with the key `lfsFile`, `file`, `deletedFile` or `deletedFolder`");
                }
            }
        }
    }

    private void readLegacy(Exchange ex, Plan plan, ObjectInserter ins) throws IOException {
        JsonNode body = ex.readJson(ctx.limits().maxCommitBodyBytes());
        if (!body.isObject()) throw HttpError.badRequest("Expected a JSON object");
        header(plan, body);
        for (JsonNode f : body.path("files")) file(plan, f, ins);
        for (JsonNode f : body.path("lfsFiles")) lfsFile(plan, f, ins);
        for (JsonNode f : body.path("deletedFiles")) plan.ops.add(new HubRepo.Delete(RepoPaths.checkFilePath(RepoApi.textOrNull(f, "path"))));
        for (JsonNode f : body.path("deletedFolders")) plan.ops.add(new HubRepo.DeleteFolder(folder(RepoApi.textOrNull(f, "path"))));
    }

    private static void header(Plan plan, JsonNode value) {
        String summary = RepoApi.textOrNull(value, "summary");
        if (summary == null || summary.isBlank()) throw HttpError.badRequest("The commit header needs a non-empty 'summary'");
        plan.summary = summary.strip();
        plan.description = RepoApi.textOrNull(value, "description");
        String parent = RepoApi.textOrNull(value, "parentCommit");
        if (parent != null) {
            if (!SHA1.matcher(parent).matches())
                throw HttpError.badRequest("Invalid parentCommit '" + RepoPaths.printable(parent) + "': expected a 40-hex commit id");
            plan.parent = ObjectId.fromString(parent);
        }
    }

    private void file(Plan plan, JsonNode value, ObjectInserter ins) throws IOException {
        String path = RepoPaths.checkFilePath(RepoApi.textOrNull(value, "path"));
        byte[] content = RepoApi.decodeContent(value, path);
        if (content.length > ctx.limits().maxRegularFileBytes())
            throw HttpError.badRequest("Your push was rejected because it contains files larger than 10 MiB. "
                    + "Please use https://git-lfs.github.com/ to store large files. (" + path + ": " + content.length + " bytes)");
        plan.ops.add(new HubRepo.Put(path, ins.insert(Constants.OBJ_BLOB, content), null));
        if (path.equals("README.md")) plan.readme = content;
    }

    private void lfsFile(Plan plan, JsonNode value, ObjectInserter ins) throws IOException {
        String path = RepoPaths.checkFilePath(RepoApi.textOrNull(value, "path"));
        String algo = RepoApi.textOrNull(value, "algo");
        if (algo != null && !algo.equals("sha256")) throw HttpError.badRequest("File " + path + ": unsupported LFS algo '" + RepoPaths.printable(algo) + "'");
        String oid = LfsStore.checkOid(RepoApi.textOrNull(value, "oid"));
        OptionalLong stored = ctx.lfs().size(oid);
        if (stored.isEmpty())
            throw HttpError.badRequest("File " + path + ": LFS object " + oid + " was not uploaded (use the LFS batch API first)");
        if (value.hasNonNull("size") && value.get("size").asLong(-1) != stored.getAsLong())
            throw HttpError.badRequest("File " + path + ": LFS object " + oid + " has " + stored.getAsLong() + " bytes, the commit says " + value.get("size").asText());
        LfsPointer pointer = new LfsPointer(oid, stored.getAsLong());
        plan.ops.add(new HubRepo.Put(path, ins.insert(Constants.OBJ_BLOB, pointer.bytes()), pointer));
        if (path.equals("README.md")) plan.readme = null;
    }

    private static String folder(String path) {
        if (path == null) throw HttpError.badRequest("deletedFolder: 'path' is missing");
        String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        return RepoPaths.checkFilePath(p);
    }
}
