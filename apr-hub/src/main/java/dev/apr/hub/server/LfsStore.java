package dev.apr.hub.server;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The content-addressed LFS object store: {@code lfs/objects/ab/cd/<sha256>}. An object is
 * written once, streamed to a temp file while its SHA-256 and size are checked, fsynced and
 * renamed into place, so a reader never sees a partial or wrong object and identical content
 * uploaded to any repository is stored once.
 *
 * <p>Multipart uploads write each part at its offset in {@code lfs/multipart/<uploadId>/data};
 * the completion request hashes that file and renames it into the store.
 */
final class LfsStore {
    static final Pattern OID = Pattern.compile("[0-9a-f]{64}");
    static final Pattern UPLOAD_ID = Pattern.compile("[0-9a-f]{32}");
    private static final int BUFFER = 1 << 20;

    private final Path objects, tmp, multipart;

    LfsStore(Path dataDir) throws IOException {
        Path root = dataDir.resolve("lfs");
        objects = Files.createDirectories(root.resolve("objects"));
        tmp = Files.createDirectories(root.resolve("tmp"));
        multipart = Files.createDirectories(root.resolve("multipart"));
        // temp files of uploads cut off by a previous stop are garbage: nothing refers to them
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmp)) {
            for (Path p : ds) Files.deleteIfExists(p);
        }
        // multipart uploads never completed within their URLs' lifetime cannot complete any more
        long stale = System.currentTimeMillis() - 2 * LfsApi.URL_LIFETIME_SECONDS * 1000;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(multipart)) {
            for (Path p : ds)
                if (Files.getLastModifiedTime(p).toMillis() < stale) deleteTree(p);
        }
    }

    static String checkOid(String oid) {
        if (oid == null || !OID.matcher(oid).matches())
            throw HttpError.badRequest("Invalid LFS oid '" + RepoPaths.printable(String.valueOf(oid)) + "': expected 64 lowercase hex digits (sha256)");
        return oid;
    }

    Path path(String oid) {
        checkOid(oid);
        return objects.resolve(oid.substring(0, 2)).resolve(oid.substring(2, 4)).resolve(oid);
    }

    /** The stored size of an object, or empty when the store does not have it. */
    OptionalLong size(String oid) {
        try {
            Path p = path(oid);
            return Files.isRegularFile(p) ? OptionalLong.of(Files.size(p)) : OptionalLong.empty();
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    boolean has(String oid, long size) {
        OptionalLong s = size(oid);
        return s.isPresent() && s.getAsLong() == size;
    }

    /** Stores one object from a basic-transfer PUT body; refuses a body whose size or SHA-256 differs. */
    void put(String oid, long size, InputStream body) throws IOException {
        checkOid(oid);
        Path part = Files.createTempFile(tmp, oid.substring(0, 8) + "-", ".upload");
        try {
            MessageDigest sha = sha256();
            long n;
            try (FileChannel out = FileChannel.open(part, StandardOpenOption.WRITE)) {
                n = copy(body, out, sha, size);
                out.force(true);
            }
            if (n != size) throw HttpError.badRequest("LFS upload of " + oid + ": expected " + size + " bytes, got " + n);
            String actual = HexFormat.of().formatHex(sha.digest());
            if (!actual.equals(oid)) throw HttpError.badRequest("LFS upload: sha256 mismatch: expected " + oid + ", got " + actual);
            install(part, oid);
        } finally {
            Files.deleteIfExists(part);
        }
    }

    /**
     * Stores one part of a multipart upload straight into its place in the upload's data file
     * (parts may arrive in any order and in parallel) and returns its ETag: a quoted CRC32C of
     * the part, which the completion request must echo back.
     */
    String putPart(String uploadId, int partNumber, long offset, long expectedBytes, InputStream body) throws IOException {
        Path dir = Files.createDirectories(multipart.resolve(checkUploadId(uploadId)));
        CRC32C crc = new CRC32C();
        long n = 0;
        try (FileChannel out = FileChannel.open(dir.resolve("data"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            byte[] buf = new byte[BUFFER];
            for (int r; (r = body.read(buf)) > 0; ) {
                n += r;
                if (n > expectedBytes) throw HttpError.badRequest("LFS part " + partNumber + ": more than the expected " + expectedBytes + " bytes");
                crc.update(buf, 0, r);
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, r);
                long pos = offset + n - r;
                while (bb.hasRemaining()) pos += out.write(bb, pos);
            }
            out.force(false);
        }
        if (n != expectedBytes) throw HttpError.badRequest("LFS part " + partNumber + ": expected " + expectedBytes + " bytes, got " + n);
        String etag = "\"" + String.format("%08x", crc.getValue()) + "-" + n + "\"";
        AtomicFiles.write(dir.resolve(partNumber + ".etag"), etag.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return etag;
    }

    /**
     * Completes a multipart upload: every part 1..parts must have been stored with the ETag the
     * client got back; the data file must hash to {@code oid} and have {@code size} bytes. It is
     * then renamed into the store (no second copy of the bytes).
     */
    void completeMultipart(String uploadId, String oid, long size, int parts, List<String> etags) throws IOException {
        checkOid(oid);
        Path dir = multipart.resolve(checkUploadId(uploadId));
        if (has(oid, size)) { deleteTree(dir); return; }
        if (etags.size() != parts) throw HttpError.badRequest("Multipart completion for " + oid + ": expected " + parts + " parts, got " + etags.size());
        for (int i = 1; i <= parts; i++) {
            Path tag = dir.resolve(i + ".etag");
            if (!Files.isRegularFile(tag)) throw HttpError.badRequest("Multipart completion for " + oid + ": part " + i + " was not uploaded");
            String stored = Files.readString(tag);
            String given = etags.get(i - 1);
            if (!stored.equals(given) && !stored.equals("\"" + given + "\""))
                throw HttpError.badRequest("Multipart completion for " + oid + ": part " + i + " etag " + given + " does not match " + stored);
        }
        Path data = dir.resolve("data");
        if (!Files.isRegularFile(data) || Files.size(data) != size)
            throw HttpError.badRequest("Multipart completion for " + oid + ": expected " + size + " bytes, got "
                    + (Files.isRegularFile(data) ? Files.size(data) : 0));
        MessageDigest sha = sha256();
        try (FileChannel in = FileChannel.open(data, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
            while (in.read(buf) > 0) {
                buf.flip();
                sha.update(buf);
                buf.clear();
            }
            in.force(true);
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        if (!actual.equals(oid)) {
            deleteTree(dir);
            throw HttpError.badRequest("Multipart completion: sha256 mismatch: expected " + oid + ", got " + actual);
        }
        install(data, oid);
        deleteTree(dir);
    }

    private void install(Path verified, String oid) throws IOException {
        Path target = path(oid);
        Files.createDirectories(target.getParent());
        if (Files.isRegularFile(target)) return; // the same content is already stored: keep one copy
        AtomicFiles.move(verified, target);
    }

    /** Copies at most {@code limit} bytes (more is an error: the body lies about its size), digesting them. */
    private static long copy(InputStream in, FileChannel out, MessageDigest digest, long limit) throws IOException {
        byte[] buf = new byte[BUFFER];
        long total = 0;
        for (int r; (r = in.read(buf)) > 0; ) {
            total += r;
            if (total > limit) throw HttpError.badRequest("upload body is longer than the declared " + limit + " bytes");
            digest.update(buf, 0, r);
            ByteBuffer bb = ByteBuffer.wrap(buf, 0, r);
            while (bb.hasRemaining()) out.write(bb);
        }
        return total;
    }

    private static String checkUploadId(String id) {
        if (id == null || !UPLOAD_ID.matcher(id).matches()) throw HttpError.badRequest("Invalid multipart upload id");
        return id;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) Files.deleteIfExists(p);
        }
        Files.deleteIfExists(dir);
    }

    static MessageDigest sha256() {
        try { return MessageDigest.getInstance("SHA-256"); } catch (NoSuchAlgorithmException e) { throw new IllegalStateException(e); }
    }

}
