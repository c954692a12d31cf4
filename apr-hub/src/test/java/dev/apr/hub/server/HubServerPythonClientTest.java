package dev.apr.hub.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The official Python client (huggingface_hub) against the hub as a separate process:
 * whoami, create_repo (+exist_ok), upload_folder (regular + LFS, no-op re-upload), model_info
 * with files_metadata, list_repo_tree, hf_hub_download, snapshot_download, and a stale
 * parent_commit. Runs with {@code HF_HUB_DISABLE_XET=1} (spec §10). Skipped unless the
 * interpreter in {@code APR_HUB_PYTHON} (default python3) can import huggingface_hub.
 */
class HubServerPythonClientTest {
    static final String TOKEN = "hf_pythonClientTestToken1";

    @Test
    void officialPythonClientRoundTrip(@TempDir Path data, @TempDir Path work) throws Exception {
        String python = System.getenv().getOrDefault("APR_HUB_PYTHON", "python3");
        assumeTrue(canImportHub(python), python + " cannot import huggingface_hub");
        try (HubProcess hub = new HubProcess(data, TOKEN)) {
            ProcessBuilder pb = new ProcessBuilder(python, Path.of("src/test/python/hub_client_check.py").toAbsolutePath().toString(),
                    "pyorg/py-check", work.toString()).redirectErrorStream(true);
            pb.environment().put("HF_ENDPOINT", hub.url);
            pb.environment().put("HF_TOKEN", TOKEN);
            pb.environment().put("HF_HUB_DISABLE_XET", "1");
            pb.environment().put("HF_HOME", work.resolve("hf-home").toString());
            pb.environment().put("HF_HUB_DISABLE_TELEMETRY", "1");
            pb.environment().put("HF_HUB_DISABLE_PROGRESS_BARS", "1");
            Process p = pb.start();
            boolean finished = p.waitFor(300, TimeUnit.SECONDS);
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!finished) p.destroyForcibly();
            assertTrue(finished, "python timed out: " + out);
            assertEquals(0, p.exitValue(), "Python client check failed:\n" + out + "\nserver:\n" + hub.output());
            JsonNode result = RawHub.JSON.readTree(out.strip().lines().reduce((a, b) -> b).orElseThrow());
            assertEquals("apr", result.get("user").asText());
            String commit = result.get("commit").asText();
            assertTrue(commit.matches("[0-9a-f]{40}"));
            assertTrue(result.get("snapshot").asText().endsWith("/models--pyorg--py-check/snapshots/" + commit),
                    "Python laid out its cache with our commit id: " + result.get("snapshot"));
            assertEquals(6, result.get("tree").size());
        }
    }

    static boolean canImportHub(String python) {
        try {
            Process p = new ProcessBuilder(python, "-c", "import huggingface_hub").redirectErrorStream(true).start();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
