package dev.apr.hub;

import dev.apr.format.AprException;
import dev.apr.hub.client.HubCache;
import dev.apr.hub.client.HubClient;
import dev.apr.hub.client.HubDownloader;
import dev.apr.hub.client.HubHttp;
import dev.apr.hub.client.HubSettings;
import dev.apr.format.io.Progress;
import dev.apr.hub.client.RepoId;
import dev.apr.hub.publish.Auditor;
import dev.apr.hub.publish.Publisher;
import dev.apr.hub.testing.FaultProxy;
import dev.apr.hub.testing.HubProcess;
import dev.apr.hub.testing.StagingFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * publish -> pull -> audit against a real {@code apr hub serve} process on loopback, with every
 * request going through {@link FaultProxy} so the tests can count and break them.
 */
class HubRoundTripTest {

    @TempDir static Path shared;
    static HubProcess hub;
    static FaultProxy proxy;
    static Path staging;
    @TempDir Path tmp;

    /** Every note and progress line the client produced: checked for the token. */
    final List<String> output = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll static void start() throws Exception {
        // the server (branch hubsrv) may not be merged yet on this branch: skip, loudly, until it is
        boolean server;
        try { Class.forName("dev.apr.hub.server.HubServerMain"); server = true; } catch (ClassNotFoundException e) { server = false; }
        org.junit.jupiter.api.Assumptions.assumeTrue(server, "dev.apr.hub.server.HubServerMain is not on the classpath");
        // small multipart threshold so the 300 kB safetensors goes multipart and the rest basic
        hub = new HubProcess(shared.resolve("hub"), "--multipart-threshold", "200000", "--multipart-chunk", "100000");
        proxy = new FaultProxy(hub.port());
        staging = shared.resolve("staging");
        StagingFixture.write(staging, "tiny", null, 7);
    }

    @AfterAll static void stop() throws Exception {
        if (proxy != null) proxy.close();
        if (hub != null) hub.close();
    }

    @BeforeEach void reset() {
        proxy.rules(r -> FaultProxy.FORWARD);
        proxy.clear();
    }

    HubClient client() {
        Progress collect = new Progress() {
            @Override public void update(String label, long done, long total) { output.add(label); }
            @Override public void note(String m) { output.add(m); }
        };
        return new HubClient(new HubSettings(proxy.url(), HubProcess.TOKEN, tmp.resolve("cache")), new HubHttp.Backoff(4, 50, 400)).progress(collect);
    }

    /** A staging dir named for the repo, with weights of its own (the hub dedups LFS objects across repos). */
    Path stage(String repo) throws Exception {
        RepoId id = RepoId.parse(repo);
        Path dir = tmp.resolve("stage-" + id.name());
        StagingFixture.write(dir, id.name(), null, id.name().hashCode());
        return dir;
    }

    Publisher.Result publish(String repo) throws Exception {
        Path dir = stage(repo);
        try {
            return Publisher.publish(Publisher.plan(dir, RepoId.parse(repo), opts()), client());
        } catch (AprException e) {
            output.add(e.getMessage());
            throw e;
        }
    }

    static Publisher.Options opts() {
        return new Publisher.Options(null, "apr", "text-generation", List.of("code"), null, List.of(), null, "main", false);
    }

    void assertNoToken() {
        for (String s : output) assertFalse(s.contains(HubProcess.TOKEN), "token leaked: " + s);
    }

    @Test void publishThenPullGivesByteIdenticalFilesInTheHfCacheLayout() throws Exception {
        RepoId repo = RepoId.parse("org/tiny");
        Publisher.Plan plan = Publisher.plan(staging, repo, opts());
        Publisher.Result r = Publisher.publish(plan, client());
        assertTrue(r.commitOid().matches("[0-9a-f]{40}"), "a git commit id: " + r.commitOid());
        assertEquals(13, r.committed().size(), "12 files + the alias");
        // the alias shares the LFS object: uploaded once, LFS objects = safetensors (multipart), apr?, gguf? per the hub's choice
        HubClient c = client();
        Map<String, HubClient.TreeEntry> tree = new java.util.HashMap<>();
        for (HubClient.TreeEntry e : c.listTree(repo, "main", true)) tree.put(e.path(), e);
        assertTrue(tree.get("model.safetensors").lfsOid().matches("[0-9a-f]{64}"), "an LFS sha256 oid: " + tree.get("model.safetensors").lfsOid());
        assertEquals(tree.get("tiny.safetensors").lfsOid(), tree.get("model.safetensors").lfsOid());
        long lfsObjects = plan.files().stream().filter(f -> tree.get(f.path()).lfsOid() != null).map(f -> tree.get(f.path()).lfsOid()).distinct().count();
        assertEquals(lfsObjects, r.lfsUploaded(), "each distinct LFS object uploaded exactly once");
        assertEquals(1, proxy.count("POST", "/commit/"), "one commit");
        long parts = proxy.requests().stream().filter(q -> q.method().equals("PUT") && q.bodyLength() == 100_000).count();
        assertTrue(parts >= 3, "the safetensors went multipart in 100 kB parts: " + parts);
        assertTrue(proxy.requests().stream().anyMatch(q -> q.method().equals("POST") && q.path().contains("/complete/")), "completion POST sent");
        assertTrue(proxy.requests().stream().filter(q -> q.method().equals("PUT")).noneMatch(q -> q.headers().containsKey("authorization")),
                "pre-signed PUTs carry no hub token");

        Path cache = tmp.resolve("cache");
        Path snap = new HubDownloader(c, cache).snapshot(repo, "main", null);
        assertEquals(cache.resolve("models--org--tiny/snapshots/" + r.commitOid()), snap);
        assertEquals(r.commitOid(), Files.readString(cache.resolve("models--org--tiny/refs/main")));
        for (Publisher.PlannedFile f : plan.files()) {
            Path got = snap.resolve(f.path());
            assertTrue(Files.isSymbolicLink(got), f.path());
            String etag = tree.get(f.path()).etag();
            assertEquals(Path.of("../../blobs/" + etag), Files.readSymbolicLink(got));
            if (f.generated()) assertEquals(plan.card(), Files.readString(got));
            else assertEquals(-1, Files.mismatch(f.source(), got), f.path() + " byte-identical");
        }
        assertTrue(Files.isRegularFile(cache.resolve("models--org--tiny/blobs/" + tree.get("model.safetensors").lfsOid())));
        assertTrue(Files.list(cache.resolve("models--org--tiny/blobs")).noneMatch(p -> p.toString().endsWith(".incomplete")));

        List<Auditor.Check> audit = Auditor.audit(c, repo, "main", "apr", null);
        assertTrue(audit.stream().allMatch(Auditor.Check::pass), audit.toString());
        // apr verify on what was pulled: all three load paths and the cross-format logits
        List<dev.apr.hub.publish.Verifier.Check> verify = dev.apr.hub.publish.Verifier.verify(c, cache, repo, "main", 4);
        assertTrue(verify.stream().noneMatch(v -> v.status() == dev.apr.hub.publish.Verifier.Status.FAIL), verify.toString());
        assertNoToken();

        // re-publishing the same directory uploads nothing and makes no commit
        proxy.clear();
        Publisher.Result again = Publisher.publish(plan, client());
        assertNull(again.commitOid());
        assertEquals(0, again.lfsUploaded());
        assertEquals(13, again.unchanged());
        assertEquals(0, proxy.count("PUT", ""), "no LFS PUT");
        assertEquals(0, proxy.count("POST", "/commit/"), "no commit");
        assertEquals(0, proxy.count("POST", "/objects/batch"), "nothing to ask the LFS batch API");
    }

    @Test void emptyModelIndexIsRefusedBeforeAnyRequest() throws Exception {
        Path dir = tmp.resolve("bad");
        StagingFixture.write(dir, "tiny", StagingFixture.README.replace("tags:", "model-index: []\ntags:"), 7);
        AprException e = assertThrows(AprException.class, () -> Publisher.publish(Publisher.plan(dir, RepoId.parse("org/bad"), opts()), client()));
        assertEquals("PUBLISH_INVALID", e.code());
        assertTrue(proxy.requests().isEmpty(), "no request reached the hub: " + proxy.requests());
    }

    @Test void a500OnTheFirstLfsPutIsRetried() throws Exception {
        AtomicInteger puts = new AtomicInteger();
        proxy.rules(r -> r.method().equals("PUT") && puts.getAndIncrement() == 0
                ? new FaultProxy.Respond(500, Map.of(), "boom") : FaultProxy.FORWARD);
        Publisher.Result r = publish("org/fault500");
        assertTrue(r.commitOid().matches("[0-9a-f]{40}"), "a git commit id: " + r.commitOid());
        assertEquals(puts.get(), proxy.count("PUT", ""), "every PUT went through the proxy");
        assertTrue(output.stream().anyMatch(s -> s.contains("HTTP 500, retrying")), output.toString());
        assertComplete("org/fault500", r);
    }

    @Test void aConnectionResetMidUploadIsRetried() throws Exception {
        AtomicInteger puts = new AtomicInteger();
        proxy.rules(r -> r.method().equals("PUT") && r.bodyLength() > 10_000 && puts.getAndIncrement() == 0
                ? new FaultProxy.ResetMidBody(5_000) : FaultProxy.FORWARD);
        Publisher.Result r = publish("org/reset");
        assertTrue(r.commitOid().matches("[0-9a-f]{40}"), "a git commit id: " + r.commitOid());
        assertTrue(output.stream().anyMatch(s -> s.contains("retrying in")), output.toString());
        assertComplete("org/reset", r);
    }

    @Test void a429WithRetryAfterIsHonoured() throws Exception {
        AtomicInteger n = new AtomicInteger();
        proxy.rules(r -> r.is("POST", "/preupload/") && n.getAndIncrement() == 0
                ? new FaultProxy.Respond(429, Map.of("Retry-After", "1"), "{\"error\":\"slow down\"}") : FaultProxy.FORWARD);
        long t0 = System.nanoTime();
        Publisher.Result r = publish("org/ratelimited");
        assertTrue(System.nanoTime() - t0 >= 1_000_000_000L, "waited the Retry-After second");
        assertTrue(output.stream().anyMatch(s -> s.contains("HTTP 429, retrying in 1000 ms")), output.toString());
        assertComplete("org/ratelimited", r);
    }

    @Test void aConcurrentCommitGives412AndPublishRecomputesOnTopOfIt() throws Exception {
        RepoId repo = RepoId.parse("org/race");
        HubClient direct = new HubClient(new HubSettings(hub.url(), HubProcess.TOKEN, tmp.resolve("c2")), HubHttp.Backoff.NONE);
        direct.createRepo(repo, false);
        AtomicInteger commits = new AtomicInteger();
        Path other = tmp.resolve("other.md");
        Files.writeString(other, "someone else's file\n");
        proxy.rules(r -> r.is("POST", "/commit/") && commits.getAndIncrement() == 0 ? new FaultProxy.Before(() -> {
            String head = direct.headCommit(repo, "main");
            direct.commit(repo, "main", dev.apr.hub.client.CommitPayload.ndjson("concurrent", "", head,
                    List.of(new dev.apr.hub.client.CommitOp.AddRegular("notes.md", other))));
        }) : FaultProxy.FORWARD);
        Publisher.Result r = publish("org/race");
        assertEquals(2, proxy.count("POST", "/commit/"), "412, then one recomputed commit");
        assertTrue(output.stream().anyMatch(s -> s.contains("the branch moved")), output.toString());
        Map<String, HubClient.TreeEntry> tree = assertComplete("org/race", r);
        assertTrue(tree.containsKey("notes.md"), "the concurrent commit is kept");
    }

    @Test void aLostCommitAnswerIsDetectedAsLandedAndNotCommittedTwice() throws Exception {
        proxy.rules(r -> r.is("POST", "/commit/") ? new FaultProxy.LoseAnswer() : FaultProxy.FORWARD);
        Publisher.Result r = publish("org/lost");
        assertEquals(1, proxy.count("POST", "/commit/"), "never sent twice");
        assertTrue(output.stream().anyMatch(s -> s.contains("the commit landed")), output.toString());
        assertComplete("org/lost", r);
    }

    @Test void aCommitThatKeepsFailingLeavesTheRepoUntouched() throws Exception {
        RepoId repo = RepoId.parse("org/broken");
        proxy.rules(r -> r.is("POST", "/commit/") ? new FaultProxy.Respond(503, Map.of("X-Error-Message", "maintenance"), "") : FaultProxy.FORWARD);
        AprException e = assertThrows(AprException.class, () -> publish("org/broken"));
        assertEquals("PUBLISH_COMMIT_FAILED", e.code());
        assertEquals(3, e.exitCode());
        assertTrue(e.getMessage().contains("maintenance"), e.getMessage());
        proxy.rules(r -> FaultProxy.FORWARD);
        List<String> paths = client().listTree(repo, "main", true).stream().map(HubClient.TreeEntry::path).toList();
        assertEquals(List.of(".gitattributes"), paths, "nothing half-committed");
        assertNoToken();
    }

    @Test void aDownloadCutShortIsResumedWithRange() throws Exception {
        Publisher.Result r = publish("org/resume");
        Path cache = tmp.resolve("cache2");
        AtomicInteger gets = new AtomicInteger();
        proxy.clear();
        proxy.rules(q -> q.is("GET", "/resolve/") && q.path().endsWith(".safetensors") && gets.getAndIncrement() == 0
                ? new FaultProxy.CutResponse(100_000) : FaultProxy.FORWARD);
        Path snap = new HubDownloader(client(), cache).snapshot(RepoId.parse("org/resume"), "main", p -> p.endsWith(".safetensors"));
        Path src = r.plan().dir().resolve("resume.safetensors");
        assertEquals(-1, Files.mismatch(src, snap.resolve("resume.safetensors")));
        assertEquals(-1, Files.mismatch(src, snap.resolve("model.safetensors")));
        assertTrue(proxy.requests().stream().anyMatch(q -> q.headers().getOrDefault("range", "").matches("bytes=\\d+-")),
                "the second GET resumed with Range: " + proxy.requests());
        assertEquals(2, Files.list(snap).count());
        assertTrue(r.commitOid().matches("[0-9a-f]{40}"), "a git commit id: " + r.commitOid());
    }

    @Test void unknownTokenIsRefusedWithTheHubsMessageAndNoTokenInIt() {
        HubClient bad = new HubClient(new HubSettings(proxy.url(), "hf_wrongwrongwrong", tmp), HubHttp.Backoff.NONE);
        AprException e = assertThrows(AprException.class, bad::whoami);
        assertEquals(3, e.exitCode());
        assertTrue(e.getMessage().contains("401"), e.getMessage());
        assertFalse(e.getMessage().contains("hf_wrongwrongwrong"));
    }

    private Map<String, HubClient.TreeEntry> assertComplete(String repo, Publisher.Result r) {
        proxy.rules(q -> FaultProxy.FORWARD);
        Map<String, HubClient.TreeEntry> tree = new java.util.HashMap<>();
        for (HubClient.TreeEntry e : client().listTree(RepoId.parse(repo), "main", true)) tree.put(e.path(), e);
        for (Publisher.PlannedFile f : r.plan().files()) assertTrue(tree.containsKey(f.path()), repo + " lacks " + f.path());
        String name = RepoId.parse(repo).name();
        assertTrue(tree.get("model.safetensors").lfsOid().matches("[0-9a-f]{64}"), "an LFS sha256 oid: " + tree.get("model.safetensors").lfsOid());
        assertEquals(tree.get(name + ".safetensors").lfsOid(), tree.get("model.safetensors").lfsOid());
        assertEquals(r.commitOid(), client().headCommit(RepoId.parse(repo), "main"));
        assertNoToken();
        return tree;
    }
}
