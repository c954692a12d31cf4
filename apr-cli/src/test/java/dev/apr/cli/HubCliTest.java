package dev.apr.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * apr publish / pull / audit / verify as a user runs them, against a real hub process, with a
 * staging dir made of the real llama.cpp GGUF and the Qwen tokenizer fixtures.
 */
class HubCliTest {
    static final String TOKEN = "hf_cliTestTokenNeverPrinted0987";

    @TempDir static Path tmp;
    static Process hub;
    static String url;
    static Path staging;

    record Run(int code, String out, String err) {
        String all() { return out + err; }
    }

    static Run apr(String... args) {
        PrintStream o = System.out, e = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            var cl = AprCli.commandLine();
            cl.setOut(new java.io.PrintWriter(System.out, true));
            cl.setErr(new java.io.PrintWriter(System.err, true));
            int code = cl.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
    }

    @BeforeAll static void start() throws Exception {
        boolean server;
        try { Class.forName("dev.apr.hub.server.HubServerMain"); server = true; } catch (ClassNotFoundException e) { server = false; }
        Assumptions.assumeTrue(server, "dev.apr.hub.server.HubServerMain is not on the classpath");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), "dev.apr.hub.server.HubServerMain", "--port", "0", "--data", tmp.resolve("hub").toString())
                .redirectErrorStream(true);
        pb.environment().put("APR_HUB_TOKEN", TOKEN);
        hub = pb.start();
        BufferedReader r = new BufferedReader(new InputStreamReader(hub.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = r.readLine()) != null) {
            if (line.startsWith("apr hub: serving ")) {
                url = line.substring("apr hub: serving ".length()).split(" ")[0];
                break;
            }
        }
        assertTrue(url != null && url.startsWith("http://"), "hub started and printed its URL: " + url);
        Thread.ofVirtual().start(() -> { try { r.transferTo(java.io.Writer.nullWriter()); } catch (Exception ignored) { } });

        Path data = Path.of(System.getProperty("apr.testdata"));
        staging = tmp.resolve("qwen2-h256");
        Files.createDirectories(staging);
        Files.copy(data.resolve("qwen2-h256-q4km/model-q4_k_m.gguf"), staging.resolve("qwen2-h256-q4k.gguf"));
        Files.copy(data.resolve("qwen3-tokenizer/tokenizer.json"), staging.resolve("tokenizer.json"));
        Files.copy(data.resolve("qwen3-tokenizer/tokenizer_config.json"), staging.resolve("tokenizer_config.json"));
        Files.writeString(staging.resolve("LICENSE"), "Apache License 2.0 (fixture)\n");
        Files.writeString(staging.resolve("README.md"), "---\nlibrary_name: apr\nlicense: apache-2.0\npipeline_tag: text-generation\n"
                + "datasets: [org/corpus]\nbase_model: Qwen/Qwen2.5-0.5B\n---\n# qwen2-h256\n");
        Files.writeString(staging.resolve("stray.json"), "{}");
    }

    @AfterAll static void stop() throws Exception {
        if (hub != null) {
            hub.destroy();
            hub.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test void publishPullAuditFromTheCommandLineNeverPrintsTheToken() throws Exception {
        Run dry = apr("publish", staging.toString(), "org/qwen2-h256", "--dry-run");
        assertEquals(0, dry.code(), dry.all());
        assertTrue(dry.out().contains("qwen2-h256-q4k.gguf"), dry.out());
        assertTrue(dry.out().contains("not published (outside the allow-list): stray.json"), dry.out());
        assertTrue(dry.out().contains("README.md (yours, published verbatim)"), dry.out());

        Run pub = apr("publish", staging.toString(), "org/qwen2-h256", "--endpoint", url, "--token", TOKEN, "--json");
        assertEquals(0, pub.code(), pub.all());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(pub.out());
        assertTrue(json.get("commit").asText().matches("[0-9a-f]{40}"), pub.out());
        assertEquals(5, json.get("committed").size());

        Path cache = tmp.resolve("cache");
        Run pull = apr("pull", "org/qwen2-h256", "--endpoint", url, "--token", TOKEN, "--cache-dir", cache.toString(), "-q");
        assertEquals(0, pull.code(), pull.all());
        Path snap = Path.of(pull.out().strip());
        assertEquals(cache.resolve("models--org--qwen2-h256/snapshots/" + json.get("commit").asText()), snap);
        assertEquals(-1, Files.mismatch(staging.resolve("qwen2-h256-q4k.gguf"), snap.resolve("qwen2-h256-q4k.gguf")));

        Run audit = apr("audit", "org/qwen2-h256", "--endpoint", url, "--token", TOKEN, "--base-model", "Qwen/Qwen2.5-0.5B");
        assertEquals(4, audit.code(), "files of the 12-file contract are missing: " + audit.out());
        assertTrue(audit.out().contains("PASS pipeline_tag is text-generation"), audit.out());
        assertTrue(audit.out().contains("PASS cardData.base_model is Qwen/Qwen2.5-0.5B"), audit.out());
        assertTrue(audit.out().contains("FAIL file model.safetensors: missing"), audit.out());

        Run again = apr("publish", staging.toString(), "org/qwen2-h256", "--endpoint", url, "--token", TOKEN);
        assertEquals(0, again.code(), again.all());
        assertTrue(again.out().startsWith("up to date"), again.out());

        for (Run r : List.of(dry, pub, pull, audit, again)) assertFalse(r.all().contains(TOKEN), "token printed: " + r.all());
    }

    @Test void aWrongTokenFailsWithExitThreeAndIsNotEchoed() {
        Run r = apr("publish", staging.toString(), "org/other", "--endpoint", url, "--token", "hf_wrongTokenValue123");
        assertEquals(3, r.code(), r.all());
        assertTrue(r.err().contains("401"), r.err());
        assertFalse(r.all().contains("hf_wrongTokenValue123"));
    }

    @Test void anEmptyModelIndexIsBadInput() throws Exception {
        Path bad = tmp.resolve("bad");
        Files.createDirectories(bad);
        Files.copy(staging.resolve("qwen2-h256-q4k.gguf"), bad.resolve("bad-q4k.gguf"));
        Files.writeString(bad.resolve("README.md"), "---\nlibrary_name: apr\nlicense: mit\npipeline_tag: text-generation\nmodel-index: []\n---\n");
        Run r = apr("publish", bad.toString(), "org/bad", "--endpoint", "http://127.0.0.1:9", "--token", TOKEN);
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("\"model-index\" is empty"), r.err());
    }
}
