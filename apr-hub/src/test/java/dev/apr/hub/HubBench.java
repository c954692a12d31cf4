package dev.apr.hub;

import dev.apr.hub.client.CommitOp;
import dev.apr.hub.client.CommitPayload;
import dev.apr.hub.client.FileDigest;
import dev.apr.hub.client.HubClient;
import dev.apr.hub.client.HubDownloader;
import dev.apr.hub.client.HubSettings;
import dev.apr.hub.client.LfsUploader;
import dev.apr.format.io.Progress;
import dev.apr.hub.client.RepoId;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Not a test: measures LFS upload and download throughput of one big file against a running hub
 * and prints the client's peak RSS. Run with -Xmx128m to show memory stays bounded:
 * {@code java -Xmx128m -cp ... dev.apr.hub.HubBench URL TOKEN FILE CACHE_DIR}.
 */
public final class HubBench {
    public static void main(String[] a) throws Exception {
        String url = a[0], token = a[1];
        Path file = Path.of(a[2]), cache = Path.of(a[3]);
        long size = Files.size(file);
        HubClient hub = new HubClient(new HubSettings(url, token, cache)).progress(Progress.NONE);
        RepoId repo = RepoId.parse("bench/big" + System.currentTimeMillis() % 100000);
        hub.createRepo(repo, false);

        long t0 = System.nanoTime();
        String oid = FileDigest.sha256(file, Progress.NONE);
        long t1 = System.nanoTime();
        Map<String, HubClient.LfsAction> actions = hub.lfsBatch(repo, "main", Map.of(oid, size));
        HubClient.LfsAction act = actions.get(oid);
        new LfsUploader(hub).upload(act, file, file.getFileName().toString());
        long t2 = System.nanoTime();
        String head = hub.headCommit(repo, "main");
        HubClient.CommitResult c = hub.commit(repo, "main",
                CommitPayload.ndjson("bench", "", head, List.of(new CommitOp.AddLfs("big.safetensors", oid, size))));
        long t3 = System.nanoTime();
        Path snap = new HubDownloader(hub, cache).snapshot(repo, c.commitOid(), null);
        long t4 = System.nanoTime();
        if (Files.mismatch(file, snap.resolve("big.safetensors")) != -1) throw new AssertionError("download differs");
        double mb = size / 1e6;
        System.out.printf("file %.0f MB, transfer %s%n", mb, !act.needsUpload() ? "none (already stored)" : act.multipart() ? "multipart" : "basic");
        System.out.printf("sha256        %.1f s  %.0f MB/s%n", (t1 - t0) / 1e9, mb / ((t1 - t0) / 1e9));
        System.out.printf("upload (PUT)  %.1f s  %.0f MB/s%n", (t2 - t1) / 1e9, mb / ((t2 - t1) / 1e9));
        System.out.printf("commit        %.2f s%n", (t3 - t2) / 1e9);
        System.out.printf("download      %.1f s  %.0f MB/s (incl. HEAD, sha256 check, rename)%n", (t4 - t3) / 1e9, mb / ((t4 - t3) / 1e9));
        System.out.printf("max heap %d MiB; %s%n", Runtime.getRuntime().maxMemory() >> 20,
                Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM")).findFirst().orElse("VmHWM ?"));
    }
}
