package dev.apr.format;

import java.nio.file.Path;

/**
 * Builds the one-line bad-input errors every reader throws (exit code 2):
 * {@code FILE: FIELD: expected EXPECTED, got ACTUAL}.
 */
public final class BadInput {
    private BadInput() {}

    public static AprException of(String code, Object file, String field, Object expected, Object actual) {
        return AprException.badInput(code, name(file) + ": " + field + ": expected " + expected + ", got " + actual);
    }

    /** For errors that are not an expected/actual pair (still one line, still naming the file). */
    public static AprException message(String code, Object file, String message) {
        return AprException.badInput(code, name(file) + ": " + message);
    }

    private static String name(Object file) {
        return file instanceof Path p ? p.toString() : String.valueOf(file);
    }
}
