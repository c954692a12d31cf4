package dev.apr.hub.client;

import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A repository card's metadata as the Hub reads it (specs/hf-hub-protocol.md §11): the YAML block
 * at the top of README.md, found exactly as huggingface_hub's {@code REGEX_YAML_BLOCK} finds it,
 * and the licence ids the Hub accepts. The publisher's checks, the auditor and the embedded hub all
 * read cards through this one class, so a card apr accepts before a commit is the card the hub parses
 * (a {@code "--- "} line with a trailing space, say, opens no block for either).
 */
public final class CardMetadata {
    private CardMetadata() {}

    /** huggingface_hub repocard.py: {@code ^(\s*---[\r\n]+)([\S\s]*?)([\r\n]+---(\r\n|\n|$))}. */
    private static final Pattern BLOCK = Pattern.compile("^(\\s*---[\\r\\n]+)([\\S\\s]*?)([\\r\\n]+---(\\r\\n|\\n|$))");

    /** The YAML text between the opening and closing {@code ---} lines, or null when the card has no block. */
    public static String yaml(String readme) {
        Matcher m = BLOCK.matcher(readme);
        return m.find() ? m.group(2) : null;
    }

    /** The Hub's licence ids (hub-docs repositories-licenses.md), lower case. */
    public static final Set<String> HUB_LICENSES = Set.of(
            "apache-2.0", "mit", "openrail", "bigscience-openrail-m", "creativeml-openrail-m", "bigscience-bloom-rail-1.0",
            "bigcode-openrail-m", "afl-3.0", "artistic-2.0", "bsl-1.0", "bsd", "bsd-2-clause", "bsd-3-clause",
            "bsd-3-clause-clear", "c-uda", "cc", "cc0-1.0", "cc-by-2.0", "cc-by-2.5", "cc-by-3.0", "cc-by-4.0",
            "cc-by-sa-3.0", "cc-by-sa-4.0", "cc-by-nc-2.0", "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nd-4.0",
            "cc-by-nc-nd-3.0", "cc-by-nc-nd-4.0", "cc-by-nc-sa-2.0", "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0",
            "cdla-sharing-1.0", "cdla-permissive-1.0", "cdla-permissive-2.0", "wtfpl", "ecl-2.0", "epl-1.0", "epl-2.0",
            "etalab-2.0", "eupl-1.1", "eupl-1.2", "agpl-3.0", "gfdl", "gpl", "gpl-2.0", "gpl-3.0", "lgpl", "lgpl-2.1",
            "lgpl-3.0", "isc", "h-research", "intel-research", "lppl-1.3c", "ms-pl", "apple-ascl", "apple-amlr", "mpl-2.0",
            "odc-by", "odbl", "openmdw-1.0", "openrail++", "osl-3.0", "postgresql", "ofl-1.1", "ncsa", "unlicense", "zlib",
            "pddl", "lgpl-lr", "deepfloyd-if-license", "fair-noncommercial-research-license", "llama2", "llama3",
            "llama3.1", "llama3.2", "llama3.3", "llama4", "gemma", "unknown", "other");
}
