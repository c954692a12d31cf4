package dev.apr.hub.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apr.format.AprException;
import dev.apr.format.io.Progress;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * The transport under {@link HubClient}: JDK {@link HttpClient}, Bearer auth, retries with
 * exponential backoff for idempotent steps (429 / 5xx / connection errors, honouring
 * {@code Retry-After} and the {@code RateLimit ...;t=N} header, §9.2), and Hub errors turned into
 * {@link AprException} (exit 3) carrying the Hub's {@code X-Error-Message} (§9.1).
 *
 * <p>The token is only ever put into the {@code Authorization} header; every message that leaves
 * this class goes through {@link #redact(String)}, and URLs in messages lose their query string
 * (pre-signed upload URLs are credentials too).
 */
public final class HubHttp {

    /** How often and how long an idempotent step is retried. */
    public record Backoff(int maxAttempts, long baseMillis, long maxMillis) {
        public static final Backoff DEFAULT = new Backoff(6, 500, 20_000);
        public static final Backoff NONE = new Backoff(1, 0, 0);

        long delayMillis(int attempt, Long serverSaysSeconds) {
            if (serverSaysSeconds != null) return Math.min(Math.max(0, serverSaysSeconds) * 1000, Math.max(maxMillis, 60_000));
            long d = Math.min(maxMillis, baseMillis << Math.min(attempt, 20));
            return d / 2 + ThreadLocalRandom.current().nextLong(d / 2 + 1);   // jitter
        }
    }

    static final ObjectMapper JSON = new ObjectMapper();
    private static final String USER_AGENT = "apr/0.1.0; java/" + Runtime.version().feature();

    private final HttpClient http;
    private final String token;
    private final Backoff backoff;
    private volatile Progress progress = Progress.NONE;

    public HubHttp(String token, Backoff backoff) {
        this.token = token;
        this.backoff = backoff;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(20))
                .followRedirects(HttpClient.Redirect.NEVER)   // resolve redirects are handled by hand (§7.1)
                .build();
    }

    void progress(Progress p) { this.progress = p == null ? Progress.NONE : p; }

    Progress progress() { return progress; }

    boolean hasToken() { return token != null; }

    /** A request builder with the User-Agent and, when {@code auth}, the Bearer token. */
    HttpRequest.Builder request(URI uri, boolean auth) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("User-Agent", USER_AGENT).timeout(Duration.ofMinutes(30));
        if (auth && token != null) b.header("Authorization", "Bearer " + token);
        return b;
    }

    /**
     * Sends a request and returns the response whatever its status, after retrying 429/5xx and
     * connection errors when {@code idempotent}. The builder supplier is called once per attempt
     * so that streamed bodies start again from their first byte.
     */
    <T> HttpResponse<T> send(String step, Supplier<HttpRequest> request, HttpResponse.BodyHandler<T> handler, boolean idempotent) {
        int attempts = idempotent ? backoff.maxAttempts() : 1;
        for (int attempt = 0; ; attempt++) {
            HttpRequest req = request.get();
            try {
                HttpResponse<T> r = http.send(req, handler);
                int s = r.statusCode();
                boolean retriable = s == 429 || s == 500 || s == 502 || s == 503 || s == 504 || s == 408;
                if (!retriable || attempt + 1 >= attempts) return r;
                long wait = backoff.delayMillis(attempt, retryAfterSeconds(r));
                progress.note(step + ": HTTP " + s + ", retrying in " + wait + " ms (attempt " + (attempt + 2) + " of " + attempts + ")");
                discard(r);
                sleep(wait);
            } catch (IOException e) {
                if (attempt + 1 >= attempts)
                    throw new AprException(idempotent ? "HUB_UNREACHABLE" : "HUB_AMBIGUOUS", AprException.REMOTE,
                            redact(step + ": " + req.method() + " " + shortUrl(req.uri()) + " failed after " + (attempt + 1)
                                    + " attempt(s): " + describe(e)), e);
                long wait = backoff.delayMillis(attempt, null);
                progress.note(step + ": " + describe(e) + ", retrying in " + wait + " ms (attempt " + (attempt + 2) + " of " + attempts + ")");
                sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AprException("INTERRUPTED", AprException.REMOTE, step + ": interrupted");
            }
        }
    }

    /** Sends and returns the body as JSON; any non-2xx becomes an {@link AprException}. */
    JsonNode sendJson(String step, Supplier<HttpRequest> request, boolean idempotent) {
        HttpResponse<byte[]> r = send(step, request, HttpResponse.BodyHandlers.ofByteArray(), idempotent);
        if (r.statusCode() / 100 != 2) throw error(step, r);
        return parseJson(step, r);
    }

    static JsonNode parseJson(String step, HttpResponse<byte[]> r) {
        try {
            byte[] b = r.body();
            return b == null || b.length == 0 ? JSON.nullNode() : JSON.readTree(b);
        } catch (IOException e) {
            throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE,
                    step + ": " + shortUrl(r.uri()) + " answered HTTP " + r.statusCode() + " with a body that is not JSON: " + e.getMessage());
        }
    }

    /** The Hub's error for a non-2xx response: status, {@code X-Error-Code}, {@code X-Error-Message} or the JSON {@code error}. */
    HubException error(String step, HttpResponse<?> r) {
        String code = r.headers().firstValue("X-Error-Code").orElse(null);
        String msg = r.headers().firstValue("X-Error-Message").orElse(null);
        if (msg == null && r.body() instanceof byte[] b && b.length > 0) msg = bodyError(b);
        String req = r.headers().firstValue("X-Request-Id").map(id -> " (request id " + id + ")").orElse("");
        String text = step + ": " + r.request().method() + " " + shortUrl(r.uri()) + " -> HTTP " + r.statusCode()
                + (code != null ? " " + code : "") + (msg != null ? ": " + msg : "") + req;
        return new HubException(code != null ? "HUB_" + code : "HUB_HTTP_" + r.statusCode(), r.statusCode(), redact(text));
    }

    private static String bodyError(byte[] body) {
        try {
            JsonNode j = JSON.readTree(body);
            if (j.hasNonNull("error")) return j.get("error").isTextual() ? j.get("error").asText() : j.get("error").toString();
            if (j.hasNonNull("message")) return j.get("message").asText();
            if (j.has("errors")) return j.get("errors").toString();
        } catch (IOException notJson) {
            String s = new String(body, 0, Math.min(body.length, 300), java.nio.charset.StandardCharsets.UTF_8).strip();
            return s.isEmpty() ? null : s;
        }
        return null;
    }

    /** Any occurrence of the token in a message becomes {@code ***}. */
    public String redact(String s) {
        if (s == null || token == null || token.isEmpty()) return s;
        return s.replace(token, "***");
    }

    /** A URL without its query string: pre-signed URLs carry signatures. */
    static String shortUrl(URI u) {
        String s = u.toString();
        int q = s.indexOf('?');
        return q < 0 ? s : s.substring(0, q) + "?…";
    }

    static Long retryAfterSeconds(HttpResponse<?> r) {
        Optional<String> ra = r.headers().firstValue("Retry-After");
        if (ra.isPresent()) {
            try {
                return Long.parseLong(ra.get().strip());
            } catch (NumberFormatException httpDate) {
                // the HTTP-date form is not used by the Hub; fall through to RateLimit / backoff
            }
        }
        Optional<String> rl = r.headers().firstValue("RateLimit");
        if (rl.isPresent()) {
            var m = java.util.regex.Pattern.compile("t=(\\d+)").matcher(rl.get());
            if (m.find()) return Long.parseLong(m.group(1));
        }
        return null;
    }

    private static String describe(IOException e) {
        String kind = e instanceof HttpTimeoutException ? "timeout" : e.getClass().getSimpleName();
        return e.getMessage() == null ? kind : kind + " (" + e.getMessage() + ")";
    }

    private static void discard(HttpResponse<?> r) {
        if (r.body() instanceof InputStream in) {
            try { in.close(); } catch (IOException ignored) { /* the response is abandoned anyway */ }
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AprException("INTERRUPTED", AprException.REMOTE, "interrupted while waiting to retry");
        }
    }

    HttpClient client() { return http; }
}
