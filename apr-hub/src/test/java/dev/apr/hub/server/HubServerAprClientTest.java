package dev.apr.hub.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apr.hub.client.CommitOp;
import dev.apr.hub.client.CommitPayload;
import dev.apr.hub.client.FileDigest;
import dev.apr.hub.client.HubClient;
import dev.apr.hub.client.HubDownloader;
import dev.apr.hub.client.HubSettings;
import dev.apr.hub.client.LfsUploader;
import dev.apr.hub.client.RepoId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** apr's own hub client (dev.apr.hub.client) against the server: the publish path and the download cache. */
class HubServerAprClientTest {
    static final String TOKEN = "hf_aprClientTestToken0001";

    @Test
    void aprClientPublishesAndDownloads(@TempDir Path data, @TempDir Path staging, @TempDir Path cache) throws Exception {
        try (HubServer server = new HubServer(HubLimits.defaults().withMultipart(200_000, 64 * 1024))) {
            server.start(data, "127.0.0.1", 0);
            server.addToken("publisher", TOKEN);
            HubClient client = new HubClient(new HubSettings(server.url(), TOKEN, cache));
            assertEquals("publisher", client.whoami().get("name").asText());
            RepoId repo = RepoId.parse("org/tiny");
            assertTrue(client.createRepo(repo, false), "created");
            assertFalse(client.createRepo(repo, false), "409: already exists");

            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put("README.md", "---\nlicense: apache-2.0\nlibrary_name: apr\npipeline_tag: text-generation\n---\n# tiny\n".getBytes(StandardCharsets.UTF_8));
            files.put("config.json", "{\"model_type\": \"qwen2\"}\n".getBytes(StandardCharsets.UTF_8));
            files.put("tiny.safetensors", RawHub.bytes(333_333, 31)); // multipart: above the 200 kB threshold
            files.put("tiny-q4k.gguf", RawHub.bytes(5_000, 32));       // small binary, no LFS rule: regular
            for (var e : files.entrySet()) Files.write(staging.resolve(e.getKey()), e.getValue());

            List<HubClient.PreuploadFile> offer = new ArrayList<>();
            for (String p : files.keySet()) offer.add(new HubClient.PreuploadFile(p, files.get(p).length, FileDigest.sample(staging.resolve(p))));
            Map<String, HubClient.UploadMode> modes = client.preupload(repo, "main", offer);
            assertTrue(modes.get("tiny.safetensors").lfs());
            assertFalse(modes.get("tiny-q4k.gguf").lfs());
            assertFalse(modes.get("README.md").lfs());

            String oid = FileDigest.sha256(files.get("tiny.safetensors"));
            Map<String, HubClient.LfsAction> actions = client.lfsBatch(repo, "main", Map.of(oid, (long) files.get("tiny.safetensors").length));
            assertTrue(actions.get(oid).multipart());
            new LfsUploader(client).upload(actions.get(oid), staging.resolve("tiny.safetensors"), "tiny.safetensors");
            assertFalse(client.lfsBatch(repo, "main", Map.of(oid, (long) files.get("tiny.safetensors").length)).get(oid).needsUpload());

            List<CommitOp> ops = new ArrayList<>();
            for (String p : List.of("README.md", "config.json", "tiny-q4k.gguf")) ops.add(new CommitOp.AddRegular(p, staging.resolve(p)));
            ops.add(new CommitOp.AddLfs("tiny.safetensors", oid, files.get("tiny.safetensors").length));
            ops.add(new CommitOp.AddLfs("model.safetensors", oid, files.get("tiny.safetensors").length));
            String parent = client.headCommit(repo, "main");
            HubClient.CommitResult result = client.commit(repo, "main", CommitPayload.ndjson("publish tiny", "", parent, ops));
            assertEquals(result.commitOid(), client.headCommit(repo, "main"));

            JsonNode info = client.modelInfo(repo, "main", true);
            assertEquals("apr", info.get("library_name").asText());
            Map<String, String> lfsOids = new LinkedHashMap<>();
            for (JsonNode s : info.get("siblings")) if (s.has("lfs")) lfsOids.put(s.get("rfilename").asText(), s.at("/lfs/sha256").asText());
            assertEquals(Map.of("tiny.safetensors", oid, "model.safetensors", oid), lfsOids);

            Path snapshot = new HubDownloader(client, cache).snapshot(repo, "main", null);
            assertEquals(result.commitOid(), snapshot.getFileName().toString());
            for (var e : files.entrySet()) assertArrayEquals(e.getValue(), Files.readAllBytes(snapshot.resolve(e.getKey())), e.getKey());
            assertArrayEquals(files.get("tiny.safetensors"), Files.readAllBytes(snapshot.resolve("model.safetensors")));
        }
    }
}
