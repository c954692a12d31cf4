package dev.apr.model.kernel;

/**
 * Per-thread work buffers of the kernels, reused instead of allocated per call.
 *
 * <p>Decode hands a few thousand row chunks per token to the threads. With fresh arrays per chunk,
 * the Q4_K_M 0.5B model allocated 6 MB per decoded token; fresh heap costs page faults and
 * collections, and a young generation kept small enough to stay mapped decoded about 10 % faster.
 * (Prefill's per-row dequantization ({@code row()}) keeps its small fresh arrays: there, the reused
 * buffer measured 10 % slower.) Each buffer has one use, so no two users in one call chain share a
 * buffer; a buffer may be longer than asked for.
 */
final class Scratch {
    private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);

    /** The calling thread's buffers. */
    static Scratch get() { return LOCAL.get(); }

    private byte[] quants = new byte[0];
    private final float[] accumulators = new float[64], blockScales = new float[32];
    private float[][] prepared = new float[4][0];

    private Scratch() {}

    /** Stored bytes copied out of the mapped file (rows, blocks), at least n long. */
    byte[] quants(int n) {
        if (quants.length < n) quants = new byte[n];
        return quants;
    }

    /** Vector accumulators carried across calls that are not inlined (Q6_K: four of at most 16 lanes). */
    float[] accumulators() { return accumulators; }

    /** The scales of one super-block (Q4_K: 16, Q6_K: 32). */
    float[] blockScales() { return blockScales; }

    /**
     * The prepared input of the slot-th matrix of one matvec ({@link WeightMatrix#prepare}), at least n
     * long. It is read by every thread of the parallel region, so the caller keeps it until the region ends.
     */
    float[] prepared(int slot, int n) {
        if (slot >= prepared.length) prepared = java.util.Arrays.copyOf(prepared, Math.max(slot + 1, 2 * prepared.length));
        float[] p = prepared[slot];
        if (p == null || p.length < n) prepared[slot] = p = new float[n];
        return p;
    }
}
