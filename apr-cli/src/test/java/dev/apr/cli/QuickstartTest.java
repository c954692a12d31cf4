package dev.apr.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The main job, shortened: {@code apr quickstart --minutes 0.3} runs every stage for real (the JDK's
 * own src.zip, the Qwen tokenizer, the embedded hub on loopback), and the report's numbers are the
 * run's own (checked against the run's metrics.jsonl and the published files).
 */
class QuickstartTest {
    private static final Path TOKENIZER = Path.of(System.getProperty("apr.testdata"), "qwen3-tokenizer");

    @Test
    void shortQuickstartRunsEveryStageGreenAndReportsItsOwnNumbers(@TempDir Path tmp) throws Exception {
        Path work = tmp.resolve("qs");
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = run(out, err, "quickstart", "--workdir", work.toString(), "--minutes", "0.3", "--tokenizer", TOKENIZER.toString());
        assertEquals(0, code, () -> "stdout:\n" + out + "\nstderr:\n" + err);

        // eight progress lines, each green, then the summary line
        List<String> ok = out.toString().lines().filter(l -> l.matches("\\[\\d/8] ok .*")).toList();
        assertEquals(8, ok.size(), out::toString);
        assertTrue(out.toString().contains("quickstart: all 8 stages green"), out::toString);

        String report = Files.readString(work.resolve("quickstart-report.md"));
        assertTrue(report.contains("**Every stage green.**"), report);
        assertEquals(8, report.lines().filter(l -> l.startsWith("| ") && l.contains("✅")).count(), report);

        // the --init signal: the report's numbers are the fine-tune's and the reference's own step-0 losses
        double scratch = number(report, "\\| random \\(from scratch; ln\\(151936\\) = 11\\.93\\) \\| ([0-9.]+) \\|");
        double init = number(report, "\\| `--init` the base checkpoint \\| ([0-9.]+) \\|");
        assertEquals(step0(work.resolve("runs/tune/metrics.jsonl")), init, 1e-4);
        assertEquals(step0(work.resolve("runs/scratch-reference/metrics.jsonl")), scratch, 1e-4);
        assertEquals(Math.log(151936), scratch, 0.5, "random weights predict roughly uniformly");
        assertTrue(init < scratch, "the pretrained init must beat random weights at step 0: " + init + " vs " + scratch);

        // the staged repository: 11 files on disk (model.safetensors is the hub alias of the named one) and the picture
        Path staging = work.resolve("staging/qwen2-java-quickstart");
        try (Stream<Path> s = Files.list(staging)) {
            assertEquals(Set.of("README.md", "LICENSE", "config.json", "generation_config.json", "tokenizer.json",
                    "tokenizer_config.json", "vocab.json", "merges.txt", "qwen2-java-quickstart.safetensors",
                    "qwen2-java-quickstart.apr", "qwen2-java-quickstart-q4k.gguf"),
                    Set.copyOf(s.map(p -> p.getFileName().toString()).toList()));
        }
        String card = Files.readString(staging.resolve("README.md"));
        assertTrue(card.startsWith("---\n"), card);
        assertTrue(report.contains("12 files"), report);
        assertTrue(report.contains("Publishing again uploaded 0 objects and made no commit"), report);
        String svg = Files.readString(work.resolve("loss-curves.svg"));
        assertTrue(svg.startsWith("<svg") || svg.startsWith("<?xml"), svg.substring(0, Math.min(200, svg.length())));

        // apr run pulled the repository into the workdir's own HF cache
        assertTrue(Files.isDirectory(work.resolve("hf-cache/models--apr--qwen2-java-quickstart/snapshots")));
    }

    @Test
    void aForeignNonEmptyWorkdirIsRefusedAndLeftAlone(@TempDir Path tmp) throws Exception {
        Path mine = Files.writeString(tmp.resolve("thesis.tex"), "do not delete");
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = run(out, err, "quickstart", "--workdir", tmp.toString(), "--minutes", "0.3", "--tokenizer", TOKENIZER.toString());
        assertEquals(2, code, err::toString);
        assertTrue(err.toString().contains(tmp.toString()) && err.toString().contains("previous apr quickstart"), err::toString);
        assertEquals("do not delete", Files.readString(mine));
    }

    @Test
    void minutesOutOfRangeIsAUsageError(@TempDir Path tmp) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = run(out, err, "quickstart", "--workdir", tmp.toString(), "--minutes", "0", "--tokenizer", TOKENIZER.toString());
        assertTrue(code != 0, "exit code");
        assertTrue(err.toString().contains("--minutes"), err::toString);
    }

    private static int run(StringWriter out, StringWriter err, String... args) {
        var cl = AprCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    private static double number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), () -> "no match for " + regex + " in\n" + text);
        return Double.parseDouble(m.group(1));
    }

    private static double step0(Path metrics) throws Exception {
        JsonNode first = new ObjectMapper().readTree(Files.readAllLines(metrics).get(0));
        assertEquals(0, first.path("step").asInt());
        return first.path("val_loss").asDouble();
    }
}
