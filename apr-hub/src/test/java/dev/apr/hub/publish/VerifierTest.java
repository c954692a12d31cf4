package dev.apr.hub.publish;

import dev.apr.hub.testing.StagingFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class VerifierTest {

    @TempDir Path tmp;

    @Test void aGoodStagingDirPassesEveryPathAndTheLogitsAgree() throws Exception {
        Path dir = tmp.resolve("tiny");
        StagingFixture.write(dir, "tiny", null, 3);
        Files.copy(dir.resolve("tiny.safetensors"), dir.resolve("model.safetensors"));
        List<Verifier.Check> checks = Verifier.verifySnapshot(dir, "tiny", 4);
        String all = checks.toString();
        assertTrue(checks.stream().noneMatch(c -> c.status() == Verifier.Status.FAIL), all);
        Verifier.Check st = checks.stream().filter(c -> c.rule().startsWith("apr vs safetensors")).findFirst().orElseThrow();
        assertTrue(st.rule().contains("1e-4"), "same F32 weights: the tight tolerance applies: " + st);
        Verifier.Check gg = checks.stream().filter(c -> c.rule().startsWith("apr vs gguf")).findFirst().orElseThrow();
        assertTrue(gg.rule().contains("Q8_0"), gg.toString());
        assertEquals(Verifier.Status.PASS, checks.stream().filter(c -> c.rule().equals("HAS_VOCAB")).findFirst().orElseThrow().status());
    }

    @Test void differentWeightsInTheGgufFailTheConsistencyCheck() throws Exception {
        Path dir = tmp.resolve("tiny");
        StagingFixture.write(dir, "tiny", null, 3);
        Files.copy(dir.resolve("tiny.safetensors"), dir.resolve("model.safetensors"));
        Path other = tmp.resolve("other");
        StagingFixture.write(other, "tiny", null, 4);
        Files.copy(other.resolve("tiny-q4k.gguf"), dir.resolve("tiny-q4k.gguf"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        List<Verifier.Check> checks = Verifier.verifySnapshot(dir, "tiny", 2);
        Verifier.Check gg = checks.stream().filter(c -> c.rule().startsWith("apr vs gguf")).findFirst().orElseThrow();
        assertEquals(Verifier.Status.FAIL, gg.status(), gg.toString());
        assertEquals(1, checks.stream().filter(c -> c.status() == Verifier.Status.FAIL).count(), checks.toString());
    }

    @Test void llamaCppRunIsSkippedSayingHowToEnableItAndRefusesADirectoryWithoutNodeLlamaCpp() throws Exception {
        Path gguf = tmp.resolve("x.gguf");
        Verifier.Check off = LlamaCppRun.check(null, gguf, new int[] {1}, new int[] {2});
        assertEquals(Verifier.Status.SKIP, off.status());
        assertTrue(off.detail().contains("APR_NODE_LLAMA_CPP") && off.detail().contains("npm install node-llama-cpp"), off.toString());
        Verifier.Check bad = LlamaCppRun.check(tmp.toString(), gguf, new int[] {1}, new int[] {2});
        assertEquals(Verifier.Status.FAIL, bad.status());
        assertEquals("APR_NODE_LLAMA_CPP=" + tmp + ": expected " + tmp.resolve("node_modules/node-llama-cpp/package.json") + ", not found",
                bad.detail());
    }

    /** Real llama.cpp (npm node-llama-cpp), where APR_NODE_LLAMA_CPP names a directory that has it; not in CI. */
    @Test void realLlamaCppContinuesTheGgufLikeApr() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv(LlamaCppRun.ENV) != null, LlamaCppRun.ENV + " not set");
        Path dir = tmp.resolve("tiny");
        StagingFixture.write(dir, "tiny", null, 3);
        Files.copy(dir.resolve("tiny.safetensors"), dir.resolve("model.safetensors"));
        Verifier.Check run = Verifier.verifySnapshot(dir, "tiny", 4).stream()
                .filter(c -> c.rule().startsWith("llama.cpp loads the GGUF")).findFirst().orElseThrow();
        assertEquals(Verifier.Status.PASS, run.status(), run.toString());
        assertTrue(run.detail().startsWith("same prompt ids; "), run.toString());
    }

    @Test void missingModelSafetensorsFailsTheTransformersPath() throws Exception {
        Path dir = tmp.resolve("tiny");
        StagingFixture.write(dir, "tiny", null, 3);
        List<Verifier.Check> checks = Verifier.verifySnapshot(dir, "tiny", 1);
        assertTrue(checks.stream().anyMatch(c -> c.status() == Verifier.Status.FAIL && c.rule().equals("model.safetensors")), checks.toString());
    }
}
