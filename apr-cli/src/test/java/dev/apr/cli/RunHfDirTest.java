package dev.apr.cli;

import dev.apr.format.Json;
import dev.apr.format.ModelFile;
import dev.apr.format.ModelFiles;
import dev.apr.format.Tensor;
import dev.apr.format.safetensors.SafeTensorsWriter;
import dev.apr.model.ModelConfig;
import dev.apr.model.RandomModel;
import dev.apr.model.Sampler;
import dev.apr.model.Transformer;
import dev.apr.model.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** apr run on a Hugging Face checkpoint directory: config.json + model.safetensors (BF16) + tokenizer files. */
class RunHfDirTest {
    static final Path TOK = Path.of(System.getProperty("apr.testdata"), "qwen3-tokenizer");

    @Test
    void runsAnHfDirectoryWithItsTokenizer(@TempDir Path dir) throws IOException {
        ModelConfig c = ModelConfig.preset("qwen2-tiny");
        try (RandomModel m = new RandomModel("random:qwen2-tiny:bf16", c, "bf16")) {
            SafeTensorsWriter w = new SafeTensorsWriter();
            for (Tensor t : m.tensors()) w.tensor(t);
            w.write(dir.resolve("model.safetensors"));
        }
        Files.write(dir.resolve("config.json"), Json.compact(c.toHfConfig("bfloat16")));
        Files.copy(TOK.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.copy(TOK.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));

        RunBenchCommandTest.Out o = RunBenchCommandTest.run("run", dir.toString(), "Hello world", "-n", "3", "--json");
        assertEquals(0, o.code(), o.err());
        Map<String, Object> j = RunBenchCommandTest.json(o.out());
        Tokenizer tok = Tokenizer.load(dir);
        int[] ids = tok.encode("Hello world");
        assertEquals(java.util.Arrays.stream(ids).boxed().toList(), j.get("prompt_ids"));

        // the first generated token is the model's greedy choice after the prompt
        try (ModelFile f = ModelFiles.open(dir)) {
            Transformer t = Transformer.load(f);
            float[] logits = t.forward(t.newState(16), ids, false);
            assertEquals(Sampler.argmax(logits), ((Number) ((List<?>) j.get("tokens")).get(0)).intValue());
        }

        // --chat wraps the prompt in ChatML
        o = RunBenchCommandTest.run("run", dir.toString(), "Hi", "-n", "1", "--chat", "--json");
        assertEquals(0, o.code(), o.err());
        List<?> chatIds = (List<?>) RunBenchCommandTest.json(o.out()).get("prompt_ids");
        assertEquals(tok.imStartId(), ((Number) chatIds.get(0)).intValue());
    }

    /** A stamped APR (HAS_VOCAB, the whole tokenizer.json embedded) runs with its own tokenizer. */
    @Test
    void runsAStampedAprFile(@TempDir Path dir) throws IOException {
        ModelConfig c = ModelConfig.preset("qwen2-tiny");
        Path apr = dir.resolve("stamped.apr");
        try (RandomModel m = new RandomModel("random:qwen2-tiny:f32", c, "f32")) {
            dev.apr.format.apr.AprWriter w = new dev.apr.format.apr.AprWriter().metadata(c.toAprMetadata())
                    .put("tokenizer.json", Files.readString(TOK.resolve("tokenizer.json")))
                    .flag("HAS_VOCAB");
            for (Tensor t : m.tensors()) w.tensor(t);
            w.write(apr);
        }
        RunBenchCommandTest.Out o = RunBenchCommandTest.run("run", apr.toString(), "Hello world", "-n", "2", "--json");
        assertEquals(0, o.code(), o.err());
        int[] ids = Tokenizer.load(TOK).encode("Hello world");
        assertEquals(java.util.Arrays.stream(ids).boxed().toList(), RunBenchCommandTest.json(o.out()).get("prompt_ids"));
    }
}
