package dev.apr.train.data;

import dev.apr.format.AprException;

import java.util.regex.Pattern;

/**
 * A path glob over '/'-separated names (zip entries, paths relative to a corpus directory):
 * {@code **} any characters including '/', {@code *} any except '/', {@code ?} one character
 * except '/', {@code [abc]} a class, {@code {a,b}} alternatives. {@code dir/**} also matches
 * everything under {@code dir}. Platform independent, unlike {@code FileSystem.getPathMatcher}.
 */
public final class Glob {
    private final String glob;
    private final Pattern regex;

    public Glob(String glob) {
        this.glob = glob;
        this.regex = Pattern.compile(toRegex(glob));
    }

    public boolean matches(String name) { return regex.matcher(name).matches(); }

    @Override public String toString() { return glob; }

    static String toRegex(String g) {
        StringBuilder sb = new StringBuilder();
        int braces = 0;
        for (int i = 0; i < g.length(); i++) {
            char c = g.charAt(i);
            switch (c) {
                case '*' -> {
                    if (i + 1 < g.length() && g.charAt(i + 1) == '*') {
                        i++;
                        // "**/" also matches nothing, so "a/**/b" matches "a/b".
                        if (i + 1 < g.length() && g.charAt(i + 1) == '/') { i++; sb.append("(?:.*/)?"); }
                        else sb.append(".*");
                    } else sb.append("[^/]*");
                }
                case '?' -> sb.append("[^/]");
                case '[' -> {
                    int end = g.indexOf(']', i + 1);
                    if (end < 0) throw bad(g, "an unclosed '['");
                    String body = g.substring(i + 1, end);
                    if (body.startsWith("!")) body = "^" + body.substring(1);
                    sb.append('[').append(body.replace("\\", "\\\\")).append(']');
                    i = end;
                }
                case '{' -> { braces++; sb.append("(?:"); }
                case '}' -> {
                    if (braces == 0) throw bad(g, "an unmatched '}'");
                    braces--;
                    sb.append(')');
                }
                case ',' -> sb.append(braces > 0 ? "|" : ",");
                case '\\' -> {
                    if (i + 1 < g.length()) sb.append(Pattern.quote(String.valueOf(g.charAt(++i))));
                }
                default -> sb.append(Pattern.quote(String.valueOf(c)));
            }
        }
        if (braces != 0) throw bad(g, "an unclosed '{'");
        return sb.toString();
    }

    private static AprException bad(String g, String what) {
        return new AprException("BAD_GLOB", AprException.USAGE, "--include: expected a glob, got '" + g + "' with " + what);
    }
}
