package dev.apr.cli;

import dev.apr.format.DType;
import dev.apr.format.Json;
import dev.apr.format.apr.AprWriter;
import dev.apr.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class RunBenchCommandTest {
    static final Path GGUF = Path.of(System.getProperty("apr.testdata"), "qwen2-h256-q4km", "model-q4_k_m.gguf");
    static final String PROMPT = "def fibonacci(n):\n    return fibonacci(n-1)";

    record Out(int code, String out, String err) {}

    static Out run(String... args) {
        CommandLine cl = AprCli.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Out(code, out.toString(), err.toString());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(String s) {
        return Json.parseObject(s.trim().getBytes(StandardCharsets.UTF_8), "stdout", true);
    }

    @Test
    void runGgufGreedyStartsWithTheReferenceArgmax() {
        Out o = run("run", GGUF.toString(), PROMPT, "-n", "3", "--json", "--threads", "2");
        assertEquals(0, o.code(), o.err());
        Map<String, Object> j = json(o.out());
        // llama.cpp's tokenization of the fixture prompt, from the GGUF's own tokenizer
        assertEquals(List.of(750, 75698, 1445, 982, 262, 470, 75698, 1445, 12, 16, 8), j.get("prompt_ids"));
        List<?> toks = (List<?>) j.get("tokens");
        assertEquals(3, toks.size());
        // argmax of logits-dequant-reference.f32 at the last position
        assertEquals(17613, ((Number) toks.get(0)).intValue());
        assertEquals("length", j.get("stop_reason"));
    }

    @Test
    void sameSeedSameTokens() {
        String[] args = {"run", GGUF.toString(), "hello", "-n", "4", "--temperature", "0.9", "--top-k", "50", "--top-p", "0.95",
                "--repeat-penalty", "1.1", "--seed", "42", "--json"};
        Out a = run(args), b = run(args);
        assertEquals(0, a.code(), a.err());
        assertEquals(json(a.out()).get("tokens"), json(b.out()).get("tokens"));
    }

    @Test
    void aprWithoutVocabIsRefusedWithTheStampCommand(@TempDir Path dir) {
        Path apr = dir.resolve("base.apr");
        ModelConfig c = ModelConfig.preset("qwen2-tiny");
        try (Arena arena = Arena.ofConfined()) {
            new AprWriter().metadata(c.toAprMetadata())
                    .tensor("model.norm.weight", DType.F32, new long[] {c.hiddenSize()}, arena.allocate(4L * c.hiddenSize()))
                    .write(apr);
        }
        Out o = run("run", apr.toString(), "hi");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("HAS_VOCAB") && o.err().contains("apr stamp " + apr + " --tokenizer DIR -o OUT.apr"), o.err());
    }

    @Test
    void badSamplingOptionIsAUsageError() {
        Out o = run("run", GGUF.toString(), "hi", "--temperature", "-1");
        assertEquals(1, o.code());
        assertTrue(o.err().contains("--temperature"), o.err());
    }

    @Test
    void benchRandomPresetReportsPrefillAndDecode() {
        Out o = run("bench", "random:qwen2-tiny:q8_0", "-p", "8", "-n", "4", "-r", "1", "--warmup-seconds", "2", "--json");
        assertEquals(0, o.code(), o.err());
        Map<String, Object> j = json(o.out());
        List<?> results = (List<?>) j.get("results");
        assertEquals(2, results.size());
        Map<?, ?> pp = (Map<?, ?>) results.get(0), tg = (Map<?, ?>) results.get(1);
        assertEquals("pp8", pp.get("test"));
        assertEquals("tg4", tg.get("test"));
        assertTrue(((Number) pp.get("median_tokens_per_second")).doubleValue() > 0);
        assertTrue(((Number) tg.get("median_tokens_per_second")).doubleValue() > 0);
        assertTrue(((Number) tg.get("heap_bytes_per_token")).longValue() >= 0, o.out());
        assertEquals(ModelConfig.preset("qwen2-tiny").parameterCount(), ((Number) j.get("params")).longValue());
        assertTrue(((Number) j.get("warmup_runs")).intValue() >= 1, o.out());
    }

    @Test
    void benchRefusesUnknownRandomType() {
        Out o = run("bench", "random:qwen2-tiny:q3_k");
        assertEquals(1, o.code());
        assertTrue(o.err().contains("q3_k"), o.err());
    }
}
