package dev.apr.hub.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apr.format.AprException;
import dev.apr.format.io.Progress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ClientPartsTest {

    @TempDir Path tmp;

    @Test void gitBlobSha1AndSha256MatchGit() throws Exception {
        Path f = tmp.resolve("hello.txt");
        Files.writeString(f, "hello world\n");
        // `printf 'hello world\n' | git hash-object --stdin` and sha256sum
        assertEquals("3b18e512dba79e4c8300dd08aeb37f8e728b8dad", FileDigest.gitSha1(f));
        assertEquals("a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447", FileDigest.sha256(f, Progress.NONE));
        assertEquals("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", FileDigest.gitSha1(new byte[0]));
        assertEquals(Base64.getEncoder().encodeToString("hello world\n".getBytes()), FileDigest.sample(f));
    }

    @Test void sampleIsAtMost512Bytes() throws Exception {
        Path f = tmp.resolve("big.bin");
        byte[] b = new byte[2000];
        for (int i = 0; i < b.length; i++) b[i] = (byte) i;
        Files.write(f, b);
        assertEquals(512, Base64.getDecoder().decode(FileDigest.sample(f)).length);
    }

    @Test void ndjsonHasHeaderFirstAndExactLineShapes() throws Exception {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, "{}");
        byte[] body = CommitPayload.ndjson("Publish x", "", "0123456789abcdef0123456789abcdef01234567", List.of(
                new CommitOp.AddRegular("config.json", f),
                new CommitOp.AddLfs("x.safetensors", "a".repeat(64), 1234),
                new CommitOp.Delete("old.bin")));
        String text = new String(body, StandardCharsets.UTF_8);
        String[] lines = text.split("\n", -1);
        assertEquals(5, lines.length, "4 lines each ending in \\n");
        assertEquals("", lines[4]);
        ObjectMapper m = new ObjectMapper();
        JsonNode h = m.readTree(lines[0]);
        assertEquals("header", h.get("key").asText());
        assertEquals("0123456789abcdef0123456789abcdef01234567", h.get("value").get("parentCommit").asText());
        assertEquals("", h.get("value").get("description").asText());
        JsonNode file = m.readTree(lines[1]);
        assertEquals("file", file.get("key").asText());
        assertEquals("e30=", file.get("value").get("content").asText());
        assertEquals("base64", file.get("value").get("encoding").asText());
        assertEquals("{\"key\":\"lfsFile\",\"value\":{\"path\":\"x.safetensors\",\"algo\":\"sha256\",\"oid\":\"" + "a".repeat(64) + "\",\"size\":1234}}", lines[2]);
        assertEquals("{\"key\":\"deletedFile\",\"value\":{\"path\":\"old.bin\"}}", lines[3]);
    }

    @Test void repoPathsFollowHuggingfaceHubRules() {
        assertEquals("a/b.txt", CommitPayload.checkPath("./a/b.txt"));
        assertEquals("README.md", CommitPayload.checkPath("/README.md"));
        for (String bad : List.of("..", "a/../b", ".git/config", "x/.cache/y", "a//b", ""))
            assertEquals("BAD_REPO_PATH", assertThrows(AprException.class, () -> CommitPayload.checkPath(bad)).code(), bad);
    }

    @Test void repoIdsAreCheckedAndMapToCacheFolders() {
        RepoId r = RepoId.parse("my-org/tiny.qwen_2");
        assertEquals("models--my-org--tiny.qwen_2", r.cacheFolder());
        for (String bad : List.of("noslash", "a/b/c", "a--b/c", "a/b--c", "/x", "a/", "a/b.git", "../x"))
            assertFalse(RepoId.looksLikeRepoId(bad), bad);
        assertEquals(1, assertThrows(AprException.class, () -> RepoId.parse("a/b/c")).exitCode());
    }

    @Test void quoteEncodesRevisionsLikePythonSafeEmpty() {
        assertEquals("refs%2Fpr%2F1", HubClient.encode("refs/pr/1"));
        assertEquals("main", HubClient.encode("main"));
        assertEquals("a%20b%C3%A9", HubClient.encode("a bé"));
    }

    @Test void settingsResolveFlagsThenEnvironmentThenEmbeddedDefault() throws Exception {
        Path home = tmp.resolve("hf");
        HubSettings s = HubSettings.resolve(null, null, Map.of("HF_HOME", home.toString(), "APR_HOME", tmp.resolve("nohome").toString()));
        assertEquals(HubSettings.DEFAULT_EMBEDDED_ENDPOINT, s.endpoint());
        assertEquals(home.resolve("hub"), s.cacheDir());
        assertNull(s.token());

        Files.createDirectories(tmp.resolve("apr"));
        Files.writeString(tmp.resolve("apr/hub.url"), "http://127.0.0.1:45678\n");
        Files.createDirectories(home);
        Files.writeString(home.resolve("token"), "hf_fromfile\n");
        s = HubSettings.resolve(null, null, Map.of("HF_HOME", home.toString(), "APR_HOME", tmp.resolve("apr").toString()));
        assertEquals("http://127.0.0.1:45678", s.endpoint());
        assertEquals("hf_fromfile", s.token());

        s = HubSettings.resolve(null, null, Map.of("HF_ENDPOINT", "https://hub.example/", "HF_TOKEN", "hf_env", "HF_HUB_CACHE", "/c"));
        assertEquals("https://hub.example", s.endpoint());
        assertEquals("hf_env", s.token());
        assertEquals(Path.of("/c"), s.cacheDir());

        s = HubSettings.resolve("http://flag:1", "hf_flag", Map.of("HF_ENDPOINT", "https://hub.example", "HF_TOKEN", "hf_env"));
        assertEquals("http://flag:1", s.endpoint());
        assertEquals("hf_flag", s.token());
        assertFalse(s.toString().contains("hf_flag"), "settings never print the token");
    }

    @Test void redactionRemovesTheTokenEverywhere() {
        HubHttp h = new HubHttp("hf_secretsecret", HubHttp.Backoff.NONE);
        assertEquals("Bearer *** failed for ***", h.redact("Bearer hf_secretsecret failed for hf_secretsecret"));
        assertEquals("https://x/upload?…", HubHttp.shortUrl(java.net.URI.create("https://x/upload?sig=abc")));
    }

    @Test void cacheLayoutMatchesHuggingfaceHub() throws Exception {
        HubCache c = new HubCache(tmp, RepoId.parse("org/name"));
        String sha = "a".repeat(64), commit = "0123456789abcdef0123456789abcdef01234567";
        Files.createDirectories(c.blob(sha).getParent());
        Files.writeString(c.blob(sha), "weights");
        Path link = c.link(commit, "sub/dir/model.safetensors", sha);
        assertEquals(tmp.resolve("models--org--name/snapshots/" + commit + "/sub/dir/model.safetensors"), link);
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(Path.of("../../../../blobs/" + sha), Files.readSymbolicLink(link));
        assertEquals("weights", Files.readString(link));
        Path top = c.link(commit, "config.json", sha);
        assertEquals(Path.of("../../blobs/" + sha), Files.readSymbolicLink(top));
        c.writeRef("main", commit);
        assertEquals(commit, Files.readString(tmp.resolve("models--org--name/refs/main")), "no trailing newline");
        assertEquals(tmp.resolve("models--org--name/blobs/" + sha + ".incomplete"), c.incomplete(sha));
        assertEquals(tmp.resolve(".locks/models--org--name/" + sha + ".lock"), c.lockFile(sha));
        assertThrows(AprException.class, () -> c.blob("../../etc/passwd"));
    }

    @Test void backoffHonoursRetryAfterAndGrows() {
        HubHttp.Backoff b = new HubHttp.Backoff(5, 100, 1000);
        assertEquals(3000, b.delayMillis(0, 3L));
        long d0 = b.delayMillis(0, null), d3 = b.delayMillis(3, null);
        assertTrue(d0 >= 50 && d0 <= 100, "first delay in [base/2, base]: " + d0);
        assertTrue(d3 >= 400 && d3 <= 800, "fourth delay in [4base, 8base]: " + d3);
        assertTrue(b.delayMillis(10, null) <= 1000, "capped");
    }

    @Test void multipartRangesCoverTheFileExactly() {
        List<long[]> parts = LfsUploader.partRanges(25, 10);
        assertEquals(3, parts.size());
        assertArrayEquals(new long[] {20, 5}, parts.get(2));
    }

    @Test void paginationFollowsTheNextLink() {
        assertEquals(java.net.URI.create("http://h:1/api/models/a/b/tree/main?cursor=xyz&recursive=true"),
                HubClient.nextLink(List.of("<http://h:1/api/models/a/b/tree/main?cursor=xyz&recursive=true>; rel=\"next\"")));
        assertEquals(java.net.URI.create("http://h/n"), HubClient.nextLink(List.of("<http://h/p>; rel=\"prev\", <http://h/n>; rel=\"next\"")));
        assertNull(HubClient.nextLink(List.of()));
    }

    @Test void localModelSourcesAreUsedAsIs() throws Exception {
        Path f = tmp.resolve("m.apr");
        Files.writeString(f, "x");
        assertEquals(f, HubDownloader.resolveModelSource(f.toString()));
        assertEquals("MODEL_NOT_FOUND", assertThrows(AprException.class, () -> HubDownloader.resolveModelSource(tmp.resolve("nope.apr").toString())).code());
        assertTrue(HubDownloader.RUN_FILES.test("org.apr") && HubDownloader.RUN_FILES.test("tokenizer.json"));
        assertFalse(HubDownloader.RUN_FILES.test("model.safetensors") || HubDownloader.RUN_FILES.test("x-q4k.gguf"));
    }

    @Test void etagsAreNormalised() {
        assertEquals("abc", HubDownloader.normaliseEtag("W/\"abc\""));
        assertEquals("abc", HubDownloader.normaliseEtag("\"abc\""));
    }
}
