package dev.apr.hub.publish;

import dev.apr.format.AprException;
import dev.apr.hub.client.CardMetadata;
import dev.apr.hub.client.RepoId;
import dev.apr.hub.testing.StagingFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The local half of publish: file set, validation, card, alias — no network. */
class PlanTest {

    @TempDir Path tmp;

    @Test void fullStagingDirPlansTwelveFilesWithAliasAndGeneratedCard() throws Exception {
        Path dir = tmp.resolve("staging");
        StagingFixture.write(dir, "tiny", null, 1);
        Files.writeString(dir.resolve("notes.txt"), "not published");
        Files.writeString(dir.resolve(".hidden.json"), "{}");
        Files.createDirectories(dir.resolve("sub"));
        Publisher.Plan p = Publisher.plan(dir, RepoId.parse("org/tiny"), Publisher.Options.defaults());
        List<String> paths = p.files().stream().map(Publisher.PlannedFile::path).toList();
        assertEquals(List.of("LICENSE", "README.md", "config.json", "generation_config.json", "merges.txt", "model.safetensors",
                "special_tokens_map.json", "tiny-q4k.gguf", "tiny.apr", "tiny.safetensors", "tokenizer.json",
                "tokenizer_config.json", "vocab.json"), paths);
        assertEquals(List.of(".hidden.json", "notes.txt", "sub/"), p.ignored());
        assertEquals(List.of(), p.missing());
        Publisher.PlannedFile alias = p.files().stream().filter(f -> f.path().equals("model.safetensors")).findFirst().orElseThrow();
        assertEquals("tiny.safetensors", alias.aliasOf());
        assertEquals(dir.resolve("tiny.safetensors"), alias.source());
        assertTrue(p.cardGenerated());
        Map<String, Object> fm = CardRules.parse(CardMetadata.yaml(p.card()));
        assertEquals("apache-2.0", fm.get("license"), "licence from the APR metadata (SPDX Apache-2.0)");
        assertEquals(List.of("org/corpus"), fm.get("datasets"), "data_source that looks like a dataset id");
        assertEquals(List.of("apr", "java", "qwen2", "safetensors", "gguf"), fm.get("tags"));
        assertTrue(fm.containsKey("model-index"), "val_loss in the training metadata gives a result");
        assertTrue(p.card().contains("value: 3.25"));
        assertTrue(Publisher.describe(p).contains("alias of tiny.safetensors"));
    }

    @Test void userReadmeIsKeptVerbatim() throws Exception {
        Path dir = tmp.resolve("s");
        StagingFixture.write(dir, "tiny", StagingFixture.README, 1);
        Publisher.Plan p = Publisher.plan(dir, RepoId.parse("org/tiny"), Publisher.Options.defaults());
        assertFalse(p.cardGenerated());
        assertEquals(StagingFixture.README, p.card());
    }

    @Test void emptyModelIndexIsRefusedLocally() throws Exception {
        Path dir = tmp.resolve("s");
        StagingFixture.write(dir, "tiny", StagingFixture.README.replace("datasets: [org/corpus]\n", "datasets: [org/corpus]\nmodel-index: []\n"), 1);
        AprException e = assertThrows(AprException.class, () -> Publisher.plan(dir, RepoId.parse("org/tiny"), Publisher.Options.defaults()));
        assertEquals("PUBLISH_INVALID", e.code());
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().contains("\"model-index\" is empty"), e.getMessage());
    }

    @Test void everyProblemIsListedAtOnce() throws Exception {
        Path dir = tmp.resolve("s");
        StagingFixture.write(dir, "tiny", null, 1);
        // config.json that disagrees with the safetensors shapes, a broken tokenizer, a corrupt GGUF
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json")).replace("\"intermediate_size\": 128", "\"intermediate_size\": 96"));
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": ");
        byte[] g = Files.readAllBytes(dir.resolve("tiny-q4k.gguf"));
        Files.write(dir.resolve("tiny-q4k.gguf"), java.util.Arrays.copyOf(g, 100));
        AprException e = assertThrows(AprException.class, () -> Publisher.plan(dir, RepoId.parse("org/tiny"),
                new Publisher.Options("not-a-licence", "apr", "text-generation", List.of(), null, List.of(), null, "main", false)));
        String m = e.getMessage();
        assertTrue(m.contains("tiny.safetensors: tensor 'model.layers.0.mlp.gate_proj.weight': config.json implies shape [96, 64], the file has [128, 64]"), m);
        assertTrue(m.contains("tokenizer.json"), m);
        assertTrue(m.contains("tiny-q4k.gguf"), m);
        assertTrue(m.contains("--license"), m);
    }

    @Test void filesOverFiveGibAreRefusedUpFront() throws Exception {
        Path dir = tmp.resolve("s");
        StagingFixture.write(dir, "tiny", null, 1);
        try (var f = new java.io.RandomAccessFile(dir.resolve("huge.gguf").toFile(), "rw")) {
            f.setLength(Publisher.MAX_FILE_BYTES + 1);   // sparse: no disk used
        }
        AprException e = assertThrows(AprException.class, () -> Publisher.plan(dir, RepoId.parse("org/tiny"), Publisher.Options.defaults()));
        assertTrue(e.getMessage().contains("huge.gguf: 5368709121 bytes is over 5 GiB"), e.getMessage());
    }

    @Test void differentModelSafetensorsIsRefused() throws Exception {
        Path dir = tmp.resolve("s");
        StagingFixture.write(dir, "tiny", null, 1);
        Path other = tmp.resolve("other");
        StagingFixture.write(other, "tiny", null, 2);
        Files.copy(other.resolve("tiny.safetensors"), dir.resolve("model.safetensors"));
        AprException e = assertThrows(AprException.class, () -> Publisher.plan(dir, RepoId.parse("org/tiny"), Publisher.Options.defaults()));
        assertTrue(e.getMessage().contains("model.safetensors: differs from tiny.safetensors"), e.getMessage());
    }

    @Test void ggufLoaderRulesCatchExtraTensorsAndBadShapes() throws Exception {
        Path dir = tmp.resolve("s");
        StagingFixture.write(dir, "tiny", null, 1);
        try (var f = Readers.open(dir.resolve("tiny-q4k.gguf"))) {
            List<String> p = new java.util.ArrayList<>();
            GgufRules.check(f, "tiny-q4k.gguf", p);
            assertEquals(List.of(), p);
        }
    }

    @Test void aRealLlamaCppGgufPassesTheLoaderRules() {
        Path gguf = Path.of(System.getProperty("apr.testdata"), "qwen2-h256-q4km", "model-q4_k_m.gguf");
        try (var f = Readers.open(gguf)) {
            List<String> p = new java.util.ArrayList<>();
            GgufRules.check(f, "model-q4_k_m.gguf", p);
            assertEquals(List.of(), p, "llama.cpp made and loaded this file");
            assertEquals(dev.apr.format.DType.Q4_K, Verifier.mainType(f));
        }
    }

    @Test void otherSpdxLicencesBecomeOtherWithNameAndLink() {
        List<String> p = new java.util.ArrayList<>();
        assertArrayEquals(new String[] {"apache-2.0", null, null}, Publisher.hubLicense("Apache-2.0", "--license", p));
        assertArrayEquals(new String[] {"llama3.2", null, null}, Publisher.hubLicense("llama3.2", "--license", p));
        String[] zero = Publisher.hubLicense("0BSD", "--license", p);
        assertEquals("other", zero[0]);
        assertEquals("0BSD", zero[1]);
        assertEquals(List.of(), p);
        assertNull(Publisher.hubLicense("made-up", "--license", p));
        assertEquals(1, p.size());
    }
}
