package dev.apr.hub.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real {@code apr hub serve} process (HubServerMain on the test classpath) on a free loopback port. */
public final class HubProcess implements AutoCloseable {
    public static final String TOKEN = "hf_testTokenThatMustNeverBePrinted42";

    private final Process process;
    private final String url;

    public HubProcess(Path data, String... extraArgs) throws IOException {
        String javaExe = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(javaExe, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                "dev.apr.hub.server.HubServerMain", "--port", "0", "--data", data.toString()));
        cmd.addAll(List.of(extraArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("APR_HUB_TOKEN", TOKEN);
        process = pb.start();
        BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line, found = null;
        StringBuilder seen = new StringBuilder();
        while ((line = r.readLine()) != null) {
            seen.append(line).append('\n');
            if (line.startsWith("apr hub: serving ")) {
                found = line.substring("apr hub: serving ".length()).split(" ")[0];
                break;
            }
        }
        if (found == null) throw new IOException("hub did not start:\n" + seen);
        url = found;
        Thread.ofVirtual().start(() -> { try { r.transferTo(java.io.Writer.nullWriter()); } catch (IOException ignored) { } });
    }

    public String url() { return url; }

    public int port() { return java.net.URI.create(url).getPort(); }

    @Override public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
    }
}
