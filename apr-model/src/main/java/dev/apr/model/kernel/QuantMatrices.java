package dev.apr.model.kernel;

import dev.apr.format.DType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.apr.model.kernel.WeightMatrix.*;

/**
 * Kernels for the GGML block types (specs/gguf-safetensors.md §3): Q8_0, Q5_0, Q4_K, Q6_K.
 * Quants are unpacked with byte-vector operations, converted to floats and scaled in registers,
 * then multiplied with float activations. Each type also has a plain scalar dequantizer: the
 * fallback on machines without 8/16 float lanes, and the readable statement of the layout.
 */
final class QuantMatrices {
    private QuantMatrices() {}

    /** Bytes with as many lanes as a float vector: 128-bit for AVX-512, 64-bit for AVX2. */
    static final VectorSpecies<Byte> BS = VECTOR_QUANTS ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, S.vectorShape());
    static final java.lang.invoke.VarHandle SHORT_AT = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(short[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    static final java.lang.invoke.VarHandle INT_AT = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    static final long LANE_BITS = L >= 64 ? -1L : (1L << L) - 1;

    static FloatVector toFloat(ByteVector b) {
        return (FloatVector) b.convertShape(VectorOperators.B2F, S, 0);
    }

    /** L bytes of q at off, sign-extended into the 32-bit lanes of a full-width int vector. */
    static IntVector ints(byte[] q, int off) {
        return (IntVector) ByteVector.fromArray(BS, q, off).convertShape(VectorOperators.B2I, IS, 0);
    }

    static FloatVector toFloat(IntVector v) {
        return (FloatVector) v.convertShape(VectorOperators.I2F, S, 0);
    }

    static ByteVector bytes(MemorySegment data, long off) {
        return ByteVector.fromMemorySegment(BS, data, off, LE);
    }

    /*
     * Unpacking happens in 32-bit lanes (B2I, then int shifts and masks): x86 has no byte-lane
     * shifts, the Vector API's byte shifts are slow there, and int ops keep C2's graph small
     * enough that nothing gets boxed.
     */

    static int u8(MemorySegment data, long off) { return data.get(ValueLayout.JAVA_BYTE, off) & 0xff; }

    /** Rows via the scalar dequantizer, for machines where the vector kernels do not apply. */
    static void scalarDotRows(WeightMatrix m, float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
        float[] w = new float[m.cols];
        for (int r = r0; r < r1; r++) {
            m.row(r, w, 0);
            float s = 0;
            for (int c = 0; c < m.cols; c++) s += w[c] * x[xOff + c];
            y[yOff + r] = s;
        }
    }

    // ---- Q8_0: d (f16) + 32 int8; x = d·q ------------------------------------------------------

    static final class Q8_0 extends WeightMatrix {
        Q8_0(String name, MemorySegment data, int rows, int cols) { super(name, DType.Q8_0, data, rows, cols); }

        @Override void dotRows(float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
            if (!VECTOR_QUANTS) { scalarDotRows(this, x, xOff, y, yOff, r0, r1); return; }
            int nb = cols / 32;
            for (int r = r0; r < r1; r++) {
                long base = r * rowBytes;
                FloatVector acc = FloatVector.zero(S);
                for (int b = 0; b < nb; b++) {
                    long bo = base + 34L * b;
                    int xo = xOff + 32 * b;
                    FloatVector p = toFloat(bytes(data, bo + 2)).mul(FloatVector.fromArray(S, x, xo));
                    for (int j = L; j < 32; j += L)
                        p = toFloat(bytes(data, bo + 2 + j)).fma(FloatVector.fromArray(S, x, xo + j), p);
                    acc = p.fma(FloatVector.broadcast(S, f16(data, bo)), acc);
                }
                y[yOff + r] = reduce(acc);
            }
        }

        @Override public void row(int r, float[] dst, int off) {
            long base = r * rowBytes;
            for (int b = 0; b < cols / 32; b++) {
                long bo = base + 34L * b;
                float d = f16(data, bo);
                if (VECTOR_QUANTS) {
                    for (int j = 0; j < 32; j += L) toFloat(bytes(data, bo + 2 + j)).mul(d).intoArray(dst, off + 32 * b + j);
                } else {
                    for (int j = 0; j < 32; j++) dst[off + 32 * b + j] = d * data.get(ValueLayout.JAVA_BYTE, bo + 2 + j);
                }
            }
        }
    }

    // ---- Q5_0: d (f16), qh (u32), qs[16]; x = d·((nibble | qh bit << 4) − 16) -----------------

    static final class Q5_0 extends WeightMatrix {
        Q5_0(String name, MemorySegment data, int rows, int cols) { super(name, DType.Q5_0, data, rows, cols); }

        @Override void dotRows(float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
            if (!VECTOR_QUANTS) { scalarDotRows(this, x, xOff, y, yOff, r0, r1); return; }
            int nb = cols / 32;
            byte[] row = new byte[(int) rowBytes];
            for (int r = r0; r < r1; r++) {
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, r * rowBytes, row, 0, row.length);
                FloatVector acc = FloatVector.zero(S);
                for (int b = 0; b < nb; b++) acc = block(row, 22 * b, x, xOff + 32 * b, acc);
                y[yOff + r] = reduce(acc);
            }
        }

        /** acc + d·Σ (q − 16)·x over one block: nibble | (qh bit << 4), unpacked in 32-bit lanes. */
        private static FloatVector block(byte[] q, int bo, float[] x, int xo, FloatVector acc) {
            float d = Float.float16ToFloat((short) SHORT_AT.get(q, bo));
            long qh = (int) INT_AT.get(q, bo + 2) & 0xffffffffL;
            FloatVector p = FloatVector.zero(S);
            for (int s = 0; s < 16; s += L) {
                IntVector v = ints(q, bo + 6 + s);
                IntVector lo = v.and(15).lanewise(VectorOperators.OR, 16, VectorMask.fromLong(IS, (qh >>> s) & LANE_BITS));
                IntVector hi = v.lanewise(VectorOperators.ASHR, 4).and(15)
                        .lanewise(VectorOperators.OR, 16, VectorMask.fromLong(IS, (qh >>> (16 + s)) & LANE_BITS));
                p = toFloat(lo.sub(16)).fma(FloatVector.fromArray(S, x, xo + s), p);
                p = toFloat(hi.sub(16)).fma(FloatVector.fromArray(S, x, xo + 16 + s), p);
            }
            return p.fma(FloatVector.broadcast(S, d), acc);
        }

        @Override public void row(int r, float[] dst, int off) {
            long base = r * rowBytes;
            if (VECTOR_QUANTS) {
                byte[] q = new byte[(int) rowBytes];
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, base, q, 0, q.length);
                for (int b = 0; b < cols / 32; b++) {
                    int bo = 22 * b, o = off + 32 * b;
                    float d = Float.float16ToFloat((short) ((q[bo] & 0xff) | (q[bo + 1] << 8)));
                    long qh = (q[bo + 2] & 0xff) | (q[bo + 3] & 0xff) << 8 | (q[bo + 4] & 0xff) << 16 | (long) (q[bo + 5] & 0xff) << 24;
                    for (int s = 0; s < 16; s += L) {
                        IntVector v = ints(q, bo + 6 + s);
                        IntVector lo = v.and(15).lanewise(VectorOperators.OR, 16, VectorMask.fromLong(IS, (qh >>> s) & LANE_BITS));
                        IntVector hi = v.lanewise(VectorOperators.ASHR, 4).and(15)
                                .lanewise(VectorOperators.OR, 16, VectorMask.fromLong(IS, (qh >>> (16 + s)) & LANE_BITS));
                        toFloat(lo.sub(16)).mul(d).intoArray(dst, o + s);
                        toFloat(hi.sub(16)).mul(d).intoArray(dst, o + 16 + s);
                    }
                }
                return;
            }
            for (int b = 0; b < cols / 32; b++) {
                long bo = base + 22L * b;
                float d = f16(data, bo);
                int qh = data.get(INT_LE, bo + 2);
                int o = off + 32 * b;
                for (int j = 0; j < 16; j++) {
                    int q = u8(data, bo + 6 + j);
                    dst[o + j] = d * (((q & 15) | ((qh >>> j) & 1) << 4) - 16);
                    dst[o + 16 + j] = d * (((q >>> 4) | ((qh >>> (16 + j)) & 1) << 4) - 16);
                }
            }
        }
    }

    // ---- Q4_K: d, dmin (f16), 12 bytes of 6-bit scales/mins, 128 bytes of nibbles --------------

    /** Unpacks the 8 (scale, min) pairs of a Q4_K super-block at bo (get_scale_min_k4). */
    static void q4kScales(MemorySegment data, long bo, int[] sc, int[] mn) {
        long q = bo + 4;
        for (int j = 0; j < 4; j++) {
            sc[j] = u8(data, q + j) & 63;
            mn[j] = u8(data, q + j + 4) & 63;
        }
        for (int j = 4; j < 8; j++) {
            sc[j] = (u8(data, q + j + 4) & 0xF) | ((u8(data, q + j - 4) >>> 6) << 4);
            mn[j] = (u8(data, q + j + 4) >>> 4) | ((u8(data, q + j) >>> 6) << 4);
        }
    }

    static final class Q4_K extends WeightMatrix {
        Q4_K(String name, MemorySegment data, int rows, int cols) { super(name, DType.Q4_K, data, rows, cols); }

        @Override void dotRows(float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
            if (!VECTOR_QUANTS) { scalarDotRows(this, x, xOff, y, yOff, r0, r1); return; }
            int nb = cols / 256;
            byte[] row = new byte[(int) rowBytes];
            for (int r = r0; r < r1; r++) {
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, r * rowBytes, row, 0, row.length);
                float sum = 0;
                for (int b = 0; b < nb; b++) sum += superBlockDot(row, 144 * b, x, xOff + 256 * b);
                y[yOff + r] = sum;
            }
        }

        /** Σ w·x over one super-block: w = d·sc·q − dmin·m per 32-element sub-block. */
        private static float superBlockDot(byte[] q, int bo, float[] x, int xo) {
            float d = Float.float16ToFloat((short) ((q[bo] & 0xff) | (q[bo + 1] << 8)));
            float dmin = Float.float16ToFloat((short) ((q[bo + 2] & 0xff) | (q[bo + 3] << 8)));
            FloatVector acc0 = FloatVector.zero(S), acc1 = acc0;
            for (int c = 0; c < 4; c++) {
                // sub-block 2c in the low nibbles of bytes 32c.., sub-block 2c+1 in the high nibbles
                int j = 2 * c, sc = bo + 4;
                int sc1, m1, sc2, m2;
                if (j < 4) {
                    sc1 = q[sc + j] & 63; m1 = q[sc + j + 4] & 63;
                    sc2 = q[sc + j + 1] & 63; m2 = q[sc + j + 5] & 63;
                } else {
                    sc1 = (q[sc + j + 4] & 0xF) | ((q[sc + j - 4] & 0xff) >>> 6) << 4;
                    m1 = ((q[sc + j + 4] & 0xff) >>> 4) | ((q[sc + j] & 0xff) >>> 6) << 4;
                    sc2 = (q[sc + j + 5] & 0xF) | ((q[sc + j - 3] & 0xff) >>> 6) << 4;
                    m2 = ((q[sc + j + 5] & 0xff) >>> 4) | ((q[sc + j + 1] & 0xff) >>> 6) << 4;
                }
                FloatVector d1 = FloatVector.broadcast(S, d * sc1), n1 = FloatVector.broadcast(S, -(dmin * m1));
                FloatVector d2 = FloatVector.broadcast(S, d * sc2), n2 = FloatVector.broadcast(S, -(dmin * m2));
                for (int s = 0; s < 32; s += L) {
                    IntVector v = ints(q, bo + 16 + 32 * c + s);
                    FloatVector w1 = toFloat(v.and(15)).fma(d1, n1);
                    FloatVector w2 = toFloat(v.lanewise(VectorOperators.ASHR, 4).and(15)).fma(d2, n2);
                    acc0 = w1.fma(FloatVector.fromArray(S, x, xo + 64 * c + s), acc0);
                    acc1 = w2.fma(FloatVector.fromArray(S, x, xo + 64 * c + 32 + s), acc1);
                }
            }
            return reduce(acc0.add(acc1));
        }

        @Override public void row(int r, float[] dst, int off) {
            long base = r * rowBytes;
            int[] sc = new int[8], mn = new int[8];
            byte[] qs = new byte[32];
            for (int b = 0; b < cols / 256; b++) {
                long bo = base + 144L * b;
                float d = f16(data, bo), dmin = f16(data, bo + 2);
                q4kScales(data, bo, sc, mn);
                int o = off + 256 * b;
                for (int c = 0; c < 4; c++) {
                    float d1 = d * sc[2 * c], m1 = dmin * mn[2 * c], d2 = d * sc[2 * c + 1], m2 = dmin * mn[2 * c + 1];
                    if (VECTOR_QUANTS) {
                        FloatVector vd1 = FloatVector.broadcast(S, d1), vm1 = FloatVector.broadcast(S, -m1);
                        FloatVector vd2 = FloatVector.broadcast(S, d2), vm2 = FloatVector.broadcast(S, -m2);
                        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, bo + 16 + 32 * c, qs, 0, 32);
                        for (int s = 0; s < 32; s += L) {
                            IntVector v = ints(qs, s);
                            toFloat(v.and(15)).fma(vd1, vm1).intoArray(dst, o + 64 * c + s);
                            toFloat(v.lanewise(VectorOperators.ASHR, 4).and(15)).fma(vd2, vm2).intoArray(dst, o + 64 * c + 32 + s);
                        }
                    } else {
                        for (int l = 0; l < 32; l++) {
                            int q = u8(data, bo + 16 + 32 * c + l);
                            dst[o + 64 * c + l] = d1 * (q & 15) - m1;
                            dst[o + 64 * c + 32 + l] = d2 * (q >>> 4) - m2;
                        }
                    }
                }
            }
        }
    }

    // ---- Q6_K: ql[128], qh[64], int8 scales[16], d (f16, last); x = d·scale·(q − 32) ----------

    static final class Q6_K extends WeightMatrix {
        Q6_K(String name, MemorySegment data, int rows, int cols) { super(name, DType.Q6_K, data, rows, cols); }

        /*
         * Unpacking Q6_K takes many vector operations; in one method with the dot product they
         * exceed C2's inlining node budget and the vectors get boxed (100x slower). So a super-block
         * is dequantized, one 64-element group per call, into a 256-float L1 buffer, then dotted.
         */
        @Override void dotRows(float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
            if (!VECTOR_QUANTS) { scalarDotRows(this, x, xOff, y, yOff, r0, r1); return; }
            int nb = cols / 256;
            float[] w = new float[256];
            byte[] row = new byte[(int) rowBytes];
            for (int r = r0; r < r1; r++) {
                // one bulk copy per row: array vector loads are much cheaper for C2 than segment loads
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, r * rowBytes, row, 0, row.length);
                FloatVector acc0 = FloatVector.zero(S), acc1 = acc0;
                for (int b = 0; b < nb; b++) {
                    superBlock(row, 210 * b, w, 0);
                    int xo = xOff + 256 * b;
                    for (int i = 0; i < 256; i += 2 * L) {
                        acc0 = FloatVector.fromArray(S, w, i).fma(FloatVector.fromArray(S, x, xo + i), acc0);
                        acc1 = FloatVector.fromArray(S, w, i + L).fma(FloatVector.fromArray(S, x, xo + i + L), acc1);
                    }
                }
                y[yOff + r] = reduce(acc0.add(acc1));
            }
        }

        /** Dequantizes the 256 values of the super-block at bo into dst[o..o+256). */
        static void superBlock(byte[] q, int bo, float[] dst, int o) {
            float d = Float.float16ToFloat((short) ((q[bo + 208] & 0xff) | (q[bo + 209] << 8)));
            for (int h = 0; h < 2; h++)
                for (int s = 0; s < 32; s += L) group(q, bo, h, s, d, dst, o);
        }

        /** Elements 128h+s+l, +32, +64, +96 for l < L: one lane-group of each quarter of half h. */
        private static void group(byte[] q, int bo, int h, int s, float d, float[] dst, int o) {
            // unpacked in 32-bit lanes: x86 has no byte shifts, and int ops keep C2's graph small
            IntVector a = ints(q, bo + 64 * h + s), b = ints(q, bo + 64 * h + 32 + s);
            IntVector hi = ints(q, bo + 128 + 32 * h + s);
            int e = 128 * h + s;
            IntVector q1 = a.and(15).or(hi.lanewise(VectorOperators.LSHL, 4).and(0x30));
            IntVector q2 = b.and(15).or(hi.lanewise(VectorOperators.LSHL, 2).and(0x30));
            IntVector q3 = a.lanewise(VectorOperators.ASHR, 4).and(15).or(hi.and(0x30));
            IntVector q4 = b.lanewise(VectorOperators.ASHR, 4).and(15).or(hi.lanewise(VectorOperators.ASHR, 2).and(0x30));
            // d·scale·(q − 32): one int8 scale per 16 elements
            int sc = bo + 192 + (e >>> 4);
            float s1 = d * q[sc], s2 = d * q[sc + 2], s3 = d * q[sc + 4], s4 = d * q[sc + 6];
            toFloat(q1).fma(s1, -32 * s1).intoArray(dst, o + e);
            toFloat(q2).fma(s2, -32 * s2).intoArray(dst, o + e + 32);
            toFloat(q3).fma(s3, -32 * s3).intoArray(dst, o + e + 64);
            toFloat(q4).fma(s4, -32 * s4).intoArray(dst, o + e + 96);
        }

        @Override public void row(int r, float[] dst, int off) {
            long base = r * rowBytes;
            for (int b = 0; b < cols / 256; b++) {
                if (VECTOR_QUANTS) {
                    byte[] q = new byte[210];
                    MemorySegment.copy(data, ValueLayout.JAVA_BYTE, base + 210L * b, q, 0, 210);
                    superBlock(q, 0, dst, off + 256 * b);
                } else scalarSuperBlock(data, base + 210L * b, dst, off + 256 * b);
            }
        }

        private static void scalarSuperBlock(MemorySegment data, long bo, float[] dst, int o) {
            float d = f16(data, bo + 208);
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l++) {
                    int a = u8(data, bo + 64 * h + l), c = u8(data, bo + 64 * h + 32 + l), qh = u8(data, bo + 128 + 32 * h + l);
                    int e = 128 * h + l;
                    int q1 = (a & 15) | ((qh & 3) << 4), q2 = (c & 15) | (((qh >>> 2) & 3) << 4);
                    int q3 = (a >>> 4) | (((qh >>> 4) & 3) << 4), q4 = (c >>> 4) | (((qh >>> 6) & 3) << 4);
                    dst[o + e] = d * scale(data, bo, e) * (q1 - 32);
                    dst[o + e + 32] = d * scale(data, bo, e + 32) * (q2 - 32);
                    dst[o + e + 64] = d * scale(data, bo, e + 64) * (q3 - 32);
                    dst[o + e + 96] = d * scale(data, bo, e + 96) * (q4 - 32);
                }
            }
        }

        private static int scale(MemorySegment data, long bo, int e) {
            return data.get(ValueLayout.JAVA_BYTE, bo + 192 + (e >>> 4));
        }
    }
}
