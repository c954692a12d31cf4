package dev.apr.hub.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * A real loopback HTTP/1.1 proxy between the client and the hub, one request per connection,
 * that logs every request and injects faults: a canned answer (500, 429 + Retry-After), a reset
 * in the middle of a request body, a response cut short, a lost answer (forwarded, then the
 * client connection dropped), or a hook run before forwarding. The Host header is passed
 * through, so the hub's absolute URLs (LFS hrefs, next links) point back at the proxy.
 */
public final class FaultProxy implements AutoCloseable {

    public record Request(String method, String target, Map<String, String> headers, long bodyLength) {
        public String path() { int q = target.indexOf('?'); return q < 0 ? target : target.substring(0, q); }
        public boolean is(String m, String pathPart) { return method.equals(m) && path().contains(pathPart); }
    }

    public sealed interface Action {}
    public record Forward() implements Action {}
    public record Respond(int status, Map<String, String> headers, String body) implements Action {}
    /** Reads this many request-body bytes, then resets the connection (RST). */
    public record ResetMidBody(long afterBytes) implements Action {}
    /** Forwards, then relays only this many response bytes and resets. */
    public record CutResponse(long afterBytes) implements Action {}
    /** Forwards completely, then drops the client connection without an answer. */
    public record LoseAnswer() implements Action {}
    /** Runs the hook, then forwards. */
    public record Before(Runnable hook) implements Action {}

    public static final Action FORWARD = new Forward();

    private final ServerSocket server;
    private final int backendPort;
    private final List<Request> log = new ArrayList<>();
    private volatile Function<Request, Action> rules = r -> FORWARD;
    private final Thread acceptor;

    public FaultProxy(int backendPort) throws IOException {
        this.backendPort = backendPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = Thread.ofVirtual().start(this::acceptLoop);
    }

    public String url() { return "http://127.0.0.1:" + server.getLocalPort(); }

    /** Sets the fault rules (called for every request, in order of arrival). */
    public void rules(Function<Request, Action> r) { this.rules = r; }

    public synchronized List<Request> requests() { return List.copyOf(log); }

    public synchronized void clear() { log.clear(); }

    public long count(String method, String pathPart) { return requests().stream().filter(r -> r.is(method, pathPart)).count(); }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread.ofVirtual().start(() -> handle(s));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void handle(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            byte[] head = readHead(in);
            if (head == null) return;
            String text = new String(head, StandardCharsets.ISO_8859_1);
            String[] lines = text.split("\r\n");
            String[] first = lines[0].split(" ");
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int c = lines[i].indexOf(':');
                if (c > 0) headers.put(lines[i].substring(0, c).strip().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).strip());
            }
            long len = Long.parseLong(headers.getOrDefault("content-length", "0"));
            Request req = new Request(first[0], first[1], headers, len);
            synchronized (this) { log.add(req); }
            Action a = rules.apply(req);
            OutputStream out = client.getOutputStream();
            switch (a) {
                case Respond r -> {
                    in.skipNBytes(len);
                    StringBuilder resp = new StringBuilder("HTTP/1.1 " + r.status() + " Fault\r\n");
                    r.headers().forEach((k, v) -> resp.append(k).append(": ").append(v).append("\r\n"));
                    byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
                    resp.append("Content-Length: ").append(body.length).append("\r\nConnection: close\r\n\r\n");
                    out.write(resp.toString().getBytes(StandardCharsets.ISO_8859_1));
                    out.write(body);
                    out.flush();
                }
                case ResetMidBody r -> {
                    in.skipNBytes(Math.min(len, r.afterBytes()));
                    client.setSoLinger(true, 0);   // close() now sends RST
                }
                case Before b -> {
                    b.hook().run();
                    forward(lines, in, len, out, Long.MAX_VALUE, false, client);
                }
                case CutResponse c -> forward(lines, in, len, out, c.afterBytes(), false, client);
                case LoseAnswer l -> forward(lines, in, len, out, Long.MAX_VALUE, true, client);
                case Forward f -> forward(lines, in, len, out, Long.MAX_VALUE, false, client);
            }
        } catch (IOException ignored) {
            // a client that went away: nothing to relay
        }
    }

    private void forward(String[] lines, InputStream in, long len, OutputStream out, long maxResponse, boolean loseAnswer, Socket client) throws IOException {
        try (Socket back = new Socket(InetAddress.getLoopbackAddress(), backendPort)) {
            StringBuilder head = new StringBuilder(lines[0]).append("\r\n");
            for (int i = 1; i < lines.length; i++) {
                String l = lines[i].toLowerCase(Locale.ROOT);
                if (l.startsWith("connection:") || l.startsWith("upgrade:") || l.startsWith("http2-settings:")) continue;
                head.append(lines[i]).append("\r\n");
            }
            head.append("Connection: close\r\n\r\n");
            OutputStream bo = back.getOutputStream();
            bo.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            copy(in, bo, len);
            bo.flush();
            InputStream bi = back.getInputStream();
            if (loseAnswer) {
                bi.readAllBytes();             // let the hub finish the request
                client.setSoLinger(true, 0);   // and the client never hears of it
                return;
            }
            byte[] buf = new byte[64 << 10];
            long sent = 0;
            int n;
            while ((n = bi.read(buf)) > 0) {
                int take = (int) Math.min(n, maxResponse - sent);
                out.write(buf, 0, take);
                sent += take;
                if (sent >= maxResponse) {
                    out.flush();
                    client.setSoLinger(true, 0);
                    return;
                }
            }
            out.flush();
        }
    }

    private static void copy(InputStream in, OutputStream out, long len) throws IOException {
        byte[] buf = new byte[64 << 10];
        long left = len;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) throw new IOException("client body ended early");
            out.write(buf, 0, n);
            left -= n;
        }
    }

    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0, c;
        while ((c = in.read()) >= 0) {
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) ? state + 1 : (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
            if (state == 4) return b.toByteArray();
            if (b.size() > 1 << 20) throw new IOException("request head too large");
        }
        return null;
    }

    @Override public void close() throws IOException {
        server.close();
        acceptor.interrupt();
    }
}
