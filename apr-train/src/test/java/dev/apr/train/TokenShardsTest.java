package dev.apr.train;

import dev.apr.format.AprException;
import dev.apr.train.data.TokenShards;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TokenShardsTest {
    /** Writes shards of the given token arrays (flat LE u32) and a manifest like encode-corpus's. */
    static Path shards(Path dir, int vocab, int[]... shards) throws IOException {
        Files.createDirectories(dir);
        long total = 0;
        for (int i = 0; i < shards.length; i++) {
            ByteBuffer b = ByteBuffer.allocate(shards[i].length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int t : shards[i]) b.putInt(t);
            Files.write(dir.resolve(String.format("shard-%05d.bin", i)), b.array());
            total += shards[i].length;
        }
        Files.writeString(dir.resolve("manifest.json"), "{\"format\":\"apr-token-shards\",\"version\":1,\"dtype\":\"u32le\","
                + "\"vocab_size\":" + vocab + ",\"tokens\":" + total + "}\n");
        return dir;
    }

    static int[] range(int from, int n, int mod) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = (from + i) % mod;
        return a;
    }

    @Test
    void windowsNeverCrossShardsAndPartialWindowsAreDropped(@TempDir Path dir) throws IOException {
        // seq 4 -> windows of 5: shard 0 has 12 tokens (2 windows, 2 dropped), shard 1 has 5 (1 window)
        try (TokenShards s = TokenShards.open(shards(dir.resolve("d"), 100, range(0, 12, 100), range(50, 5, 100)))) {
            assertEquals(17, s.totalTokens());
            assertEquals(3, s.windows(4));
            int[] w = new int[5];
            s.window(1, 4, w, 0);
            assertArrayEquals(new int[] {5, 6, 7, 8, 9}, w);
            s.window(2, 4, w, 0);
            assertArrayEquals(new int[] {50, 51, 52, 53, 54}, w);
            assertEquals(64, s.manifestSha256().length());
            assertEquals(100, s.manifestVocabSize());
        }
    }

    @Test
    void badDirectoriesAreRefusedByName(@TempDir Path dir) throws IOException {
        assertEquals("DATA_MISSING", assertThrows(AprException.class, () -> TokenShards.open(dir.resolve("none"))).code());
        Path noManifest = dir.resolve("nm");
        Files.createDirectories(noManifest);
        Files.write(noManifest.resolve("shard-00000.bin"), new byte[8]);
        assertEquals("DATA_NO_MANIFEST", assertThrows(AprException.class, () -> TokenShards.open(noManifest)).code());
        Path odd = shards(dir.resolve("odd"), 10, range(0, 4, 10));
        Files.write(odd.resolve("shard-00000.bin"), new byte[7]);
        AprException e = assertThrows(AprException.class, () -> TokenShards.open(odd));
        assertEquals("DATA_BAD_SHARD", e.code());
        assertTrue(e.getMessage().contains("shard-00000.bin") && e.getMessage().contains("got 7"));
    }

    @Test
    void pretrainOnShardsHoldsOutValidationAndLearns(@TempDir Path dir) throws IOException {
        // a deterministic cycle over 40 tokens: perfectly predictable, so loss must fall fast
        Path data = shards(dir.resolve("data"), 512, range(0, 33 * 40, 40), range(7, 33 * 20, 40));
        PretrainOptions o = new PretrainOptions();
        o.data = data;
        o.runDir = dir.resolve("run");
        o.config = PretrainTest.tinyConfig(dir).toString();
        o.numSteps = 30;
        o.batchSize = 4;
        o.seqLength = 32;
        o.lr = 1e-2;
        o.warmupSteps = 3;
        o.evalEvery = 10;
        o.valBatches = 2;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Pretrain.Result r = Pretrain.run(o, new PrintStream(out, true), new PrintStream(new ByteArrayOutputStream(), true));
        assertTrue(r.valLoss() < r.step0ValLoss() - 3, r.step0ValLoss() + " -> " + r.valLoss());
        assertEquals(30L * 4 * 32, r.tokensSeen());
        // provenance in the checkpoint metadata: the manifest's sha256, steps, tokens seen
        try (InitCheckpoint ck = InitCheckpoint.check(r.lastCheckpoint(), null, -1)) {
            assertEquals(512, ck.config().vocabSize());
        }
        try (var f = dev.apr.format.apr.AprFile.open(r.lastCheckpoint())) {
            Map<String, Object> md = f.metadata();
            try (TokenShards s = TokenShards.open(data)) {
                assertEquals(s.manifestSha256(), md.get("pretrain.data_manifest_sha256"));
            }
            assertEquals(30, ((Number) md.get("pretrain.steps")).intValue());
            assertEquals(30L * 4 * 32, ((Number) md.get("pretrain.tokens_seen")).longValue());
            assertEquals("qwen2", md.get("architecture"));
            assertFalse(f.tensors().stream().anyMatch(t -> t.name().equals("lm_head.weight")), "tied: no lm_head tensor");
        }
        List<String> lines = Files.readAllLines(o.runDir.resolve("metrics.jsonl"));
        assertEquals(31, lines.size());
    }

    @Test
    void tokenIdsBeyondTheModelAreRefused(@TempDir Path dir) throws IOException {
        Path data = shards(dir.resolve("data"), 400, range(490, 33 * 12, 1000));
        PretrainOptions o = new PretrainOptions();
        o.data = data;
        o.runDir = dir.resolve("run");
        o.config = PretrainTest.tinyConfig(dir).toString();
        o.numSteps = 1;
        o.batchSize = 2;
        o.seqLength = 32;
        o.valBatches = 1;
        AprException e = assertThrows(AprException.class,
                () -> Pretrain.run(o, null, new PrintStream(new ByteArrayOutputStream(), true)));
        assertEquals("DATA_TOKEN_OUT_OF_RANGE", e.code());
        assertTrue(e.getMessage().contains("vocab_size 512"), e.getMessage());
    }
}
