package dev.apr.hub.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The access tokens of the hub, kept in {@code tokens.json} under the data directory. Only the
 * SHA-256 of each token is stored; the plain token is shown once, when it is minted.
 * Tokens start with {@code hf_} because the JS client refuses any other (spec §1.3).
 */
final class TokenStore {
    /** One token's owner and metadata; {@code hash} is the hex SHA-256 of the token. */
    record Entry(String user, String displayName, String hash, String createdAt) {}

    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private final Path file;
    private final List<Entry> entries = new ArrayList<>();

    TokenStore(Path dataDir) throws IOException {
        this.file = dataDir.resolve("tokens.json");
        if (Files.exists(file)) {
            JsonNode root = Json.MAPPER.readTree(file.toFile());
            for (JsonNode t : root.path("tokens"))
                entries.add(new Entry(t.path("user").asText(), t.path("displayName").asText(),
                        t.path("sha256").asText(), t.path("createdAt").asText()));
        }
    }

    synchronized boolean isEmpty() { return entries.isEmpty(); }

    /** Mints a new random token for {@code user}, stores its hash and returns the plain token. */
    synchronized String mint(String user, String displayName) throws IOException {
        SecureRandom random = new SecureRandom();
        StringBuilder token = new StringBuilder("hf_");
        for (int i = 0; i < 34; i++) token.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        add(user, displayName, token.toString());
        return token.toString();
    }

    /** Registers a known token (tests, {@code APR_HUB_TOKEN}, {@code --token-file}); a no-op when already stored. */
    synchronized void add(String user, String displayName, String token) throws IOException {
        if (token == null || !token.startsWith("hf_") || token.length() < 8 || !token.chars().allMatch(c -> c > 0x20 && c < 0x7f))
            throw new IllegalArgumentException("hub token must start with 'hf_', be at least 8 printable ASCII characters, without spaces");
        RepoPaths.checkName("user name", user);
        String hash = sha256(token);
        if (entries.stream().anyMatch(e -> e.hash().equals(hash))) return;
        entries.add(new Entry(user, displayName, hash, Instant.now().toString()));
        save();
    }

    /** The owner of a token, or empty for an unknown one. Compares hashes in constant time. */
    synchronized Optional<Entry> lookup(String token) {
        byte[] hash = sha256(token).getBytes(StandardCharsets.US_ASCII);
        Entry found = null;
        for (Entry e : entries)
            if (MessageDigest.isEqual(hash, e.hash().getBytes(StandardCharsets.US_ASCII))) found = e;
        return Optional.ofNullable(found);
    }

    private void save() throws IOException {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ArrayNode list = root.putArray("tokens");
        for (Entry e : entries)
            list.addObject().put("user", e.user()).put("displayName", e.displayName())
                    .put("sha256", e.hash()).put("createdAt", e.createdAt());
        AtomicFiles.write(file, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
