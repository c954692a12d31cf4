package dev.apr.model;

import dev.apr.format.DType;
import dev.apr.format.Floats;
import dev.apr.model.kernel.Parallel;
import dev.apr.model.kernel.WeightMatrix;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each in-place kernel against hand-computed blocks (spec §3) and against dequantize-then-dot. */
class WeightMatrixTest {

    private static WeightMatrix matrix(DType t, byte[] raw, int rows, int cols) {
        // one byte off an aligned address: kernels must not assume aligned blocks
        MemorySegment seg = Arena.ofAuto().allocate(raw.length + 1, 64).asSlice(1);
        MemorySegment.copy(raw, 0, seg, ValueLayout.JAVA_BYTE, 0, raw.length);
        return WeightMatrix.of("w", t, seg, rows, cols);
    }

    private static float[] row(WeightMatrix m, int r) {
        float[] out = new float[m.cols()];
        m.row(r, out, 0);
        return out;
    }

    @Test
    void q8_0HandBlock() {
        byte[] b = new byte[34];
        QuantTestBlocks.putHalf(b, 0, 0.5f);
        b[2] = 1; b[3] = -2; b[4] = 127; b[5] = -128;
        float[] w = row(matrix(DType.Q8_0, b, 1, 32), 0);
        assertEquals(0.5f, w[0]); assertEquals(-1f, w[1]); assertEquals(63.5f, w[2]); assertEquals(-64f, w[3]); assertEquals(0f, w[4]);
    }

    @Test
    void q5_0HandBlock() {
        byte[] b = new byte[22];
        QuantTestBlocks.putHalf(b, 0, 0.25f);
        b[2] = 1;          // qh bit 0
        b[4] = 1;          // qh bit 16
        b[6] = 0x3A;       // element 0: low nibble 10, element 16: high nibble 3
        float[] w = row(matrix(DType.Q5_0, b, 1, 32), 0);
        assertEquals(0.25f * 10, w[0]);     // (10 | 16) - 16
        assertEquals(0.25f * 3, w[16]);     // (3 | 16) - 16
        assertEquals(0.25f * -16, w[1]);    // (0 | 0) - 16
        assertEquals(0.25f * -16, w[17]);
    }

    @Test
    void q4_KHandBlock() {
        byte[] b = new byte[144];
        QuantTestBlocks.putHalf(b, 0, 1.0f);   // d
        QuantTestBlocks.putHalf(b, 2, 0.5f);   // dmin
        // sub-block 0: sc 3, m 2; sub-block 1: sc 5, m 1; sub-block 4: sc 37, m 19 (6-bit split packing)
        b[4] = (byte) (3 | (37 >> 4) << 6);
        b[8] = (byte) (2 | (19 >> 4) << 6);
        b[5] = 5; b[9] = 1;
        b[12] = (byte) ((37 & 0xF) | (19 & 0xF) << 4);
        b[16] = (byte) 0x97;        // element 0: nibble 7 (sub-block 0); element 32: nibble 9 (sub-block 1)
        b[16 + 64] = 0x0B;          // element 128: nibble 11 (sub-block 4)
        float[] w = row(matrix(DType.Q4_K, b, 1, 256), 0);
        assertEquals(3 * 7 - 0.5f * 2, w[0]);
        assertEquals(5 * 9 - 0.5f * 1, w[32]);
        assertEquals(37 * 11 - 0.5f * 19, w[128]);
        assertEquals(-0.5f * 2, w[1]);       // nibble 0 in sub-block 0: just the min
        float[] ref = new float[256];
        QuantTestBlocks.dequant(DType.Q4_K, b, 0, 256, ref, 0);
        assertArrayEquals(ref, w, 0f);
    }

    @Test
    void q6_KHandBlock() {
        byte[] b = new byte[210];
        QuantTestBlocks.putHalf(b, 208, 0.5f);
        b[192] = 2; b[192 + 2] = -3; b[192 + 4] = 7; b[192 + 6] = 1;   // scales of elements 0, 32, 64, 96
        b[0] = 0x21;                       // ql[0]: q1 low 1, q3 low 2
        b[32] = 0x05;                      // ql[32]: q2 low 5, q4 low 0
        b[128] = (byte) (3 | 1 << 2 | 2 << 4 | 3 << 6);   // qh[0]: high bits of q1..q4
        float[] w = row(matrix(DType.Q6_K, b, 1, 256), 0);
        assertEquals(0.5f * 2 * (49 - 32), w[0]);
        assertEquals(0.5f * -3 * (21 - 32), w[32]);
        assertEquals(0.5f * 7 * (34 - 32), w[64]);
        assertEquals(0.5f * 1 * (48 - 32), w[96]);
        assertEquals(0.5f * 2 * -32, w[1]);
        float[] ref = new float[256];
        QuantTestBlocks.dequant(DType.Q6_K, b, 0, 256, ref, 0);
        for (int i = 0; i < 256; i++) assertEquals(ref[i], w[i], Math.abs(ref[i]) * 1e-6f, "element " + i);
    }

    @Test
    void quantKernelsEqualDequantizeThenDot() {
        Random r = new Random(11);
        int rows = 9, cols = 512, tokens = 6;
        for (DType t : new DType[] {DType.Q8_0, DType.Q5_0, DType.Q4_K, DType.Q6_K}) {
            byte[] raw = QuantTestBlocks.randomBlocks(t, rows, cols, r);
            WeightMatrix m = matrix(t, raw, rows, cols);
            float[] deq = new float[rows * cols];
            QuantTestBlocks.dequant(t, raw, 0, rows * cols, deq, 0);
            for (int i = 0; i < rows; i++) {
                float[] w = row(m, i);
                for (int c = 0; c < cols; c++)
                    assertEquals(deq[i * cols + c], w[c], Math.abs(deq[i * cols + c]) * 2e-7f, t + " row " + i + " col " + c);
            }
            checkProducts(t.toString(), m, deq, rows, cols, tokens, r);
        }
    }

    /**
     * A prompt shorter than one block of vector lanes (64 tokens with AVX-512) goes through the
     * dot-product prefill: it dequantizes 16-row panels and takes the tokens in blocks of about 128 Ki
     * floats of activations: with 8192 columns a block is 16 tokens, so 37 tokens are blocks of 16, 16 and 5,
     * and 37 rows are panels of 16, 16 and 5 (a last tile of 1 row) — every (token, row) product
     * still equals the exact dot product, on 1 and 2 threads.
     */
    @Test
    void prefillOverSeveralPanelsAndTokenBlocks() {
        Random r = new Random(12);
        int rows = 37, cols = 8192, tokens = 37;
        byte[] raw = QuantTestBlocks.randomBlocks(DType.Q8_0, rows, cols, r);
        WeightMatrix m = matrix(DType.Q8_0, raw, rows, cols);
        float[] deq = new float[rows * cols];
        QuantTestBlocks.dequant(DType.Q8_0, raw, 0, rows * cols, deq, 0);
        int before = Parallel.shared().threads();
        try {
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setThreads(threads);
                checkProducts("Q8_0 on " + threads + " threads", m, deq, rows, cols, tokens, r);
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    /**
     * Longer prompts go through the outer-product prefill (tokens across the vector lanes): 45 rows
     * are a 32-row panel and a 13-row one (whose last 4-row tile has one real row); 148 tokens are two
     * full blocks of 64 and a half-width one of 20, 104 tokens a full block and a padded one of 40
     * (AVX-512; with AVX2 blocks of 32); 800 columns are six 128-column chunks and a short one.
     * Every (token, row) product equals the exact dot product, for every weight type, on 1 and 2 threads.
     */
    @Test
    void prefillWithTokensAcrossVectorLanes() {
        Random r = new Random(15);
        int rows = 45;
        int before = Parallel.shared().threads();
        try {
            for (DType t : new DType[] {DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q5_0, DType.Q4_K, DType.Q6_K}) {
                int cols = t == DType.Q4_K || t == DType.Q6_K ? 768 : 800;
                byte[] raw = floatOrQuantBlocks(t, rows, cols, r);
                WeightMatrix m = matrix(t, raw, rows, cols);
                float[] deq = new float[rows * cols];
                for (int i = 0; i < rows; i++) m.row(i, deq, i * cols);
                for (int threads = 1; threads <= 2; threads++) {
                    Parallel.setThreads(threads);
                    for (int tokens : new int[] {148, 104})
                        checkProducts(t + ", " + tokens + " tokens on " + threads + " threads", m, deq, rows, cols, tokens, r);
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    /** q/k/v prefill in one call (one transposition, one parallel region) equals each matrix alone. */
    @Test
    void prefillOverSeveralMatricesEqualsEachAlone() {
        Random r = new Random(22);
        int cols = 512, tokens = 100;
        DType[] types = {DType.Q8_0, DType.Q4_K, DType.F16};
        int[] rows = {70, 3, 33};
        WeightMatrix[] ms = new WeightMatrix[types.length];
        for (int i = 0; i < ms.length; i++) ms[i] = matrix(types[i], floatOrQuantBlocks(types[i], rows[i], cols, r), rows[i], cols);
        float[] x = new float[tokens * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        float[][] ys = new float[ms.length][];
        for (int i = 0; i < ms.length; i++) ys[i] = new float[tokens * rows[i]];
        WeightMatrix.matmul(ms, x, tokens, ys);
        for (int i = 0; i < ms.length; i++) {
            float[] alone = new float[tokens * rows[i]];
            ms[i].matmul(x, tokens, alone);
            for (int j = 0; j < alone.length; j++)
                assertEquals(Float.floatToIntBits(alone[j]), Float.floatToIntBits(ys[i][j]), types[i] + " matrix " + i + " element " + j);
        }
        float[][] wrong = {new float[tokens * rows[0]], new float[tokens * rows[1] - 1], new float[tokens * rows[2]]};
        var e = assertThrows(IllegalArgumentException.class, () -> WeightMatrix.matmul(ms, x, tokens, wrong));
        assertTrue(e.getMessage().contains("need " + tokens * rows[1]), e.getMessage());
    }

    /** Random small finite floats, or random valid quantized blocks. */
    private static byte[] floatOrQuantBlocks(DType t, int rows, int cols, Random r) {
        return switch (t) {
            case F32, F16, BF16 -> {
                byte[] b = new byte[(int) t.byteSize((long) rows * cols)];
                r.nextBytes(b);
                for (int i = t == DType.F32 ? 3 : 1; i < b.length; i += t == DType.F32 ? 4 : 2) b[i] &= 0x3f;
                yield b;
            }
            default -> QuantTestBlocks.randomBlocks(t, rows, cols, r);
        };
    }

    /**
     * F16 and BF16 weights become floats by bit operations in the vector lanes (shifted into float
     * position, F16 rescaled): every finite F16 bit pattern (subnormals, both zeros, the largest) and
     * BF16 ones up to 2^72, 45 to a row (whole vectors plus a scalar tail), dot x as the JDK's own
     * conversion says, within float rounding.
     */
    @Test
    void halfPrecisionDecodeOverEveryFinitePattern() {
        Random r = new Random(23);
        int cols = 45;
        for (DType t : new DType[] {DType.F16, DType.BF16}) {
            java.util.List<Short> patterns = new java.util.ArrayList<>();
            for (int h = 0; h < 1 << 16; h++) {
                int exp = t == DType.F16 ? (h >> 10) & 0x1f : (h >> 7) & 0xff;
                // F16: all finite; BF16: exponents below 2^73 keep every sum of 45 products finite
                if (t == DType.F16 ? exp != 0x1f : exp < 200) patterns.add((short) h);
            }
            int rows = (patterns.size() + cols - 1) / cols;
            short[] h = new short[rows * cols];                  // the last row padded with zeros
            for (int i = 0; i < patterns.size(); i++) h[i] = patterns.get(i);
            byte[] raw = new byte[2 * h.length];
            java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN).asShortBuffer().put(h);
            WeightMatrix m = matrix(t, raw, rows, cols);
            float[] x = new float[cols + 3];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            float[] y = new float[rows];
            m.matvec(x, 3, y, 0);
            for (int i = 0; i < rows; i++) {
                double e = 0, mag = 0;
                for (int c = 0; c < cols; c++) {
                    short bits = h[i * cols + c];
                    double w = t == DType.F16 ? Float.float16ToFloat(bits) : Float.intBitsToFloat(bits << 16);
                    e += w * x[3 + c];
                    mag += Math.abs(w * x[3 + c]);
                }
                assertEquals(e, y[i], 1e-6 * mag + Float.MIN_VALUE, t + " row " + i);
            }
        }
    }

    /**
     * The kernels handle rows in pairs (and prepare x once per call): any row range, odd or even,
     * starting anywhere, gives each row the dot product it has alone.
     */
    @Test
    void rowRangesOfAnyParityAgree() {
        Random r = new Random(14);
        int rows = 7, cols = 768;
        for (DType t : new DType[] {DType.Q8_0, DType.Q5_0, DType.Q4_K, DType.Q6_K, DType.F32, DType.F16, DType.BF16}) {
            byte[] raw = switch (t) {
                case F32, F16, BF16 -> {
                    byte[] b = new byte[(int) t.byteSize((long) rows * cols)];
                    r.nextBytes(b);
                    for (int i = t == DType.F32 ? 3 : 1; i < b.length; i += t == DType.F32 ? 4 : 2) b[i] &= 0x3f;   // small finite values
                    yield b;
                }
                default -> QuantTestBlocks.randomBlocks(t, rows, cols, r);
            };
            WeightMatrix m = matrix(t, raw, rows, cols);
            float[] x = new float[cols + 5];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            int xOff = 5;
            float[] alone = new float[rows];
            for (int i = 0; i < rows; i++) m.matvecRows(x, xOff, alone, 0, i, i + 1);
            for (int[] range : new int[][] {{0, 7}, {1, 4}, {3, 4}, {2, 7}, {0, 2}, {5, 7}}) {
                float[] y = new float[rows + 3];
                m.matvecRows(x, xOff, y, 3, range[0], range[1]);
                for (int i = range[0]; i < range[1]; i++)
                    assertEquals(alone[i], y[3 + i], Math.abs(alone[i]) * 1e-6f + 1e-6f, t + " rows " + range[0] + ".." + range[1] + " row " + i);
                for (int i = 0; i < range[0]; i++) assertEquals(0f, y[3 + i], t + ": row " + i + " outside the range written");
            }
            float[] full = new float[rows];
            m.matvec(x, xOff, full, 0);
            for (int i = 0; i < rows; i++) {
                float[] w = row(m, i);
                double e = 0, mag = 0;
                for (int c = 0; c < cols; c++) { e += (double) w[c] * x[xOff + c]; mag += Math.abs((double) w[c] * x[xOff + c]); }
                assertEquals(e, full[i], 1e-6 * mag + 1e-12, t + " matvec row " + i);
            }
        }
    }

    /**
     * One parallel region over several matrices (decode's q/k/v and gate/up) gives each matrix's own matvec,
     * including chunks that span the end of one matrix and the start of the next, on one and two threads.
     */
    @Test
    void matvecOverSeveralMatricesEqualsEachAlone() {
        Random r = new Random(21);
        int cols = 512;
        DType[] types = {DType.Q8_0, DType.Q5_0, DType.Q4_K, DType.Q6_K, DType.F16};
        int[] rows = {37, 3, 130, 1, 64};
        WeightMatrix[] ms = new WeightMatrix[types.length];
        for (int i = 0; i < ms.length; i++) {
            byte[] raw = types[i] == DType.F16 ? new byte[(int) DType.F16.byteSize((long) rows[i] * cols)] : QuantTestBlocks.randomBlocks(types[i], rows[i], cols, r);
            if (types[i] == DType.F16) { r.nextBytes(raw); for (int j = 1; j < raw.length; j += 2) raw[j] &= 0x3f; }
            ms[i] = matrix(types[i], raw, rows[i], cols);
        }
        float[] x = new float[cols + 2];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        int before = dev.apr.model.kernel.Parallel.shared().threads();
        try {
            for (int threads : new int[] {1, 2}) {
                dev.apr.model.kernel.Parallel.setThreads(threads);
                float[][] ys = new float[ms.length][];
                for (int i = 0; i < ms.length; i++) ys[i] = new float[rows[i]];
                WeightMatrix.matvec(ms, x, 2, ys);
                for (int i = 0; i < ms.length; i++) {
                    float[] alone = new float[rows[i]];
                    ms[i].matvecRows(x, 2, alone, 0, 0, rows[i]);
                    for (int j = 0; j < rows[i]; j++)
                        assertEquals(alone[j], ys[i][j], Math.abs(alone[j]) * 1e-6f + 1e-6f, types[i] + " matrix " + i + " row " + j + ", " + threads + " threads");
                }
            }
        } finally {
            dev.apr.model.kernel.Parallel.setThreads(before);
        }
    }

    /** Cross-check with the format module's reference dequantizer (dev.apr.format.quant, tested against libggml). */
    @Test
    void kernelsAgreeWithTheFormatDequantizer() {
        Random r = new Random(13);
        int rows = 3, cols = 768;
        for (DType t : new DType[] {DType.Q8_0, DType.Q5_0, DType.Q4_K, DType.Q6_K, DType.Q4_0, DType.Q4_1, DType.Q5_1,
                DType.Q2_K, DType.Q3_K, DType.Q5_K}) {
            byte[] raw = new byte[(int) t.byteSize((long) rows * cols)];
            r.nextBytes(raw);
            // keep every fp16 field finite: clear the exponent's top bit of each byte pair
            for (int i = 1; i < raw.length; i += 2) raw[i] &= (byte) 0xBF;
            WeightMatrix m = matrix(t, raw, rows, cols);
            float[] ref = dev.apr.format.quant.Dequantize.decode(t, raw, rows * cols);
            for (int i = 0; i < rows; i++) {
                float[] w = row(m, i);
                for (int c = 0; c < cols; c++) {
                    float e = ref[i * cols + c];
                    assertEquals(e, w[c], Math.abs(e) * 2e-7f + 1e-30f, t + " [" + i + "," + c + "]");
                }
            }
            checkProducts(t.toString(), m, ref, rows, cols, 5, r);
        }
    }

    @Test
    void floatKernelsReadExactValues() {
        Random r = new Random(12);
        int rows = 7, cols = 70;   // not a multiple of the vector length: scalar tails too
        for (DType t : new DType[] {DType.F32, DType.F16, DType.BF16}) {
            float[] v = new float[rows * cols];
            for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian() * (i % 5 == 0 ? 1e-6f : 1f);
            v[3] = -0f; v[4] = 6.0e-8f; v[5] = -65504f;   // F16 signed zero, subnormal, max
            MemoryModelFile f = new MemoryModelFile("memory").put("w", t, new long[] {rows, cols}, v);
            WeightMatrix m = WeightMatrix.of(f.tensor("w"));
            float[] exact = new float[v.length];
            for (int i = 0; i < v.length; i++)
                exact[i] = switch (t) {
                    case F16 -> Floats.f16ToF32(Floats.f32ToF16(v[i]));
                    case BF16 -> Floats.bf16ToF32(Floats.f32ToBf16(v[i]));
                    default -> v[i];
                };
            for (int i = 0; i < rows; i++) {
                float[] w = row(m, i);
                for (int c = 0; c < cols; c++)
                    assertEquals(Float.floatToIntBits(exact[i * cols + c]), Float.floatToIntBits(w[c]), t + " [" + i + "," + c + "]");
            }
            checkProducts(t.toString(), m, exact, rows, cols, 5, r);
            f.close();
        }
    }

    /** matvec and matmul equal the double-precision dot of the dequantized rows. */
    private static void checkProducts(String what, WeightMatrix m, float[] deq, int rows, int cols, int tokens, Random r) {
        float[] x = new float[tokens * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        float[] yBatch = new float[tokens * rows];
        m.matmul(x, tokens, yBatch);
        for (int t = 0; t < tokens; t++) {
            float[] y = new float[rows];
            m.matvec(x, t * cols, y, 0);
            for (int i = 0; i < rows; i++) {
                double e = 0, mag = 0;
                for (int c = 0; c < cols; c++) {
                    e += (double) deq[i * cols + c] * x[t * cols + c];
                    mag += Math.abs((double) deq[i * cols + c] * x[t * cols + c]);
                }
                assertEquals(e, y[i], 1e-6 * mag + 1e-12, what + " matvec row " + i);
                assertEquals(e, yBatch[t * rows + i], 1e-6 * mag + 1e-12, what + " matmul token " + t + " row " + i);
            }
        }
    }

    @Test
    void refusesWrongByteSizeAndRowLength() {
        MemorySegment seg = Arena.ofAuto().allocate(100);
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.apr.format.AprException.class,
                () -> WeightMatrix.of("blk.0.attn_q.weight", DType.Q8_0, seg, 2, 64));
        assertEquals("BAD_TENSOR_SIZE", e.code());
        e = org.junit.jupiter.api.Assertions.assertThrows(dev.apr.format.AprException.class,
                () -> WeightMatrix.of("blk.0.ffn_up.weight", DType.Q4_K, seg, 1, 896));
        assertEquals("BAD_TENSOR_SHAPE", e.code());
    }
}
