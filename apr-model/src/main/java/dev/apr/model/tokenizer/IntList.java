package dev.apr.model.tokenizer;

import java.util.Arrays;

/** A growable int array (token ids without boxing). */
public final class IntList {
    private int[] a;
    private int size;

    public IntList() { this(64); }
    public IntList(int capacity) { a = new int[Math.max(4, capacity)]; }

    public void add(int v) {
        if (size == a.length) a = Arrays.copyOf(a, size * 2);
        a[size++] = v;
    }

    public void addAll(int[] v) {
        if (size + v.length > a.length) a = Arrays.copyOf(a, Math.max(a.length * 2, size + v.length));
        System.arraycopy(v, 0, a, size, v.length);
        size += v.length;
    }

    public int get(int i) {
        if (i >= size) throw new IndexOutOfBoundsException(i);
        return a[i];
    }

    public int size() { return size; }
    public void clear() { size = 0; }
    public int[] toArray() { return Arrays.copyOf(a, size); }
}
