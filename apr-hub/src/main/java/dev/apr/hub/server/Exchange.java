package dev.apr.hub.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One request and its response, with the helpers every endpoint needs: the raw path split into
 * percent-decoded segments (so {@code refs%2Fpr%2F1} stays one segment, spec §1.2), query
 * parameters, bounded body reads (413 past the limit), JSON answers and Hub-style errors.
 */
final class Exchange {
    final Request request;
    final Response response;
    final Callback callback;
    final String method;
    final List<String> segments;
    final Map<String, List<String>> query;
    private boolean done;

    Exchange(Request request, Response response, Callback callback) {
        this(request, response, callback, false);
    }

    /** {@code bare}: skip URL parsing (used to answer a request whose URL itself was malformed). */
    Exchange(Request request, Response response, Callback callback, boolean bare) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.method = request.getMethod();
        HttpURI uri = request.getHttpURI();
        this.segments = bare ? List.of() : splitPath(uri.getPath());
        this.query = bare ? Map.of() : parseQuery(uri.getQuery());
    }

    static List<String> splitPath(String rawPath) {
        List<String> out = new ArrayList<>();
        if (rawPath == null) return out;
        for (String s : rawPath.split("/")) {
            if (s.isEmpty()) continue;
            out.add(percentDecode(s));
        }
        return out;
    }

    /** Strict %XX decoding as UTF-8 ('+' stays '+' in paths); malformed escapes or UTF-8 are a 400. */
    static String percentDecode(String s) {
        if (s.indexOf('%') < 0) return s;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) throw HttpError.badRequest("Malformed percent-encoding in URL");
                int hi = Character.digit(s.charAt(i + 1), 16), lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) throw HttpError.badRequest("Malformed percent-encoding in URL");
                bytes.write(hi * 16 + lo);
                i += 2;
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(b, 0, b.length);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw HttpError.badRequest("URL is not valid UTF-8 after percent-decoding");
        }
    }

    static Map<String, List<String>> parseQuery(String q) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (q == null || q.isEmpty()) return out;
        for (String pair : q.split("&")) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq), v = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                out.computeIfAbsent(URLDecoder.decode(k, StandardCharsets.UTF_8), x -> new ArrayList<>())
                        .add(URLDecoder.decode(v, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw HttpError.badRequest("Malformed query string");
            }
        }
        return out;
    }

    String param(String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : v.getFirst();
    }

    boolean flag(String name) {
        String v = param(name);
        return v != null && (v.equals("1") || v.equalsIgnoreCase("true"));
    }

    String header(String name) { return request.getHeaders().get(name); }

    /** {@code http://host:port} as the client addressed us, for absolute URLs in answers. */
    String baseUrl() {
        HttpURI uri = request.getHttpURI();
        String scheme = uri.getScheme() == null ? "http" : uri.getScheme();
        String host = uri.getHost();
        if (host != null && host.indexOf(':') >= 0 && !host.startsWith("[")) host = "[" + host + "]";
        int port = uri.getPort();
        return scheme + "://" + host + (port > 0 ? ":" + port : "");
    }

    static String encodeSegment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Encodes a repo path keeping its '/' separators. */
    static String encodePath(String path) {
        StringBuilder b = new StringBuilder();
        for (String seg : path.split("/", -1)) {
            if (!b.isEmpty()) b.append('/');
            b.append(encodeSegment(seg));
        }
        return b.toString();
    }

    // ---------------------------------------------------------------- bodies

    private InputStream body;

    /**
     * The request body as one stream for the whole exchange. Endpoints do not close it: after an
     * error the handler drains what is left ({@link #drainBody}) so the client reads the answer.
     */
    InputStream bodyStream() {
        if (body == null) body = Content.Source.asInputStream(request);
        return body;
    }

    /**
     * Reads and discards the rest of the body (at most {@code cap} bytes), so a client still
     * sending gets our error answer instead of a reset connection. Bodies declared larger than
     * the cap are not read; the connection is closed after the answer.
     */
    void drainBody(long cap) {
        long declared = contentLength();
        if (declared > cap) {
            header("Connection", "close");
            return;
        }
        try {
            InputStream in = bodyStream();
            byte[] buf = new byte[64 * 1024];
            long n = 0;
            for (int r; n <= cap && (r = in.read(buf)) > 0; ) n += r;
            if (n > cap) header("Connection", "close");
        } catch (IOException | RuntimeException e) {
            header("Connection", "close");
        }
    }

    long contentLength() { return request.getLength(); }

    /** The whole body, refused with 413 when it is (or turns out to be) longer than {@code max}. */
    byte[] readBody(long max) throws IOException {
        long declared = contentLength();
        if (declared > max) throw HttpError.tooLarge("Request body of " + declared + " bytes is larger than the limit of " + max + " bytes");
        ByteArrayOutputStream out = new ByteArrayOutputStream(declared > 0 ? (int) declared : 8192);
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        InputStream in = bodyStream();
        for (int r; (r = in.read(buf)) > 0; ) {
            total += r;
            if (total > max) throw HttpError.tooLarge("Request body is larger than the limit of " + max + " bytes");
            out.write(buf, 0, r);
        }
        return out.toByteArray();
    }

    JsonNode readJson(long max) throws IOException {
        byte[] body = readBody(max);
        if (body.length == 0) throw HttpError.badRequest("Expected a JSON body");
        try {
            return Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw HttpError.badRequest("Invalid JSON body: " + firstLine(e.getMessage()));
        }
    }

    static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    // ---------------------------------------------------------------- answers

    void header(String name, String value) { response.getHeaders().put(name, value); }

    void json(int status, Object body) throws IOException {
        send(status, "application/json; charset=utf-8", Json.MAPPER.writeValueAsBytes(body));
    }

    void send(int status, String contentType, byte[] body) {
        response.setStatus(status);
        if (contentType != null) response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        done = true;
        if (method.equals("HEAD")) response.write(true, null, callback);
        else response.write(true, ByteBuffer.wrap(body), callback);
    }

    /** Headers only (HEAD, or a body the caller streams itself). */
    OutputStream stream(int status) {
        response.setStatus(status);
        done = true;
        return Content.Sink.asOutputStream(response);
    }

    void markDone() { done = true; }

    boolean isDone() { return done; }

    /** The Hub's error shape (spec §9): X-Error-Code / X-Error-Message headers and {"error": message}. */
    void error(HttpError e) {
        String message = e.getMessage() == null ? "error" : e.getMessage();
        if (e.errorCode != null) header("X-Error-Code", e.errorCode);
        header("X-Error-Message", headerSafe(message));
        try {
            byte[] body = Json.MAPPER.writeValueAsBytes(Map.of("error", message));
            send(e.status, "application/json; charset=utf-8", body);
        } catch (IOException io) {
            callback.failed(io);
        }
    }

    /** Header values may not carry CR/LF or other controls; non-ASCII is replaced. */
    static String headerSafe(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 1000));
        for (int i = 0; i < s.length() && b.length() < 1000; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c >= 0x7f ? ' ' : c);
        }
        return b.toString();
    }
}
