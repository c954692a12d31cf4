package dev.apr.cli.quickstart;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apr.cli.AprCli;
import dev.apr.format.AprException;
import dev.apr.format.ModelFile;
import dev.apr.format.ModelFiles;
import dev.apr.hub.client.HubClient;
import dev.apr.hub.client.HubSettings;
import dev.apr.format.io.Progress;
import dev.apr.hub.client.RepoId;
import dev.apr.hub.publish.Auditor;
import dev.apr.hub.publish.ModelCard;
import dev.apr.hub.publish.Publisher;
import dev.apr.hub.publish.Verifier;
import dev.apr.hub.server.HubServer;
import dev.apr.model.ModelConfig;
import dev.apr.model.export.GgufExporter;
import dev.apr.model.export.GgufPlan;
import dev.apr.model.export.GgufQuant;
import dev.apr.model.export.SafeTensorsExporter;
import dev.apr.model.export.Stamper;
import dev.apr.model.tokenizer.Tokenizer;
import dev.apr.train.AdamW;
import dev.apr.train.Pretrain;
import dev.apr.train.PretrainOptions;
import dev.apr.train.TrainModel;
import dev.apr.train.data.CorpusEncoder;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * {@code apr quickstart}: the whole product on the embedded default, as the library calls the
 * apr commands make: tokenize the JDK's own sources with the Qwen tokenizer, pretrain a small
 * Qwen2 from scratch, fine-tune it with {@code --init} on other code (the step-0 validation loss
 * proves the weights arrived), stamp, export SafeTensors and GGUF Q4_K, publish the 12-file
 * repository to an embedded hub, audit and verify it, and run it from the hub.
 *
 * <p>Training time is planned from a measured step so the journey fits {@code --minutes}; each
 * run also carries a time limit, so a slow machine shortens training instead of overrunning.
 */
public final class Journey {

    /** What to do; {@code minutes} is the training budget (both runs), the rest takes about a minute more. */
    public record Options(Path workdir, double minutes, Path corpus, Path tokenizer, String repo, int batch, int seq) {}

    /** The model the quickstart trains: every matrix row a multiple of 256, so its int4 GGUF is pure Q4_K/Q6_K. */
    public static final String PRESET = "qwen2-h256-l2";

    static final String BASE_INCLUDE = "java.base/java/util/**", TUNE_INCLUDE = "java.sql/**";
    static final String DATA_LICENSE = "GPL-2.0-only WITH Classpath-exception-2.0";   // the OpenJDK's sources
    static final String PROMPT = "public static int fib(int n) {";
    private static final int VAL_BATCHES = 8;

    private final Options o;
    private final PrintStream out, err;
    private final Stages stages;
    final Facts facts = new Facts();

    private Journey(Options o, PrintStream out, PrintStream err) {
        this.o = o;
        this.out = out;
        this.err = err;
        this.stages = new Stages(out, 8);
    }

    /** Runs every stage; the report is written even when a stage fails (then the failure is rethrown). */
    public static Path run(Options o, PrintStream out, PrintStream err) {
        Journey j = new Journey(o, out, err);
        Workdir.prepare(o.workdir());
        RuntimeException failure = null;
        try {
            j.all();
        } catch (RuntimeException e) {
            failure = e;
            String stage = j.stages.current();
            if (stage != null) j.stages.fail(e.getMessage() == null ? e.toString() : e.getMessage());
        }
        Path report = Report.write(o, j.facts, j.stages.done(), j.stages.elapsedSeconds(), failure);
        if (failure != null) throw failure;
        out.printf(Locale.ROOT, "quickstart: all %d stages green in %.1f min; report: %s%n",
                j.stages.done().size(), j.stages.elapsedSeconds() / 60, report);
        return report;
    }

    private void all() {
        Path w = o.workdir();
        tokenize(w.resolve("data"));
        pretrainBase(w.resolve("data/base"), w.resolve("runs/base"));
        fineTune(w.resolve("data/tune"), w.resolve("runs"));
        Path staging = w.resolve("staging/" + RepoId.parse(o.repo()).name());
        stamp(staging);
        export(staging);
        try (HubServer hub = new HubServer()) {
            HubSettings settings = startHub(hub, w.resolve("hub"), w.resolve("hf-cache"));
            HubClient client = new HubClient(settings).progress(Progress.NONE);
            publish(staging, client);
            auditAndVerify(client, settings);
            runFromHub(settings);
        }
    }

    // ---- 1. data ---------------------------------------------------------------------------------

    private void tokenize(Path data) {
        stages.begin("tokenize the JDK's sources with the Qwen tokenizer");
        Tokenizer tok = Tokenizer.load(o.tokenizer());
        var base = encode(tok, BASE_INCLUDE, data.resolve("base"), 0.02);
        var tune = encode(tok, TUNE_INCLUDE, data.resolve("tune"), 0.10);
        facts.baseTrainTokens = base.train().tokens();
        facts.baseValTokens = base.val().tokens();
        facts.tuneTrainTokens = tune.train().tokens();
        facts.tuneValTokens = tune.val().tokens();
        facts.tokenizeSeconds = base.seconds() + tune.seconds();
        facts.tokensPerSecond = (base.train().tokens() + base.val().tokens() + tune.train().tokens() + tune.val().tokens())
                / facts.tokenizeSeconds;
        stages.end(String.format(Locale.ROOT, "%s: %,d train + %,d val tokens; %s: %,d train + %,d val tokens (%,.0f tokens/s)",
                BASE_INCLUDE, facts.baseTrainTokens, facts.baseValTokens, TUNE_INCLUDE, facts.tuneTrainTokens,
                facts.tuneValTokens, facts.tokensPerSecond));
    }

    private CorpusEncoder.Result encode(Tokenizer tok, String include, Path output, double valFraction) {
        stages.command("apr tokenize encode-corpus --corpus " + o.corpus() + " --include '" + include + "' --tokenizer "
                + o.tokenizer() + " --val-fraction " + valFraction + " --shuffle --output " + output);
        CorpusEncoder.Options co = CorpusEncoder.Options.defaults(List.of(o.corpus()), output)
                .withInclude(include).withValFraction(valFraction).withShuffle(true);
        return new CorpusEncoder(tok, co, null).run();
    }

    // ---- 2, 3. training ----------------------------------------------------------------------------

    private void pretrainBase(Path data, Path runDir) {
        stages.begin("pretrain a " + PRESET + " base model from scratch");
        ModelConfig cfg = ModelConfig.preset(PRESET);
        facts.parameters = cfg.parameterCount();
        facts.secondsPerStep = secondsPerStep(cfg, o.batch(), o.seq());
        double budget = o.minutes() * 60 * 0.75;
        int steps = plannedSteps(budget, 5);
        PretrainOptions p = options(data, data.resolve("val"), runDir, steps, Math.max(1, steps / 4), 3e-3, Math.max(1, steps / 10));
        p.config = PRESET;
        p.timeLimitSeconds = budget * 1.15;
        Pretrain.Result r = Pretrain.run(p, null, err);
        facts.base = r;
        facts.baseRun = runDir;
        stages.command(command(p));
        stages.end(String.format(Locale.ROOT, "%,d parameters, %d steps (%,d tokens, %,.0f tokens/s): val_loss %.3f -> %.3f",
                facts.parameters, r.finalStep(), r.tokensSeen(), r.tokensPerSecond(), r.step0ValLoss(), r.valLoss()));
    }

    private void fineTune(Path data, Path runs) {
        stages.begin("fine-tune it with --init on other code");
        // the reference: the same shape from random weights, evaluated on the same held-out code
        PretrainOptions ref = options(data, data.resolve("val"), runs.resolve("scratch-reference"), 0, 1, 3e-3, 0);
        ref.config = PRESET;
        Pretrain.Result scratch = Pretrain.run(ref, null, err);
        deleteCheckpoints(runs.resolve("scratch-reference"));       // only its step-0 loss is wanted
        stages.command(command(ref));
        facts.scratchStep0 = scratch.step0ValLoss();

        double budget = o.minutes() * 60 * 0.25;
        int steps = plannedSteps(budget, 3);
        PretrainOptions p = options(data, data.resolve("val"), runs.resolve("tune"), steps, Math.max(1, steps / 2), 1e-3, Math.max(1, steps / 10));
        p.init = facts.base.lastCheckpoint();
        p.timeLimitSeconds = budget * 1.15;
        Pretrain.Result r = Pretrain.run(p, null, err);
        facts.tune = r;
        facts.tuneRun = runs.resolve("tune");
        stages.command(command(p));
        double gap = scratch.step0ValLoss() - r.step0ValLoss();
        stages.end(String.format(Locale.ROOT, "step-0 val_loss %.3f with --init vs %.3f from scratch (gap %.2f); after %d steps %.3f",
                r.step0ValLoss(), scratch.step0ValLoss(), gap, r.finalStep(), r.valLoss()));
        if (!(gap > 0))
            throw AprException.badInput("QUICKSTART_INIT_NO_SIGNAL", p.init + ": step-0 val_loss with --init " + r.step0ValLoss()
                    + " is not below the from-scratch " + scratch.step0ValLoss() + ": the weights did not arrive");
    }

    private PretrainOptions options(Path data, Path val, Path runDir, int steps, int evalEvery, double lr, int warmup) {
        PretrainOptions p = new PretrainOptions();
        p.data = data;
        p.valData = val;
        p.runDir = runDir;
        p.numSteps = steps;
        p.batchSize = o.batch();
        p.seqLength = o.seq();
        p.evalEvery = evalEvery;
        p.saveEvery = Math.max(1, steps);          // one checkpoint, at the end: they are 3 x 160 MB each
        p.lr = lr;
        p.warmupSteps = warmup;
        p.tokenizer = o.tokenizer();
        p.valBatches = VAL_BATCHES;
        return p;
    }

    /** Steps that fit {@code seconds}, after {@code evals} evaluations (forward only: about a third of a step per batch). */
    private int plannedSteps(double seconds, int evals) {
        double evalSeconds = evals * VAL_BATCHES * facts.secondsPerStep / 3;
        return (int) Math.max(2, Math.floor((seconds - evalSeconds) / facts.secondsPerStep));
    }

    /** One optimizer step of this shape, measured (the second of two: the first pays for JIT and page faults). */
    static double secondsPerStep(ModelConfig cfg, int batch, int seq) {
        TrainModel m = new TrainModel(cfg, batch, seq);
        m.initRandom(1);
        AdamW opt = new AdamW(m.layout());
        Random rnd = new Random(1);
        int[] in = new int[batch * seq], target = new int[batch * seq];
        for (int i = 0; i < in.length; i++) { in[i] = rnd.nextInt(151643); target[i] = rnd.nextInt(151643); }
        long t = 0;
        for (int i = 0; i < 2; i++) {
            long t0 = System.nanoTime();
            m.zeroGrads();
            m.forwardBackward(in, target, 1f);
            opt.update(m.params, m.grads, 1e-4f, AdamW.gradNorm(m.grads));
            t = System.nanoTime() - t0;
        }
        return t / 1e9;
    }

    private static String command(PretrainOptions p) {
        StringBuilder b = new StringBuilder("apr pretrain");
        if (p.init != null) b.append(" --init ").append(p.init);
        else b.append(" --config ").append(p.config);
        b.append(" --data ").append(p.data).append(" --val-data ").append(p.valData).append(" --run-dir ").append(p.runDir)
                .append(" --tokenizer ").append(p.tokenizer).append(" --num-steps ").append(p.numSteps)
                .append(" --batch-size ").append(p.batchSize).append(" --seq-length ").append(p.seqLength);
        if (p.numSteps > 0)
            b.append(" --lr ").append(p.lr).append(" --warmup-steps ").append(p.warmupSteps).append(" --eval-every ").append(p.evalEvery)
                    .append(String.format(Locale.ROOT, " --time-limit %.2f", p.timeLimitSeconds / 60));
        return b.toString();
    }

    private static void deleteCheckpoints(Path runDir) {
        Workdir.deleteTree(runDir.resolve("ckpt"));
    }

    // ---- 4, 5. stamp and export ---------------------------------------------------------------------

    private void stamp(Path staging) {
        stages.begin("stamp licence, provenance and tokenizer");
        String name = staging.getFileName().toString();
        Path apr = staging.resolve(name + ".apr");
        Stamper.Result r = Stamper.stamp(facts.tune.lastCheckpoint(), apr, new Stamper.Options("Apache-2.0",
                "OpenJDK 25 lib/src.zip (" + BASE_INCLUDE + ", then " + TUNE_INCLUDE + ")", DATA_LICENSE,
                null, null, null, o.tokenizer()), true);
        stages.command("apr stamp " + facts.tune.lastCheckpoint() + " --license Apache-2.0 --data-source 'OpenJDK 25 lib/src.zip'"
                + " --data-license '" + DATA_LICENSE + "' --tokenizer " + o.tokenizer() + " -o " + apr);
        facts.aprBytes = size(apr);
        stages.end(String.format(Locale.ROOT, "%s: %d tensors, flags %s, %s", apr.getFileName(), r.tensorCount(),
                r.flagNames(), mb(facts.aprBytes)));
    }

    private void export(Path staging) {
        stages.begin("export SafeTensors + config.json and GGUF Q4_K");
        String name = staging.getFileName().toString();
        Path apr = staging.resolve(name + ".apr"), st = staging.resolve(name + ".safetensors"), gguf = staging.resolve(name + "-q4k.gguf");
        GgufExporter.Report g;
        try (ModelFile src = ModelFiles.open(apr)) {
            SafeTensorsExporter.export(src, st, SafeTensorsExporter.Target.KEEP, true);
            g = GgufExporter.export(src, gguf, GgufQuant.Q4_K_M);
        }
        stages.command("apr export " + apr + " --format safetensors -o " + st);
        stages.command("apr export " + apr + " --format gguf --quantize int4 -o " + gguf);
        Map<String, Integer> types = new TreeMap<>();
        for (GgufPlan.Entry e : g.plan()) types.merge(e.type().name(), 1, Integer::sum);
        facts.ggufTypes = types;
        facts.ggufFallbacks = g.fallbacks().size();
        facts.safetensorsBytes = size(st);
        facts.ggufBytes = g.bytes();
        copyLicense(staging.resolve("LICENSE"));
        stages.end(String.format(Locale.ROOT, "%s (%s) + config.json, generation_config.json, tokenizer files; %s (%s, tensor types %s, %d fallbacks)",
                st.getFileName(), mb(facts.safetensorsBytes), gguf.getFileName(), mb(g.bytes()), types, facts.ggufFallbacks));
    }

    private static void copyLicense(Path to) {
        try (InputStream in = Journey.class.getResourceAsStream("LICENSE-Apache-2.0.txt")) {
            if (in == null) throw new IllegalStateException("apr is built without its Apache-2.0 licence text resource");
            dev.apr.format.io.AtomicWrite.writeBytes(to, in.readAllBytes());
        } catch (IOException e) {
            throw AprException.badInput("QUICKSTART_IO", to + ": " + e.getMessage());
        }
    }

    // ---- 6, 7, 8. hub ---------------------------------------------------------------------------------

    private HubSettings startHub(HubServer hub, Path data, Path cache) {
        try {
            hub.start(data, "127.0.0.1", 0);        // a free port: never collides with a running `apr hub serve`
        } catch (IOException e) {
            throw AprException.badInput("QUICKSTART_HUB", data + ": the embedded hub did not start: " + e.getMessage());
        }
        String token = hub.initialToken().orElseThrow(() -> new IllegalStateException(data + ": hub data dir was not fresh"));
        facts.hubUrl = hub.url();
        return new HubSettings(hub.url(), token, cache);
    }

    private void publish(Path staging, HubClient client) {
        stages.begin("publish the 12-file repository to the embedded hub");
        RepoId repo = RepoId.parse(o.repo());
        writeCard(staging, repo);
        Publisher.Options po = new Publisher.Options(null, "apr", "text-generation", List.of(), null, List.of(),
                "apr quickstart: " + PRESET + " pretrained and fine-tuned on the JDK's sources", "main", false);
        long t0 = System.nanoTime();
        Publisher.Result r = Publisher.publish(Publisher.plan(staging, repo, po), client);
        facts.publishSeconds = (System.nanoTime() - t0) / 1e9;
        facts.commit = r.commitOid();
        facts.repoFiles = r.committed().size();
        facts.lfsUploaded = r.lfsUploaded();
        facts.bytesUploaded = r.bytesUploaded();
        // publishing the same directory again must upload nothing and commit nothing
        Publisher.Result again = Publisher.publish(Publisher.plan(staging, repo, po), client);
        facts.republishUploaded = again.lfsUploaded();
        facts.republishCommitted = again.commitOid() != null;
        stages.command("apr publish " + staging + " " + repo + " --endpoint " + facts.hubUrl);
        stages.end(String.format(Locale.ROOT, "%s@%s: %d files, %d LFS objects, %s in %.1f s; re-publish uploaded %d objects%s",
                repo, shortOid(r.commitOid()), facts.repoFiles, r.lfsUploaded(), mb(r.bytesUploaded()), facts.publishSeconds,
                again.lfsUploaded(), again.commitOid() == null ? " and made no commit" : " and made commit " + again.commitOid()));
        if (again.lfsUploaded() != 0 || again.commitOid() != null)
            throw AprException.badInput("QUICKSTART_REPUBLISH", repo + ": re-publishing unchanged files: expected nothing uploaded or"
                    + " committed, got " + again.lfsUploaded() + " uploads and commit " + again.commitOid());
    }

    /** The model card: front matter per specs/publish.md with the measured metrics, prose saying how it was made. */
    private void writeCard(Path staging, RepoId repo) {
        String name = repo.name();
        double tuneVal = facts.tune.valLoss();
        String description = String.format(Locale.ROOT, """
                A %,d-parameter Qwen2-shaped model (`%s`) made by `apr quickstart` in minutes on a CPU: pretrained \
                from scratch on the JDK's `java.util` sources (%d steps, %,d tokens), then fine-tuned with \
                `apr pretrain --init` on `java.sql` (%d steps). The fine-tune's step-0 validation loss was %.3f \
                with the pretrained init against %.3f from random weights: the init's weights arrived. It is a \
                demonstration of the toolchain, not a useful code model.""",
                facts.parameters, PRESET, facts.base.finalStep(), facts.base.tokensSeen(), facts.tune.finalStep(),
                facts.tune.step0ValLoss(), facts.scratchStep0);
        List<String> files = List.of("README.md", "LICENSE", "config.json", "generation_config.json", "tokenizer.json",
                "tokenizer_config.json", "vocab.json", "merges.txt", name + ".safetensors", "model.safetensors", name + ".apr",
                name + "-q4k.gguf");
        String card = ModelCard.generate(new ModelCard.Spec(name, "apache-2.0", null, null, "apr", "text-generation", List.of(),
                List.of("code", "java", "apr", "qwen2", "safetensors", "gguf"), null, List.of("openjdk/jdk-src"),
                List.of(new ModelCard.Metric("val_loss", round(tuneVal), "Validation Cross-Entropy"),
                        new ModelCard.Metric("perplexity", round(Math.exp(tuneVal)), "Validation Perplexity")),
                "OpenJDK 25 java.sql sources (held-out 10%)", "code", description, files));
        dev.apr.format.io.AtomicWrite.writeString(staging.resolve("README.md"), card);
        facts.cardValLoss = round(tuneVal);
    }

    private void auditAndVerify(HubClient client, HubSettings settings) {
        stages.begin("audit the hub page and verify the three load paths");
        RepoId repo = RepoId.parse(o.repo());
        List<Auditor.Check> audit = Auditor.audit(client, repo, "main", "apr", null);
        List<Verifier.Check> verify = Verifier.verify(client, settings.cacheDir(), repo, "main", 16);
        facts.audit = audit;
        facts.verify = verify;
        stages.command("apr audit " + repo + " --endpoint " + facts.hubUrl);
        stages.command("apr verify " + repo + " --endpoint " + facts.hubUrl);
        long auditPass = audit.stream().filter(Auditor.Check::pass).count();
        long pass = verify.stream().filter(c -> c.status() == Verifier.Status.PASS).count();
        long fail = verify.stream().filter(c -> c.status() == Verifier.Status.FAIL).count();
        long skip = verify.stream().filter(c -> c.status() == Verifier.Status.SKIP).count();
        String summary = String.format(Locale.ROOT, "audit %d/%d rules pass; verify %d pass, %d fail, %d skipped (tools not installed)",
                auditPass, audit.size(), pass, fail, skip);
        if (auditPass != audit.size() || fail > 0) {
            List<String> bad = new ArrayList<>();
            audit.stream().filter(c -> !c.pass()).forEach(c -> bad.add(c.toString()));
            verify.stream().filter(c -> c.status() == Verifier.Status.FAIL).forEach(c -> bad.add(c.toString()));
            throw new AprException("QUICKSTART_VERIFY", AprException.VERIFY, summary + ": " + String.join("; ", bad));
        }
        stages.end(summary);
    }

    /** {@code apr run org/name} through the real command line, downloading into the workdir's HF cache. */
    private void runFromHub(HubSettings settings) {
        stages.begin("apr run it from the hub");
        String[] args = {"run", o.repo(), PROMPT, "-n", "24", "--json", "-q", "--endpoint", settings.endpoint(),
                "--token", settings.token(), "--cache-dir", settings.cacheDir().toString()};
        StringWriter so = new StringWriter(), se = new StringWriter();
        var cl = AprCli.commandLine();
        cl.setOut(new PrintWriter(so, true));
        cl.setErr(new PrintWriter(se, true));
        int code = cl.execute(args);
        stages.command("HF_ENDPOINT=" + settings.endpoint() + " apr run " + o.repo() + " '" + PROMPT + "' -n 24");
        if (code != 0) throw new AprException("QUICKSTART_RUN", code, "apr run " + o.repo() + " exited " + code + ": " + se.toString().strip());
        try {
            JsonNode j = new ObjectMapper().readTree(so.toString());
            facts.runText = j.path("text").asText();
            facts.runTokens = j.path("tokens").size();
            facts.runDecodeTps = j.path("decode_tokens_per_second").asDouble();
        } catch (IOException e) {
            throw new IllegalStateException("apr run --json printed no JSON: " + so, e);
        }
        stages.end(String.format(Locale.ROOT, "%d tokens at %.1f tokens/s: %s", facts.runTokens, facts.runDecodeTps,
                Report.oneLine(PROMPT + facts.runText, 100)));
    }

    // ---- small things -------------------------------------------------------------------------------

    static String mb(long bytes) { return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6); }

    private static String shortOid(String oid) { return oid == null ? "(no commit)" : oid.substring(0, Math.min(12, oid.length())); }

    private static double round(double v) { return Math.round(v * 10000) / 10000.0; }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw AprException.badInput("QUICKSTART_IO", p + ": " + e.getMessage());
        }
    }
}
