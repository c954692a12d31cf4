package dev.apr.model.kernel;

import dev.apr.format.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

import static dev.apr.model.kernel.WeightMatrix.*;

/** Kernels for the float weight types: F32, F16 and BF16 (converted lane-wise in registers). */
final class FloatMatrices {
    private FloatMatrices() {}

    /** Shorts with as many lanes as a float vector (256-bit for AVX-512). */
    static final VectorSpecies<Short> SS = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, S.vectorShape());

    static final class F32 extends WeightMatrix {
        F32(String name, MemorySegment data, int rows, int cols) { super(name, DType.F32, data, rows, cols); }

        @Override void dotRows(float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
            int kv = cols - cols % L;
            for (int r = r0; r < r1; r++) {
                long base = r * rowBytes;
                FloatVector acc0 = FloatVector.zero(S), acc1 = acc0;
                int c = 0;
                for (; c + 2 * L <= kv; c += 2 * L) {
                    acc0 = FloatVector.fromMemorySegment(S, data, base + 4L * c, LE).fma(FloatVector.fromArray(S, x, xOff + c), acc0);
                    acc1 = FloatVector.fromMemorySegment(S, data, base + 4L * (c + L), LE).fma(FloatVector.fromArray(S, x, xOff + c + L), acc1);
                }
                for (; c < kv; c += L)
                    acc0 = FloatVector.fromMemorySegment(S, data, base + 4L * c, LE).fma(FloatVector.fromArray(S, x, xOff + c), acc0);
                float s = reduce(acc0.add(acc1));
                for (; c < cols; c++) s += data.get(FLOAT_LE, base + 4L * c) * x[xOff + c];
                y[yOff + r] = s;
            }
        }

        @Override public void row(int r, float[] dst, int off) {
            MemorySegment.copy(data, FLOAT_LE, r * rowBytes, dst, off, cols);
        }
    }

    /**
     * F16 → F32 in registers: shift the half's bits into float position and rescale by 2^112
     * (exact for normals, subnormals and zeros; an F16 Inf/NaN weight becomes a large finite value).
     * Measured and not kept (Dec 2026, Zen 5): two halves per 32-bit lane from one plain load, unpacked
     * with shifts against x deinterleaved once per matvec, skips the lane-widening load and ran 25-30 %
     * faster in cache (1 and 2 threads), but decoding the F16 0.5B model from DRAM on 2 threads
     * 9 % slower (28.1 against 30.9 tok/s, six alternating pairs).
     */
    static FloatVector halfToFloat(MemorySegment data, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(SS, data, off, LE).convertShape(VectorOperators.S2I, IS, 0);
        // after << 13: sign (sign-extended) lands in bit 31, exponent+mantissa in bits 13..27
        IntVector bits = h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000);
        return bits.reinterpretAsFloats().mul(0x1p112f);
    }

    static final class F16 extends WeightMatrix {
        F16(String name, MemorySegment data, int rows, int cols) { super(name, DType.F16, data, rows, cols); }

        @Override void dotRows(float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
            int kv = cols - cols % L;
            for (int r = r0; r < r1; r++) {
                long base = r * rowBytes;
                FloatVector acc0 = FloatVector.zero(S), acc1 = acc0;
                int c = 0;
                for (; c + 2 * L <= kv; c += 2 * L) {
                    acc0 = halfToFloat(data, base + 2L * c).fma(FloatVector.fromArray(S, x, xOff + c), acc0);
                    acc1 = halfToFloat(data, base + 2L * (c + L)).fma(FloatVector.fromArray(S, x, xOff + c + L), acc1);
                }
                for (; c < kv; c += L) acc0 = halfToFloat(data, base + 2L * c).fma(FloatVector.fromArray(S, x, xOff + c), acc0);
                float s = reduce(acc0.add(acc1));
                for (; c < cols; c++) s += f16(data, base + 2L * c) * x[xOff + c];
                y[yOff + r] = s;
            }
        }

        @Override public void row(int r, float[] dst, int off) {
            long base = r * rowBytes;
            int kv = cols - cols % L, c = 0;
            for (; c < kv; c += L) halfToFloat(data, base + 2L * c).intoArray(dst, off + c);
            for (; c < cols; c++) dst[off + c] = f16(data, base + 2L * c);
        }
    }

    /** BF16 → F32 in registers: the 16 bits are the top half of the float (exact). */
    static FloatVector bf16ToFloat(MemorySegment data, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(SS, data, off, LE).convertShape(VectorOperators.S2I, IS, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    static float bf16(MemorySegment s, long off) {
        return Float.intBitsToFloat((s.get(SHORT_LE, off) & 0xffff) << 16);
    }

    static final class BF16 extends WeightMatrix {
        BF16(String name, MemorySegment data, int rows, int cols) { super(name, DType.BF16, data, rows, cols); }

        @Override void dotRows(float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
            int kv = cols - cols % L;
            for (int r = r0; r < r1; r++) {
                long base = r * rowBytes;
                FloatVector acc0 = FloatVector.zero(S), acc1 = acc0;
                int c = 0;
                for (; c + 2 * L <= kv; c += 2 * L) {
                    acc0 = bf16ToFloat(data, base + 2L * c).fma(FloatVector.fromArray(S, x, xOff + c), acc0);
                    acc1 = bf16ToFloat(data, base + 2L * (c + L)).fma(FloatVector.fromArray(S, x, xOff + c + L), acc1);
                }
                for (; c < kv; c += L) acc0 = bf16ToFloat(data, base + 2L * c).fma(FloatVector.fromArray(S, x, xOff + c), acc0);
                float s = reduce(acc0.add(acc1));
                for (; c < cols; c++) s += bf16(data, base + 2L * c) * x[xOff + c];
                y[yOff + r] = s;
            }
        }

        @Override public void row(int r, float[] dst, int off) {
            long base = r * rowBytes;
            int kv = cols - cols % L, c = 0;
            for (; c < kv; c += L) bf16ToFloat(data, base + 2L * c).intoArray(dst, off + c);
            for (; c < cols; c++) dst[off + c] = bf16(data, base + 2L * c);
        }
    }
}
