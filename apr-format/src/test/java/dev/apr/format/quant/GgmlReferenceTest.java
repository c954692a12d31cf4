package dev.apr.format.quant;

import dev.apr.format.DType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Bit-exactness against llama.cpp's own ggml (vectors made by src/test/resources/ggml-ref/ref.c):
 * our quantizers must produce the same bytes as {@code ggml_quantize_chunk}, and our decoders the
 * same floats as {@code dequantize_row_*}.
 */
class GgmlReferenceTest {
    static final int ROWS = 24, COLS = 512;

    static byte[] resource(String name) throws IOException {
        try (InputStream in = GgmlReferenceTest.class.getResourceAsStream("/ggml-ref/" + name)) {
            assertNotNull(in, name);
            return in.readAllBytes();
        }
    }

    static float[] input() throws IOException {
        byte[] b = resource("input.f32");
        float[] x = new float[ROWS * COLS];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(x);
        return x;
    }

    private static void assertQuantizerMatchesGgml(DType type, String file) throws IOException {
        float[] x = input();
        byte[] expected = resource(file);
        int rowBytes = (int) type.byteSize(COLS);
        assertEquals(ROWS * rowBytes, expected.length);
        byte[] got = new byte[expected.length];
        Quantize.rows(type, x, 0, ROWS, COLS, got, 0);
        for (int r = 0; r < ROWS; r++) {
            for (int i = 0; i < rowBytes; i++) {
                int at = r * rowBytes + i;
                if (got[at] != expected[at])
                    fail(type + " row " + r + " byte " + i + " (block " + i / type.blockBytes + " offset " + i % type.blockBytes
                            + "): expected " + (expected[at] & 0xff) + ", got " + (got[at] & 0xff));
            }
        }
    }

    @Test void q8_0QuantizerIsBitExact() throws IOException { assertQuantizerMatchesGgml(DType.Q8_0, "q8_0.q"); }

    @Test void q5_0QuantizerIsBitExact() throws IOException { assertQuantizerMatchesGgml(DType.Q5_0, "q5_0.q"); }

    @Test void q4_KQuantizerIsBitExact() throws IOException { assertQuantizerMatchesGgml(DType.Q4_K, "q4_k.q"); }

    @Test void q6_KQuantizerIsBitExact() throws IOException { assertQuantizerMatchesGgml(DType.Q6_K, "q6_k.q"); }

    @Test void everyDecoderMatchesGgmlBitForBit() throws IOException {
        Map<String, DType> types = new HashMap<>();
        for (DType t : new DType[] {DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q8_0,
                DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K})
            types.put(t.name().toLowerCase(), t);
        String[] lines = new String(resource("dequant-crc32.txt")).split("\n");
        int checked = 0;
        Map<String, byte[]> data = new HashMap<>();
        for (String line : lines) {
            if (line.startsWith("#") || line.isBlank()) continue;
            String[] f = line.trim().split(" ");
            DType t = types.get(f[0]);
            assertNotNull(t, f[0]);
            byte[] q = data.computeIfAbsent(f[0], k -> { try { return resource(k + ".q"); } catch (IOException e) { throw new RuntimeException(e); } });
            int r = Integer.parseInt(f[1]);
            int rowBytes = (int) t.byteSize(COLS);
            float[] y = new float[COLS];
            Dequantize.decode(t, MemorySegment.ofArray(q), (long) r * rowBytes, y, 0, COLS, f[0]);
            ByteBuffer bb = ByteBuffer.allocate(COLS * 4).order(ByteOrder.LITTLE_ENDIAN);
            bb.asFloatBuffer().put(y);
            CRC32 crc = new CRC32();
            crc.update(bb.array());
            assertEquals(f[2], String.format("%08x", crc.getValue()), f[0] + " row " + r);
            checked++;
        }
        assertEquals(10 * ROWS, checked);
    }
}
