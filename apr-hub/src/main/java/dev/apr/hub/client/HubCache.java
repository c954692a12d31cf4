package dev.apr.hub.client;

import dev.apr.format.AprException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * One repository in the {@code huggingface_hub} cache (§7.3), laid out exactly as Python and JS
 * lay it out so all three share downloads:
 * <pre>
 * {cache}/models--{ns}--{name}/blobs/{etag}                 content (sha256 for LFS, git SHA-1 otherwise)
 * {cache}/models--{ns}--{name}/blobs/{etag}.incomplete      a download in progress (resumed with Range)
 * {cache}/models--{ns}--{name}/snapshots/{commit}/{path}    relative symlink to ../../blobs/{etag}
 * {cache}/models--{ns}--{name}/refs/{revision}              the commit id, no newline
 * {cache}/.locks/models--{ns}--{name}/{etag}.lock           per-blob lock
 * </pre>
 */
public record HubCache(Path cacheDir, RepoId repo) {

    public Path repoDir() { return cacheDir.resolve(repo.cacheFolder()); }

    public Path blob(String etag) { return repoDir().resolve("blobs").resolve(checkEtag(etag)); }

    public Path incomplete(String etag) { return repoDir().resolve("blobs").resolve(checkEtag(etag) + ".incomplete"); }

    public Path snapshotDir(String commit) { return repoDir().resolve("snapshots").resolve(checkCommit(commit)); }

    public Path snapshotFile(String commit, String path) { return snapshotDir(commit).resolve(CommitPayload.checkPath(path)); }

    public Path lockFile(String etag) { return cacheDir.resolve(".locks").resolve(repo.cacheFolder()).resolve(checkEtag(etag) + ".lock"); }

    public Path refFile(String revision) {
        // nested refs (refs/pr/1) become nested folders, exactly like huggingface_hub
        return repoDir().resolve("refs").resolve(CommitPayload.checkPath(revision));
    }

    /** The commit a revision was last resolved to, or null. */
    public String readRef(String revision) {
        Path f = refFile(revision);
        try {
            return Files.isRegularFile(f) ? Files.readString(f).strip() : null;
        } catch (IOException e) {
            throw cacheError(f, e);
        }
    }

    /** Writes {@code refs/<revision>} = commit (no trailing newline), atomically. */
    public void writeRef(String revision, String commit) {
        Path f = refFile(revision);
        try {
            Files.createDirectories(f.getParent());
            if (commit.equals(readRef(revision))) return;
            writeAtomically(f, commit.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw cacheError(f, e);
        }
    }

    /** Points {@code snapshots/<commit>/<path>} at {@code blobs/<etag>} with a relative symlink (a copy where links fail). */
    public Path link(String commit, String path, String etag) {
        Path target = blob(etag), link = snapshotFile(commit, path);
        try {
            Files.createDirectories(link.getParent());
            Path rel = link.getParent().relativize(target);
            if (Files.isSymbolicLink(link)) {
                if (Files.readSymbolicLink(link).equals(rel)) return link;
                Files.delete(link);
            } else if (Files.exists(link)) {
                Files.delete(link);
            }
            if (disableSymlinks()) Files.copy(target, link, StandardCopyOption.REPLACE_EXISTING);
            else {
                try {
                    Files.createSymbolicLink(link, rel);
                } catch (UnsupportedOperationException | IOException noLinks) {
                    Files.copy(target, link, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return link;
        } catch (IOException e) {
            throw cacheError(link, e);
        }
    }

    private static boolean disableSymlinks() {
        String v = System.getenv("HF_HUB_DISABLE_SYMLINKS");
        return v != null && (v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes"));
    }

    /** Holds the per-blob lock file (the same path huggingface_hub's filelock uses). */
    public FileChannel lock(String etag) {
        Path f = lockFile(etag);
        try {
            Files.createDirectories(f.getParent());
            FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            ch.lock();
            return ch;
        } catch (IOException e) {
            throw cacheError(f, e);
        }
    }

    static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            move(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String checkEtag(String etag) {
        if (etag == null || !etag.matches("[0-9a-fA-F]{40}|[0-9a-fA-F]{64}"))
            throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE, "etag: expected a 40- or 64-hex content id, got " + etag);
        return etag;
    }

    private static String checkCommit(String commit) {
        if (commit == null || !commit.matches("[0-9a-f]{40}"))
            throw new AprException("HUB_BAD_RESPONSE", AprException.REMOTE, "commit: expected 40 lowercase hex digits, got " + commit);
        return commit;
    }

    private static AprException cacheError(Path f, IOException e) {
        return new AprException("CACHE_IO", AprException.BAD_INPUT, f + ": cache write failed: " + e.getMessage());
    }
}
