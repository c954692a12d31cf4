package dev.apr.model.kernel;

import dev.apr.format.DType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.apr.model.kernel.WeightMatrix.*;

/**
 * Kernels for the GGML block types (specs/gguf-safetensors.md §3): Q8_0, Q5_0, Q4_K, Q6_K.
 * Quants are unpacked with byte-vector operations, converted to floats and scaled in registers,
 * then multiplied with float activations. Each type also has a plain scalar dequantizer: the
 * fallback on machines without 8/16 float lanes, and the readable statement of the layout.
 *
 * <p>Decode is compute-bound for the 4-6 bit types, so what counts is vector-unit ops per weight
 * (measured with {@code KernelBench} on Zen 4, where a 512-bit op takes two 256-bit slots):
 * constant offsets (Q5_0's −16, Q4_K's mins, Q6_K's −32) come from sums of x prepared once per
 * matvec ({@link WeightMatrix#prepare}) instead of per-weight arithmetic; high nibbles stay in
 * place (byte & 0xF0 = 16·nibble) against x or a scale divided by 16; a scalar multiply plus
 * broadcast per vector is as dear as a vector op. Things that measured slower: vector loads of
 * freshly stored scalars (store forwarding stalls), scales gathered into arrays for Q8_0/Q5_0,
 * and too many vector call sites in one compilation (C2 stops inlining, vectors get boxed).
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

    /**
     * The input as the 4- and 5-bit kernels use it, into p[0 .. cols): x[xOff .. xOff+cols) with
     * the upper half of every 2·half elements divided by 16 (exact: a power of two), so a high
     * nibble is multiplied in place as (byte & 0xF0) = 16·nibble, saving a shift per vector.
     */
    static void nibbleScaled(float[] x, int xOff, int cols, int half, float[] p) {
        for (int c = 0; c < cols; c++) p[c] = (c & half) != 0 ? x[xOff + c] * 0.0625f : x[xOff + c];
    }

    /**
     * Σx of the n elements at x[off] (n a multiple of L): block sums turn per-weight offsets
     * (Q5_0's −16, Q4_K's mins, Q6_K's −32) into one term per block.
     */
    static float sum(float[] x, int off, int n) {
        FloatVector s = FloatVector.fromArray(S, x, off);
        for (int j = L; j < n; j += L) s = s.add(FloatVector.fromArray(S, x, off + j));
        return s.reduceLanes(VectorOperators.ADD);
    }

    // ---- Q8_0: d (f16) + 32 int8; x = d·q ------------------------------------------------------

    static final class Q8_0 extends WeightMatrix {
        Q8_0(String name, MemorySegment data, int rows, int cols) { super(name, DType.Q8_0, data, rows, cols); }

        /*
         * Q8_0 reads the mapped bytes directly: it needs the most bytes per weight of the quantized
         * types, and copying each row into a byte[] first (free for the 4-6 bit kernels) measured half
         * as fast when the weights stream from DRAM. Still, its ceiling on one
         * Zen 5 core is the byte-to-float widening: loads + vpmovsxbd + vcvtdq2ps + FMA alone reach
         * 22-24 G weights/s even from L1, this kernel (with the f16 scales) ~20, so two threads (~34 GB/s)
         * stay short of DRAM's ~52 GB/s. Measured no faster: two accumulators, 64-byte int loads with
         * shifts in place of vpmovsxbd (cache-line splits), x from a 64-byte-aligned segment.
         */
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

        /*
         * Σ d·(q − 16)·x = d·(Σ q·x − 16·Σx): a block's partial sums start from −16·Σx/L in every
         * lane instead of zero (block sums prepared once per matvec), so the −16 costs nothing
         * per weight. The high nibbles are used in place (q & 0xF0, i.e. 16× the nibble) against
         * x/16. Rows go in pairs: two independent accumulation chains (four at a time put dotRows past
         * C2's node budget: block() not inlined, vectors boxed, 5x slower). (Tried and slower: the f16
         * scale built with integer ops and broadcast from a GPR; scales converted up front. Tried and
         * not kept: qh masks from a vector test of qh broadcast to every lane against each lane's bit,
         * +10 % in a standalone harness (bit-identical), but here C2 then compiled block() on its own first
         * and would not inline it ("already compiled into a big method"): every vector boxed, 8x slower.
         * Row pairs are bulk-copied first: reading the mapped blocks in place measured 2x slower from DRAM
         * on 2 threads (two interleaved row streams) and no faster one row at a time.)
         */
        @Override void dotRows(float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
            dotRows(x, xOff, preparedCopy(x, xOff), y, yOff, r0, r1);
        }

        @Override int preparedSize() { return VECTOR_QUANTS ? cols + cols / 32 : 0; }

        /** x with high halves / 16, then −16·Σx/L of each block (sums exact: −16/L is a power of two). */
        @Override void prepare(float[] x, int xOff, float[] p) {
            nibbleScaled(x, xOff, cols, 16, p);
            for (int b = 0; b < cols / 32; b++) p[cols + b] = sum(x, xOff + 32 * b, 32) * (-16f / L);
        }

        @Override void dotRows(float[] x, int xOff, float[] xp, float[] y, int yOff, int r0, int r1) {
            if (!VECTOR_QUANTS) { scalarDotRows(this, x, xOff, y, yOff, r0, r1); return; }
            int nb = cols / 32, rb = (int) rowBytes, xs = cols;
            byte[] q = Scratch.get().quants(2 * rb);
            for (int r = r0; r < r1; r += 2) {
                // an odd last row is paired with itself: a separate one-row loop made the method too
                // big for C2 to inline block() there, and its vectors were boxed (1 MB per token)
                int r2 = Math.min(r + 1, r1 - 1);
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, r * rowBytes, q, 0, rb);
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, r2 * rowBytes, q, rb, rb);
                FloatVector acc0 = FloatVector.zero(S), acc1 = acc0;
                for (int b = 0; b < nb; b++) {
                    acc0 = block(q, 22 * b, xp, 32 * b, xp[xs + b], acc0);
                    acc1 = block(q, rb + 22 * b, xp, 32 * b, xp[xs + b], acc1);
                }
                y[yOff + r] = acc0.reduceLanes(VectorOperators.ADD);
                y[yOff + r2] = acc1.reduceLanes(VectorOperators.ADD);
            }
        }

        /** acc + d·Σ ((q | qh bit << 4) − 16)·x over the block at bo (xp: x with high halves / 16; c = −16·Σx/L). */
        private static FloatVector block(byte[] q, int bo, float[] xp, int xo, float c, FloatVector acc) {
            long qh = (int) INT_AT.get(q, bo + 2) & 0xffffffffL;
            FloatVector p = lanes(q, bo, xp, xo, qh, 0, FloatVector.broadcast(S, c));
            for (int s = L; s < 16; s += L) p = lanes(q, bo, xp, xo, qh, s, p);
            return p.fma(FloatVector.broadcast(S, Float.float16ToFloat((short) SHORT_AT.get(q, bo))), acc);
        }

        /** Elements s.. and 16+s.. (L each) of one block, unpacked in 32-bit lanes and dotted into p. */
        private static FloatVector lanes(byte[] q, int bo, float[] xp, int xo, long qh, int s, FloatVector p) {
            IntVector v = ints(q, bo + 6 + s);
            IntVector lo = v.and(15).lanewise(VectorOperators.OR, 16, VectorMask.fromLong(IS, (qh >>> s) & LANE_BITS));
            IntVector hi = v.and(0xF0).lanewise(VectorOperators.OR, 256, VectorMask.fromLong(IS, (qh >>> (16 + s)) & LANE_BITS));
            p = toFloat(lo).fma(FloatVector.fromArray(S, xp, xo + s), p);
            return toFloat(hi).fma(FloatVector.fromArray(S, xp, xo + 16 + s), p);
        }

        @Override public void row(int r, float[] dst, int off) {
            long base = r * rowBytes;
            if (VECTOR_QUANTS) {
                byte[] q = new byte[(int) rowBytes];   // a fresh array: the reused one measured 10 % slower prefill
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

        /*
         * Σ (d·sc·q − dmin·m)·x over a sub-block = d·sc·Σ q·x − dmin·m·Σx: the sums of x are
         * prepared once per matvec, so the mins cost one vector FMA per super-block, not vector
         * work per weight. The 8 scales and 8 mins are unpacked together, one per lane of a
         * 16-lane vector (two shuffles, variable shifts and masks: the scalar unpacking was a
         * quarter of the kernel's time). Each sub-block's Σ q·x is scaled by one FMA into one of
         * two accumulators (low and high nibbles: two dependency chains), reduced once per row.
         * High nibbles are used in place (q & 0xF0) against x/16. (Rows in pairs, as Q5_0 does,
         * measured no faster here; broadcasting each scale from its register lane by a shuffle
         * measured slower than storing the vector and broadcasting from memory.)
         */
        @Override void dotRows(float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
            dotRows(x, xOff, preparedCopy(x, xOff), y, yOff, r0, r1);
        }

        @Override int preparedSize() { return VECTOR_QUANTS ? cols + cols / 16 : 0; }

        /**
         * x with the high-nibble halves / 16, then 16 floats per super-block: 8 zeros (against
         * the scales' lanes) and the 8 sub-block sums of x (against the mins' lanes).
         */
        @Override void prepare(float[] x, int xOff, float[] p) {
            nibbleScaled(x, xOff, cols, 32, p);
            for (int b = 0; b < cols / 256; b++)
                for (int j = 0; j < 8; j++) {
                    p[cols + 16 * b + j] = 0;
                    p[cols + 16 * b + 8 + j] = sum(x, xOff + 256 * b + 32 * j, 32);
                }
        }

        @Override void dotRows(float[] x, int xOff, float[] xp, float[] y, int yOff, int r0, int r1) {
            if (!VECTOR_QUANTS) { scalarDotRows(this, x, xOff, y, yOff, r0, r1); return; }
            int nb = cols / 256;
            Scratch scratch = Scratch.get();
            float[] ds = scratch.blockScales();
            byte[] q = scratch.quants((int) rowBytes);
            for (int r = r0; r < r1; r++) {
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, r * rowBytes, q, 0, (int) rowBytes);
                FloatVector acc0 = FloatVector.zero(S), acc1 = acc0, mins = acc0;
                for (int b = 0; b < nb; b++) {
                    int bo = 144 * b;
                    // ds: d·scale_j then dmin·min_j; the mins meet the sub-block sums of x in one FMA pass
                    if (L == 16) scalesAndMins(q, bo).intoArray(ds, 0);
                    else scalesAndMins(data, r * rowBytes + bo, ds);
                    for (int j = 0; j < 16; j += L)
                        mins = FloatVector.fromArray(S, ds, j).fma(FloatVector.fromArray(S, xp, cols + 16 * b + j), mins);
                    for (int c = 0; c < 4; c++) {
                        int o = bo + 16 + 32 * c, xo = 256 * b + 64 * c;
                        FloatVector lo = FloatVector.zero(S), hi = lo;
                        for (int s = 0; s < 32; s += L) {
                            IntVector v = ints(q, o + s);
                            lo = toFloat(v.and(15)).fma(FloatVector.fromArray(S, xp, xo + s), lo);
                            hi = toFloat(v.and(0xF0)).fma(FloatVector.fromArray(S, xp, xo + 32 + s), hi);
                        }
                        acc0 = lo.fma(FloatVector.broadcast(S, ds[2 * c]), acc0);
                        acc1 = hi.fma(FloatVector.broadcast(S, ds[2 * c + 1]), acc1);
                    }
                }
                y[yOff + r] = acc0.add(acc1).sub(mins).reduceLanes(VectorOperators.ADD);
            }
        }

        // get_scale_min_k4 lane-wise (16 lanes): lanes 0-7 scale j, lanes 8-15 min j of the
        // 12 bytes k[0..12): j < 4: scale k[j] & 63, min k[j+4] & 63; j ≥ 4: scale
        // (k[j+4] & 0xF) | (k[j-4] >> 6) << 4, min (k[j+4] >> 4) | (k[j] >> 6) << 4.
        private static final VectorShuffle<Integer> LOW_BYTE = L != 16 ? null : VectorShuffle.fromArray(IS,
                new int[] {0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11}, 0);
        private static final VectorShuffle<Integer> HIGH_BYTE = L != 16 ? null : VectorShuffle.fromArray(IS,
                new int[] {0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 4, 5, 6, 7}, 0);
        private static final IntVector LOW_SHIFT = L != 16 ? null : IntVector.fromArray(IS,
                new int[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4}, 0);
        private static final IntVector LOW_MASK = L != 16 ? null : IntVector.fromArray(IS,
                new int[] {63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15}, 0);
        private static final IntVector HIGH_MASK = L != 16 ? null : IntVector.fromArray(IS,
                new int[] {0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30, 0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30}, 0);
        private static final VectorMask<Float> MIN_LANES = L != 16 ? null : VectorMask.fromLong(S, 0xFF00L);

        /** d·scale_j in lanes 0-7 and dmin·min_j in lanes 8-15 of the super-block at bo (needs L = 16). */
        private static FloatVector scalesAndMins(byte[] q, int bo) {
            float d = Float.float16ToFloat((short) SHORT_AT.get(q, bo));
            float dmin = Float.float16ToFloat((short) SHORT_AT.get(q, bo + 2));
            // 16 bytes from bo + 4: the 12 scale bytes and 4 quant bytes that no lane selects
            IntVector k = ints(q, bo + 4).and(0xFF);
            IntVector low = k.rearrange(LOW_BYTE).lanewise(VectorOperators.LSHR, LOW_SHIFT).and(LOW_MASK);
            IntVector high = k.rearrange(HIGH_BYTE).lanewise(VectorOperators.LSHR, 2).and(HIGH_MASK);
            return toFloat(low.or(high)).mul(FloatVector.broadcast(S, d).blend(dmin, MIN_LANES));
        }

        /** The same into ds[0..16) for 8-lane machines, through the scalar unpacker {@link #q4kScales}. */
        private static void scalesAndMins(MemorySegment data, long bo, float[] ds) {
            int[] sc = new int[8], mn = new int[8];
            q4kScales(data, bo, sc, mn);
            float d = f16(data, bo), dmin = f16(data, bo + 2);
            for (int j = 0; j < 8; j++) {
                ds[j] = d * sc[j];
                ds[8 + j] = dmin * mn[j];
            }
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
         * Unpacking Q6_K takes many vector operations: in one method with the row loop they exceed
         * C2's inlining node budget (NodeCountInliningCutoff, a develop-only flag) and the vectors get
         * boxed (100x slower). So the unpack-and-FMA of one super-block is its own method, too big to
         * be inlined and compiled on its own, with its four accumulators carried in a small array
         * (vectors passed or returned across a call that is not inlined would be boxed). The 16
         * scales of a super-block are converted in one vector op into a small array it reads, and
         * the −32 offset becomes (d·scale)·(−32·Σx) per group, one vector FMA per super-block on the
         * group sums of x prepared once per matvec. (Measured, Dec 2026, 896×4864 on one Zen 5 core:
         * 0.39-0.41 ms per matvec, against 0.51-0.84 ms when each super-block was first dequantized
         * into a 256-float buffer and then dotted; with the scales converted inside the super-block
         * method, that method itself passed the node budget and ran at 1.3-1.8 ms.)
         */
        @Override void dotRows(float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
            dotRows(x, xOff, preparedCopy(x, xOff), y, yOff, r0, r1);
        }

        @Override int preparedSize() { return VECTOR_QUANTS ? cols / 16 : 0; }

        /** −32·Σx of each 16-element group. */
        @Override void prepare(float[] x, int xOff, float[] p) {
            for (int g = 0; g < cols / 16; g++) p[g] = -32 * sum(x, xOff + 16 * g, 16);
        }

        @Override void dotRows(float[] x, int xOff, float[] xs, float[] y, int yOff, int r0, int r1) {
            if (!VECTOR_QUANTS) { scalarDotRows(this, x, xOff, y, yOff, r0, r1); return; }
            int nb = cols / 256;
            Scratch scratch = Scratch.get();
            float[] acc = scratch.accumulators(), sc = scratch.blockScales();
            byte[] row = scratch.quants((int) rowBytes);
            for (int r = r0; r < r1; r++) {
                // one bulk copy per row: array vector loads are much cheaper for C2 than segment loads
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, r * rowBytes, row, 0, (int) rowBytes);
                java.util.Arrays.fill(acc, 0, 4 * L, 0f);
                FloatVector offs = FloatVector.zero(S);
                for (int b = 0; b < nb; b++) {
                    int bo = 210 * b;
                    float d = Float.float16ToFloat((short) SHORT_AT.get(row, bo + 208));
                    for (int j = 0; j < 16; j += L) {
                        FloatVector v = toFloat(ints(row, bo + 192 + j)).mul(d);
                        v.intoArray(sc, j);
                        v.mul(0.0625f).intoArray(sc, 16 + j);
                        offs = v.fma(FloatVector.fromArray(S, xs, 16 * b + j), offs);
                    }
                    superBlockDot(row, bo, x, xOff + 256 * b, sc, acc);
                }
                FloatVector sum = FloatVector.fromArray(S, acc, 0).add(FloatVector.fromArray(S, acc, L))
                        .add(FloatVector.fromArray(S, acc, 2 * L).add(FloatVector.fromArray(S, acc, 3 * L))).add(offs);
                y[yOff + r] = sum.reduceLanes(VectorOperators.ADD);
            }
        }

        /**
         * acc[0 .. 4L) += the lanes of d·scale·q·x over the super-block at bo, q without its −32 (the
         * row loop adds that from the group sums of x); sc holds d·scale of the 16 groups, then the
         * same / 16. Each step of the loop unpacks elements 128h+s+l, +32, +64, +96
         * (l < L) from three loads: low nibbles of ql, high nibbles of ql used in place (16·q, against
         * scale / 16), two bits each of qh.
         */
        private static void superBlockDot(byte[] q, int bo, float[] x, int xo, float[] sc, float[] acc) {
            FloatVector a0 = FloatVector.fromArray(S, acc, 0), a1 = FloatVector.fromArray(S, acc, L);
            FloatVector a2 = FloatVector.fromArray(S, acc, 2 * L), a3 = FloatVector.fromArray(S, acc, 3 * L);
            for (int h = 0; h < 2; h++)
                for (int s = 0; s < 32; s += L) {
                    IntVector a = ints(q, bo + 64 * h + s), b = ints(q, bo + 64 * h + 32 + s);
                    IntVector hi = ints(q, bo + 128 + 32 * h + s);
                    int e = 128 * h + s, g = e >>> 4;
                    IntVector h4 = hi.lanewise(VectorOperators.LSHL, 4), h2 = hi.lanewise(VectorOperators.LSHL, 2);
                    a0 = toFloat(a.and(15).or(h4.and(0x30))).mul(FloatVector.fromArray(S, x, xo + e)).fma(FloatVector.broadcast(S, sc[g]), a0);
                    a1 = toFloat(b.and(15).or(h2.and(0x30))).mul(FloatVector.fromArray(S, x, xo + e + 32)).fma(FloatVector.broadcast(S, sc[g + 2]), a1);
                    a2 = toFloat(a.and(0xF0).or(h4.and(0x300))).mul(FloatVector.fromArray(S, x, xo + e + 64)).fma(FloatVector.broadcast(S, sc[16 + g + 4]), a2);
                    a3 = toFloat(b.and(0xF0).or(h2.and(0x300))).mul(FloatVector.fromArray(S, x, xo + e + 96)).fma(FloatVector.broadcast(S, sc[16 + g + 6]), a3);
                }
            a0.intoArray(acc, 0);
            a1.intoArray(acc, L);
            a2.intoArray(acc, 2 * L);
            a3.intoArray(acc, 3 * L);
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
            // the high nibbles stay in place as 16·q (q & 0xF0 | bits at 8, 9), scaled by s/16 (exact)
            IntVector h4 = hi.lanewise(VectorOperators.LSHL, 4), h2 = hi.lanewise(VectorOperators.LSHL, 2);
            IntVector q1 = a.and(15).or(h4.and(0x30)), q3x16 = a.and(0xF0).or(h4.and(0x300));
            IntVector q2 = b.and(15).or(h2.and(0x30)), q4x16 = b.and(0xF0).or(h2.and(0x300));
            // d·scale·(q − 32): one int8 scale per 16 elements
            int sc = bo + 192 + (e >>> 4);
            float s1 = d * q[sc], s2 = d * q[sc + 2], s3 = d * q[sc + 4], s4 = d * q[sc + 6];
            toFloat(q1).fma(s1, -32 * s1).intoArray(dst, o + e);
            toFloat(q2).fma(s2, -32 * s2).intoArray(dst, o + e + 32);
            toFloat(q3x16).fma(s3 * 0.0625f, -32 * s3).intoArray(dst, o + e + 64);
            toFloat(q4x16).fma(s4 * 0.0625f, -32 * s4).intoArray(dst, o + e + 96);
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
