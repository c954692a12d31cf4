package dev.apr.hub.server;

/**
 * An HTTP error answered the way the Hub does (protocol spec §9): the status, an
 * {@code X-Error-Code} (RepoNotFound, RevisionNotFound, EntryNotFound, ... or null) and a message
 * that goes into {@code X-Error-Message} and the JSON body {@code {"error": message}}.
 */
class HttpError extends RuntimeException {
    final int status;
    final String errorCode;

    HttpError(int status, String errorCode, String message) {
        super(message);
        this.status = status;
        this.errorCode = errorCode;
    }

    static HttpError badRequest(String message) { return new HttpError(400, "BadRequest", message); }

    static HttpError tooLarge(String message) { return new HttpError(413, "PayloadTooLarge", message); }

    static HttpError repoNotFound() { return new HttpError(404, "RepoNotFound", "Repository not found"); }

    static HttpError revisionNotFound(String rev) { return new HttpError(404, "RevisionNotFound", "Invalid rev id: " + rev); }

    static HttpError entryNotFound(String path) { return new HttpError(404, "EntryNotFound", "Entry not found: " + path); }

    static HttpError unauthorized(String message) { return new HttpError(401, null, message); }
}
