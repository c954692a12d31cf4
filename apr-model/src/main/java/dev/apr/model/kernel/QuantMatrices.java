package dev.apr.model.kernel;

import dev.apr.format.DType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
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
    static final long LANE_BITS = L >= 64 ? -1L : (1L << L) - 1;

    static FloatVector toFloat(ByteVector b) {
        return (FloatVector) b.convertShape(VectorOperators.B2F, S, 0);
    }

    static ByteVector bytes(MemorySegment data, long off) {
        return ByteVector.fromMemorySegment(BS, data, off, LE);
    }

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
            for (int r = r0; r < r1; r++) {
                long base = r * rowBytes;
                FloatVector acc = FloatVector.zero(S);
                for (int b = 0; b < nb; b++) {
                    long bo = base + 22L * b;
                    int xo = xOff + 32 * b;
                    long qh = data.get(INT_LE, bo + 2) & 0xffffffffL;
                    FloatVector p = FloatVector.zero(S);
                    for (int s = 0; s < 16; s += L) {
                        ByteVector q = bytes(data, bo + 6 + s);
                        // element s+l: low nibble, bit (s+l) of qh; element 16+s+l: high nibble, bit 16+s+l
                        ByteVector lo = q.and((byte) 0x0F)
                                .lanewise(VectorOperators.OR, (byte) 16, VectorMask.fromLong(BS, (qh >>> s) & LANE_BITS));
                        ByteVector hi = q.lanewise(VectorOperators.LSHR, 4)
                                .lanewise(VectorOperators.OR, (byte) 16, VectorMask.fromLong(BS, (qh >>> (16 + s)) & LANE_BITS));
                        p = toFloat(lo.sub((byte) 16)).fma(FloatVector.fromArray(S, x, xo + s), p);
                        p = toFloat(hi.sub((byte) 16)).fma(FloatVector.fromArray(S, x, xo + 16 + s), p);
                    }
                    acc = p.fma(FloatVector.broadcast(S, f16(data, bo)), acc);
                }
                y[yOff + r] = reduce(acc);
            }
        }

        @Override public void row(int r, float[] dst, int off) {
            long base = r * rowBytes;
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
            int[] sc = new int[8], mn = new int[8];
            for (int r = r0; r < r1; r++) {
                long base = r * rowBytes;
                FloatVector acc0 = FloatVector.zero(S), acc1 = acc0;
                for (int b = 0; b < nb; b++) {
                    long bo = base + 144L * b;
                    int xo = xOff + 256 * b;
                    float d = f16(data, bo), dmin = f16(data, bo + 2);
                    q4kScales(data, bo, sc, mn);
                    for (int c = 0; c < 4; c++) {
                        // sub-block 2c in the low nibbles of bytes 32c.., sub-block 2c+1 in the high nibbles
                        FloatVector d1 = FloatVector.broadcast(S, d * sc[2 * c]), m1 = FloatVector.broadcast(S, -(dmin * mn[2 * c]));
                        FloatVector d2 = FloatVector.broadcast(S, d * sc[2 * c + 1]), m2 = FloatVector.broadcast(S, -(dmin * mn[2 * c + 1]));
                        for (int s = 0; s < 32; s += L) {
                            ByteVector q = bytes(data, bo + 16 + 32 * c + s);
                            FloatVector w1 = toFloat(q.and((byte) 0x0F)).fma(d1, m1);
                            FloatVector w2 = toFloat(q.lanewise(VectorOperators.LSHR, 4)).fma(d2, m2);
                            acc0 = w1.fma(FloatVector.fromArray(S, x, xo + 64 * c + s), acc0);
                            acc1 = w2.fma(FloatVector.fromArray(S, x, xo + 64 * c + 32 + s), acc1);
                        }
                    }
                }
                y[yOff + r] = reduce(acc0.add(acc1));
            }
        }

        @Override public void row(int r, float[] dst, int off) {
            long base = r * rowBytes;
            int[] sc = new int[8], mn = new int[8];
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
                        for (int s = 0; s < 32; s += L) {
                            ByteVector q = bytes(data, bo + 16 + 32 * c + s);
                            toFloat(q.and((byte) 0x0F)).fma(vd1, vm1).intoArray(dst, o + 64 * c + s);
                            toFloat(q.lanewise(VectorOperators.LSHR, 4)).fma(vd2, vm2).intoArray(dst, o + 64 * c + 32 + s);
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

        @Override void dotRows(float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
            if (!VECTOR_QUANTS) { scalarDotRows(this, x, xOff, y, yOff, r0, r1); return; }
            int nb = cols / 256;
            for (int r = r0; r < r1; r++) {
                long base = r * rowBytes;
                FloatVector acc0 = FloatVector.zero(S), acc1 = acc0;
                for (int b = 0; b < nb; b++) {
                    long bo = base + 210L * b;
                    int xo = xOff + 256 * b;
                    float d = f16(data, bo + 208);
                    for (int h = 0; h < 2; h++) {
                        for (int s = 0; s < 32; s += L) {
                            ByteVector qlA = bytes(data, bo + 64 * h + s), qlB = bytes(data, bo + 64 * h + 32 + s);
                            ByteVector qh = bytes(data, bo + 128 + 32 * h + s);
                            int e = 128 * h + s;   // element of q1; q2, q3, q4 follow at +32, +64, +96
                            ByteVector q1 = qlA.and((byte) 15).or(qh.lanewise(VectorOperators.LSHL, 4).and((byte) 0x30));
                            ByteVector q2 = qlB.and((byte) 15).or(qh.lanewise(VectorOperators.LSHL, 2).and((byte) 0x30));
                            ByteVector q3 = qlA.lanewise(VectorOperators.LSHR, 4).or(qh.and((byte) 0x30));
                            ByteVector q4 = qlB.lanewise(VectorOperators.LSHR, 4).or(qh.lanewise(VectorOperators.LSHR, 2).and((byte) 0x30));
                            acc0 = weights(q1, d, data, bo, e).fma(FloatVector.fromArray(S, x, xo + e), acc0);
                            acc1 = weights(q2, d, data, bo, e + 32).fma(FloatVector.fromArray(S, x, xo + e + 32), acc1);
                            acc0 = weights(q3, d, data, bo, e + 64).fma(FloatVector.fromArray(S, x, xo + e + 64), acc0);
                            acc1 = weights(q4, d, data, bo, e + 96).fma(FloatVector.fromArray(S, x, xo + e + 96), acc1);
                        }
                    }
                }
                y[yOff + r] = reduce(acc0.add(acc1));
            }
        }

        /** d·scale[e/16]·(q − 32) for the lanes starting at element e (all in one 16-element sub-block). */
        private static FloatVector weights(ByteVector q, float d, MemorySegment data, long bo, int e) {
            float ds = d * data.get(ValueLayout.JAVA_BYTE, bo + 192 + (e >>> 4));
            return toFloat(q).fma(ds, -32 * ds);
        }

        @Override public void row(int r, float[] dst, int off) {
            long base = r * rowBytes;
            for (int b = 0; b < cols / 256; b++) {
                long bo = base + 210L * b;
                float d = f16(data, bo + 208);
                int o = off + 256 * b;
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
        }

        private static int scale(MemorySegment data, long bo, int e) {
            return data.get(ValueLayout.JAVA_BYTE, bo + 192 + (e >>> 4));
        }
    }
}
