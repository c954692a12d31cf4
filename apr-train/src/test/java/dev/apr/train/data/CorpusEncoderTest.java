package dev.apr.train.data;

import dev.apr.format.AprException;
import dev.apr.model.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.*;

class CorpusEncoderTest {
    static Tokenizer tok;
    static final int EOT = 151643;

    @BeforeAll static void load() {
        tok = Tokenizer.load(Path.of(System.getProperty("apr.testdata"), "qwen3-tokenizer"));
    }

    static final String[] DOCS = {
            "public class A { int x = 1; }\n",
            "Hello world, I'm here.\n",
            "中文分词测试 👩‍💻\n",
            "def f(x):\n    return x * 2\n",
            "<|im_start|>user\nhi<|im_end|>\n",
    };

    static Path corpusDir(Path root) throws IOException {
        Path dir = root.resolve("corpus");
        Files.createDirectories(dir.resolve("sub"));
        // Names chosen so sorted order is a.txt, b.txt, c.txt, sub/d.txt, sub/e.txt.
        String[] names = {"a.txt", "b.txt", "c.txt", "sub/d.txt", "sub/e.txt"};
        for (int i = 0; i < names.length; i++) Files.writeString(dir.resolve(names[i]), DOCS[i]);
        return dir;
    }

    static int[] readShards(Path dir) throws IOException {
        List<Path> shards;
        try (Stream<Path> s = Files.list(dir)) {
            shards = s.filter(p -> p.getFileName().toString().matches("shard-\\d+\\.bin")).sorted().toList();
        }
        List<Integer> all = new ArrayList<>();
        for (Path p : shards) {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) all.add(b.getInt());
        }
        return all.stream().mapToInt(Integer::intValue).toArray();
    }

    static int[] expectedStream(List<String> docs, CorpusEncoder.EosPolicy policy) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            if (policy == CorpusEncoder.EosPolicy.BETWEEN && i > 0) out.add(EOT);
            for (int id : tok.encode(docs.get(i))) out.add(id);
            if (policy == CorpusEncoder.EosPolicy.AFTER) out.add(EOT);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    CorpusEncoder.Result run(CorpusEncoder.Options o) { return new CorpusEncoder(tok, o, null).run(); }

    @Test void idsEqualTokenizerForEachEosPolicy(@TempDir Path tmp) throws Exception {
        Path corpus = corpusDir(tmp);
        for (CorpusEncoder.EosPolicy p : CorpusEncoder.EosPolicy.values()) {
            Path out = tmp.resolve("out-" + p.id());
            CorpusEncoder.Result r = run(CorpusEncoder.Options.defaults(List.of(corpus), out).withEosPolicy(p).withThreads(2));
            int[] want = expectedStream(Arrays.asList(DOCS), p);
            assertArrayEquals(want, readShards(out), p.id());
            assertEquals(5, r.train().documents());
            assertEquals(want.length, r.train().tokens());
            assertEquals(p.id(), r.train().eosPolicy());
            assertEquals(p == CorpusEncoder.EosPolicy.NONE ? -1 : EOT, r.train().eosId());
        }
    }

    @Test void shardsAreExactSizeAndManifestDescribesThem(@TempDir Path tmp) throws Exception {
        Path corpus = corpusDir(tmp);
        Path out = tmp.resolve("out");
        CorpusEncoder.Result r = run(CorpusEncoder.Options.defaults(List.of(corpus), out).withShardTokens(10));
        long total = r.train().tokens();
        assertEquals((total + 9) / 10, r.train().shards().size());
        for (int i = 0; i < r.train().shards().size() - 1; i++) assertEquals(10, r.train().shards().get(i).tokens());
        assertEquals(40L, Files.size(out.resolve("shard-00000.bin")));
        ShardManifest m = ShardManifest.read(out);
        assertEquals(tok.sha256(), m.tokenizerSha256());
        assertEquals(151_669, m.vocabSize());
        assertEquals(5, m.documents());
        assertEquals(r.train().tokensPerShard(), m.tokensPerShard());
        assertEquals("between", m.eosPolicy());
        // No leftover temp files.
        try (Stream<Path> s = Files.list(out)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".")));
        }
        AprException again = assertThrows(AprException.class, () -> run(CorpusEncoder.Options.defaults(List.of(corpus), out)));
        assertEquals("OUTPUT_EXISTS", again.code());
    }

    @Test void sameInputsGiveSameBytes(@TempDir Path tmp) throws Exception {
        Path corpus = corpusDir(tmp);
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        run(CorpusEncoder.Options.defaults(List.of(corpus), a).withShardTokens(7).withValFraction(0.4).withThreads(1));
        run(CorpusEncoder.Options.defaults(List.of(corpus), b).withShardTokens(7).withValFraction(0.4).withThreads(3));
        List<String> filesA = listAll(a), filesB = listAll(b);
        assertEquals(filesA, filesB);
        assertTrue(filesA.contains("val/manifest.json"));
        for (String f : filesA) assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
    }

    static List<String> listAll(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/')).sorted().toList();
        }
    }

    @Test void valSplitTakesWholeDocumentsChosenByName(@TempDir Path tmp) throws Exception {
        Path corpus = corpusDir(tmp);
        Path out = tmp.resolve("out");
        CorpusEncoder.Result r = run(CorpusEncoder.Options.defaults(List.of(corpus), out).withValFraction(0.5));
        String[] names = {"a.txt", "b.txt", "c.txt", "sub/d.txt", "sub/e.txt"};
        List<String> trainDocs = new ArrayList<>(), valDocs = new ArrayList<>();
        for (int i = 0; i < names.length; i++)
            (CorpusEncoder.isValidation(names[i], 0.5) ? valDocs : trainDocs).add(DOCS[i]);
        assertFalse(trainDocs.isEmpty());
        assertFalse(valDocs.isEmpty(), "with these names both sides get documents");
        assertArrayEquals(expectedStream(trainDocs, CorpusEncoder.EosPolicy.BETWEEN), readShards(out));
        assertArrayEquals(expectedStream(valDocs, CorpusEncoder.EosPolicy.BETWEEN), readShards(out.resolve("val")));
        assertEquals(trainDocs.size(), r.train().documents());
        assertEquals(valDocs.size(), r.val().documents());
        assertEquals("val", ShardManifest.read(out.resolve("val")).split());
        // The fraction is honoured on many names (within a loose bound).
        int hits = 0;
        for (int i = 0; i < 10_000; i++) if (CorpusEncoder.isValidation("doc-" + i, 0.1)) hits++;
        assertTrue(hits > 900 && hits < 1100, "val hits: " + hits);
    }

    @Test void jsonlDocumentsUseTheContentField(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("docs.jsonl");
        Files.writeString(f, "{\"text\": \"Hello world\", \"id\": 1}\n\n{\"text\": \"中文\"}\r\n");
        Path out = tmp.resolve("out");
        CorpusEncoder.Result r = run(CorpusEncoder.Options.defaults(List.of(f), out).withContentField("text"));
        assertEquals(2, r.train().documents());
        assertArrayEquals(expectedStream(List.of("Hello world", "中文"), CorpusEncoder.EosPolicy.BETWEEN), readShards(out));
        AprException e = assertThrows(AprException.class,
                () -> run(CorpusEncoder.Options.defaults(List.of(f), tmp.resolve("out2"))));
        assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains("'content'"), e.getMessage());
        assertEquals(2, e.exitCode());
    }

    @Test void zipEntriesFilteredByInclude(@TempDir Path tmp) throws Exception {
        Path zip = tmp.resolve("src.zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
            put(z, "java.base/java/lang/B.java", DOCS[1]);
            put(z, "java.base/java/lang/A.java", DOCS[0]);
            put(z, "java.desktop/C.java", DOCS[2]);
            put(z, "java.base/module-info.java", DOCS[3]);
        }
        Path out = tmp.resolve("out");
        CorpusEncoder.Result r = run(CorpusEncoder.Options.defaults(List.of(zip), out).withInclude("java.base/**"));
        assertEquals(3, r.train().documents());
        // Sorted by entry name: java/lang/A, java/lang/B, module-info.
        assertArrayEquals(expectedStream(List.of(DOCS[0], DOCS[1], DOCS[3]), CorpusEncoder.EosPolicy.BETWEEN), readShards(out));
        assertEquals("java.base/**", ShardManifest.read(out).include());
    }

    @Test void shuffleOrdersDocumentsBySha256OfTheirName(@TempDir Path tmp) throws Exception {
        Path zip = tmp.resolve("src.zip");
        String[] names = {"m/A.java", "m/B.java", "m/C.java", "m/D.java", "m/E.java"};
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
            for (int i = 0; i < names.length; i++) put(z, names[i], DOCS[i]);
        }
        // expected: the documents sorted by the lower-case hex SHA-256 of their entry names
        java.util.TreeMap<String, String> byHash = new java.util.TreeMap<>();
        for (int i = 0; i < names.length; i++)
            byHash.put(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(names[i].getBytes(StandardCharsets.UTF_8))), DOCS[i]);
        List<String> expected = List.copyOf(byHash.values());
        assertNotEquals(List.of(DOCS), expected, "the test needs an order that differs from name order");

        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        run(CorpusEncoder.Options.defaults(List.of(zip), a).withShuffle(true).withThreads(1));
        run(CorpusEncoder.Options.defaults(List.of(zip), b).withShuffle(true).withThreads(3));
        assertArrayEquals(expectedStream(expected, CorpusEncoder.EosPolicy.BETWEEN), readShards(a));
        assertArrayEquals(Files.readAllBytes(a.resolve("shard-00000.bin")), Files.readAllBytes(b.resolve("shard-00000.bin")));
        assertEquals(ShardManifest.ORDER_SHUFFLED, ShardManifest.read(a).documentOrder());

        Path plain = tmp.resolve("plain");
        run(CorpusEncoder.Options.defaults(List.of(zip), plain));
        assertEquals(ShardManifest.ORDER_NAME, ShardManifest.read(plain).documentOrder());
    }

    static void put(ZipOutputStream z, String name, String text) throws IOException {
        z.putNextEntry(new ZipEntry(name));
        z.write(text.getBytes(StandardCharsets.UTF_8));
        z.closeEntry();
    }

    @Test void badUtf8AndMissingInputsAreRefused(@TempDir Path tmp) throws Exception {
        Path bad = tmp.resolve("bad.txt");
        try (OutputStream o = Files.newOutputStream(bad)) { o.write(new byte[]{'a', (byte) 0xFF, 'b'}); }
        AprException e = assertThrows(AprException.class, () -> run(CorpusEncoder.Options.defaults(List.of(bad), tmp.resolve("o1"))));
        assertEquals("CORPUS_BAD_UTF8", e.code());
        assertTrue(e.getMessage().contains("bad.txt"));
        AprException m = assertThrows(AprException.class, () -> run(CorpusEncoder.Options.defaults(List.of(tmp.resolve("nope")), tmp.resolve("o2"))));
        assertEquals("CORPUS_MISSING", m.code());
        assertThrows(AprException.class, () -> CorpusEncoder.Options.defaults(List.of(bad), tmp).withValFraction(1.0));
        assertThrows(AprException.class, () -> CorpusEncoder.EosPolicy.parse("sometimes"));
    }

    @Test void globMatchesLikeShellPaths() {
        Glob g = new Glob("java.base/**");
        assertTrue(g.matches("java.base/java/lang/String.java"));
        assertFalse(g.matches("java.desktop/java/awt/Frame.java"));
        Glob j = new Glob("**/*.{java,md}");
        assertTrue(j.matches("A.java"));
        assertTrue(j.matches("x/y/README.md"));
        assertFalse(j.matches("x/y/a.txt"));
        assertTrue(new Glob("a/*/c?.txt").matches("a/b/c1.txt"));
        assertFalse(new Glob("a/*/c?.txt").matches("a/b/x/c1.txt"));
        assertTrue(new Glob("[ab].txt").matches("b.txt"));
    }
}
