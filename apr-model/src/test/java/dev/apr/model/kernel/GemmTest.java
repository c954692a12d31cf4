package dev.apr.model.kernel;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GemmTest {

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    /** Shapes with tails on every side: not multiples of 4 rows, nor of 16/32 columns. */
    private static final int[][] SHAPES = {{1, 1, 1}, {3, 5, 7}, {4, 4, 16}, {8, 33, 64}, {37, 19, 45}, {64, 96, 80}, {5, 130, 3}};

    @Test
    void abtMatchesDoubleReference() {
        Random r = new Random(1);
        for (int[] s : SHAPES) {
            int m = s[0], n = s[1], k = s[2];
            float[] a = random(r, 3 + m * k), b = random(r, 2 + n * k), c = random(r, 1 + m * n);
            float[] c0 = c.clone();
            Gemm.matmulABt(c, 1, a, 3, b, 2, m, n, k, true);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double e = c0[1 + i * n + j];
                    for (int p = 0; p < k; p++) e += (double) a[3 + i * k + p] * b[2 + j * k + p];
                    assertEquals(e, c[1 + i * n + j], 1e-4 * Math.sqrt(k) + 1e-5, "abt " + m + "x" + n + "x" + k);
                }
            assertEquals(c0[0], c[0], 0f, "element before C's offset untouched");
        }
    }

    @Test
    void abMatchesDoubleReference() {
        Random r = new Random(2);
        for (int[] s : SHAPES) {
            int m = s[0], n = s[1], k = s[2];
            float[] a = random(r, m * k), b = random(r, k * n), c = new float[m * n];
            Gemm.matmulAB(c, a, b, m, n, k, false);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double e = 0;
                    for (int p = 0; p < k; p++) e += (double) a[i * k + p] * b[p * n + j];
                    assertEquals(e, c[i * n + j], 1e-4 * Math.sqrt(k) + 1e-5, "ab " + m + "x" + n + "x" + k);
                }
        }
    }

    @Test
    void atbMatchesDoubleReferenceAndAccumulates() {
        Random r = new Random(3);
        for (int[] s : SHAPES) {
            int m = s[0], n = s[1], k = s[2];
            float[] a = random(r, k * m), b = random(r, k * n), c = random(r, m * n);
            float[] c0 = c.clone();
            Gemm.matmulAtB(c, a, b, m, n, k, true);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double e = c0[i * n + j];
                    for (int p = 0; p < k; p++) e += (double) a[p * m + i] * b[p * n + j];
                    assertEquals(e, c[i * n + j], 1e-4 * Math.sqrt(k) + 1e-5, "atb " + m + "x" + n + "x" + k);
                }
        }
    }

    @Test
    void resultDoesNotDependOnThreadCount() {
        Random r = new Random(4);
        int m = 24, n = 200, k = 96;
        float[] a = random(r, m * k), b = random(r, n * k);
        float[] c1 = new float[m * n], c2 = new float[m * n];
        Parallel.setThreads(1);
        Gemm.matmulABt(c1, a, b, m, n, k, false);
        Parallel.setThreads(2);
        Gemm.matmulABt(c2, a, b, m, n, k, false);
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
        for (int i = 0; i < c1.length; i++) assertEquals(c1[i], c2[i], 0f, "element " + i);
    }
}
