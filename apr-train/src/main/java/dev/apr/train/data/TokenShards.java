package dev.apr.train.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apr.format.AprException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A directory of token shards written by {@code apr tokenize encode-corpus}: {@code *.bin} files
 * (flat little-endian u32 token ids, no header), read in name order, memory-mapped, plus
 * {@code manifest.json}. Windows never cross a shard boundary; a partial window at a shard's end
 * is dropped.
 */
public final class TokenShards implements TokenSource, AutoCloseable {
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path dir;
    private final Arena arena = Arena.ofShared();
    private final List<MemorySegment> shards = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    private final String manifestSha256;
    private final Map<String, Object> manifest;
    private final long totalTokens;

    private TokenShards(Path dir) throws IOException {
        this.dir = dir;
        Path mf = dir.resolve("manifest.json");
        if (!Files.isRegularFile(mf))
            throw AprException.badInput("DATA_NO_MANIFEST", dir + ": manifest.json: expected a token shard manifest"
                    + " (written by apr tokenize encode-corpus), got none");
        byte[] mfBytes = Files.readAllBytes(mf);
        try {
            manifestSha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(mfBytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try {
            @SuppressWarnings("unchecked") Map<String, Object> m = new ObjectMapper().readValue(mfBytes, Map.class);
            manifest = m;
        } catch (IOException e) {
            throw AprException.badInput("DATA_BAD_MANIFEST", mf + ": expected a JSON object, got unparsable JSON: " + e.getMessage());
        }
        List<Path> bins;
        try (Stream<Path> s = Files.list(dir)) {
            bins = s.filter(p -> p.getFileName().toString().endsWith(".bin") && Files.isRegularFile(p)).sorted().toList();
        }
        if (bins.isEmpty())
            throw AprException.badInput("DATA_NO_SHARDS", dir + ": expected shard-NNNNN.bin files, found none");
        long total = 0;
        for (Path p : bins) {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size % 4 != 0)
                    throw AprException.badInput("DATA_BAD_SHARD", p + ": size: expected a multiple of 4 bytes (u32 tokens), got " + size);
                shards.add(size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena));
                names.add(p.getFileName().toString());
                total += size / 4;
            }
        }
        totalTokens = total;
    }

    /** Opens a shard directory; bad or missing pieces are refused naming the file. */
    public static TokenShards open(Path dir) {
        if (!Files.isDirectory(dir))
            throw AprException.badInput("DATA_MISSING", dir + ": expected a directory of token shards, got "
                    + (Files.exists(dir) ? "a file" : "nothing (no such directory)"));
        try {
            return new TokenShards(dir);
        } catch (IOException e) {
            throw AprException.badInput("DATA_UNREADABLE", dir + ": " + e);
        }
    }

    public long totalTokens() { return totalTokens; }

    public Map<String, Object> manifest() { return manifest; }

    /** The vocabulary size the manifest declares, or -1. */
    public int manifestVocabSize() {
        return manifest.get("vocab_size") instanceof Number n ? n.intValue() : -1;
    }

    @Override public long windows(int seq) {
        long n = 0;
        for (MemorySegment s : shards) n += s.byteSize() / 4 / (seq + 1);
        return n;
    }

    @Override public void window(long index, int seq, int[] dst, int off) {
        long w = index;
        for (int i = 0; i < shards.size(); i++) {
            MemorySegment s = shards.get(i);
            long inShard = s.byteSize() / 4 / (seq + 1);
            if (w < inShard) {
                long base = w * (seq + 1) * 4;
                for (int t = 0; t <= seq; t++) {
                    int id = s.get(U32, base + 4L * t);
                    if (id < 0) throw AprException.badInput("DATA_BAD_TOKEN", dir.resolve(names.get(i)) + ": token at byte "
                            + (base + 4L * t) + ": expected a u32 id < 2^31, got " + Integer.toUnsignedString(id));
                    dst[off + t] = id;
                }
                return;
            }
            w -= inShard;
        }
        throw new IndexOutOfBoundsException("window " + index + " of " + windows(seq));
    }

    @Override public String describe() { return dir.toString(); }

    @Override public String manifestSha256() { return manifestSha256; }

    @Override public void close() { arena.close(); }
}
