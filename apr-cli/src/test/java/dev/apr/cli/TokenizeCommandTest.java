package dev.apr.cli;

import dev.apr.model.tokenizer.Tokenizer;
import dev.apr.train.data.ShardManifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class TokenizeCommandTest {
    static final Path TOK = Path.of(System.getProperty("apr.testdata"), "qwen3-tokenizer");

    static int run(StringWriter out, StringWriter err, String... args) {
        CommandLine cl = AprCli.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        return cl.execute(args);
    }

    @Test void encodeCorpusWritesShardsAndManifest(@TempDir Path tmp) throws Exception {
        Path corpus = tmp.resolve("docs");
        Files.createDirectories(corpus);
        Files.writeString(corpus.resolve("a.txt"), "Hello world");
        Files.writeString(corpus.resolve("b.txt"), "I'm here");
        Path outDir = tmp.resolve("shards");
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = run(out, err, "tokenize", "encode-corpus", "--corpus", corpus.toString(), "--tokenizer", TOK.toString(),
                "--output", outDir.toString(), "--eos-policy", "after", "--threads", "2", "--json");
        assertEquals(0, rc, err.toString());
        assertTrue(out.toString().contains("\"documents\":2"), out.toString());
        ShardManifest m = ShardManifest.read(outDir);
        assertEquals("after", m.eosPolicy());
        Tokenizer t = Tokenizer.load(TOK);
        int[] a = t.encode("Hello world"), b = t.encode("I'm here");
        assertEquals(a.length + b.length + 2, m.tokens());
        ByteBuffer bb = ByteBuffer.wrap(Files.readAllBytes(outDir.resolve("shard-00000.bin"))).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(a[0], bb.getInt(0));
        assertEquals(151643, bb.getInt(4 * a.length));
        assertTrue(err.toString().contains("done"), err.toString());
    }

    @Test void badInputsExitTwoAndUsageExitsOne(@TempDir Path tmp) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = run(out, err, "tokenize", "encode-corpus", "--corpus", tmp.resolve("missing").toString(),
                "--tokenizer", TOK.toString(), "--output", tmp.resolve("o").toString());
        assertEquals(2, rc);
        assertTrue(err.toString().contains("CORPUS_MISSING"), err.toString());
        assertEquals(1, run(out, err, "tokenize", "encode-corpus", "--corpus", "x", "--tokenizer", TOK.toString(),
                "--output", tmp.toString(), "--eos-policy", "sometimes"));
        assertEquals(2, run(out, err, "tokenize", "encode-corpus", "--corpus", "x", "--tokenizer", tmp.resolve("nope").toString(),
                "--output", tmp.toString()));
    }
}
