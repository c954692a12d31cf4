package dev.apr.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apr.hub.client.HubClient;
import dev.apr.hub.client.RepoId;
import dev.apr.hub.publish.Publisher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "publish", mixinStandardHelpOptions = true,
        description = "Publish a staging directory to a hub repository in one atomic commit (specs/publish.md).")
public final class PublishCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "DIR", description = "Staging directory (.apr/.safetensors/.gguf + companion files)")
    Path dir;

    @Parameters(index = "1", paramLabel = "ORG/NAME", description = "Target repository")
    String repo;

    @Mixin HubOptions hub;

    @Option(names = "--license", paramLabel = "SPDX", description = "Licence for a generated card (Hub id, e.g. apache-2.0)") String license;
    @Option(names = "--library-name", paramLabel = "NAME", defaultValue = "apr", description = "library_name of a generated card [apr]") String libraryName;
    @Option(names = "--pipeline-tag", paramLabel = "TAG", defaultValue = "text-generation", description = "pipeline_tag [text-generation]") String pipelineTag;
    @Option(names = "--tags", paramLabel = "a,b", split = ",", description = "Extra tags (deduplicated with apr's)") List<String> tags = new ArrayList<>();
    @Option(names = "--base-model", paramLabel = "ORG/NAME", description = "Base model when fine-tuned") String baseModel;
    @Option(names = "--datasets", paramLabel = "a,b", split = ",", description = "Training datasets (Hub ids)") List<String> datasets = new ArrayList<>();
    @Option(names = "--message", paramLabel = "TEXT", description = "Commit summary") String message;
    @Option(names = "--revision", paramLabel = "BRANCH", defaultValue = "main", description = "Branch to commit to [main]") String revision;
    @Option(names = "--private", description = "Create the repository private") boolean isPrivate;
    @Option(names = "--dry-run", description = "Validate and print the plan; no network I/O") boolean dryRun;
    @Option(names = "--json", description = "Machine-readable result on stdout") boolean json;

    @Override public Integer call() throws Exception {
        RepoId id = RepoId.parse(repo);
        Publisher.Options o = new Publisher.Options(license, libraryName, pipelineTag, tags, baseModel, datasets, message, revision, isPrivate);
        Publisher.Plan plan = Publisher.plan(dir, id, o);   // every local check, before any request
        if (dryRun) {
            if (json) System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(planJson(plan)));
            else System.out.print(Publisher.describe(plan));
            return 0;
        }
        HubClient client = hub.client();
        Publisher.Result r = Publisher.publish(plan, client);
        if (json) {
            Map<String, Object> m = planJson(plan);
            m.put("endpoint", client.endpoint());
            m.put("commit", r.commitOid());
            m.put("commitUrl", r.commitUrl());
            m.put("committed", r.committed());
            m.put("unchanged", r.unchanged());
            m.put("lfsUploaded", r.lfsUploaded());
            m.put("bytesUploaded", r.bytesUploaded());
            System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(m));
        } else if (r.commitOid() == null) {
            System.out.println("up to date: " + id + "@" + revision + " (" + r.unchanged() + " files unchanged, nothing uploaded)");
        } else {
            System.out.println("published " + id + "@" + revision + ": commit " + r.commitOid());
            System.out.println("  " + r.committed().size() + " files committed, " + r.unchanged() + " unchanged, "
                    + r.lfsUploaded() + " LFS objects uploaded (" + r.bytesUploaded() + " bytes)");
            System.out.println("  " + client.endpoint() + "/" + id);
        }
        return 0;
    }

    private static Map<String, Object> planJson(Publisher.Plan p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("repo", p.repo().toString());
        m.put("revision", p.options().revision());
        List<Map<String, Object>> files = new ArrayList<>();
        for (Publisher.PlannedFile f : p.files()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("path", f.path());
            e.put("size", f.size());
            e.put("lfs", f.lfsLikely());
            if (f.aliasOf() != null) e.put("aliasOf", f.aliasOf());
            if (f.generated()) e.put("generated", true);
            files.add(e);
        }
        m.put("files", files);
        m.put("ignored", p.ignored());
        m.put("missing", p.missing());
        m.put("cardGenerated", p.cardGenerated());
        m.put("card", p.card());
        return m;
    }
}
