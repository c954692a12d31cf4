package dev.apr.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apr.format.AprException;
import dev.apr.format.io.AtomicWrite;
import dev.apr.model.tokenizer.Tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * {@code apr tokenize encode-corpus} as a library (specs/pretrain.md "Token shards"): documents
 * from text files, directories, .jsonl and .zip files are tokenized on all cores and written, in
 * input order, as {@code shard-00000.bin ...} (flat little-endian u32 ids) plus {@code manifest.json}.
 *
 * <p>Document order: corpus paths in the order given; a directory's files sorted by their
 * '/'-separated relative path; a .jsonl's lines in order; a .zip's entries sorted by name.
 * Files inside a directory are dispatched by extension the same way (.jsonl, .zip, else text).
 * Each document has a name (relative path, zip entry, {@code file.jsonl:LINE}); with a val
 * fraction f, a document goes to {@code val/} when the first 8 bytes of SHA-256(name), as an
 * unsigned fraction of 2^64, are below f. The same inputs always give the same bytes.
 */
public final class CorpusEncoder {

    /** Where end-of-document ids go: between documents, after each, or nowhere. */
    public enum EosPolicy {
        BETWEEN, AFTER, NONE;
        public String id() { return name().toLowerCase(); }
        public static EosPolicy parse(String s) {
            for (EosPolicy p : values()) if (p.id().equals(s)) return p;
            throw new AprException("BAD_OPTION", AprException.USAGE, "--eos-policy: expected between, after or none, got '" + s + "'");
        }
    }

    private static AprException usage(String message) {
        return new AprException("BAD_OPTION", AprException.USAGE, message);
    }

    /** A single document longer than this (UTF-8 bytes) is refused before reading it. */
    public static final long MAX_DOCUMENT_BYTES = 1L << 30;

    /**
     * @param shuffle documents in the order of SHA-256 of their name instead of by name: deterministic, and
     *                since training reads consecutive windows, the first steps see the whole corpus's variety
     *                rather than its alphabetically first files (a .jsonl's lines keep their order)
     */
    public record Options(List<Path> corpus, Path output, long shardTokens, EosPolicy eosPolicy, String contentField,
                          double valFraction, String include, int threads, boolean shuffle) {
        public Options {
            if (corpus == null || corpus.isEmpty()) throw usage("--corpus: expected at least one path, got none");
            if (output == null) throw usage("--output: expected a directory, got none");
            if (shardTokens < 1 || shardTokens > (1L << 29)) throw usage("--shard-tokens: expected 1 .. 536870912, got " + shardTokens);
            if (!(valFraction >= 0 && valFraction < 1)) throw usage("--val-fraction: expected 0 <= f < 1, got " + valFraction);
            if (threads < 1) throw usage("--threads: expected >= 1, got " + threads);
            if (eosPolicy == null) eosPolicy = EosPolicy.BETWEEN;
            if (contentField == null) contentField = "content";
        }

        public static Options defaults(List<Path> corpus, Path output) {
            return new Options(corpus, output, 10_000_000, EosPolicy.BETWEEN, "content", 0.0, null,
                    Runtime.getRuntime().availableProcessors(), false);
        }

        public Options withShardTokens(long n) { return new Options(corpus, output, n, eosPolicy, contentField, valFraction, include, threads, shuffle); }
        public Options withEosPolicy(EosPolicy p) { return new Options(corpus, output, shardTokens, p, contentField, valFraction, include, threads, shuffle); }
        public Options withContentField(String f) { return new Options(corpus, output, shardTokens, eosPolicy, f, valFraction, include, threads, shuffle); }
        public Options withValFraction(double f) { return new Options(corpus, output, shardTokens, eosPolicy, contentField, f, include, threads, shuffle); }
        public Options withInclude(String g) { return new Options(corpus, output, shardTokens, eosPolicy, contentField, valFraction, g, threads, shuffle); }
        public Options withThreads(int t) { return new Options(corpus, output, shardTokens, eosPolicy, contentField, valFraction, include, t, shuffle); }
        public Options withShuffle(boolean b) { return new Options(corpus, output, shardTokens, eosPolicy, contentField, valFraction, include, threads, b); }
    }

    /** What was written: the train manifest and, with a val fraction, the val manifest (else null). */
    public record Result(ShardManifest train, ShardManifest val, long inputBytes, double seconds) {
        public double tokensPerSecond() {
            long t = train.tokens() + (val == null ? 0 : val.tokens());
            return seconds > 0 ? t / seconds : 0;
        }
    }

    /** One document: its name (for the val split and messages) and its text. */
    record Document(String name, String text, long bytes) {}

    private final Tokenizer tokenizer;
    private final Options options;
    private final Consumer<String> progress;

    /** @param progress receives a status line about once a second (null: silent) */
    public CorpusEncoder(Tokenizer tokenizer, Options options, Consumer<String> progress) {
        this.tokenizer = tokenizer;
        this.options = options;
        this.progress = progress == null ? s -> {} : progress;
    }

    public Result run() {
        long t0 = System.nanoTime();
        for (Path p : options.corpus())
            if (!Files.exists(p)) throw AprException.badInput("CORPUS_MISSING", p + ": no such file or directory");
        prepareOutput(options.output());
        int eos = tokenizer.documentEndId();
        if (options.eosPolicy() != EosPolicy.NONE && eos < 0)
            throw AprException.badInput("TOKENIZER_NO_EOS", tokenizer.source()
                    + ": end-of-document token: expected <|endoftext|>, <|end_of_text|>, </s> or an eos_token, got none (use --eos-policy none)");
        Glob include = options.include() == null ? null : new Glob(options.include());

        ShardWriter train = new ShardWriter(options.output(), options.shardTokens());
        ShardWriter val = options.valFraction() > 0 ? new ShardWriter(options.output().resolve("val"), options.shardTokens()) : null;
        long[] inputBytes = {0};
        ExecutorService pool = Executors.newFixedThreadPool(options.threads(), r -> {
            Thread t = new Thread(r, "encode-corpus");
            t.setDaemon(true);
            return t;
        });
        // In-order pipeline: documents are read here, encoded on the pool, written in submission order.
        ArrayDeque<Pending> inFlight = new ArrayDeque<>();
        int maxInFlight = options.threads() * 8;
        long[] lastReport = {System.nanoTime()};
        try {
            forEachDocument(include, doc -> {
                inputBytes[0] += doc.bytes();
                boolean toVal = val != null && isValidation(doc.name(), options.valFraction());
                inFlight.add(new Pending(toVal, pool.submit(() -> tokenizer.encode(doc.text()))));
                while (inFlight.size() >= maxInFlight) drainOne(inFlight, train, val, eos);
                long now = System.nanoTime();
                if (now - lastReport[0] > 1_000_000_000L) {
                    lastReport[0] = now;
                    double s = (now - t0) / 1e9;
                    long tokens = train.tokens() + (val == null ? 0 : val.tokens());
                    progress.accept(String.format("encode-corpus: %,d documents, %,d tokens, %.1f MB read, %,.0f tokens/s",
                            train.documents() + (val == null ? 0 : val.documents()), tokens, inputBytes[0] / 1e6, tokens / s));
                }
            });
            while (!inFlight.isEmpty()) drainOne(inFlight, train, val, eos);
        } finally {
            pool.shutdownNow();
        }
        ShardManifest trainManifest = train.finish(manifestBase("train", eos));
        ShardManifest valManifest = val == null ? null : val.finish(manifestBase("val", eos));
        double secs = (System.nanoTime() - t0) / 1e9;
        progress.accept(String.format("encode-corpus: done: %,d documents, %,d tokens in %.1f s (%,.0f tokens/s)",
                trainManifest.documents() + (valManifest == null ? 0 : valManifest.documents()),
                trainManifest.tokens() + (valManifest == null ? 0 : valManifest.tokens()), secs,
                (trainManifest.tokens() + (valManifest == null ? 0 : valManifest.tokens())) / Math.max(secs, 1e-9)));
        return new Result(trainManifest, valManifest, inputBytes[0], secs);
    }

    private record Pending(boolean toVal, Future<int[]> ids) {}

    private void drainOne(ArrayDeque<Pending> q, ShardWriter train, ShardWriter val, int eos) {
        Pending p = q.poll();
        int[] ids;
        try {
            ids = p.ids().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AprException("INTERRUPTED", AprException.USAGE, "encode-corpus interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AprException ae) throw ae;
            throw new IllegalStateException(e.getCause());
        }
        ShardWriter w = p.toVal() ? val : train;
        switch (options.eosPolicy()) {
            case BETWEEN -> { if (w.documents() > 0) w.write(eos); w.write(ids); }
            case AFTER -> { w.write(ids); w.write(eos); }
            case NONE -> w.write(ids);
        }
        w.documentDone();
    }

    private ShardManifest manifestBase(String split, int eos) {
        List<String> corpus = new ArrayList<>();
        for (Path p : options.corpus()) corpus.add(p.toString());
        return new ShardManifest(split, tokenizer.sha256(), tokenizer.vocabSize(),
                options.eosPolicy() == EosPolicy.NONE ? -1 : eos, options.eosPolicy().id(), 0, 0, options.shardTokens(),
                List.of(), corpus, options.include(), options.contentField(), options.valFraction(),
                options.shuffle() ? ShardManifest.ORDER_SHUFFLED : ShardManifest.ORDER_NAME);
    }

    /** Deterministic val selection by document name. */
    static boolean isValidation(String name, double fraction) {
        if (fraction <= 0) return false;
        byte[] h = sha256().digest(name.getBytes(StandardCharsets.UTF_8));
        long v = ByteBuffer.wrap(h, 0, 8).order(ByteOrder.BIG_ENDIAN).getLong();
        // Unsigned v / 2^64 < fraction.
        double u = (v >>> 11) * 0x1.0p-53;
        return u < fraction;
    }

    // ---------------------------------------------------------------- documents

    void forEachDocument(Glob include, Consumer<Document> sink) {
        for (Path p : options.corpus()) {
            if (Files.isDirectory(p)) {
                List<Path> files;
                try (Stream<Path> s = Files.walk(p)) {
                    files = inOrder(s.filter(Files::isRegularFile).toList(), f -> slashed(p.relativize(f)));
                } catch (IOException e) {
                    throw AprException.badInput("CORPUS_UNREADABLE", p + ": cannot list: " + e.getMessage());
                }
                for (Path f : files) {
                    String rel = slashed(p.relativize(f));
                    String lower = rel.toLowerCase();
                    if (lower.endsWith(".zip")) readZip(f, rel + "!", include, sink);
                    else if (include != null && !include.matches(rel)) continue;
                    else if (lower.endsWith(".jsonl")) readJsonl(f, rel, sink);
                    else sink.accept(readText(f, rel));
                }
            } else {
                String name = p.getFileName().toString();
                String lower = name.toLowerCase();
                if (lower.endsWith(".zip")) readZip(p, "", include, sink);
                else if (lower.endsWith(".jsonl")) readJsonl(p, name, sink);
                else sink.accept(readText(p, name));
            }
        }
    }

    /** By name, or with {@code shuffle} by SHA-256 of the name (ties, which need equal hashes, by name). */
    private <T> List<T> inOrder(List<T> items, Function<T, String> name) {
        if (!options.shuffle()) return items.stream().sorted(Comparator.comparing(name)).toList();
        record Keyed<T>(String key, String name, T item) {}
        MessageDigest sha = sha256();
        List<Keyed<T>> keyed = new ArrayList<>(items.size());
        for (T t : items) {
            String n = name.apply(t);
            keyed.add(new Keyed<>(HexFormat.of().formatHex(sha.digest(n.getBytes(StandardCharsets.UTF_8))), n, t));
        }
        keyed.sort(Comparator.comparing((Keyed<T> k) -> k.key()).thenComparing(Keyed::name));
        return keyed.stream().map(Keyed::item).toList();
    }

    private static String slashed(Path rel) {
        StringBuilder sb = new StringBuilder();
        for (Path part : rel) {
            if (!sb.isEmpty()) sb.append('/');
            sb.append(part);
        }
        return sb.toString();
    }

    private void readZip(Path zipPath, String prefix, Glob include, Consumer<Document> sink) {
        try (ZipFile zip = new ZipFile(zipPath.toFile(), StandardCharsets.UTF_8)) {
            List<? extends ZipEntry> entries = inOrder(zip.stream().filter(e -> !e.isDirectory())
                    .filter(e -> include == null || include.matches(e.getName())).toList(), ZipEntry::getName);
            for (ZipEntry e : entries) {
                if (e.getSize() > MAX_DOCUMENT_BYTES)
                    throw AprException.badInput("CORPUS_TOO_LARGE", zipPath + "!" + e.getName() + ": expected at most "
                            + MAX_DOCUMENT_BYTES + " bytes per document, got " + e.getSize());
                byte[] bytes;
                try (InputStream in = zip.getInputStream(e)) {
                    bytes = in.readNBytes((int) MAX_DOCUMENT_BYTES + 1);
                }
                if (bytes.length > MAX_DOCUMENT_BYTES)
                    throw AprException.badInput("CORPUS_TOO_LARGE", zipPath + "!" + e.getName() + ": expected at most " + MAX_DOCUMENT_BYTES + " bytes per document");
                sink.accept(new Document(prefix + e.getName(), utf8(bytes, zipPath + "!" + e.getName()), bytes.length));
            }
        } catch (IOException e) {
            throw AprException.badInput("CORPUS_UNREADABLE", zipPath + ": not a readable zip: " + e.getMessage());
        }
    }

    private void readJsonl(Path f, String name, Consumer<Document> sink) {
        ObjectMapper json = new ObjectMapper();
        String field = options.contentField();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Files.newInputStream(f),
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)), 1 << 16)) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) continue;
                JsonNode o;
                try {
                    o = json.readTree(line);
                } catch (IOException e) {
                    throw AprException.badInput("CORPUS_BAD_JSONL", f + ": line " + lineNo + ": expected a JSON object, got invalid JSON");
                }
                JsonNode v = o == null ? null : o.get(field);
                if (v == null || !v.isTextual())
                    throw AprException.badInput("CORPUS_BAD_JSONL", f + ": line " + lineNo + ": field '" + field
                            + "': expected a string, got " + (v == null ? "missing" : v.getNodeType().toString().toLowerCase()));
                String text = v.asText();
                sink.accept(new Document(name + ":" + lineNo, text, line.length()));
            }
        } catch (CharacterCodingException e) {
            throw AprException.badInput("CORPUS_BAD_UTF8", f + ": expected UTF-8 text, got malformed bytes");
        } catch (IOException e) {
            throw AprException.badInput("CORPUS_UNREADABLE", f + ": cannot read: " + e.getMessage());
        }
    }

    private static Document readText(Path f, String name) {
        try {
            long size = Files.size(f);
            if (size > MAX_DOCUMENT_BYTES)
                throw AprException.badInput("CORPUS_TOO_LARGE", f + ": expected at most " + MAX_DOCUMENT_BYTES + " bytes per document, got " + size);
            byte[] bytes = Files.readAllBytes(f);
            return new Document(name, utf8(bytes, f.toString()), bytes.length);
        } catch (IOException e) {
            throw AprException.badInput("CORPUS_UNREADABLE", f + ": cannot read: " + e.getMessage());
        }
    }

    private static String utf8(byte[] b, String where) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw AprException.badInput("CORPUS_BAD_UTF8", where + ": expected UTF-8 text, got malformed bytes");
        }
    }

    // ---------------------------------------------------------------- output

    private static void prepareOutput(Path out) {
        try {
            if (Files.exists(out) && !Files.isDirectory(out))
                throw AprException.badInput("OUTPUT_EXISTS", out + ": expected a directory, got a file");
            if (Files.isDirectory(out)) {
                try (Stream<Path> s = Files.list(out)) {
                    List<String> clash = s.map(p -> p.getFileName().toString())
                            .filter(n -> n.equals(ShardManifest.FILE) || n.equals("val") || n.matches("shard-\\d+\\.bin")).sorted().toList();
                    if (!clash.isEmpty()) throw AprException.badInput("OUTPUT_EXISTS", out
                            + ": expected a directory without token shards, got " + clash.get(0) + (clash.size() > 1 ? " and " + (clash.size() - 1) + " more" : "")
                            + " (remove them or choose another --output)");
                }
            }
            Files.createDirectories(out);
        } catch (IOException e) {
            throw AprException.badInput("OUTPUT_UNWRITABLE", out + ": cannot create: " + e.getMessage());
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes shards of exactly {@code shardTokens} ids (the last may be shorter): temp file, fsync, rename. */
    static final class ShardWriter {
        private final Path dir;
        private final long shardTokens;
        private final List<ShardManifest.Shard> done = new ArrayList<>();
        private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private FileChannel channel;
        private Path tmp;
        private MessageDigest digest;
        private long inShard, tokens, documents;

        ShardWriter(Path dir, long shardTokens) {
            this.dir = dir;
            this.shardTokens = shardTokens;
        }

        long tokens() { return tokens; }
        long documents() { return documents; }
        void documentDone() { documents++; }

        void write(int id) {
            if (channel == null) open();
            if (!buf.hasRemaining()) flushBuffer();
            buf.putInt(id);
            tokens++;
            if (++inShard == shardTokens) close();
        }

        void write(int[] ids) { for (int id : ids) write(id); }

        private String name(int index) { return String.format("shard-%05d.bin", index); }

        private void open() {
            try {
                Files.createDirectories(dir);
                tmp = dir.resolve("." + name(done.size()) + ".tmp");
                channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
                digest = sha256();
                inShard = 0;
            } catch (IOException e) {
                throw AprException.badInput("OUTPUT_UNWRITABLE", dir + ": cannot write a shard: " + e.getMessage());
            }
        }

        private void flushBuffer() {
            buf.flip();
            try {
                ByteBuffer view = buf.duplicate();
                byte[] tmpBytes = new byte[view.remaining()];
                view.get(tmpBytes);
                digest.update(tmpBytes);
                while (buf.hasRemaining()) channel.write(buf);
            } catch (IOException e) {
                throw AprException.badInput("OUTPUT_UNWRITABLE", tmp + ": write failed: " + e.getMessage());
            }
            buf.clear();
        }

        private void close() {
            flushBuffer();
            try {
                channel.force(true);
                channel.close();
                Path target = dir.resolve(name(done.size()));
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                done.add(new ShardManifest.Shard(target.getFileName().toString(), inShard, HexFormat.of().formatHex(digest.digest())));
            } catch (IOException e) {
                throw AprException.badInput("OUTPUT_UNWRITABLE", tmp + ": cannot finish shard: " + e.getMessage());
            }
            channel = null;
        }

        /** Closes the last shard and writes manifest.json atomically; returns the manifest. */
        ShardManifest finish(ShardManifest base) {
            if (channel != null) close();
            ShardManifest m = new ShardManifest(base.split(), base.tokenizerSha256(), base.vocabSize(), base.eosId(),
                    base.eosPolicy(), documents, tokens, base.shardTokens(), List.copyOf(done), base.corpus(),
                    base.include(), base.contentField(), base.valFraction(), base.documentOrder());
            AtomicWrite.writeBytes(dir.resolve(ShardManifest.FILE), m.toJson());
            return m;
        }
    }

}
