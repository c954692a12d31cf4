package dev.apr.hub.server;

/**
 * The server's size limits. Every body is read against one of these before anything is
 * allocated for it, so a hostile request costs at most the limit.
 *
 * @param maxRegularFileBytes  largest regular (non-LFS) file in a commit; the Hub's git limit is 10 MiB
 * @param maxCommitBodyBytes   largest NDJSON / JSON commit body
 * @param maxJsonBodyBytes     largest body of the small JSON endpoints (create, preupload, batch, ...)
 * @param maxLfsObjectBytes    largest LFS object accepted by the batch API
 * @param multipartThreshold   LFS objects larger than this are uploaded in parts
 * @param multipartChunkBytes  size of each part (the last one may be shorter)
 * @param treePageSize         tree entries per page (the Hub uses 1000; 50 with expand=true)
 */
public record HubLimits(long maxRegularFileBytes, long maxCommitBodyBytes, long maxJsonBodyBytes,
                        long maxLfsObjectBytes, long multipartThreshold, long multipartChunkBytes,
                        int treePageSize) {

    public static final long MiB = 1024L * 1024;

    public HubLimits {
        if (maxRegularFileBytes <= 0 || maxCommitBodyBytes <= 0 || maxJsonBodyBytes <= 0 || maxLfsObjectBytes <= 0
                || multipartThreshold <= 0 || multipartChunkBytes <= 0 || treePageSize <= 0)
            throw new IllegalArgumentException("hub limits must be positive");
    }

    /** The defaults: Hub-like 10 MiB regular files, 256 MiB commit bodies, multipart above 64 MiB in 16 MiB parts. */
    public static HubLimits defaults() {
        return new HubLimits(10 * MiB, 256 * MiB, 16 * MiB, 500L * 1024 * MiB, 64 * MiB, 16 * MiB, 1000);
    }

    public HubLimits withMultipart(long threshold, long chunkBytes) {
        return new HubLimits(maxRegularFileBytes, maxCommitBodyBytes, maxJsonBodyBytes, maxLfsObjectBytes,
                threshold, chunkBytes, treePageSize);
    }

    public HubLimits withRegularFileAndBody(long regularFileBytes, long commitBodyBytes) {
        return new HubLimits(regularFileBytes, commitBodyBytes, maxJsonBodyBytes, maxLfsObjectBytes,
                multipartThreshold, multipartChunkBytes, treePageSize);
    }

    public HubLimits withTreePageSize(int pageSize) {
        return new HubLimits(maxRegularFileBytes, maxCommitBodyBytes, maxJsonBodyBytes, maxLfsObjectBytes,
                multipartThreshold, multipartChunkBytes, pageSize);
    }

    /** Longest NDJSON line: a base64 regular file of the maximum size plus room for the JSON around it. */
    long maxCommitLineBytes() {
        return (maxRegularFileBytes + 2) / 3 * 4 + 64 * 1024;
    }
}
