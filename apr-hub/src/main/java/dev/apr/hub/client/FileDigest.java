package dev.apr.hub.client;

import dev.apr.format.AprException;
import dev.apr.format.io.Progress;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The ids the Hub uses for a file's content (§7.2): SHA-256 of the bytes (LFS oid) and the git
 * blob SHA-1 {@code sha1("blob " + size + "\0" + bytes)} (regular-file oid / ETag). Files are
 * streamed through a fixed 1 MiB buffer, never read whole.
 */
public final class FileDigest {
    private FileDigest() {}

    private static final int BUF = 1 << 20;

    /** SHA-256 of a file, hex. */
    public static String sha256(Path file, Progress progress) {
        return hash(file, "SHA-256", null, progress);
    }

    /** The git blob SHA-1 of a file, hex. */
    public static String gitSha1(Path file) {
        try {
            long size = java.nio.file.Files.size(file);
            return hash(file, "SHA-1", ("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII), Progress.NONE);
        } catch (IOException e) {
            throw readError(file, e);
        }
    }

    public static String gitSha1(byte[] content) {
        MessageDigest md = md("SHA-1");
        md.update(("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII));
        md.update(content);
        return HexFormat.of().formatHex(md.digest());
    }

    public static String sha256(byte[] content) {
        return HexFormat.of().formatHex(md("SHA-256").digest(content));
    }

    /** The first ≤ 512 bytes, base64: the {@code sample} of a preupload entry (§4). */
    public static String sample(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(512);
            while (b.hasRemaining() && ch.read(b) > 0) { /* fill */ }
            return Base64.getEncoder().encodeToString(Arrays.copyOf(b.array(), b.position()));
        } catch (IOException e) {
            throw readError(file, e);
        }
    }

    private static String hash(Path file, String algo, byte[] prefix, Progress progress) {
        MessageDigest md = md(algo);
        if (prefix != null) md.update(prefix);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long total = ch.size(), done = 0;
            ByteBuffer buf = ByteBuffer.allocateDirect(BUF);
            String label = "hashing " + file.getFileName();
            while (true) {
                buf.clear();
                int n = ch.read(buf);
                if (n < 0) break;
                buf.flip();
                md.update(buf);
                done += n;
                if (total > 64 << 20) progress.update(label, done, total);
            }
        } catch (IOException e) {
            throw readError(file, e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest md(String algo) {
        try {
            return MessageDigest.getInstance(algo);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algo + " is part of every JDK", e);
        }
    }

    private static AprException readError(Path file, IOException e) {
        return AprException.badInput("READ_FAILED", file + ": cannot read: " + e.getMessage());
    }
}
