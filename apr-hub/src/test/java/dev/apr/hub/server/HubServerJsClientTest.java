package dev.apr.hub.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The official JS client (@huggingface/hub, installed by ./build test into src/test/js) against
 * the hub as a separate process: whoAmI, createRepo, uploadFiles (a regular file, a basic LFS
 * file, and a >10 MB LFS file sent multipart), listFiles, downloadFile (+ a range slice),
 * fileDownloadInfo (no xet) and modelInfo. Skipped when node or the package is missing.
 */
class HubServerJsClientTest {
    static final Path JS = Path.of("src/test/js");
    static final String TOKEN = "hf_jsClientTestToken00001";

    @Test
    void officialJsClientUploadsListsDownloadsAndReadsModelInfo(@TempDir Path data) throws Exception {
        String node = findOnPath("node");
        assumeTrue(node != null, "node is not installed");
        assumeTrue(Files.isDirectory(JS.resolve("node_modules/@huggingface/hub")), "run 'npm install' in apr-hub/src/test/js");

        // multipart above 8 MiB in 5 MiB parts: the 12 MB file goes multipart, the 2 MB one basic
        try (HubProcess hub = new HubProcess(data, TOKEN, "--multipart-threshold", String.valueOf(8 << 20),
                "--multipart-chunk", String.valueOf(5 << 20))) {
            Process p = new ProcessBuilder(node, "hub-client-check.mjs", hub.url, TOKEN, "jsorg/js-check")
                    .directory(JS.toFile()).redirectErrorStream(true).start();
            boolean finished = p.waitFor(180, TimeUnit.SECONDS);
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!finished) p.destroyForcibly();
            assertTrue(finished, "node timed out: " + out);
            assertEquals(0, p.exitValue(), "JS client check failed:\n" + out + "\nserver:\n" + hub.output());

            String last = out.strip().lines().reduce((a, b) -> b).orElseThrow();
            JsonNode result = RawHub.JSON.readTree(last);
            assertEquals("apr", result.get("user").asText());
            List<String> files = new ArrayList<>();
            result.get("files").forEach(f -> files.add(f.asText()));
            assertEquals(List.of(".gitattributes", "README.md", "hello.txt", "model.safetensors", "nested", "nested/dir", "nested/dir/big.bin"), files);
            // the same bytes the script made, computed here independently
            String bigSha = RawHub.sha256(xorshift(12_000_017, 11)), weightsSha = RawHub.sha256(xorshift(2_000_003, 7));
            assertEquals(bigSha, result.get("bigSha256").asText());
            assertEquals(weightsSha, result.get("weightsSha256").asText());
            assertEquals(result.get("commit").asText(), result.get("modelSha").asText());
            for (String sha : List.of(bigSha, weightsSha)) {
                Path stored = data.resolve("lfs/objects").resolve(sha.substring(0, 2)).resolve(sha.substring(2, 4)).resolve(sha);
                assertEquals(sha, RawHub.sha256(Files.readAllBytes(stored)), "stored object " + sha);
            }
            try (Stream<Path> left = Files.list(data.resolve("lfs/multipart"))) {
                assertEquals(0, left.count(), "the multipart upload was completed and its parts removed");
            }
        }
    }

    /** The script's xorshift32 byte generator. */
    static byte[] xorshift(int n, int seed) {
        byte[] out = new byte[n];
        int x = seed;
        for (int i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            out[i] = (byte) x;
        }
        return out;
    }

    static String findOnPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir, exe);
            if (Files.isExecutable(p)) return p.toString();
        }
        return null;
    }
}
