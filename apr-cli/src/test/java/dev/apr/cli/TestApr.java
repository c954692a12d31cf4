package dev.apr.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apr.model.ModelConfig;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.CRC32;

/** Builds APR v2 files byte by byte from specs/apr-v2.md (an independent writer for test inputs). */
final class TestApr {
    private TestApr() {}

    /** Metadata + F32 tensors with small random values; names sorted byte-wise as the spec requires. */
    static void write(Path path, Map<String, Object> metadata, Map<String, long[]> shapes, long seed) throws IOException {
        Random rng = new Random(seed);
        TreeMap<String, long[]> sorted = new TreeMap<>(shapes);   // ASCII names: String order = byte order
        byte[] md = new ObjectMapper().writeValueAsBytes(metadata);
        ByteArrayOutputStream index = new ByteArrayOutputStream(), data = new ByteArrayOutputStream();
        for (Map.Entry<String, long[]> e : sorted.entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = le(2 + name.length + 2 + 8 * e.getValue().length + 16);
            b.putShort((short) name.length).put(name).put((byte) 0).put((byte) e.getValue().length);
            for (long d : e.getValue()) b.putLong(d);
            b.putLong(data.size()).putLong(n * 4);
            index.write(b.array());
            ByteBuffer t = le((int) n * 4);
            boolean norm = e.getKey().endsWith("norm.weight");
            for (long i = 0; i < n; i++) t.putFloat(norm ? 1f : (float) (rng.nextGaussian() * 0.02));
            data.write(t.array());
            data.write(new byte[pad(data.size())]);
        }
        long indexOffset = 64 + md.length + pad(md.length);
        long dataOffset = indexOffset + index.size() + pad(index.size());
        ByteBuffer h = le(64);
        h.put(new byte[] {'A', 'P', 'R', 0}).put((byte) 2).put((byte) 0).putShort((short) 0x0400).putInt(sorted.size())
                .putLong(64).putInt(md.length).putLong(indexOffset).putLong(dataOffset);
        CRC32 hc = new CRC32();
        hc.update(h.array(), 0, 40);
        hc.update(h.array(), 44, 20);
        h.putInt(40, (int) hc.getValue());
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(h.array());
        f.write(md);
        f.write(new byte[pad(md.length)]);
        f.write(index.toByteArray());
        f.write(new byte[pad(index.size())]);
        f.write(data.toByteArray());
        CRC32 all = new CRC32();
        all.update(f.toByteArray());
        f.write(le(4).putInt((int) all.getValue()).array());
        Files.write(path, f.toByteArray());
    }

    /** A complete, valid model file for {@code cfg} (HF names, typed metadata). */
    static void model(Path path, ModelConfig cfg, long seed) throws IOException {
        write(path, new LinkedHashMap<>(cfg.toAprMetadata()), cfg.expectedTensors(), seed);
    }

    private static int pad(long n) { return (int) ((64 - n % 64) % 64); }

    private static ByteBuffer le(int n) { return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN); }
}
