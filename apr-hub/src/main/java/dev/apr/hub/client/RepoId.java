package dev.apr.hub.client;

import dev.apr.format.AprException;

import java.util.regex.Pattern;

/** A model repository id {@code namespace/name}, checked the way the Hub checks it (§1.1). */
public record RepoId(String namespace, String name) {

    private static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}");

    public static RepoId parse(String id) {
        if (id == null) throw bad(id, "namespace/name");
        int slash = id.indexOf('/');
        if (slash < 0 || slash != id.lastIndexOf('/')) throw bad(id, "exactly one '/' (namespace/name)");
        String ns = id.substring(0, slash), name = id.substring(slash + 1);
        if (!PART.matcher(ns).matches() || !PART.matcher(name).matches())
            throw bad(id, "letters, digits, '.', '_', '-' in each part, starting with a letter or digit");
        if (id.contains("--") || id.contains("..")) throw bad(id, "no '--' or '..' (the cache uses '--' as a separator)");
        if (name.endsWith(".git") || name.endsWith(".") || name.endsWith("-"))
            throw bad(id, "a name not ending in '.git', '.' or '-'");
        return new RepoId(ns, name);
    }

    private static AprException bad(String id, String expected) {
        return new AprException("BAD_REPO_ID", AprException.USAGE, "repo id: expected " + expected + ", got '" + id + "'");
    }

    /** Does this look like a repo id (and not a local path)? */
    public static boolean looksLikeRepoId(String s) {
        try {
            parse(s);
            return true;
        } catch (AprException e) {
            return false;
        }
    }

    /** The folder name of this repo in the huggingface_hub cache: {@code models--ns--name}. */
    public String cacheFolder() { return "models--" + namespace + "--" + name; }

    @Override public String toString() { return namespace + "/" + name; }
}
