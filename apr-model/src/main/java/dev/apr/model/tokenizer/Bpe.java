package dev.apr.model.tokenizer;

import dev.apr.format.AprException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE over one pre-tokenized piece, with Hugging Face's exact merge order: a heap of
 * candidate pairs ordered by (merge rank, position), lowest first; a popped pair is merged only if
 * the two symbols it named are still neighbours and still form a pair with the same result.
 * Results are cached per piece (pieces repeat a lot in real text). Thread-safe.
 */
final class Bpe {
    private static final int CACHE_LIMIT = 500_000;

    /** Token id of each single byte's character, or -1 if the vocabulary lacks it. */
    private final int[] byteIds = new int[256];
    private final MergeTable merges;
    private final Map<String, Integer> vocab;
    private final boolean ignoreMerges;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param vocab  byte-level token string to id
     * @param merges pairs in rank order; a pair listed twice keeps its later rank (as HF's map does)
     */
    Bpe(Map<String, Integer> vocab, List<String[]> merges, boolean ignoreMerges, String source) {
        this.vocab = vocab;
        this.ignoreMerges = ignoreMerges;
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(String.valueOf(ByteLevel.BYTE_TO_CHAR[b]));
            byteIds[b] = id == null ? -1 : id;
        }
        this.merges = new MergeTable(merges.size());
        for (int rank = 0; rank < merges.size(); rank++) {
            String[] m = merges.get(rank);
            Integer a = vocab.get(m[0]), b = vocab.get(m[1]), ab = vocab.get(m[0] + m[1]);
            String missing = a == null ? m[0] : b == null ? m[1] : ab == null ? m[0] + m[1] : null;
            if (missing != null) throw AprException.badInput("TOKENIZER_BAD", source + ": merges[" + rank + "] '"
                    + m[0] + " " + m[1] + "': expected every piece in the vocabulary, got '" + missing + "' missing");
            this.merges.put(a, b, rank, ab);
        }
    }

    /** The id of a base (byte-level) token string, or -1. */
    int id(String token) {
        Integer id = vocab.get(token);
        return id == null ? -1 : id;
    }

    /** Appends the ids of one piece (raw text, before the byte-level mapping) to {@code out}. */
    void encode(String piece, IntList out) {
        int[] ids = cache.get(piece);
        if (ids == null) {
            ids = encodeUncached(piece);
            if (cache.size() < CACHE_LIMIT) cache.put(piece, ids);
        }
        out.addAll(ids);
    }

    private int[] encodeUncached(String piece) {
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        if (ignoreMerges) {
            Integer whole = vocab.get(ByteLevel.encode(bytes));
            if (whole != null) return new int[]{whole};
        }
        int n = bytes.length;
        int[] sym = new int[n];
        for (int i = 0; i < n; i++) {
            int id = byteIds[bytes[i] & 0xFF];
            if (id < 0) throw AprException.badInput("TOKENIZER_BAD", String.format(
                    "byte-level vocabulary: expected a token for byte 0x%02X, got none", bytes[i] & 0xFF));
            sym[i] = id;
        }
        if (n == 1) return sym;
        return mergeAll(sym);
    }

    /** HF's Word::merge_all, on arrays: symbols form a linked list; dead symbols have alive=false. */
    private int[] mergeAll(int[] sym) {
        int n = sym.length;
        int[] prev = new int[n], next = new int[n];
        boolean[] dead = new boolean[n];
        for (int i = 0; i < n; i++) { prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1; }
        Heap heap = new Heap(n);
        for (int i = 0; i + 1 < n; i++) {
            int slot = merges.find(sym[i], sym[i + 1]);
            if (slot >= 0) heap.push(merges.rank(slot), i, merges.newId(slot));
        }
        int alive = n;
        while (heap.size > 0) {
            long top = heap.peekKey();
            int newId = heap.peekNewId();
            heap.pop();
            int pos = (int) top;
            if (dead[pos] || next[pos] < 0) continue;
            int right = next[pos];
            int slot = merges.find(sym[pos], sym[right]);
            if (slot < 0 || merges.newId(slot) != newId) continue; // stale entry
            sym[pos] = newId;
            dead[right] = true;
            alive--;
            next[pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = pos;
            if (prev[pos] >= 0) {
                int s = merges.find(sym[prev[pos]], sym[pos]);
                if (s >= 0) heap.push(merges.rank(s), prev[pos], merges.newId(s));
            }
            if (next[pos] >= 0) {
                int s = merges.find(sym[pos], sym[next[pos]]);
                if (s >= 0) heap.push(merges.rank(s), pos, merges.newId(s));
            }
        }
        int[] out = new int[alive];
        for (int i = 0, k = 0; i >= 0; i = next[i]) out[k++] = sym[i];
        return out;
    }

    /** Open-addressing map (left id, right id) -> (rank, merged id). */
    private static final class MergeTable {
        private final long[] keys;
        private final int[] ranks, newIds;
        private final int mask;

        MergeTable(int count) {
            int cap = Integer.highestOneBit(Math.max(4, count * 2 + 1)) << 1;
            keys = new long[cap];
            Arrays.fill(keys, -1L);
            ranks = new int[cap];
            newIds = new int[cap];
            mask = cap - 1;
        }

        private static long key(int a, int b) { return ((long) a << 32) | (b & 0xFFFFFFFFL); }

        private static int hash(long k) {
            long h = k * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 29));
        }

        void put(int a, int b, int rank, int newId) {
            long k = key(a, b);
            int i = hash(k) & mask;
            while (keys[i] != -1L && keys[i] != k) i = (i + 1) & mask;
            keys[i] = k;
            ranks[i] = rank;
            newIds[i] = newId;
        }

        int find(int a, int b) {
            long k = key(a, b);
            int i = hash(k) & mask;
            while (true) {
                long x = keys[i];
                if (x == k) return i;
                if (x == -1L) return -1;
                i = (i + 1) & mask;
            }
        }

        int rank(int slot) { return ranks[slot]; }
        int newId(int slot) { return newIds[slot]; }
    }

    /** Min-heap on (rank << 32 | pos), carrying the merged id. */
    private static final class Heap {
        long[] keys;
        int[] ids;
        int size;

        Heap(int cap) { keys = new long[Math.max(4, cap)]; ids = new int[keys.length]; }

        void push(int rank, int pos, int newId) {
            if (size == keys.length) { keys = Arrays.copyOf(keys, size * 2); ids = Arrays.copyOf(ids, size * 2); }
            long k = ((long) rank << 32) | pos;
            int i = size++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (keys[p] <= k) break;
                keys[i] = keys[p]; ids[i] = ids[p];
                i = p;
            }
            keys[i] = k; ids[i] = newId;
        }

        long peekKey() { return keys[0]; }
        int peekNewId() { return ids[0]; }

        void pop() {
            size--;
            if (size == 0) return;
            long k = keys[size];
            int id = ids[size];
            int i = 0;
            while (true) {
                int l = 2 * i + 1;
                if (l >= size) break;
                int c = (l + 1 < size && keys[l + 1] < keys[l]) ? l + 1 : l;
                if (keys[c] >= k) break;
                keys[i] = keys[c]; ids[i] = ids[c];
                i = c;
            }
            keys[i] = k; ids[i] = id;
        }
    }
}
