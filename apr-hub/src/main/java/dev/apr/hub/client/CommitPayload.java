package dev.apr.hub.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apr.format.AprException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Base64;
import java.util.List;

/**
 * The body of {@code POST /api/models/{repo}/commit/{rev}}: {@code application/x-ndjson}, one
 * {@code {"key": K, "value": V}} object per line, the header first, each line ending in
 * {@code \n} (§6.1-6.2). The whole body is built in memory (the Hub must see it complete,
 * HH issue #1371), so regular-file content is capped.
 */
public final class CommitPayload {
    private CommitPayload() {}

    /** Regular files travel inside the commit; more than this in one commit is refused. */
    public static final long MAX_REGULAR_BYTES = 100L << 20;

    public static byte[] ndjson(String summary, String description, String parentCommit, List<CommitOp> ops) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ObjectNode header = HubHttp.JSON.createObjectNode();
        header.put("summary", summary);
        header.put("description", description == null ? "" : description);
        if (parentCommit != null) header.put("parentCommit", parentCommit);
        line(out, "header", header);
        long regularBytes = 0;
        for (CommitOp op : ops) {
            String path = checkPath(op.path());
            ObjectNode v = HubHttp.JSON.createObjectNode();
            v.put("path", path);
            switch (op) {
                case CommitOp.AddRegular r -> {
                    byte[] content;
                    try {
                        long size = Files.size(r.source());
                        regularBytes += size;
                        if (regularBytes > MAX_REGULAR_BYTES)
                            throw AprException.badInput("COMMIT_TOO_LARGE", r.source() + ": regular files of one commit exceed "
                                    + MAX_REGULAR_BYTES + " bytes; the hub should have asked for LFS");
                        content = Files.readAllBytes(r.source());
                    } catch (IOException e) {
                        throw AprException.badInput("READ_FAILED", r.source() + ": cannot read: " + e.getMessage());
                    }
                    v.put("content", Base64.getEncoder().encodeToString(content));
                    v.put("encoding", "base64");
                    line(out, "file", v);
                }
                case CommitOp.AddLfs l -> {
                    v.put("algo", "sha256");
                    v.put("oid", l.oid());
                    v.put("size", l.size());
                    line(out, "lfsFile", v);
                }
                case CommitOp.Delete d -> line(out, "deletedFile", v);
            }
        }
        return out.toByteArray();
    }

    private static void line(ByteArrayOutputStream out, String key, ObjectNode value) {
        ObjectNode o = HubHttp.JSON.createObjectNode();
        o.put("key", key);
        o.set("value", value);
        try {
            out.write(HubHttp.JSON.writeValueAsBytes(o));
        } catch (IOException e) {
            throw new IllegalStateException("writing JSON to memory cannot fail", e);
        }
        out.write('\n');
    }

    /** The path rules of {@code huggingface_hub} (§6.2): no '.', '..', '.git', '.cache' components, no leading '/'. */
    public static String checkPath(String path) {
        String p = path;
        while (p.startsWith("/") || p.startsWith("./")) p = p.substring(p.startsWith("/") ? 1 : 2);
        if (p.isEmpty() || p.contains("\\") || p.contains("\0"))
            throw AprException.badInput("BAD_REPO_PATH", "repo path '" + path + "': expected a relative path with '/' separators");
        for (String part : p.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..") || part.equals(".git") || part.equals(".cache"))
                throw AprException.badInput("BAD_REPO_PATH", "repo path '" + path + "': component '" + part + "' is not allowed");
        }
        return p;
    }
}
