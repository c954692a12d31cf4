package dev.apr.hub.publish;

import dev.apr.format.AprException;
import dev.apr.format.Spdx;
import dev.apr.hub.client.CardMetadata;
import dev.apr.hub.client.CommitOp;
import dev.apr.hub.client.CommitPayload;
import dev.apr.hub.client.FileDigest;
import dev.apr.hub.client.HubClient;
import dev.apr.hub.client.HubException;
import dev.apr.hub.client.LfsUploader;
import dev.apr.format.io.Progress;
import dev.apr.hub.client.RepoId;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@code apr publish DIR org/name} (specs/publish.md): pick the file set, validate everything
 * locally, then create the repo, validate the card on the hub, preupload, upload the LFS objects
 * the hub lacks (streamed), and make ONE NDJSON commit with {@code parentCommit} so the repository
 * changes atomically or not at all. {@code model.safetensors} is an alias of
 * {@code <name>.safetensors}: the same LFS object, uploaded once.
 */
public final class Publisher {

    /** Files over this need Xet storage on the Hub; apr refuses them up front. */
    public static final long MAX_FILE_BYTES = 5L << 30;

    /** The companion allow-list of specs/publish.md: exact, case-sensitive. */
    public static final Set<String> COMPANIONS = Set.of("README.md", "LICENSE", "LICENSE.md", "LICENSE.txt", "config.json",
            "generation_config.json", "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt",
            "special_tokens_map.json", "chat_template.jinja");

    /** Extensions that the default .gitattributes of a new Hub repo routes to LFS (§8), used to predict the dry-run plan. */
    private static final Set<String> DEFAULT_LFS_EXT = Set.of(".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".onnx",
            ".msgpack", ".npy", ".npz", ".pkl", ".pickle", ".model", ".zip", ".gz", ".tar", ".zst", ".xz", ".7z", ".parquet");

    public record Options(String license, String libraryName, String pipelineTag, List<String> tags, String baseModel,
                          List<String> datasets, String message, String revision, boolean isPrivate) {
        public static Options defaults() {
            return new Options(null, "apr", "text-generation", List.of(), null, List.of(), null, "main", false);
        }
    }

    /** One file of the commit. {@code aliasOf} names the file whose bytes (and LFS object) it shares. */
    public record PlannedFile(String path, Path source, long size, boolean lfsLikely, String aliasOf, boolean generated) {}

    /** What would be published; {@code card} is the README text (the user's verbatim, or generated). */
    public record Plan(Path dir, RepoId repo, Options options, List<PlannedFile> files, String card, boolean cardGenerated,
                       List<String> ignored, List<String> missing) {}

    /** What publishing did. {@code commitOid} is null when nothing changed. */
    public record Result(Plan plan, String commitOid, String commitUrl, int lfsUploaded, long bytesUploaded,
                         int unchanged, List<String> committed) {}

    private static final List<String> REQUIRED_NAMES = List.of("README.md", "LICENSE", "config.json", "generation_config.json",
            "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt");

    // ---- plan (no network) -----------------------------------------------------------------

    /** Picks and validates the file set; refuses with every problem listed. No network I/O. */
    public static Plan plan(Path dir, RepoId repo, Options o) {
        if (!Files.isDirectory(dir)) throw AprException.badInput("NOT_A_DIRECTORY", dir + ": expected a staging directory");
        TreeMap<String, Path> files = new TreeMap<>();
        List<String> ignored = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.sorted().toList()) {
                String name = f.getFileName().toString();
                boolean model = name.endsWith(".apr") || name.endsWith(".safetensors") || name.endsWith(".gguf");
                if (Files.isRegularFile(f) && (model || COMPANIONS.contains(name)) && !name.startsWith(".")) files.put(name, f);
                else ignored.add(name + (Files.isDirectory(f) ? "/" : ""));
            }
        } catch (IOException e) {
            throw AprException.badInput("READ_FAILED", dir + ": cannot list: " + e.getMessage());
        }
        List<String> problems = new ArrayList<>();
        if (files.keySet().stream().noneMatch(n -> n.endsWith(".apr") || n.endsWith(".safetensors") || n.endsWith(".gguf")))
            problems.add(dir + ": no model file (.apr, .safetensors or .gguf) to publish");
        Map<String, Long> sizes = new HashMap<>();
        for (var e : files.entrySet()) {
            long size = size(e.getValue());
            sizes.put(e.getKey(), size);
            if (size > MAX_FILE_BYTES)
                problems.add(e.getKey() + ": " + size + " bytes is over 5 GiB; the Hub stores such files only through Xet, which apr does not speak yet");
        }

        // the alias: model.safetensors shares the object of <name>.safetensors
        String named = repo.name() + ".safetensors";
        String alias = null;
        if (files.containsKey(named) && !named.equals("model.safetensors")) {
            Path own = files.get("model.safetensors");
            if (own != null && !sameBytes(own, files.get(named)))
                problems.add("model.safetensors: differs from " + named + "; it must be the very same object (remove it: publish adds the alias)");
            files.remove("model.safetensors");
            alias = "model.safetensors";
        }

        Map<String, Object> aprMetadata = new LinkedHashMap<>();
        StagingValidator.validate(files, problems, aprMetadata);

        String card;
        boolean generated = !files.containsKey("README.md");
        if (generated) {
            List<String> names = new ArrayList<>(files.keySet());
            names.add("README.md");
            if (alias != null) names.add(alias);
            names.sort(null);
            card = ModelCard.generate(cardSpec(repo, o, aprMetadata, names, problems));
            problems.addAll(CardRules.check(card, "generated README.md"));
        } else {
            card = readString(files.get("README.md"));
        }
        if (!problems.isEmpty())
            throw AprException.badInput("PUBLISH_INVALID", "refusing to publish " + dir + " (" + problems.size() + " problem"
                    + (problems.size() == 1 ? "" : "s") + "):\n  - " + String.join("\n  - ", problems));

        List<PlannedFile> planned = new ArrayList<>();
        for (var e : files.entrySet()) planned.add(new PlannedFile(e.getKey(), e.getValue(), sizes.get(e.getKey()),
                lfsLikely(e.getKey(), e.getValue(), sizes.get(e.getKey())), null, false));
        if (alias != null) {
            PlannedFile src = planned.stream().filter(f -> f.path().equals(named)).findFirst().orElseThrow();
            planned.add(new PlannedFile(alias, src.source(), src.size(), src.lfsLikely(), named, false));
        }
        if (generated) {
            long n = card.getBytes(StandardCharsets.UTF_8).length;
            planned.add(new PlannedFile("README.md", null, n, false, null, true));
        }
        planned.sort(java.util.Comparator.comparing(PlannedFile::path));
        List<String> missing = new ArrayList<>();
        for (String r : REQUIRED_NAMES) if (planned.stream().noneMatch(f -> f.path().equals(r))) missing.add(r);
        if (planned.stream().noneMatch(f -> f.path().equals("model.safetensors"))) missing.add("model.safetensors");
        for (String ext : List.of(".apr", ".gguf"))
            if (planned.stream().noneMatch(f -> f.path().endsWith(ext))) missing.add("<name>" + ext);
        return new Plan(dir, repo, o, planned, card, generated, ignored, missing);
    }

    static ModelCard.Spec cardSpec(RepoId repo, Options o, Map<String, Object> apr, List<String> files, List<String> problems) {
        String[] lic = null;
        if (o.license() != null) lic = hubLicense(o.license(), "--license", problems);
        else {
            String fromApr = ModelCard.findString(apr, "license");
            if (fromApr != null) lic = hubLicense(fromApr, "APR metadata 'license'", problems);
            else problems.add("no licence: pass --license (an SPDX or Hub licence id), or add a README.md with license: in its front matter");
        }
        String base = o.baseModel() != null ? o.baseModel() : ModelCard.findString(apr, "base_model", "base_model_id");
        String dataSource = ModelCard.findString(apr, "data_source");
        List<String> datasets = new ArrayList<>(o.datasets());
        if (datasets.isEmpty() && dataSource != null && dataSource.matches("[A-Za-z0-9][\\w.-]*/[\\w.-]+")) datasets.add(dataSource);
        List<String> tags = new ArrayList<>(o.tags());
        tags.add("apr");
        tags.add("java");
        Object arch = apr.get("architecture");
        if (arch instanceof String a) tags.add(a.toLowerCase(Locale.ROOT));
        if (files.stream().anyMatch(f -> f.endsWith(".safetensors"))) tags.add("safetensors");
        if (files.stream().anyMatch(f -> f.endsWith(".gguf"))) tags.add("gguf");
        List<ModelCard.Metric> results = ModelCard.metricsFrom(apr);
        String evalName = dataSource != null ? dataSource : !datasets.isEmpty() ? datasets.get(0) : "held-out validation split";
        String evalType = !datasets.isEmpty() ? datasets.get(0) : "text";
        String description = ModelCard.findString(apr, "description");
        return new ModelCard.Spec(repo.name(), lic == null ? null : lic[0], lic == null ? null : lic[1], lic == null ? null : lic[2],
                o.libraryName() == null ? "apr" : o.libraryName(),
                o.pipelineTag() == null ? "text-generation" : o.pipelineTag(), List.of(), tags, base, datasets, results,
                evalName, evalType, description, files);
    }

    /**
     * {license, license_name, license_link} for an SPDX or Hub id: a Hub id as is; an SPDX id the
     * Hub has no tag for becomes {@code other} with its SPDX name and link. Null (and a problem) when unknown.
     */
    static String[] hubLicense(String id, String field, List<String> problems) {
        String hub = CardRules.hubLicense(id);
        if (hub != null) return new String[] {hub, null, null};
        try {
            String spdx = Spdx.canonical(id, field);
            String lower = spdx.toLowerCase(Locale.ROOT);
            if (CardMetadata.HUB_LICENSES.contains(lower)) return new String[] {lower, null, null};
            return new String[] {"other", spdx, "https://spdx.org/licenses/" + spdx + ".html"};
        } catch (AprException e) {
            problems.add(e.getMessage());
            return null;
        }
    }

    // ---- publish (network) -----------------------------------------------------------------

    /** Runs a validated plan against the hub. */
    public static Result publish(Plan plan, HubClient hub) {
        Progress log = hub.progress();
        RepoId repo = plan.repo();
        String branch = plan.options().revision() == null ? "main" : plan.options().revision();
        Path cardFile = null;
        try {
            List<PlannedFile> files = new ArrayList<>(plan.files());
            if (plan.cardGenerated()) {
                cardFile = Files.createTempFile("apr-card-", ".md");
                Files.writeString(cardFile, plan.card());
                for (int i = 0; i < files.size(); i++)
                    if (files.get(i).generated()) files.set(i, new PlannedFile("README.md", cardFile, files.get(i).size(), false, null, true));
            }
            if (hub.createRepo(repo, plan.options().isPrivate())) log.note("created " + repo);
            for (String w : hub.validateYaml(plan.card())) log.note("hub warning on README.md: " + w);
            String parent = hub.headCommit(repo, branch);

            List<HubClient.PreuploadFile> offer = new ArrayList<>();
            Map<Path, String> samples = new HashMap<>();
            for (PlannedFile f : files)
                offer.add(new HubClient.PreuploadFile(f.path(), f.size(), samples.computeIfAbsent(f.source(), FileDigest::sample)));
            Map<String, HubClient.UploadMode> modes = hub.preupload(repo, branch, offer);

            // content ids: sha256 for LFS files (once per source file: the alias reuses it), git SHA-1 for regular ones
            Map<Path, String> sha256 = new HashMap<>();
            List<Desired> desired = new ArrayList<>();
            for (PlannedFile f : files) {
                HubClient.UploadMode m = modes.get(f.path());
                if (m.shouldIgnore()) { log.note("the hub ignores " + f.path() + " (.gitignore); not published"); continue; }
                if (m.lfs()) desired.add(new Desired(f, true, sha256.computeIfAbsent(f.source(), s -> FileDigest.sha256(s, log))));
                else desired.add(new Desired(f, false, FileDigest.gitSha1(f.source())));
            }

            // upload the LFS objects the hub lacks (the batch answer omits actions for stored ones)
            Map<String, HubClient.TreeEntry> remote = remoteFiles(hub, repo, parent);
            Map<String, Long> objects = new LinkedHashMap<>();
            Map<String, Path> objectSource = new HashMap<>();
            for (Desired d : desired) if (d.lfs() && !d.sameAs(remote.get(d.file().path()))) {
                objects.put(d.id(), d.file().size());
                objectSource.put(d.id(), d.file().source());
            }
            int uploaded = 0;
            long bytes = 0;
            if (!objects.isEmpty()) {
                LfsUploader up = new LfsUploader(hub);
                for (HubClient.LfsAction a : hub.lfsBatch(repo, branch, objects).values()) {
                    Path src = objectSource.get(a.oid());
                    if (a.needsUpload()) { uploaded++; bytes += a.size(); }
                    else log.note("the hub already has " + src.getFileName() + " (" + a.oid().substring(0, 12) + "…)");
                    up.upload(a, src, src.getFileName().toString());
                }
            }
            return commit(hub, plan, branch, parent, remote, desired, uploaded, bytes);
        } catch (IOException e) {
            throw AprException.badInput("WRITE_FAILED", "temporary model card: " + e.getMessage());
        } finally {
            if (cardFile != null) try { Files.deleteIfExists(cardFile); } catch (IOException ignored) { /* temp file */ }
        }
    }

    /** A file and its content id as the hub would store it. */
    record Desired(PlannedFile file, boolean lfs, String id) {
        boolean sameAs(HubClient.TreeEntry r) {
            if (r == null || !r.isFile()) return false;
            return lfs ? id.equals(r.lfsOid()) : r.lfsOid() == null && id.equals(r.oid());
        }

        CommitOp op() {
            return lfs ? new CommitOp.AddLfs(file.path(), id, file.size()) : new CommitOp.AddRegular(file.path(), file.source());
        }
    }

    /**
     * The one commit. Never blindly retried: after an error the branch head is read again; if our
     * files are there the commit landed; if the head did not move it did not land and is sent
     * again; if someone else committed (412 or a moved head) the operations are recomputed on top
     * of the new head. At most three tries.
     */
    private static Result commit(HubClient hub, Plan plan, String branch, String parent, Map<String, HubClient.TreeEntry> remote,
                                 List<Desired> desired, int uploaded, long bytes) {
        Progress log = hub.progress();
        String summary = plan.options().message() != null ? plan.options().message() : "Publish " + plan.repo().name() + " with apr";
        for (int attempt = 1; ; attempt++) {
            List<CommitOp> ops = new ArrayList<>();
            List<String> paths = new ArrayList<>();
            for (Desired d : desired) if (!d.sameAs(remote.get(d.file().path()))) { ops.add(d.op()); paths.add(d.file().path()); }
            int unchanged = desired.size() - ops.size();
            if (ops.isEmpty()) {
                log.note("nothing changed: " + plan.repo() + "@" + branch + " already holds these " + desired.size() + " files");
                return new Result(plan, null, null, uploaded, bytes, unchanged, List.of());
            }
            byte[] body = CommitPayload.ndjson(summary, "Published with `apr publish`.", parent, ops);
            AprException failure;
            try {
                HubClient.CommitResult r = hub.commit(plan.repo(), branch, body);
                return new Result(plan, r.commitOid(), r.commitUrl(), uploaded, bytes, unchanged, paths);
            } catch (HubException e) {
                if (e.status() != 412 && e.status() / 100 == 4 && e.status() != 408 && e.status() != 429) throw e;   // refused: it did not land
                failure = e;
            } catch (AprException e) {
                if (!e.code().equals("HUB_AMBIGUOUS") && !e.code().equals("HUB_BAD_RESPONSE")) throw e;
                failure = e;
            }
            // did it land? read the head again before doing anything else
            String head;
            Map<String, HubClient.TreeEntry> now;
            try {
                head = hub.headCommit(plan.repo(), branch);
                now = head.equals(parent) ? remote : remoteFiles(hub, plan.repo(), head);
            } catch (AprException unknown) {
                throw new AprException("PUBLISH_COMMIT_UNKNOWN", AprException.REMOTE, "commit to " + plan.repo() + "@" + branch
                        + " failed (" + failure.getMessage() + ") and the branch head could not be read back (" + unknown.getMessage()
                        + "); the commit either landed whole or not at all. Run apr publish again: it uploads nothing twice"
                        + " and commits only what is missing.", unknown);
            }
            if (!head.equals(parent) && desired.stream().allMatch(d -> d.sameAs(now.get(d.file().path())))) {
                log.note("the commit landed although its answer was lost (" + failure.getMessage() + "); head is " + head);
                return new Result(plan, head, null, uploaded, bytes, unchanged, paths);
            }
            if (attempt >= 3)
                throw new AprException("PUBLISH_COMMIT_FAILED", AprException.REMOTE, "commit to " + plan.repo() + "@" + branch + " failed "
                        + attempt + " times; the repository is unchanged by this publish (head " + head + "). Last error: " + failure.getMessage());
            log.note(head.equals(parent)
                    ? "commit did not land (" + failure.getMessage() + "); sending it again"
                    : "the branch moved to " + head + " while publishing (" + failure.getMessage() + "); recomputing the commit on top of it");
            parent = head;
            remote = now;
        }
    }

    private static Map<String, HubClient.TreeEntry> remoteFiles(HubClient hub, RepoId repo, String commit) {
        Map<String, HubClient.TreeEntry> m = new HashMap<>();
        for (HubClient.TreeEntry e : hub.listTree(repo, commit, true)) if (e.isFile()) m.put(e.path(), e);
        return m;
    }

    // ---- helpers ---------------------------------------------------------------------------

    /** The dry-run guess at regular vs LFS (the hub decides at preupload): default .gitattributes rules, > 10 MiB, or binary > 1 MB. */
    static boolean lfsLikely(String name, Path f, long size) {
        int dot = name.lastIndexOf('.');
        if (dot >= 0 && DEFAULT_LFS_EXT.contains(name.substring(dot))) return true;
        if (size > 10L << 20) return true;
        if (size > 1_000_000) {
            byte[] head = java.util.Base64.getDecoder().decode(FileDigest.sample(f));
            for (byte b : head) if (b == 0) return true;
        }
        return false;
    }

    private static boolean sameBytes(Path a, Path b) {
        try {
            return Files.mismatch(a, b) == -1;
        } catch (IOException e) {
            throw AprException.badInput("READ_FAILED", a + ": cannot read: " + e.getMessage());
        }
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            throw AprException.badInput("READ_FAILED", f + ": cannot read: " + e.getMessage());
        }
    }

    private static String readString(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw AprException.badInput("READ_FAILED", f + ": cannot read: " + e.getMessage());
        }
    }

    /** The plan as text: what --dry-run prints. */
    public static String describe(Plan p) {
        StringBuilder b = new StringBuilder();
        b.append("publish ").append(p.dir()).append(" -> ").append(p.repo()).append('@').append(p.options().revision() == null ? "main" : p.options().revision()).append('\n');
        for (PlannedFile f : p.files()) {
            b.append(String.format("  %-34s %12s  %-7s", f.path(), Progress.human(f.size()), f.lfsLikely() ? "LFS" : "regular"));
            if (f.aliasOf() != null) b.append("  alias of ").append(f.aliasOf()).append(" (same LFS object, uploaded once)");
            if (f.generated()) b.append("  generated card");
            b.append('\n');
        }
        if (!p.ignored().isEmpty()) b.append("  not published (outside the allow-list): ").append(String.join(", ", p.ignored())).append('\n');
        if (!p.missing().isEmpty()) b.append("  missing from the 12-file contract: ").append(String.join(", ", p.missing())).append('\n');
        b.append("  (regular vs LFS is decided by the hub at upload; shown is the expected choice)\n");
        b.append(p.cardGenerated() ? "README.md (generated):\n" : "README.md (yours, published verbatim):\n");
        b.append(p.card().lines().limit(40).map(l -> "  | " + l).reduce("", (x, y) -> x + y + "\n"));
        return b.toString();
    }
}
