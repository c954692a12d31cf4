package dev.apr.hub.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static dev.apr.hub.server.RawHub.*;
import static org.junit.jupiter.api.Assertions.*;

/** The hub as a separate process on loopback, driven with raw HTTP; state survives a restart. */
class HubServerProcessTest {
    static final String TOKEN = "hf_processTestToken000001";

    @Test
    void roundTripAgainstAServerProcessThatStopsOnSigtermAndRestartsWithItsData(@TempDir Path data) throws Exception {
        byte[] readme = "---\nlicense: mit\n---\n# process\n".getBytes(StandardCharsets.UTF_8);
        byte[] weights = bytes(123_457, 21);
        String commitOid;
        try (HubProcess p = new HubProcess(data, TOKEN)) {
            assertTrue(p.output().contains("apr hub: created token hf_"), "first start prints a minted token: " + p.output());
            RawHub hub = new RawHub(p.url, TOKEN);
            assertEquals(200, hub.createRepo("team", "proc", false).statusCode());
            assertEquals(1, hub.uploadLfs("team/proc", weights));
            HttpResponse<byte[]> c = hub.commit("team/proc", "main", ndjson("upload", hub.headSha("team/proc"),
                    List.of(fileLine("README.md", readme), lfsLine("model.safetensors", weights))));
            assertEquals(200, c.statusCode(), text(c));
            commitOid = tree(c).get("commitOid").asText();
            assertArrayEquals(weights, hub.get("/team/proc/resolve/main/model.safetensors").body());
            HttpResponse<byte[]> bad = hub.commit("team/proc", "main", ndjson("x", null, List.of(fileLine("../../x", readme))));
            assertEquals(400, bad.statusCode());
            int exit = p.stop();
            assertTrue(exit == 0 || exit == 143, "graceful exit on SIGTERM, got " + exit);
        }
        try (HubProcess again = new HubProcess(data, TOKEN)) {
            assertFalse(again.output().contains("created token"), "a token exists: none minted on restart");
            RawHub hub = new RawHub(again.url, TOKEN);
            JsonNode info = tree(hub.get("/api/models/team/proc"));
            assertEquals(commitOid, info.get("sha").asText());
            assertEquals("mit", info.at("/cardData/license").asText());
            assertArrayEquals(readme, hub.get("/team/proc/resolve/" + commitOid + "/README.md").body());
            assertEquals(0, hub.uploadLfs("team/proc", weights), "the stored object is kept across restarts");
        }
        try (Repository git = new FileRepositoryBuilder().setGitDir(data.resolve("repos/models/team/proc.git").toFile()).setMustExist(true).build();
             RevWalk walk = new RevWalk(git)) {
            RevCommit head = walk.parseCommit(git.resolve("refs/heads/main"));
            assertEquals(commitOid, head.name());
            assertEquals(1, head.getParentCount(), "on top of the initial .gitattributes commit");
            try (TreeWalk tw = TreeWalk.forPath(git, "model.safetensors", head.getTree())) {
                assertEquals("version https://git-lfs.github.com/spec/v1\noid sha256:" + sha256(weights) + "\nsize 123457\n",
                        new String(git.open(tw.getObjectId(0)).getBytes(), StandardCharsets.US_ASCII));
            }
        }
    }
}
