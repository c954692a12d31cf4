package dev.apr.hub.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The hub as a real separate process on loopback: {@code java -cp <test classpath> HubServerMain ...}. */
final class HubProcess implements AutoCloseable {
    private static final Pattern SERVING = Pattern.compile("apr hub: serving (http://\\S+) \\(data (.+)\\)");
    final Process process;
    final String url;
    final List<String> output = new ArrayList<>();

    HubProcess(Path data, String token, String... extraArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), HubServerMain.class.getName(),
                "--port", "0", "--host", "127.0.0.1", "--data", data.toString()));
        cmd.addAll(List.of(extraArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("APR_HUB_TOKEN", token);
        process = pb.start();
        BlockingQueue<String> lines = new ArrayBlockingQueue<>(1000);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (output) { output.add(line); }
                    lines.offer(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "hub-process-output");
        reader.setDaemon(true);
        reader.start();
        String found = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (found == null && System.nanoTime() < deadline) {
            String line = lines.poll(500, TimeUnit.MILLISECONDS);
            if (line != null) {
                Matcher m = SERVING.matcher(line);
                if (m.matches()) found = m.group(1);
            } else if (!process.isAlive()) break;
        }
        if (found == null) {
            process.destroyForcibly();
            throw new IllegalStateException("hub process did not start; output: " + output());
        }
        url = found;
    }

    String output() {
        synchronized (output) { return String.join("\n", output); }
    }

    /** SIGTERM and wait; returns the exit code. */
    int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("hub process ignored SIGTERM for 20 s");
        }
        return process.exitValue();
    }

    @Override public void close() throws InterruptedException {
        if (process.isAlive()) stop();
    }
}
