package dev.apr.cli.quickstart;

import dev.apr.format.io.AtomicWrite;
import dev.apr.hub.publish.Auditor;
import dev.apr.hub.publish.Verifier;
import dev.apr.train.LossCurve;
import dev.apr.train.Pretrain;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** {@code quickstart-report.md} and {@code loss-curves.svg}: every number from this run's {@link Facts}. */
final class Report {
    private Report() {}

    static Path write(Journey.Options o, Facts f, List<Stages.Stage> stages, double seconds, RuntimeException failure) {
        Path md = o.workdir().resolve("quickstart-report.md");
        boolean curves = f.base != null;
        if (curves) AtomicWrite.writeString(o.workdir().resolve("loss-curves.svg"), svg(f));
        StringBuilder r = new StringBuilder();
        r.append("# apr quickstart report\n\n");
        r.append(String.format(Locale.ROOT, "%s on %d cores, Java %s, %s %s. Total %.1f min. %s%n%n",
                ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), System.getProperty("os.name"), System.getProperty("os.arch"), seconds / 60,
                failure == null ? "**Every stage green.**" : "**Stopped: " + oneLine(String.valueOf(failure.getMessage()), 300) + "**"));

        r.append("| # | stage | result | time |\n|---|---|---|---|\n");
        for (Stages.Stage s : stages)
            r.append(String.format(Locale.ROOT, "| %d | %s %s | %s | %.1f s |%n", s.number(), s.ok() ? "✅" : "❌", s.name(),
                    cell(s.summary()), s.seconds()));

        if (f.tune != null) {
            r.append("\n## The `--init` signal\n\n");
            r.append("Step-0 validation loss on held-out `java.sql` code, before any fine-tuning update:\n\n");
            r.append("| weights | step-0 val_loss |\n|---|---|\n");
            r.append(String.format(Locale.ROOT, "| random (from scratch; ln(151936) = %.2f) | %.4f |%n", Math.log(151936), f.scratchStep0));
            r.append(String.format(Locale.ROOT, "| `--init` the base checkpoint | %.4f |%n", f.tune.step0ValLoss()));
            r.append(String.format(Locale.ROOT, "%nGap: %.2f nats. The `--init` contract asks for step-0 ≤ 6.0 and a gap ≥ 3.0 once the"
                    + " init is trained enough: %s.%n", f.scratchStep0 - f.tune.step0ValLoss(),
                    f.tune.step0ValLoss() <= 6.0 && f.scratchStep0 - f.tune.step0ValLoss() >= 3.0 ? "met here"
                            : "not met by this short run (raise --minutes)"));
        }
        if (f.base != null) {
            r.append("\n## Training\n\n| run | steps | tokens | tokens/s | step-0 val_loss | final val_loss |\n|---|---|---|---|---|---|\n");
            row(r, "base, from scratch (`java.util`)", f.base);
            if (f.tune != null) row(r, "fine-tune, `--init` (`java.sql`)", f.tune);
            r.append(String.format(Locale.ROOT, "%nModel: `%s`, %,d parameters; batch %d × %d tokens; one step measured at %.2f s"
                    + " before planning the runs.%n%n![loss curves](loss-curves.svg)%n", Journey.PRESET, f.parameters, o.batch(), o.seq(),
                    f.secondsPerStep));
        }
        Path staging = o.workdir().resolve("staging");
        if (f.commit != null) {
            r.append(String.format(Locale.ROOT, "%n## The repository `%s`%n%nPublished to the embedded hub at %s (stopped when the"
                    + " quickstart ended) as commit `%s`: %d files, %d LFS objects, %s uploaded in %.1f s. Publishing again"
                    + " uploaded %d objects%s.%n%n| file | bytes |%n|---|---|%n", o.repo(), f.hubUrl, f.commit, f.repoFiles,
                    f.lfsUploaded, Journey.mb(f.bytesUploaded), f.publishSeconds, f.republishUploaded,
                    f.republishCommitted ? " and made a commit" : " and made no commit"));
            for (Path p : files(staging)) r.append("| `").append(p.getFileName()).append("` | ").append(String.format(Locale.ROOT, "%,d", size(p))).append(" |\n");
            r.append("| `model.safetensors` | the same LFS object as the named `.safetensors` |\n");
            if (f.ggufTypes != null) r.append(String.format(Locale.ROOT, "%nGGUF tensor types: %s (%d fallbacks).%n", f.ggufTypes, f.ggufFallbacks));
        }
        if (f.audit != null) {
            r.append("\n## Audit (what the Hub page shows)\n\n");
            for (Auditor.Check c : f.audit) r.append("- ").append(c.pass() ? "PASS " : "FAIL ").append(cell(c.rule())).append(c.detail().isEmpty() ? "" : ": " + cell(c.detail())).append('\n');
            r.append("\n## Verify (the three load paths)\n\n");
            for (Verifier.Check c : f.verify) r.append("- ").append(c.status()).append(" [").append(c.path()).append("] ").append(cell(c.rule()))
                    .append(c.detail().isEmpty() ? "" : ": " + cell(c.detail())).append('\n');
        }
        if (f.runText != null) {
            r.append(String.format(Locale.ROOT, "%n## `apr run %s` from the hub%n%n%d tokens, greedy, %.1f tokens/s:%n%n```java%n%s%s%n```%n",
                    o.repo(), f.runTokens, f.runDecodeTps, Journey.PROMPT, f.runText));
        }
        r.append("\n## Do it yourself\n\nEach stage is what these commands do (paths from this run):\n\n```sh\n");
        for (Stages.Stage s : stages) for (String c : s.commands()) r.append(c).append('\n');
        r.append("```\n");
        AtomicWrite.writeString(md, r.toString());
        return md;
    }

    private static void row(StringBuilder r, String name, Pretrain.Result p) {
        r.append(String.format(Locale.ROOT, "| %s | %d | %,d | %,.0f | %.4f | %.4f |%n", name, p.finalStep(), p.tokensSeen(),
                p.tokensPerSecond(), p.step0ValLoss(), p.valLoss()));
    }

    /** Base run, then the fine-tune continuing on the same step axis, and the from-scratch reference at its start. */
    private static String svg(Facts f) {
        List<LossCurve.Series> series = new ArrayList<>();
        List<LossCurve.Point> bt = new ArrayList<>(), bv = new ArrayList<>(), tt = new ArrayList<>(), tv = new ArrayList<>();
        read(f.baseRun, bt, bv, 0);
        series.add(new LossCurve.Series("base: train", "#1f77b4", bt, false));
        series.add(new LossCurve.Series("base: val (java.util)", "#d62728", bv, true));
        if (f.tune != null) {
            int offset = f.base.finalStep();
            read(f.tuneRun, tt, tv, offset);
            series.add(new LossCurve.Series("fine-tune --init: train", "#2ca02c", tt, false));
            series.add(new LossCurve.Series("fine-tune --init: val (java.sql)", "#ff7f0e", tv, true));
            series.add(new LossCurve.Series("random weights: val (java.sql)", "#7f7f7f",
                    List.of(new LossCurve.Point(offset, f.scratchStep0)), true));
        }
        return LossCurve.svg("apr quickstart: loss (nats) vs optimizer step", series);
    }

    private static void read(Path runDir, List<LossCurve.Point> train, List<LossCurve.Point> val, int offset) {
        List<LossCurve.Point> t = new ArrayList<>(), v = new ArrayList<>();
        try {
            Pretrain.readCurves(runDir.resolve("metrics.jsonl"), t, v);
        } catch (IOException e) {
            return;     // the picture is a convenience; the numbers in the tables come from the results
        }
        t.forEach(p -> train.add(new LossCurve.Point(p.step() + offset, p.loss())));
        v.forEach(p -> val.add(new LossCurve.Point(p.step() + offset, p.loss())));
    }

    private static List<Path> files(Path staging) {
        try (Stream<Path> repos = Files.list(staging)) {
            Path dir = repos.filter(Files::isDirectory).findFirst().orElse(staging);
            try (Stream<Path> s = Files.list(dir)) {
                return s.filter(Files::isRegularFile).sorted().toList();
            }
        } catch (IOException e) {
            return List.of();
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    static String oneLine(String s, int max) {
        String t = s.replace("\r", "").replace("\n", "⏎").strip();
        return t.length() <= max ? t : t.substring(0, max) + "…";
    }

    private static String cell(String s) { return oneLine(s, 400).replace("|", "\\|"); }
}
