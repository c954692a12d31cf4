package dev.apr.format;

/**
 * The one error type of apr: a stable code, a message naming the file, the field, the expected
 * and the actual value, and the CLI exit code it maps to (DESIGN.md "Errors").
 *
 * <p>Exit codes: 1 usage, 2 bad input, 3 remote/hub failure, 4 verification failed.
 */
public class AprException extends RuntimeException {
    public static final int USAGE = 1, BAD_INPUT = 2, REMOTE = 3, VERIFY = 4;

    private final String code;
    private final int exitCode;

    public AprException(String code, int exitCode, String message) {
        super(message);
        this.code = code;
        this.exitCode = exitCode;
    }

    public AprException(String code, int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.exitCode = exitCode;
    }

    /** Bad input (exit 2): "file: field: expected X, got Y". */
    public static AprException badInput(String code, String message) {
        return new AprException(code, BAD_INPUT, message);
    }

    public String code() { return code; }

    public int exitCode() { return exitCode; }
}
