package dev.apr.model.kernel;

import dev.apr.format.AprException;
import dev.apr.format.DType;
import dev.apr.format.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A weight matrix {@code [rows, cols]} read in place from its stored bytes (usually a slice of a
 * memory-mapped file): F32, F16, BF16, Q8_0, Q5_0, Q4_K or Q6_K. Quantized blocks are dequantized
 * inside the dot product, in registers; the tensor is never expanded into a float copy.
 *
 * <p>Activations stay float32 (no 8-bit activation quantization as llama.cpp does): the result is
 * the exact dot product of the dequantized weights with the activations, up to float rounding.
 *
 * <ul>
 *   <li>{@link #matvec} — decode: one token, rows split over the shared pool;</li>
 *   <li>{@link #matmul} — prefill: T tokens; a panel of rows is dequantized once into a small
 *       per-thread buffer and reused across all tokens: from one block of vector lanes of tokens
 *       (64 with AVX-512) by {@link Prefill}'s outer-product kernel, tokens in the lanes; shorter
 *       prompts by a 4×4 dot-product kernel;</li>
 *   <li>{@link #row} — one row as floats (embedding lookup).</li>
 * </ul>
 */
public abstract class WeightMatrix {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** The quantized vector kernels need 8 or 16 float lanes (AVX2 / AVX-512); others use scalar code. */
    static final boolean VECTOR_QUANTS = L == 8 || L == 16;
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    final String name;
    final DType dtype;
    final MemorySegment data;
    final int rows, cols;
    final long rowBytes;

    WeightMatrix(String name, DType dtype, MemorySegment data, int rows, int cols) {
        this.name = name;
        this.dtype = dtype;
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = dtype.byteSize(cols);
    }

    /** Wraps a 1-D or 2-D tensor as a matrix (a 1-D tensor is one row). */
    public static WeightMatrix of(Tensor t) {
        if (t.shape().length > 2 || t.shape().length == 0)
            throw AprException.badInput("BAD_TENSOR_SHAPE", t.name() + ": shape: expected 1 or 2 dimensions, got " + t.shapeString());
        long cols = t.cols(), rows = t.rows();
        return of(t.name(), t.dtype(), t.data(), rows, cols);
    }

    /** Wraps {@code rows × cols} elements of {@code dtype} stored row-major in {@code data}. */
    public static WeightMatrix of(String name, DType dtype, MemorySegment data, long rows, long cols) {
        if (rows <= 0 || cols <= 0 || rows > Integer.MAX_VALUE || cols > Integer.MAX_VALUE)
            throw AprException.badInput("BAD_TENSOR_SHAPE", name + ": shape: expected positive dims below 2^31, got [" + rows + ", " + cols + "]");
        long rowBytes = dtype.byteSize(cols);
        if (rowBytes < 0)
            throw AprException.badInput("BAD_TENSOR_SHAPE", name + ": row length: expected a multiple of the "
                    + dtype + " block size " + dtype.blockSize + ", got " + cols);
        long need = Math.multiplyExact(rowBytes, rows);
        if (data.byteSize() != need)
            throw AprException.badInput("BAD_TENSOR_SIZE", name + ": byte size: expected " + need + " for "
                    + dtype + " [" + rows + ", " + cols + "], got " + data.byteSize());
        int r = (int) rows, c = (int) cols;
        return switch (dtype) {
            case F32 -> new FloatMatrices.F32(name, data, r, c);
            case F16 -> new FloatMatrices.F16(name, data, r, c);
            case BF16 -> new FloatMatrices.BF16(name, data, r, c);
            case Q8_0 -> new QuantMatrices.Q8_0(name, data, r, c);
            case Q5_0 -> new QuantMatrices.Q5_0(name, data, r, c);
            case Q4_K -> new QuantMatrices.Q4_K(name, data, r, c);
            case Q6_K -> new QuantMatrices.Q6_K(name, data, r, c);
            case Q4_0, Q4_1, Q5_1, Q2_K, Q3_K, Q5_K -> new DequantMatrix(name, dtype, data, r, c);
            default -> throw AprException.badInput("UNSUPPORTED_DTYPE", name + ": dtype: expected one of F32, F16, BF16, "
                    + "Q8_0, Q5_0, Q4_K, Q6_K (fast kernels) or Q4_0, Q4_1, Q5_1, Q2_K, Q3_K, Q5_K, got " + dtype);
        };
    }

    public String name() { return name; }
    public DType dtype() { return dtype; }
    public int rows() { return rows; }
    public int cols() { return cols; }
    /** Bytes of stored weights (what one full matvec must read). */
    public long byteSize() { return data.byteSize(); }

    // ---- what each dtype implements --------------------------------------------------------

    /** y[yOff + r] = row r · x[xOff .. xOff+cols) for r in [r0, r1). */
    abstract void dotRows(float[] x, int xOff, float[] y, int yOff, int r0, int r1);

    /**
     * Floats of work on the input that every row chunk of one matvec shares (block sums of x and
     * the like, see QuantMatrices), done once per matvec instead of once per chunk; 0 when a type
     * has none.
     */
    int preparedSize() { return 0; }

    /** Writes that work for the input x[xOff .. xOff+cols) to p[0 .. preparedSize()). */
    void prepare(float[] x, int xOff, float[] p) {}

    /** {@link #dotRows} given {@code prep}, filled by {@link #prepare} (null when preparedSize() is 0). */
    void dotRows(float[] x, int xOff, float[] prep, float[] y, int yOff, int r0, int r1) {
        dotRows(x, xOff, y, yOff, r0, r1);
    }

    /** The prepared input in a new array (for the single-call paths), or null when the type needs none. */
    final float[] preparedCopy(float[] x, int xOff) {
        int n = preparedSize();
        if (n == 0) return null;
        float[] p = new float[n];
        prepare(x, xOff, p);
        return p;
    }

    /** The prepared input in the calling thread's slot-th buffer, or null when the type needs none. */
    private float[] prepared(float[] x, int xOff, int slot) {
        int n = preparedSize();
        if (n == 0) return null;
        float[] p = Scratch.get().prepared(slot, n);
        prepare(x, xOff, p);
        return p;
    }

    /** Writes row r, dequantized, to dst[off .. off+cols). */
    public abstract void row(int r, float[] dst, int off);

    // ---- decode and prefill ------------------------------------------------------------------

    /**
     * The smallest chunk of rows handed to a thread (about 16 KiB of weights). Decode streams the
     * weights from memory and each chunk start costs a hardware-prefetch ramp-up, so chunks are
     * guided ({@link Parallel#forRangeGuided}): long at first, this short only at the end, where
     * they keep one core from waiting for the other.
     */
    private int minGrain() {
        return (int) Math.max(1, Math.min(rows, (16 * 1024) / Math.max(1, rowBytes)));
    }

    /** {@code y[yOff + r] = Σ_c W[r, c]·x[xOff + c]} for every row r: one token. */
    public void matvec(float[] x, int xOff, float[] y, int yOff) {
        checkX(x, xOff, 1);
        float[] prep = prepared(x, xOff, 0);
        Parallel.rangeGuided(rows, minGrain(), (r0, r1) -> dotRows(x, xOff, prep, y, yOff, r0, r1));
    }

    /**
     * Several matvecs over the same input in one parallel region (q/k/v, gate/up): one hand-off
     * instead of one per matrix, which matters when decode runs hundreds of regions per token.
     * {@code ys[i][r] = ms[i] row r · x[xOff ..]}. The matrices' rows are one range (a chunk may
     * span the end of one matrix and the start of the next).
     */
    public static void matvec(WeightMatrix[] ms, float[] x, int xOff, float[][] ys) {
        int[] first = new int[ms.length + 1];
        float[][] preps = new float[ms.length][];
        int minGrain = Integer.MAX_VALUE;
        for (int i = 0; i < ms.length; i++) {
            ms[i].checkX(x, xOff, 1);
            preps[i] = ms[i].prepared(x, xOff, i);
            first[i + 1] = first[i] + ms[i].rows;
            minGrain = Math.min(minGrain, ms[i].minGrain());
        }
        Parallel.rangeGuided(first[ms.length], minGrain, (a, b) -> {
            for (int i = 0; i < ms.length; i++) {
                int r0 = Math.max(a, first[i]) - first[i], r1 = Math.min(b, first[i + 1]) - first[i];
                if (r0 < r1) ms[i].dotRows(x, xOff, preps[i], ys[i], 0, r0, r1);
            }
        });
    }

    /** Single-threaded matvec over rows [r0, r1) (for callers that parallelize themselves). */
    public void matvecRows(float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
        dotRows(x, xOff, y, yOff, r0, r1);
    }

    /**
     * Prefill: {@code y[t*rows + r] = W[r]·x[t*cols ..]} for T tokens (x is {@code [T, cols]},
     * y is {@code [T, rows]}). Every output element is the same dot product as {@link #matvec}
     * computes, summed in a different order (float rounding differs in the last bits).
     */
    public void matmul(float[] x, int tokens, float[] y) {
        checkX(x, 0, tokens);
        if (y.length < (long) tokens * rows)
            throw new IllegalArgumentException(name + ": output holds " + y.length + " floats, need " + (long) tokens * rows);
        if (tokens < 4) {
            for (int t = 0; t < tokens; t++) {
                int tt = t;
                float[] prep = prepared(x, t * cols, 0);
                Parallel.rangeGuided(rows, minGrain(), (r0, r1) -> dotRows(x, tt * cols, prep, y, tt * rows, r0, r1));
            }
            return;
        }
        if (tokens >= Prefill.NT) { Prefill.matmul(new WeightMatrix[] {this}, x, tokens, new float[][] {y}); return; }
        // Panels of 16 rows are dequantized once into a per-thread buffer; tokens go in blocks
        // whose activations fit in L2 (~512 KiB) next to the panel, so a wide matrix (ffn_down:
        // 4864 columns, 128 tokens = 2.5 MB of activations) does not stream every token from L3
        // once per 4 rows. Each 4-row tile of the panel meets each block of tokens 4 at a time.
        int panels = (rows + PANEL - 1) / PANEL;
        int tokenBlock = Math.max(4, (TOKEN_BLOCK_FLOATS / cols) & ~3);
        int threads = Parallel.shared().threads();
        int grain = Math.max(1, Math.min(2, panels / (4 * threads)));
        Parallel.range(panels, grain, (p0, p1) -> {
            float[] w = SCRATCH.get();
            if (w.length < PANEL * cols) SCRATCH.set(w = new float[PANEL * cols]);
            float[] out = new float[16];
            for (int panel = p0; panel < p1; panel++) {
                int r0 = panel * PANEL, nr = Math.min(PANEL, rows - r0);
                for (int i = 0; i < nr; i++) row(r0 + i, w, i * cols);
                for (int t0 = 0; t0 < tokens; t0 += tokenBlock) {
                    int t1 = Math.min(tokens, t0 + tokenBlock);
                    for (int i = 0; i < nr; i += 4)
                        tileTimesTokens(w, i * cols, Math.min(4, nr - i), x, t0, t1, y, r0 + i, out);
                }
            }
        });
    }

    /** Rows dequantized together in prefill (4 register tiles of 4). */
    private static final int PANEL = 16;
    /** Activation floats per token block in prefill: 512 KiB, half of a 1 MiB L2 (Zen 4 and 5). */
    private static final int TOKEN_BLOCK_FLOATS = 128 * 1024;

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * Columns per pass of the 4×4 prefill kernel: 4 weight rows and 4 token rows of this many floats
     * (32 KiB) stay in L1 while every block of 4 tokens passes over them; on longer rows (ffn_down,
     * 4864 columns) both would otherwise stream from L2 at one load per multiply-add.
     */
    private static final int K_CHUNK = 1024;

    /** y[t, r0 + i] = w_i · x_t for the nr (≤ 4) dequantized rows at w[wo..] and tokens t in [t0, t1). */
    private void tileTimesTokens(float[] w, int wo, int nr, float[] x, int t0, int t1, float[] y, int r0, float[] out) {
        int k = cols;
        int t4 = nr == 4 ? t0 + (t1 - t0) / 4 * 4 : t0;   // tokens [t0, t4) go 4 at a time through dot4x4
        for (int c0 = 0; c0 < k; c0 += K_CHUNK) {
            int n = Math.min(K_CHUNK, k - c0);
            for (int t = t0; t < t4; t += 4) {
                Dot.dot4x4(x, t * k + c0, w, wo + c0, k, n, out);
                for (int a = 0; a < 4; a++)
                    for (int b = 0; b < 4; b++) {
                        int i = (t + a) * rows + r0 + b;
                        y[i] = c0 == 0 ? out[a * 4 + b] : y[i] + out[a * 4 + b];
                    }
            }
        }
        for (int t = t4; t < t1; t++)
            for (int i = 0; i < nr; i++) y[t * rows + r0 + i] = Dot.dot(x, t * k, w, wo + i * k, k);
    }

    /**
     * Prefill of several matrices over the same input (q/k/v, gate/up): {@code ys[i] = x · ms[i]ᵀ},
     * with one transposition of x and one parallel region for all of them.
     */
    public static void matmul(WeightMatrix[] ms, float[] x, int tokens, float[][] ys) {
        for (int i = 0; i < ms.length; i++) {
            ms[i].checkX(x, 0, tokens);
            if (ms[i].cols != ms[0].cols)
                throw new IllegalArgumentException(ms[i].name + ": columns: expected " + ms[0].cols + " like " + ms[0].name + ", got " + ms[i].cols);
            if (ys[i].length < (long) tokens * ms[i].rows)
                throw new IllegalArgumentException(ms[i].name + ": output holds " + ys[i].length + " floats, need " + (long) tokens * ms[i].rows);
        }
        if (tokens < Prefill.NT) { for (int i = 0; i < ms.length; i++) ms[i].matmul(x, tokens, ys[i]); return; }
        Prefill.matmul(ms, x, tokens, ys);
    }

    private void checkX(float[] x, int xOff, int tokens) {
        if (xOff < 0 || xOff + (long) tokens * cols > x.length)
            throw new IllegalArgumentException(name + ": input holds " + x.length + " floats, need "
                    + (long) tokens * cols + " at offset " + xOff);
    }

    static float f16(MemorySegment s, long off) {
        return Float.float16ToFloat(s.get(SHORT_LE, off));
    }

    static float reduce(FloatVector v) { return v.reduceLanes(VectorOperators.ADD); }

    @Override public String toString() { return name + " " + dtype + " [" + rows + ", " + cols + "]"; }
}
