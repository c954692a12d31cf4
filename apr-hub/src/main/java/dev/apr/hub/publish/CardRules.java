package dev.apr.hub.publish;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.apr.hub.client.CardMetadata;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The model-card front-matter rules of specs/publish.md and the Hub's metadata validation
 * (specs/hf-hub-protocol.md §11), checked locally so a bad card is refused before any request.
 * Problems are phrased like the Hub's Joi messages ({@code "model-index[0].results" is required}).
 */
public final class CardRules {
    private CardRules() {}

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** The front matter parsed to a map; throws IllegalArgumentException with the YAML error. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parse(String yaml) {
        try {
            Object o = YAML.readValue(yaml, Object.class);
            if (o == null) return new LinkedHashMap<>();
            if (!(o instanceof Map<?, ?> m)) throw new IllegalArgumentException("front matter: expected a YAML mapping, got " + kind(o));
            return (Map<String, Object>) m;
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("front matter is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** Every problem of a README's front matter; empty when it passes. {@code source} prefixes each message. */
    public static List<String> check(String readme, String source) {
        List<String> p = new ArrayList<>();
        String yaml = CardMetadata.yaml(readme);
        if (yaml == null) {
            p.add(source + ": no YAML front matter (a '---' line, the metadata, a closing '---' line); the Hub page would show no licence, library or task"
                    + (readme.startsWith("\uFEFF") ? " (the file starts with a UTF-8 byte-order mark: remove it)" : ""));
            return p;
        }
        Map<String, Object> m;
        try {
            m = parse(yaml);
        } catch (IllegalArgumentException e) {
            p.add(source + ": " + e.getMessage());
            return p;
        }
        checkMetadata(m, source, p);
        return p;
    }

    static void checkMetadata(Map<String, Object> m, String source, List<String> p) {
        Object license = m.get("license");
        if (license == null) p.add(source + ": \"license\" is required (a Hub licence id such as apache-2.0)");
        else if (!(license instanceof String l)) p.add(source + ": \"license\" must be a string, got " + kind(license));
        else if (!CardMetadata.HUB_LICENSES.contains(l))
            p.add(source + ": \"license\" must be one of the Hub licence ids (lower case, e.g. apache-2.0, mit, cc-by-4.0), got \"" + l + "\""
                    + (CardMetadata.HUB_LICENSES.contains(l.toLowerCase(Locale.ROOT)) ? " (write it in lower case)" : ""));
        else if (l.equals("other")) {
            if (!(m.get("license_name") instanceof String)) p.add(source + ": \"license_name\" is required when license is other");
            if (!(m.get("license_link") instanceof String)) p.add(source + ": \"license_link\" is required when license is other");
        }
        Object lib = m.get("library_name");
        if (lib == null) p.add(source + ": \"library_name\" is required (apr)");
        else if (!(lib instanceof String s)) p.add(source + ": \"library_name\" must be a string, got " + kind(lib));
        else if (s.equals("transformers")) p.add(source + ": \"library_name\" must name the framework that made the model (apr), not transformers");
        Object task = m.get("pipeline_tag");
        if (task == null) p.add(source + ": \"pipeline_tag\" is required (text-generation)");
        else if (!(task instanceof String)) p.add(source + ": \"pipeline_tag\" must be a string, got " + kind(task));
        for (String key : List.of("tags", "datasets", "metrics", "language", "base_model")) {
            Object v = m.get(key);
            if (v == null) continue;
            if (v instanceof String) continue;
            if (!(v instanceof List<?> l)) { p.add(source + ": \"" + key + "\" must be a string or an array of strings, got " + kind(v)); continue; }
            for (int i = 0; i < l.size(); i++)
                if (!(l.get(i) instanceof String)) p.add(source + ": \"" + key + "[" + i + "]\" must be a string, got " + kind(l.get(i)));
        }
        if (m.containsKey("widget") && !(m.get("widget") instanceof List)) p.add(source + ": \"widget\" must be an array");
        if (m.containsKey("model-index")) checkModelIndex(m.get("model-index"), source, p);
    }

    private static void checkModelIndex(Object mi, String source, List<String> p) {
        if (!(mi instanceof List<?> entries)) {
            p.add(source + ": \"model-index\" must be an array, got " + kind(mi));
            return;
        }
        if (entries.isEmpty()) {
            p.add(source + ": \"model-index\" is empty; omit the key entirely unless there is at least one result");
            return;
        }
        for (int i = 0; i < entries.size(); i++) {
            String at = "model-index[" + i + "]";
            if (!(entries.get(i) instanceof Map<?, ?> e)) { p.add(source + ": \"" + at + "\" must be an object"); continue; }
            if (!(e.get("name") instanceof String)) p.add(source + ": \"" + at + ".name\" is required");
            Object results = e.get("results");
            if (results == null) { p.add(source + ": \"" + at + ".results\" is required"); continue; }
            if (!(results instanceof List<?> rs)) { p.add(source + ": \"" + at + ".results\" must be an array"); continue; }
            if (rs.isEmpty()) p.add(source + ": \"" + at + ".results\" must contain at least 1 item");
            for (int j = 0; j < rs.size(); j++) {
                String rat = at + ".results[" + j + "]";
                if (!(rs.get(j) instanceof Map<?, ?> r)) { p.add(source + ": \"" + rat + "\" must be an object"); continue; }
                if (!(r.get("task") instanceof Map<?, ?> t)) p.add(source + ": \"" + rat + ".task\" is required");
                else if (!(t.get("type") instanceof String)) p.add(source + ": \"" + rat + ".task.type\" is required");
                if (!(r.get("dataset") instanceof Map<?, ?> d)) p.add(source + ": \"" + rat + ".dataset\" is required");
                else {
                    if (!(d.get("type") instanceof String)) p.add(source + ": \"" + rat + ".dataset.type\" is required");
                    if (!(d.get("name") instanceof String)) p.add(source + ": \"" + rat + ".dataset.name\" is required");
                    for (String k : List.of("config", "split", "revision"))
                        if (d.containsKey(k) && !(d.get(k) instanceof String)) p.add(source + ": \"" + rat + ".dataset." + k + "\" must be a string");
                }
                Object metrics = r.get("metrics");
                if (!(metrics instanceof List<?> ms)) { p.add(source + ": \"" + rat + ".metrics\" must be an array"); continue; }
                if (ms.isEmpty()) p.add(source + ": \"" + rat + ".metrics\" must contain at least 1 item");
                for (int k = 0; k < ms.size(); k++) {
                    String mat = rat + ".metrics[" + k + "]";
                    if (!(ms.get(k) instanceof Map<?, ?> mm)) { p.add(source + ": \"" + mat + "\" must be an object"); continue; }
                    if (!(mm.get("type") instanceof String)) p.add(source + ": \"" + mat + ".type\" is required");
                    if (mm.get("value") == null) p.add(source + ": \"" + mat + ".value\" is required");
                    if (mm.containsKey("config") && !(mm.get("config") instanceof String)) p.add(source + ": \"" + mat + ".config\" must be a string");
                }
            }
        }
    }

    /** SPDX id (any case) to the Hub's licence id, or null when the Hub has no such id. */
    public static String hubLicense(String spdx) {
        if (spdx == null) return null;
        String l = spdx.strip().toLowerCase(Locale.ROOT);
        return CardMetadata.HUB_LICENSES.contains(l) ? l : null;
    }

    private static String kind(Object o) {
        if (o == null) return "null";
        if (o instanceof Map) return "an object";
        if (o instanceof List) return "an array";
        if (o instanceof String s) return "\"" + s + "\"";
        return o.getClass().getSimpleName().toLowerCase(Locale.ROOT) + " " + o;
    }
}
