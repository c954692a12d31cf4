package dev.apr.hub.publish;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apr.hub.client.CardMetadata;
import dev.apr.hub.client.HubClient;
import dev.apr.hub.client.RepoId;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code apr audit org/name} (specs/publish.md): what the Hub page of a repository shows, read
 * from {@code GET /api/models/org/name?blobs=true}, one pass/fail line per rule.
 */
public final class Auditor {
    private Auditor() {}

    public record Check(String rule, boolean pass, String detail) {
        @Override public String toString() { return (pass ? "PASS " : "FAIL ") + rule + (detail.isEmpty() ? "" : ": " + detail); }
    }

    /** {@code libraryName} is what was declared (apr by default); {@code baseModel} is checked only when given. */
    public static List<Check> audit(HubClient hub, RepoId repo, String revision, String libraryName, String baseModel) {
        JsonNode info = hub.modelInfo(repo, revision, true);
        JsonNode card = info.path("cardData");
        List<Check> out = new ArrayList<>();
        String task = text(info, "pipeline_tag", card);
        out.add(new Check("pipeline_tag is text-generation", "text-generation".equals(task), "got " + show(task)));
        String lib = text(info, "library_name", card);
        String wantLib = libraryName == null ? "apr" : libraryName;
        out.add(new Check("library_name is " + wantLib, wantLib.equals(lib), "got " + show(lib)));
        String license = card.path("license").isTextual() ? card.path("license").asText() : null;
        out.add(new Check("cardData.license is a Hub licence id", license != null && CardMetadata.HUB_LICENSES.contains(license), "got " + show(license)));
        JsonNode bm = card.path("base_model");
        String bmText = bm.isTextual() ? bm.asText() : bm.isArray() && !bm.isEmpty() ? bm.get(0).asText() : null;
        if (baseModel != null) out.add(new Check("cardData.base_model is " + baseModel, baseModel.equals(bmText), "got " + show(bmText)));
        else out.add(new Check("cardData.base_model (when fine-tuned)", true, bmText == null ? "none declared (trained from scratch)" : bmText));
        JsonNode ds = card.path("datasets");
        boolean hasDs = ds.isTextual() || (ds.isArray() && !ds.isEmpty());
        out.add(new Check("cardData.datasets declared", hasDs, hasDs ? ds.toString() : "missing"));
        JsonNode mi = card.has("model-index") ? card.get("model-index") : info.get("model-index");
        boolean miOk = mi == null || mi.isNull() || (mi.isArray() && !mi.isEmpty() && allHaveResults(mi));
        out.add(new Check("model-index omitted or with results", miOk, mi == null || mi.isNull() ? "omitted" : mi.isArray() ? mi.size() + " entr" + (mi.size() == 1 ? "y" : "ies") : "not an array"));

        Map<String, JsonNode> siblings = new HashMap<>();
        for (JsonNode s : info.path("siblings")) siblings.put(s.path("rfilename").asText(), s);
        String name = repo.name();
        for (String f : List.of("README.md", "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                "vocab.json", "merges.txt", name + ".safetensors", "model.safetensors", name + ".apr", name + "-q4k.gguf"))
            out.add(new Check("file " + f, siblings.containsKey(f), siblings.containsKey(f) ? size(siblings.get(f)) : "missing"));
        boolean lic = siblings.containsKey("LICENSE") || siblings.containsKey("LICENSE.md") || siblings.containsKey("LICENSE.txt");
        out.add(new Check("file LICENSE", lic, lic ? "present" : "missing (LICENSE, LICENSE.md or LICENSE.txt)"));
        String a = lfsOid(siblings.get("model.safetensors")), b = lfsOid(siblings.get(name + ".safetensors"));
        out.add(new Check("model.safetensors and " + name + ".safetensors share one LFS object", a != null && a.equals(b),
                "model.safetensors " + show(a) + ", " + name + ".safetensors " + show(b)));
        return out;
    }

    private static boolean allHaveResults(JsonNode mi) {
        for (JsonNode e : mi) if (!e.path("results").isArray() || e.path("results").isEmpty()) return false;
        return true;
    }

    private static String text(JsonNode info, String key, JsonNode card) {
        if (info.path(key).isTextual()) return info.path(key).asText();
        return card.path(key).isTextual() ? card.path(key).asText() : null;
    }

    private static String lfsOid(JsonNode sibling) {
        if (sibling == null) return null;
        JsonNode lfs = sibling.path("lfs");
        String oid = lfs.path("sha256").asText(null);
        return oid != null ? oid : lfs.path("oid").asText(null);
    }

    private static String size(JsonNode s) {
        return s.has("size") ? s.path("size").asLong() + " bytes" + (s.path("lfs").isObject() ? ", LFS" : "") : "present";
    }

    private static String show(String s) { return s == null ? "nothing" : "'" + s + "'"; }
}
