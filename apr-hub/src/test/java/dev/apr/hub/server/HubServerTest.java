package dev.apr.hub.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.apr.hub.server.RawHub.*;
import static org.junit.jupiter.api.Assertions.*;

/** The hub server in-process, driven with raw HTTP shaped as the protocol spec describes. */
class HubServerTest {
    static final String TOKEN = "hf_inprocessTestToken0001";
    @TempDir static Path data;
    static HubServer server;
    static RawHub hub;

    @BeforeAll
    static void start() throws IOException {
        // small limits so the size checks are cheap to exercise
        HubLimits limits = HubLimits.defaults().withRegularFileAndBody(64 * 1024, 1024 * 1024)
                .withMultipart(300_000, 128 * 1024).withTreePageSize(3);
        server = new HubServer(limits);
        server.start(data, "127.0.0.1", 0);
        server.addToken("tester", TOKEN);
        hub = new RawHub(server.url(), TOKEN);
    }

    @AfterAll
    static void stop() { server.stop(); }

    static String create(String name) {
        HttpResponse<byte[]> r = hub.createRepo("org", name, false);
        assertEquals(200, r.statusCode(), text(r));
        return "org/" + name;
    }

    @Test
    void firstStartMintsOneHfTokenStoredOnlyHashed() throws IOException {
        String minted = server.initialToken().orElseThrow();
        assertTrue(minted.matches("hf_[A-Za-z]{34}"), minted);
        assertEquals(200, hub.as(minted).get("/api/whoami-v2").statusCode());
        String stored = Files.readString(data.resolve("tokens.json"));
        assertFalse(stored.contains(minted), "the plain token is not on disk");
        assertTrue(stored.contains(TokenStore.sha256(minted)));
    }

    @Test
    void whoamiHasTheShapeTheClientsRead() {
        JsonNode me = tree(hub.get("/api/whoami-v2"));
        assertEquals("tester", me.get("name").asText());
        assertEquals("user", me.get("type").asText());
        assertEquals("write", me.at("/auth/accessToken/role").asText());
        assertTrue(me.get("orgs").isArray());
        HttpResponse<byte[]> none = hub.as(null).get("/api/whoami-v2");
        assertEquals(401, none.statusCode());
        HttpResponse<byte[]> wrong = hub.as("hf_wrongwrongwrong").get("/api/whoami-v2");
        assertEquals(401, wrong.statusCode());
        assertEquals("Invalid credentials in Authorization header", wrong.headers().firstValue("X-Error-Message").orElse(""));
        assertEquals("Invalid credentials in Authorization header", tree(wrong).get("error").asText());
    }

    @Test
    void createMakesABareGitRepoWithTheDefaultGitattributes() throws IOException {
        String repo = create("fresh");
        JsonNode info = tree(hub.get("/api/models/" + repo));
        assertEquals(repo, info.get("id").asText());
        assertTrue(info.get("sha").asText().matches("[0-9a-f]{40}"));
        assertEquals(".gitattributes", info.at("/siblings/0/rfilename").asText());
        assertEquals(1, info.get("siblings").size());
        byte[] attrs = hub.get("/" + repo + "/resolve/main/.gitattributes").body();
        assertArrayEquals(HubRepo.DEFAULT_GITATTRIBUTES.getBytes(StandardCharsets.UTF_8), attrs);
        assertTrue(new String(attrs, StandardCharsets.UTF_8).contains("*.safetensors filter=lfs diff=lfs merge=lfs -text\n"));
        try (Repository git = openBare(repo)) {
            assertTrue(git.isBare());
            assertEquals(info.get("sha").asText(), git.resolve("refs/heads/main").name());
            assertEquals("refs/heads/main", git.exactRef("HEAD").getTarget().getName());
        }
        HttpResponse<byte[]> again = hub.createRepo("org", "fresh", false);
        assertEquals(409, again.statusCode());
        assertEquals(server.url() + "/org/fresh", tree(again).get("url").asText(), "exist_ok reads url from the 409 body");
    }

    @Test
    void createCommitDownloadRoundTripWithLfs() throws IOException {
        String repo = create("roundtrip");
        byte[] readme = "---\nlicense: apache-2.0\nlibrary_name: apr\npipeline_tag: text-generation\ntags: [code]\n---\n# hi\n"
                .getBytes(StandardCharsets.UTF_8);
        byte[] config = "{\"model_type\": \"qwen2\", \"architectures\": [\"Qwen2ForCausalLM\"]}".getBytes(StandardCharsets.UTF_8);
        byte[] weights = bytes(200_000, 1);

        // preupload: README regular, *.safetensors LFS by the default .gitattributes
        HttpResponse<byte[]> pre = hub.postJson("/api/models/" + repo + "/preupload/main", Map.of("files", List.of(
                Map.of("path", "README.md", "size", readme.length, "sample", java.util.Base64.getEncoder().encodeToString(readme)),
                Map.of("path", "model.safetensors", "size", weights.length, "sample", ""))));
        assertEquals(200, pre.statusCode(), text(pre));
        JsonNode files = tree(pre).get("files");
        assertEquals("regular", files.get(0).get("uploadMode").asText());
        assertEquals("lfs", files.get(1).get("uploadMode").asText());
        assertFalse(files.get(0).get("shouldIgnore").asBoolean(true));

        assertEquals(1, hub.uploadLfs(repo, weights));
        String parent = hub.headSha(repo);
        HttpResponse<byte[]> c = hub.commit(repo, "main", ndjson("add model", parent, List.of(
                fileLine("README.md", readme), fileLine("config.json", config),
                lfsLine("model.safetensors", weights), lfsLine("alias/apr.safetensors", weights))));
        assertEquals(200, c.statusCode(), text(c));
        JsonNode commit = tree(c);
        String oid = commit.get("commitOid").asText();
        assertTrue(oid.matches("[0-9a-f]{40}"));
        assertEquals(server.url() + "/org/roundtrip/commit/" + oid, commit.get("commitUrl").asText());

        // resolve: regular file
        HttpResponse<byte[]> r = hub.get("/" + repo + "/resolve/main/README.md");
        assertEquals(200, r.statusCode());
        assertArrayEquals(readme, r.body());
        assertEquals("\"" + gitBlobSha1(readme) + "\"", r.headers().firstValue("ETag").orElseThrow());
        assertEquals(oid, r.headers().firstValue("X-Repo-Commit").orElseThrow());
        assertEquals(String.valueOf(readme.length), r.headers().firstValue("Content-Length").orElseThrow());
        // resolve: LFS file, by commit sha
        HttpResponse<byte[]> w = hub.get("/" + repo + "/resolve/" + oid + "/model.safetensors");
        assertEquals(200, w.statusCode());
        assertArrayEquals(weights, w.body());
        assertEquals("\"" + sha256(weights) + "\"", w.headers().firstValue("ETag").orElseThrow());
        assertEquals("\"" + sha256(weights) + "\"", w.headers().firstValue("X-Linked-Etag").orElseThrow());
        assertEquals(String.valueOf(weights.length), w.headers().firstValue("X-Linked-Size").orElseThrow());
        assertEquals("bytes", w.headers().firstValue("Accept-Ranges").orElseThrow());
        assertTrue(w.headers().firstValue("Content-Encoding").isEmpty());
        HttpResponse<byte[]> h = hub.head("/" + repo + "/resolve/main/model.safetensors");
        assertEquals(200, h.statusCode());
        assertEquals(String.valueOf(weights.length), h.headers().firstValue("Content-Length").orElseThrow());
        assertEquals(0, h.body().length);
        // raw: the pointer text
        String pointer = text(hub.get("/" + repo + "/raw/main/model.safetensors"));
        assertEquals("version https://git-lfs.github.com/spec/v1\noid sha256:" + sha256(weights) + "\nsize 200000\n", pointer);

        // model info
        JsonNode info = tree(hub.get("/api/models/" + repo + "/revision/main?blobs=true"));
        assertEquals(oid, info.get("sha").asText());
        assertEquals("text-generation", info.get("pipeline_tag").asText());
        assertEquals("apr", info.get("library_name").asText());
        assertEquals("apache-2.0", info.at("/cardData/license").asText());
        assertEquals("qwen2", info.at("/config/model_type").asText());
        List<String> tags = new ArrayList<>();
        info.get("tags").forEach(t -> tags.add(t.asText()));
        assertTrue(tags.containsAll(List.of("code", "apr", "safetensors", "license:apache-2.0")), tags.toString());
        JsonNode model = null, alias = null;
        for (JsonNode s : info.get("siblings")) {
            if (s.get("rfilename").asText().equals("model.safetensors")) model = s;
            if (s.get("rfilename").asText().equals("alias/apr.safetensors")) alias = s;
        }
        assertNotNull(model, "model.safetensors listed in siblings");
        assertNotNull(alias, "alias/apr.safetensors listed in siblings");
        assertEquals(sha256(weights), model.at("/lfs/sha256").asText());
        assertEquals(weights.length, model.at("/lfs/size").asLong());
        assertEquals(model.at("/lfs/sha256").asText(), alias.at("/lfs/sha256").asText());
        assertTrue(tree(hub.get("/api/models/" + repo)).at("/siblings/0/lfs").isMissingNode(), "lfs only with blobs=true, as on the Hub");

        // git read-back: a valid bare repository whose HEAD holds the files, pointers exact (spec §8)
        try (Repository git = openBare(repo); RevWalk walk = new RevWalk(git)) {
            RevCommit head = walk.parseCommit(git.resolve("HEAD"));
            assertEquals(oid, head.name());
            assertEquals("add model", head.getShortMessage());
            assertArrayEquals(readme, blob(git, head, "README.md"));
            byte[] ptr = blob(git, head, "model.safetensors");
            assertEquals(pointer, new String(ptr, StandardCharsets.US_ASCII));
            assertEquals(44 + 76 + "size 200000\n".length() - 1, ptr.length);
            assertEquals(ObjectId.fromString(gitBlobSha1(ptr)), TreeWalk.forPath(git, "model.safetensors", head.getTree()).getObjectId(0));
            String attrs = new String(blob(git, head, ".gitattributes"), StandardCharsets.UTF_8);
            assertEquals(HubRepo.DEFAULT_GITATTRIBUTES, attrs, "*.safetensors already covers both LFS paths");
        }
    }

    @Test
    void identicalLfsContentIsStoredOnce() throws IOException {
        String a = create("dedup-a"), b = create("dedup-b");
        byte[] weights = bytes(150_000, 2);
        assertEquals(1, hub.uploadLfs(a, weights));
        JsonNode second = tree(hub.lfsBatch(b, weights));
        assertTrue(second.at("/objects/0/actions").isMissingNode(), "already stored: no actions, the client skips the upload");
        assertEquals(0, hub.uploadLfs(b, weights));
        assertEquals(200, hub.commit(b, "main", ndjson("w", null, List.of(lfsLine("w.bin", weights)))).statusCode());
        assertEquals(200, hub.commit(a, "main", ndjson("w", null, List.of(lfsLine("x/w.bin", weights)))).statusCode());
        try (Stream<Path> s = Files.walk(data.resolve("lfs/objects"))) {
            assertEquals(1, s.filter(p -> p.getFileName().toString().equals(sha256(weights))).count());
        }
        assertArrayEquals(weights, hub.get("/" + b + "/resolve/main/w.bin").body());
        assertArrayEquals(weights, hub.get("/" + a + "/resolve/main/x/w.bin").body());
    }

    @Test
    void lfsUploadWithWrongContentIsRefusedAndNothingStored() {
        String repo = create("badlfs");
        byte[] weights = bytes(1000, 3);
        JsonNode batch = tree(hub.lfsBatch(repo, weights));
        String href = batch.at("/objects/0/actions/upload/href").asText();
        byte[] tampered = weights.clone();
        tampered[10] ^= 1;
        HttpResponse<byte[]> r = hub.putUnauthenticated(href, tampered);
        assertEquals(400, r.statusCode());
        assertTrue(text(r).contains("sha256 mismatch"), text(r));
        assertTrue(hub.putUnauthenticated(href.replace("sig=", "sig=x"), weights).statusCode() == 403, "tampered signature");
        HttpResponse<byte[]> c = hub.commit(repo, "main", ndjson("w", null, List.of(lfsLine("w.bin", weights))));
        assertEquals(400, c.statusCode(), "commit of an object never uploaded");
        assertTrue(text(c).contains("was not uploaded"), text(c));
    }

    @Test
    void multipartUploadWithCompletion() {
        String repo = create("multipart");
        byte[] big = bytes(300_001 + 128 * 1024, 4); // above the 300 kB threshold: 4 parts of 128 KiB
        JsonNode obj = tree(hub.lfsBatch(repo, big)).at("/objects/0");
        JsonNode header = obj.at("/actions/upload/header");
        assertEquals("131072", header.get("chunk_size").asText());
        List<String> parts = new ArrayList<>();
        header.fieldNames().forEachRemaining(k -> { if (k.matches("[0-9]+")) parts.add(k); });
        assertEquals(List.of("00001", "00002", "00003", "00004"), parts);
        List<Map<String, Object>> done = new ArrayList<>();
        for (int i = parts.size() - 1; i >= 0; i--) { // any order: each part lands at its offset
            int from = i * 131072, to = Math.min(big.length, from + 131072);
            HttpResponse<byte[]> put = hub.putUnauthenticated(header.get(parts.get(i)).asText(), java.util.Arrays.copyOfRange(big, from, to));
            assertEquals(200, put.statusCode(), text(put));
            String etag = put.headers().firstValue("ETag").orElseThrow();
            assertTrue(etag.matches("\"[0-9a-f]{8}-" + (to - from) + "\""), etag);
            done.addFirst(Map.of("partNumber", i + 1, "etag", etag));
        }
        String completion = obj.at("/actions/upload/href").asText();
        List<Map<String, Object>> wrong = new ArrayList<>(done);
        wrong.set(2, Map.of("partNumber", 3, "etag", "\"0000\""));
        HttpResponse<byte[]> bad = hub.postUnauthenticated(completion, "application/vnd.git-lfs+json",
                json(Map.of("oid", sha256(big), "parts", wrong)));
        assertEquals(400, bad.statusCode(), "wrong part etag");
        HttpResponse<byte[]> ok = hub.postUnauthenticated(completion, "application/vnd.git-lfs+json",
                json(Map.of("oid", sha256(big), "parts", done)));
        assertEquals(200, ok.statusCode(), text(ok));
        HttpResponse<byte[]> verify = hub.postBytes(obj.at("/actions/verify/href").asText(), "application/vnd.git-lfs+json",
                json(Map.of("oid", sha256(big), "size", big.length)));
        assertEquals(200, verify.statusCode());
        assertEquals(200, hub.commit(repo, "main", ndjson("big", null, List.of(lfsLine("big.bin", big)))).statusCode());
        assertArrayEquals(big, hub.get("/" + repo + "/resolve/main/big.bin").body());
    }

    @Test
    void staleParentCommitIs412AndNothingChanges() {
        String repo = create("conflict");
        String first = hub.headSha(repo);
        assertEquals(200, hub.commit(repo, "main", ndjson("one", first, List.of(fileLine("a.txt", "1".getBytes())))).statusCode());
        String second = hub.headSha(repo);
        HttpResponse<byte[]> stale = hub.commit(repo, "main", ndjson("two", first, List.of(fileLine("a.txt", "2".getBytes()))));
        assertEquals(412, stale.statusCode());
        assertTrue(tree(stale).get("error").asText().contains("The branch was updated"), text(stale));
        assertEquals(second, hub.headSha(repo));
        assertEquals("1", text(hub.get("/" + repo + "/resolve/main/a.txt")));
        assertEquals(200, hub.commit(repo, "main", ndjson("two", second, List.of(fileLine("a.txt", "2".getBytes())))).statusCode());
    }

    @Test
    void rangeRequestsAnswer206() {
        String repo = create("ranges");
        byte[] content = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        byte[] lfs = bytes(5000, 5);
        hub.uploadLfs(repo, lfs);
        hub.commit(repo, "main", ndjson("r", null, List.of(fileLine("f.txt", content), lfsLine("w.bin", lfs))));
        HttpResponse<byte[]> r = hub.get("/" + repo + "/resolve/main/f.txt", "Range", "bytes=5-9");
        assertEquals(206, r.statusCode());
        assertEquals("56789", text(r));
        assertEquals("bytes 5-9/16", r.headers().firstValue("Content-Range").orElseThrow());
        HttpResponse<byte[]> first = hub.get("/" + repo + "/resolve/main/w.bin", "Range", "bytes=0-0");
        assertEquals(206, first.statusCode());
        assertEquals("bytes 0-0/5000", first.headers().firstValue("Content-Range").orElseThrow());
        assertArrayEquals(new byte[] {lfs[0]}, first.body());
        HttpResponse<byte[]> tail = hub.get("/" + repo + "/resolve/main/w.bin", "Range", "bytes=-3");
        assertArrayEquals(java.util.Arrays.copyOfRange(lfs, 4997, 5000), tail.body());
        HttpResponse<byte[]> open = hub.get("/" + repo + "/resolve/main/w.bin", "Range", "bytes=4990-");
        assertEquals("bytes 4990-4999/5000", open.headers().firstValue("Content-Range").orElseThrow());
        HttpResponse<byte[]> past = hub.get("/" + repo + "/resolve/main/w.bin", "Range", "bytes=6000-");
        assertEquals(416, past.statusCode());
        assertEquals("bytes */5000", past.headers().firstValue("Content-Range").orElseThrow());
    }

    @Test
    void missingThingsHaveTheHubErrorCodes() {
        String repo = create("errors");
        HttpResponse<byte[]> noFile = hub.get("/" + repo + "/resolve/main/nope.txt");
        assertEquals(404, noFile.statusCode());
        assertEquals("EntryNotFound", noFile.headers().firstValue("X-Error-Code").orElseThrow());
        assertEquals(hub.headSha(repo), noFile.headers().firstValue("X-Repo-Commit").orElseThrow());
        HttpResponse<byte[]> noRev = hub.get("/" + repo + "/resolve/nobranch/.gitattributes");
        assertEquals(404, noRev.statusCode());
        assertEquals("RevisionNotFound", noRev.headers().firstValue("X-Error-Code").orElseThrow());
        HttpResponse<byte[]> noRepo = hub.get("/api/models/org/does-not-exist");
        assertEquals(404, noRepo.statusCode());
        assertEquals("RepoNotFound", noRepo.headers().firstValue("X-Error-Code").orElseThrow());
        assertEquals("Repository not found", tree(noRepo).get("error").asText());
        assertEquals(404, hub.commit(repo, "main", ndjson("d", null, List.of(Map.of("key", "deletedFile", "value", Map.of("path", "nope")))))
                .statusCode());
    }

    @Test
    void writesNeedAValidToken() {
        String repo = create("auth");
        byte[] body = ndjson("x", null, List.of(fileLine("a.txt", "a".getBytes())));
        HttpResponse<byte[]> none = hub.as(null).commit(repo, "main", body);
        assertEquals(401, none.statusCode());
        assertEquals(401, hub.as("hf_notAKnownToken").commit(repo, "main", body).statusCode());
        assertEquals(401, hub.as(null).createRepo("org", "sneaky", false).statusCode());
        assertEquals(401, hub.as(null).lfsBatch(repo, new byte[] {1}).statusCode());
        assertEquals(401, hub.as(null).postJson("/api/models/" + repo + "/preupload/main", Map.of("files", List.of())).statusCode());
        assertEquals(200, hub.as(null).get("/api/models/" + repo).statusCode(), "public reads need no token");
        assertEquals(1, tree(hub.get("/api/models/" + repo)).get("siblings").size(), "nothing was committed");
    }

    @Test
    void privateReposNeedATokenToRead() {
        assertEquals(200, hub.createRepo("org", "secret", true).statusCode());
        HttpResponse<byte[]> anon = hub.as(null).get("/api/models/org/secret");
        assertEquals(401, anon.statusCode());
        assertEquals("RepoNotFound", anon.headers().firstValue("X-Error-Code").orElseThrow());
        assertEquals(401, hub.as(null).get("/org/secret/resolve/main/.gitattributes").statusCode());
        JsonNode info = tree(hub.get("/api/models/org/secret"));
        assertTrue(info.get("private").asBoolean());
        assertEquals(200, hub.get("/org/secret/resolve/main/.gitattributes").statusCode());
    }

    @Test
    void commitPathsCannotEscapeTheRepository() throws IOException {
        String repo = create("paths");
        String before = hub.headSha(repo);
        for (String bad : List.of("../evil.txt", "a/../../evil.txt", "/etc/passwd", "a\\b.txt", "a\u0000b", "./x", "a//b", ".git/config", "C:/x")) {
            HttpResponse<byte[]> r = hub.commit(repo, "main", ndjson("bad", null, List.of(fileLine(bad, "x".getBytes()))));
            assertEquals(400, r.statusCode(), "path " + bad + ": " + text(r));
            HttpResponse<byte[]> pre = hub.postJson("/api/models/" + repo + "/preupload/main",
                    Map.of("files", List.of(Map.of("path", bad, "size", 1, "sample", ""))));
            assertEquals(400, pre.statusCode(), "preupload path " + bad);
        }
        assertEquals(before, hub.headSha(repo));
        assertEquals(400, hub.createRepo("..", "x", false).statusCode());
        assertEquals(400, hub.createRepo("org", "..", false).statusCode());
        assertEquals(400, hub.get("/org/paths/resolve/main/%2E%2E/%2E%2E/tokens.json").statusCode());
        assertEquals(400, hub.get("/api/models/org/paths/tree/main/..%2F..%2F").statusCode());
        try (Stream<Path> s = Files.list(data)) {
            assertEquals(List.of("lfs", "repos", "signing.key", "tokens.json"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void oversizedLinesAndBodiesAre413AndTheServerCarriesOn() {
        String repo = create("limits");
        byte[] tooBig = bytes(200 * 1024, 6); // the test server allows 64 KiB regular files: the line is over the limit
        HttpResponse<byte[]> line = hub.commit(repo, "main", ndjson("big", null, List.of(fileLine("big.txt", tooBig))));
        assertEquals(413, line.statusCode());
        byte[] body = new byte[2 * 1024 * 1024]; // over the 1 MiB commit body limit
        java.util.Arrays.fill(body, (byte) '\n');
        assertEquals(413, hub.commit(repo, "main", body).statusCode());
        byte[] justOver = bytes(64 * 1024 + 1, 7);
        HttpResponse<byte[]> file = hub.commit(repo, "main", ndjson("big", null, List.of(fileLine("big.txt", justOver))));
        assertEquals(400, file.statusCode(), "a regular file over the limit (line still fits) is the Hub's 10 MiB error");
        assertTrue(text(file).contains("files larger than"), text(file));
        HttpResponse<byte[]> ok = hub.commit(repo, "main", ndjson("small", null, List.of(fileLine("ok.txt", "fine".getBytes()))));
        assertEquals(200, ok.statusCode(), "the server still works");
        assertEquals("fine", text(hub.get("/" + repo + "/resolve/main/ok.txt")));
    }

    @Test
    void modelIndexWithoutResultsIsRejectedWithTheHubMessage() {
        String repo = create("card");
        String bad = "---\nlicense: mit\nmodel-index:\n- name: card\n---\n# x\n";
        HttpResponse<byte[]> v = hub.postJson("/api/validate-yaml", Map.of("content", bad, "repoType", "model"));
        assertEquals(400, v.statusCode());
        assertEquals("\"model-index[0].results\" is required", tree(v).at("/errors/0/message").asText());
        HttpResponse<byte[]> c = hub.commit(repo, "main", ndjson("card", null, List.of(fileLine("README.md", bad.getBytes(StandardCharsets.UTF_8)))));
        assertEquals(400, c.statusCode());
        assertEquals("Invalid metadata in README.md.\n- \"model-index[0].results\" is required", tree(c).get("error").asText());
        String good = "---\nlicense: mit\nmodel-index:\n- name: card\n  results:\n  - task: {type: text-generation}\n"
                + "    dataset: {name: corpus, type: code}\n    metrics:\n    - {type: val_loss, value: 4.62}\n---\n";
        assertEquals(200, hub.postJson("/api/validate-yaml", Map.of("content", good, "repoType", "model")).statusCode());
        assertEquals(200, hub.commit(repo, "main", ndjson("card", null, List.of(fileLine("README.md", good.getBytes(StandardCharsets.UTF_8))))).statusCode());
        JsonNode info = tree(hub.get("/api/models/" + repo));
        assertEquals(4.62, info.at("/cardData/model-index/0/results/0/metrics/0/value").asDouble());
        assertEquals(400, hub.postJson("/api/validate-yaml", Map.of("content", "---\nlicense: not-a-licence\n---\n")).statusCode());
        JsonNode empty = tree(hub.postJson("/api/validate-yaml", Map.of("content", "# no metadata\n")));
        assertTrue(empty.at("/warnings/0/message").asText().contains("empty or missing yaml metadata"));
    }

    @Test
    void treeListsWithOidsPaginatesWithAbsoluteLinksAndPathsInfoTakesJsonOrForm() {
        String repo = create("tree");
        byte[] lfs = bytes(3000, 8);
        hub.uploadLfs(repo, lfs);
        hub.commit(repo, "main", ndjson("t", null, List.of(fileLine("a.txt", "a".getBytes()), fileLine("d/b.txt", "b".getBytes()),
                fileLine("d/e/c.txt", "c".getBytes()), lfsLine("d/w.bin", lfs))));
        List<JsonNode> all = new ArrayList<>();
        String url = "/api/models/" + repo + "/tree/main?recursive=true&expand=false";
        int pages = 0;
        while (url != null) {
            HttpResponse<byte[]> r = hub.get(url);
            assertEquals(200, r.statusCode(), text(r));
            tree(r).forEach(all::add);
            pages++;
            String link = r.headers().firstValue("Link").orElse(null);
            if (link == null) url = null;
            else {
                assertTrue(link.matches("<http://127\\.0\\.0\\.1:\\d+/api/models/org/tree/tree/main\\?[^>]+>; rel=\"next\""), link);
                url = link.substring(1, link.indexOf('>'));
            }
        }
        assertEquals(3, pages, "7 entries in pages of 3");
        List<String> paths = all.stream().map(e -> e.get("path").asText()).toList();
        assertEquals(List.of(".gitattributes", "a.txt", "d", "d/b.txt", "d/e", "d/e/c.txt", "d/w.bin"), paths);
        JsonNode dir = all.get(2);
        assertEquals("directory", dir.get("type").asText());
        assertTrue(dir.get("oid").asText().matches("[0-9a-f]{40}"));
        JsonNode w = all.get(6);
        assertEquals(3000, w.get("size").asLong());
        assertEquals(sha256(lfs), w.at("/lfs/oid").asText());
        assertEquals(LfsPointer.VERSION_LINE.length() + 76 + "size 3000\n".length(), w.at("/lfs/pointerSize").asInt());
        assertEquals("\"" + w.get("oid").asText() + "\"", "\"" + gitBlobSha1(hub.get("/" + repo + "/raw/main/d/w.bin").body()) + "\"");

        JsonNode sub = tree(hub.get("/api/models/" + repo + "/tree/main/d%2Fe"));
        assertEquals("d/e/c.txt", sub.at("/0/path").asText(), "Python's %2F-quoted path, repo-root-relative answer");
        JsonNode expanded = tree(hub.get("/api/models/" + repo + "/tree/main/d?expand=true"));
        assertEquals("t", expanded.at("/0/lastCommit/title").asText());

        JsonNode viaJson = tree(hub.postJson("/api/models/" + repo + "/paths-info/main", Map.of("paths", List.of("a.txt", "d", "missing"))));
        assertEquals(2, viaJson.size());
        JsonNode viaForm = tree(hub.postBytes("/api/models/" + repo + "/paths-info/main", "application/x-www-form-urlencoded",
                "paths=d%2Fw.bin&paths=a.txt&expand=true".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("d/w.bin", viaForm.at("/0/path").asText());
        assertEquals(sha256(lfs), viaForm.at("/0/lfs/oid").asText());
        assertTrue(viaForm.at("/0/lastCommit/id").asText().matches("[0-9a-f]{40}"));
    }

    @Test
    void deletesAndLfsAttributesLines() throws IOException {
        String repo = create("deletes");
        byte[] lfs = bytes(2000, 9);
        hub.uploadLfs(repo, lfs);
        assertEquals(200, hub.commit(repo, "main", ndjson("add", null, List.of(fileLine("keep.txt", "k".getBytes()),
                fileLine("dir/a.txt", "a".getBytes()), fileLine("dir/sub/b.txt", "b".getBytes()),
                lfsLine("weights/my model.gguf", lfs)))).statusCode());
        String attrs = text(hub.get("/" + repo + "/resolve/main/.gitattributes"));
        assertTrue(attrs.endsWith("*tfevents* filter=lfs diff=lfs merge=lfs -text\nweights/my?model.gguf filter=lfs diff=lfs merge=lfs -text\n"), attrs);
        assertTrue(HubRepo.isLfsPath(attrs, "weights/my model.gguf"));
        assertFalse(HubRepo.isLfsPath(attrs, "weights/other.gguf"));
        assertEquals(200, hub.commit(repo, "main", ndjson("del", null, List.of(Map.of("key", "deletedFolder", "value", Map.of("path", "dir/")),
                Map.of("key", "deletedFile", "value", Map.of("path", "keep.txt"))))).statusCode());
        List<String> left = new ArrayList<>();
        tree(hub.get("/api/models/" + repo + "/tree/main?recursive=true")).forEach(e -> left.add(e.get("path").asText()));
        assertEquals(List.of(".gitattributes", "weights", "weights/my model.gguf"), left);
    }

    @Test
    void legacyJsonCommitBodyWorks() {
        String repo = create("legacy");
        HttpResponse<byte[]> r = hub.postJson("/api/models/" + repo + "/commit/main", Map.of("summary", "old style", "description", "",
                "files", List.of(Map.of("path", "x.txt", "encoding", "base64", "content", "aGVsbG8=")), "lfsFiles", List.of()));
        assertEquals(200, r.statusCode(), text(r));
        assertEquals("hello", text(hub.get("/" + repo + "/resolve/main/x.txt")));
    }

    @Test
    void branchesTagsAndEncodedRevisions() {
        String repo = create("refs");
        assertEquals(200, hub.postJson("/api/models/" + repo + "/branch/dev", Map.of()).statusCode());
        assertEquals(409, hub.postJson("/api/models/" + repo + "/branch/dev", Map.of()).statusCode());
        assertEquals(200, hub.commit(repo, "dev", ndjson("on dev", null, List.of(fileLine("d.txt", "dev".getBytes())))).statusCode());
        assertEquals("dev", text(hub.get("/" + repo + "/resolve/dev/d.txt")));
        assertEquals(404, hub.get("/" + repo + "/resolve/main/d.txt").statusCode(), "main is untouched");
        assertEquals(200, hub.postJson("/api/models/" + repo + "/tag/dev", Map.of("tag", "v1")).statusCode());
        assertEquals("dev", text(hub.get("/" + repo + "/resolve/refs%2Ftags%2Fv1/d.txt")), "Python's quoted revision");
        assertEquals("dev", text(hub.get("/" + repo + "/resolve/refs/tags/v1/d.txt")), "unencoded refs/...");
        assertEquals("dev", text(hub.get("/" + repo + "/resolve/v1/d.txt")));
        JsonNode refs = tree(hub.get("/api/models/" + repo + "/refs"));
        assertEquals(2, refs.get("branches").size());
        assertEquals("v1", refs.at("/tags/0/name").asText());
        JsonNode info = tree(hub.get("/api/models/" + repo + "/revision/refs%2Fheads%2Fdev"));
        assertEquals(refs.at("/tags/0/targetCommit").asText(), info.get("sha").asText());
        HttpResponse<byte[]> cors = hub.get("/api/models/" + repo);
        assertTrue(cors.headers().firstValue("Access-Control-Expose-Headers").orElse("").contains("X-Repo-Commit"));
    }

    @Test
    void concurrentCommitsOnTheSameParentLandExactlyOnce() throws Exception {
        String repo = create("race");
        String parent = hub.headSha(repo);
        int n = 6;
        List<java.util.concurrent.Future<Integer>> results = new ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(n)) {
            for (int i = 0; i < n; i++) {
                byte[] body = ndjson("racer " + i, parent, List.of(fileLine("winner.txt", ("racer " + i).getBytes())));
                results.add(pool.submit(() -> hub.commit(repo, "main", body).statusCode()));
            }
        }
        List<Integer> codes = new ArrayList<>();
        for (var f : results) codes.add(f.get());
        assertEquals(1, codes.stream().filter(c -> c == 200).count(), codes.toString());
        assertEquals(n - 1, codes.stream().filter(c -> c == 412).count(), codes.toString());
        try (Repository git = openBare(repo); RevWalk walk = new RevWalk(git)) {
            RevCommit head = walk.parseCommit(git.resolve("refs/heads/main"));
            assertEquals(parent, head.getParent(0).name(), "one commit on top of the parent, no lost update");
            assertEquals(head.getShortMessage(), new String(blob(git, head, "winner.txt"), StandardCharsets.UTF_8));
        }
    }

    @Test
    void settingsAndDelete() {
        String repo = create("doomed");
        HttpResponse<byte[]> priv = hub.send(hub.req("/api/repos/models/" + repo + "/settings").header("Content-Type", "application/json")
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"private\": true}")).build());
        assertEquals(200, priv.statusCode(), text(priv));
        assertEquals(401, hub.as(null).get("/api/models/" + repo).statusCode());
        HttpResponse<byte[]> del = hub.send(hub.req("/api/repos/delete").header("Content-Type", "application/json")
                .method("DELETE", java.net.http.HttpRequest.BodyPublishers.ofString("{\"name\": \"doomed\", \"organization\": \"org\", \"type\": \"model\"}")).build());
        assertEquals(200, del.statusCode(), text(del));
        assertEquals(404, hub.get("/api/models/" + repo).statusCode());
        assertFalse(Files.exists(data.resolve("repos/models/" + repo + ".git")));
        assertEquals(200, hub.createRepo("org", "doomed", false).statusCode(), "the name is free again");
        HttpResponse<byte[]> xet = hub.get("/api/models/" + repo + "/xet-write-token/main");
        assertEquals(501, xet.statusCode());
        assertTrue(tree(xet).get("error").asText().contains("HF_HUB_DISABLE_XET=1"));
    }

    @Test
    void createWithLicenseAndFilesCommitsThemAndListingFindsIt() {
        HttpResponse<byte[]> r = hub.postJson("/api/repos/create", Map.of("name", "withfiles", "organization", "lic", "type", "model",
                "license", "mit", "files", List.of(Map.of("path", "notes.txt", "encoding", "base64", "content", "bm90ZXM="))));
        assertEquals(200, r.statusCode(), text(r));
        assertEquals("---\nlicense: mit\n---\n", text(hub.get("/lic/withfiles/resolve/main/README.md")));
        assertEquals("notes", text(hub.get("/lic/withfiles/resolve/main/notes.txt")));
        assertEquals("mit", tree(hub.get("/api/models/lic/withfiles")).at("/cardData/license").asText());
        JsonNode listed = tree(hub.get("/api/models?author=lic"));
        assertEquals(1, listed.size());
        assertEquals("lic/withfiles", listed.at("/0/id").asText());
        assertTrue(listed.at("/0/sha").asText().matches("[0-9a-f]{40}"));
    }

    static Repository openBare(String repo) throws IOException {
        return new FileRepositoryBuilder().setGitDir(data.resolve("repos/models/" + repo + ".git").toFile()).setMustExist(true).build();
    }

    static byte[] blob(Repository git, RevCommit c, String path) throws IOException {
        try (TreeWalk tw = TreeWalk.forPath(git, path, c.getTree())) {
            assertNotNull(tw, path);
            return git.open(tw.getObjectId(0)).getBytes();
        }
    }
}
