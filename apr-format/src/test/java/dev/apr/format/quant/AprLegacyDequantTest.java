package dev.apr.format.quant;

import dev.apr.format.DType;
import dev.apr.format.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.*;

/** The APR-only legacy types decode per specs/apr-v2.md, including rows that straddle APR_Q4 blocks. */
class AprLegacyDequantTest {
    @Test void aprQ8IsOneScaleTimesInt8() {
        ByteBuffer b = ByteBuffer.allocate(4 + 6).order(ByteOrder.LITTLE_ENDIAN).putFloat(0.5f);
        for (int v : new int[] {-128, -1, 0, 1, 2, 127}) b.put((byte) v);
        Tensor t = new Tensor("w", DType.APR_Q8, new long[] {2, 3}, MemorySegment.ofArray(b.array()));
        assertArrayEquals(new float[] {-64f, -0.5f, 0f, 0.5f, 1f, 63.5f}, Dequantize.toFloats(t));
    }

    @Test void aprQ4BlocksRunOverTheWholeTensor() {
        // 3 rows of 20 = 60 elements -> 2 blocks of 32 (the last one padded)
        byte[] b = new byte[2 * 18];
        float[] scales = {0.25f, 2f};
        for (int blk = 0; blk < 2; blk++) {
            short h = Float.floatToFloat16(scales[blk]);
            b[blk * 18] = (byte) h;
            b[blk * 18 + 1] = (byte) (h >> 8);
        }
        float[] expected = new float[60];
        for (int e = 0; e < 60; e++) {
            int q = (e * 5) % 16 - 8;                        // -8..7
            int blk = e / 32, w = e % 32, at = blk * 18 + 2 + w / 2;
            b[at] |= (byte) (w % 2 == 0 ? (q + 8) : (q + 8) << 4);
            expected[e] = q * scales[blk];
        }
        Tensor t = new Tensor("w", DType.APR_Q4, new long[] {3, 20}, MemorySegment.ofArray(b));
        assertArrayEquals(expected, Dequantize.toFloats(t));
        float[] row = new float[20];
        Dequantize.row(t, 1, row, 0);   // elements 20..39 cross the block boundary at 32
        for (int i = 0; i < 20; i++) assertEquals(expected[20 + i], row[i]);
    }
}
