package dev.apr.hub.server;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Pre-signed upload URLs. The clients send LFS PUTs and multipart completions without the Hub
 * token (spec §1.3), so those URLs carry their own authority: an HMAC-SHA256 over what they
 * allow (operation, oid, size, part, expiry) with a key kept in {@code data/signing.key}.
 */
final class UrlSigner {
    private final byte[] key;

    UrlSigner(Path dataDir) throws IOException {
        Path file = dataDir.resolve("signing.key");
        if (!Files.exists(file)) {
            byte[] fresh = new byte[32];
            new SecureRandom().nextBytes(fresh);
            AtomicFiles.write(file, fresh);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system: the data directory's own permissions protect the key
            }
        }
        key = Files.readAllBytes(file);
        if (key.length != 32) throw new IOException(file + ": expected a 32-byte signing key, got " + key.length + " bytes");
    }

    String sign(String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(payload.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Checks a signature and its expiry (unix seconds); 403 when either fails. */
    void verify(String payload, String signature, long expires) {
        if (signature == null || !MessageDigest.isEqual(sign(payload).getBytes(StandardCharsets.US_ASCII),
                signature.getBytes(StandardCharsets.US_ASCII)))
            throw new HttpError(403, "SignatureDoesNotMatch", "The upload URL signature is invalid");
        if (System.currentTimeMillis() / 1000 > expires)
            throw new HttpError(403, "ExpiredUrl", "The upload URL has expired");
    }
}
