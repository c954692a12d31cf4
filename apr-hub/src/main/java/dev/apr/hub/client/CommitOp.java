package dev.apr.hub.client;

import java.nio.file.Path;

/** One operation of an NDJSON commit (§6.2). */
public sealed interface CommitOp {
    String path();

    /** A regular (git) file: its bytes travel base64 inside the commit. */
    record AddRegular(String path, Path source) implements CommitOp {}

    /** An LFS file whose object (sha256 {@code oid}, {@code size}) is already on the hub. */
    record AddLfs(String path, String oid, long size) implements CommitOp {}

    record Delete(String path) implements CommitOp {}
}
