package dev.apr.hub.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.apr.hub.client.CardMetadata;

import java.util.ArrayList;
import java.util.List;

/**
 * README.md metadata as the Hub reads it (spec §11): the YAML front matter becomes
 * {@code cardData}; {@code model-index}, {@code license}, {@code datasets} and the typed fields
 * are checked, with Joi-style messages such as {@code "model-index[0].results" is required}.
 */
final class ModelCard {
    private static final YAMLMapper YAML = new YAMLMapper(new YAMLFactory());

    static final String EMPTY_WARNING =
            "empty or missing yaml metadata in repo card (https://huggingface.co/docs/hub/model-cards#model-card-metadata)";

    /** The parsed metadata (null when there is none) and what validation found. */
    record Result(ObjectNode metadata, List<String> errors, List<String> warnings) {
        boolean ok() { return errors.isEmpty(); }

        /** The commit endpoint's error text: the same as huggingface_hub builds from validate-yaml. */
        String errorMessage() {
            StringBuilder b = new StringBuilder("Invalid metadata in README.md.");
            for (String e : errors) b.append("\n- ").append(e);
            return b.toString();
        }
    }

    static Result parse(String readme) {
        List<String> errors = new ArrayList<>(), warnings = new ArrayList<>();
        String yaml = CardMetadata.yaml(readme);
        if (yaml == null) {
            warnings.add(EMPTY_WARNING);
            return new Result(null, errors, warnings);
        }
        JsonNode node;
        try {
            node = YAML.readTree(yaml);
        } catch (Exception e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            errors.add("Invalid YAML in the metadata block: " + why);
            return new Result(null, errors, warnings);
        }
        if (node == null || node.isNull() || node.isMissingNode() || (node.isObject() && node.isEmpty())) {
            warnings.add(EMPTY_WARNING);
            return new Result(null, errors, warnings);
        }
        if (!node.isObject()) {
            errors.add("\"value\" must be of type object");
            return new Result(null, errors, warnings);
        }
        ObjectNode meta = (ObjectNode) node;
        validate(meta, errors);
        return new Result(meta, errors, warnings);
    }

    private static void validate(ObjectNode meta, List<String> errors) {
        JsonNode license = meta.get("license");
        if (license != null) {
            if (!license.isTextual()) errors.add("\"license\" must be a string");
            else if (!CardMetadata.HUB_LICENSES.contains(license.asText()))
                errors.add("\"license\" must be one of the Hub licence identifiers (e.g. apache-2.0, mit, other), got \"" + license.asText() + "\"");
        }
        stringOrStringArray(meta, "datasets", errors);
        stringOrStringArray(meta, "language", errors);
        stringOrStringArray(meta, "tags", errors);
        stringOrStringArray(meta, "base_model", errors);
        stringOrStringArray(meta, "metrics", errors);
        for (String key : List.of("library_name", "pipeline_tag", "license_name", "license_link", "model_name")) {
            JsonNode v = meta.get(key);
            if (v != null && !v.isNull() && !v.isTextual()) errors.add("\"" + key + "\" must be a string");
        }
        JsonNode widget = meta.get("widget");
        if (widget != null && !widget.isNull() && !widget.isArray()) errors.add("\"widget\" must be an array");
        JsonNode index = meta.get("model-index");
        if (index != null) validateModelIndex(index, errors);
    }

    private static void stringOrStringArray(ObjectNode meta, String key, List<String> errors) {
        JsonNode v = meta.get(key);
        if (v == null || v.isNull() || v.isTextual()) return;
        if (!v.isArray()) {
            errors.add("\"" + key + "\" must be one of [string, array]");
            return;
        }
        for (int i = 0; i < v.size(); i++)
            if (!v.get(i).isTextual()) errors.add("\"" + key + "[" + i + "]\" must be a string");
    }

    private static void validateModelIndex(JsonNode index, List<String> errors) {
        if (!index.isArray()) {
            errors.add("\"model-index\" must be an array");
            return;
        }
        for (int i = 0; i < index.size(); i++) {
            String at = "model-index[" + i + "]";
            JsonNode model = index.get(i);
            if (!model.isObject()) { errors.add("\"" + at + "\" must be of type object"); continue; }
            optionalString(model, at, "name", errors);
            JsonNode results = model.get("results");
            if (results == null || results.isNull()) { errors.add("\"" + at + ".results\" is required"); continue; }
            if (!results.isArray()) { errors.add("\"" + at + ".results\" must be an array"); continue; }
            for (int r = 0; r < results.size(); r++) validateResult(results.get(r), at + ".results[" + r + "]", errors);
        }
    }

    private static void validateResult(JsonNode result, String at, List<String> errors) {
        if (!result.isObject()) { errors.add("\"" + at + "\" must be of type object"); return; }
        JsonNode task = result.get("task");
        if (task == null || task.isNull()) errors.add("\"" + at + ".task\" is required");
        else if (!task.isObject()) errors.add("\"" + at + ".task\" must be of type object");
        else {
            requiredString(task, at + ".task", "type", errors);
            optionalString(task, at + ".task", "name", errors);
        }
        JsonNode dataset = result.get("dataset");
        if (dataset == null || dataset.isNull()) errors.add("\"" + at + ".dataset\" is required");
        else if (!dataset.isObject()) errors.add("\"" + at + ".dataset\" must be of type object");
        else {
            requiredString(dataset, at + ".dataset", "type", errors);
            requiredString(dataset, at + ".dataset", "name", errors);
            for (String k : List.of("config", "split", "revision")) optionalString(dataset, at + ".dataset", k, errors);
        }
        JsonNode metrics = result.get("metrics");
        if (metrics == null || metrics.isNull()) errors.add("\"" + at + ".metrics\" is required");
        else if (!metrics.isArray()) errors.add("\"" + at + ".metrics\" must be an array");
        else for (int k = 0; k < metrics.size(); k++) {
            String mat = at + ".metrics[" + k + "]";
            JsonNode metric = metrics.get(k);
            if (!metric.isObject()) { errors.add("\"" + mat + "\" must be of type object"); continue; }
            requiredString(metric, mat, "type", errors);
            if (!metric.has("value") || metric.get("value").isNull()) errors.add("\"" + mat + ".value\" is required");
            optionalString(metric, mat, "name", errors);
            optionalString(metric, mat, "config", errors);
            JsonNode verified = metric.get("verified");
            if (verified != null && !verified.isBoolean()) errors.add("\"" + mat + ".verified\" must be a boolean");
        }
        JsonNode source = result.get("source");
        if (source != null && !source.isNull() && !source.isObject()) errors.add("\"" + at + ".source\" must be of type object");
    }

    private static void requiredString(JsonNode obj, String at, String key, List<String> errors) {
        JsonNode v = obj.get(key);
        if (v == null || v.isNull()) errors.add("\"" + at + "." + key + "\" is required");
        else if (!v.isTextual()) errors.add("\"" + at + "." + key + "\" must be a string");
    }

    private static void optionalString(JsonNode obj, String at, String key, List<String> errors) {
        JsonNode v = obj.get(key);
        if (v != null && !v.isNull() && !v.isTextual()) errors.add("\"" + at + "." + key + "\" must be a string");
    }

    /** Helper for model info: a string field of the metadata, or null. */
    static String text(ObjectNode meta, String key) {
        if (meta == null) return null;
        JsonNode v = meta.get(key);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    /** Helper for model info: a string-or-list field as a list. */
    static List<String> list(ObjectNode meta, String key) {
        List<String> out = new ArrayList<>();
        if (meta == null) return out;
        JsonNode v = meta.get(key);
        if (v == null) return out;
        if (v.isTextual()) out.add(v.asText());
        else if (v.isArray()) for (JsonNode e : v) if (e.isTextual()) out.add(e.asText());
        return out;
    }

}
