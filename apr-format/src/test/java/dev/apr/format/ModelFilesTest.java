package dev.apr.format;

import dev.apr.format.apr.AprWriter;
import dev.apr.format.safetensors.SafeTensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class ModelFilesTest {
    @TempDir Path dir;

    @Test
    void sniffsAprAndSafeTensors() {
        Path a = dir.resolve("m.apr"), s = dir.resolve("m.bin");
        new AprWriter().tensor("w", new long[] {2}, new float[] {1, 2}).write(a);
        new SafeTensorsWriter().tensor("w", new long[] {2}, new float[] {1, 2}).write(s); // no .safetensors suffix: sniffed
        try (ModelFile f = ModelFiles.open(a)) {
            assertEquals("APR", f.format());
        }
        try (ModelFile f = ModelFiles.open(s)) {
            assertEquals("SafeTensors", f.format());
            assertEquals(2f, f.tensor("w").data().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 1));
        }
    }

    @Test
    void randomBytesOnlyEverGiveAprException() throws IOException {
        Random r = new Random(11);
        Path p = dir.resolve("garbage");
        byte[][] prefixes = {{'A', 'P', 'R', 0}, {'A', 'P', 'R', 'N'}, {}, {8, 0, 0, 0, 0, 0, 0, 0, '{'}};
        for (int i = 0; i < 200; i++) {
            byte[] pre = prefixes[i % prefixes.length];
            byte[] b = new byte[pre.length + r.nextInt(300)];
            r.nextBytes(b);
            System.arraycopy(pre, 0, b, 0, pre.length);
            Files.write(p, b);
            AprException e = assertThrows(AprException.class, () -> ModelFiles.open(p).close());
            assertEquals(2, e.exitCode());
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        }
    }
}
