package dev.apr.hub.server;

import java.util.regex.Pattern;

/**
 * Validation of every name that reaches the disk or a git tree: repository namespaces and names,
 * and file paths inside a repository. Nothing here normalises silently: a bad name is a 400.
 */
final class RepoPaths {
    private RepoPaths() {}

    /** The Hub's repo-name rule: letters, digits, '-', '_', '.'; no "--" or ".."; not starting or ending with '-' or '.'. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?");

    static String checkName(String what, String name) {
        if (name == null || name.isEmpty()) throw HttpError.badRequest(what + " is missing");
        if (!NAME.matcher(name).matches() || name.contains("--") || name.contains("..") || name.endsWith(".git"))
            throw HttpError.badRequest("Invalid " + what + " '" + printable(name)
                    + "': expected 1-96 characters from [A-Za-z0-9._-], not starting or ending with '-' or '.', without '--' or '..'");
        return name;
    }

    /** The plural URL form of a repo type ("models", "datasets", "spaces") to the singular. */
    static String typeFromPlural(String plural) {
        return switch (plural) {
            case "models" -> "model";
            case "datasets" -> "dataset";
            case "spaces" -> "space";
            default -> null;
        };
    }

    /**
     * A path inside a repository as sent in a commit or a URL. Refused (400): empty, absolute,
     * a Windows drive, backslashes, NUL or other control characters, empty, "." or ".." segments,
     * a ".git" segment, more than 4096 bytes.
     */
    static String checkFilePath(String path) {
        if (path == null || path.isEmpty()) throw HttpError.badRequest("Invalid path: empty");
        if (path.length() > 4096) throw HttpError.badRequest("Invalid path: longer than 4096 characters");
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == 0) throw HttpError.badRequest("Invalid path '" + printable(path) + "': contains NUL");
            if (c < 0x20 || c == 0x7f) throw HttpError.badRequest("Invalid path '" + printable(path) + "': contains a control character");
            if (c == '\\') throw HttpError.badRequest("Invalid path '" + printable(path) + "': contains a backslash");
        }
        if (path.startsWith("/")) throw HttpError.badRequest("Invalid path '" + printable(path) + "': absolute paths are not allowed");
        if (path.length() >= 2 && path.charAt(1) == ':' && Character.isLetter(path.charAt(0)))
            throw HttpError.badRequest("Invalid path '" + printable(path) + "': drive letters are not allowed");
        for (String seg : path.split("/", -1)) {
            if (seg.isEmpty()) throw HttpError.badRequest("Invalid path '" + printable(path) + "': empty path segment");
            if (seg.equals(".") || seg.equals(".."))
                throw HttpError.badRequest("Invalid path '" + printable(path) + "': '.' and '..' segments are not allowed");
            if (seg.equals(".git")) throw HttpError.badRequest("Invalid path '" + printable(path) + "': '.git' is reserved");
        }
        return path;
    }

    /** For messages: control characters shown as \\uXXXX, long values cut. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 200; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        if (b.length() >= 200) b.append("...");
        return b.toString();
    }
}
