package dev.apr.model.kernel;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MatmulTest {
    /** Shapes cover full 4x64 tiles, row and column tails, K blocks, and transposed A. */
    @Test
    void gemmMatchesNaiveForAllStridesAndTails() {
        check(new int[][] {{1, 1, 1}, {5, 17, 3}, {8, 64, 16}, {13, 130, 300}, {64, 80, 257}, {70, 600, 40}});
    }

    /**
     * A task of more than 64 rows copies B into packed column panels: several N blocks (700 = 512 + 188, the
     * second with a 60-column tail read from B itself) and K blocks (300 = 128 + 128 + 44), on one and two threads.
     */
    @Test
    void packedBPathMatchesNaive() {
        ParallelTest.withThreads(new int[] {1, 2}, () -> check(new int[][] {{300, 700, 300}}));
    }

    /** x · Wᵀ with W given row-major [n, k]: full panels, a short last panel (n % 64), row tails, K blocks, strides. */
    @Test
    void gemmBtMatchesNaive() {
        Random rng = new Random(11);
        int[][] shapes = {{1, 1, 1}, {3, 70, 5}, {4, 64, 16}, {13, 130, 300}, {70, 600, 40}, {300, 700, 300}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            for (boolean acc : new boolean[] {false, true}) {
                int lda = k + 1, ldw = k + 3, ldc = n + 2;
                float[] a = new float[m * lda + 2], w = new float[n * ldw + 4], c = new float[m * ldc + 1];
                for (int i = 0; i < a.length; i++) a[i] = (float) rng.nextGaussian();
                for (int i = 0; i < w.length; i++) w[i] = (float) rng.nextGaussian();
                for (int i = 0; i < c.length; i++) c[i] = (float) rng.nextGaussian();
                float[] c0 = c.clone();
                Matmul.gemmBt(m, n, k, a, 2, lda, 1, w, 4, ldw, c, 1, ldc, acc);
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double e = acc ? c0[1 + i * ldc + j] : 0;
                        for (int kk = 0; kk < k; kk++) e += (double) a[2 + i * lda + kk] * w[4 + j * ldw + kk];
                        assertEquals(e, c[1 + i * ldc + j], 1e-4 * Math.sqrt(k) + 1e-5, "m=" + m + " n=" + n + " k=" + k + " at " + i + "," + j);
                    }
                    // the gap between rows of C is never written
                    if (i + 1 < m) assertEquals(c0[1 + i * ldc + n], c[1 + i * ldc + n], 0f);
                }
            }
        }
    }

    /**
     * Unpacked, in place: whole 4 x NR tiles (several row and column tiles, K of one and of 300), and
     * shapes that are not whole tiles, which go through gemm.
     */
    @Test
    void gemmInPlaceMatchesNaive() {
        int nr = Matmul.NR;
        check(new int[][] {{4, nr, 5}, {8, 2 * nr, 300}, {64, 3 * nr, 64}, {12, nr, 1}, {5, 17, 3}, {8, nr + 16, 9}}, Matmul::gemmInPlace);
    }

    interface Product {
        void run(int m, int n, int k, float[] a, int aOff, int ars, int acs, float[] b, int bOff, int ldb,
                 float[] c, int cOff, int ldc, boolean accumulate);
    }

    private static void check(int[][] shapes) {
        check(shapes, Matmul::gemm);
    }

    private static void check(int[][] shapes, Product product) {
        Random rng = new Random(7);
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            for (boolean transA : new boolean[] {false, true}) {
                for (boolean acc : new boolean[] {false, true}) {
                    float[] a = new float[m * k + 3], b = new float[k * (n + 5) + 2], c = new float[m * (n + 2) + 1];
                    for (int i = 0; i < a.length; i++) a[i] = (float) rng.nextGaussian();
                    for (int i = 0; i < b.length; i++) b[i] = (float) rng.nextGaussian();
                    for (int i = 0; i < c.length; i++) c[i] = (float) rng.nextGaussian();
                    float[] c0 = c.clone();
                    int ars = transA ? 1 : k, acs = transA ? m : 1, ldb = n + 5, ldc = n + 2;
                    product.run(m, n, k, a, 3, ars, acs, b, 2, ldb, c, 1, ldc, acc);
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++) {
                            double e = acc ? c0[1 + i * ldc + j] : 0;
                            for (int kk = 0; kk < k; kk++) e += (double) a[3 + i * ars + kk * acs] * b[2 + kk * ldb + j];
                            assertEquals(e, c[1 + i * ldc + j], 1e-4 * Math.sqrt(k) + 1e-5,
                                    "m=" + m + " n=" + n + " k=" + k + " transA=" + transA + " at " + i + "," + j);
                        }
                    // padding between rows of C untouched
                    if (m > 1) assertEquals(c0[1 + n], c[1 + n], 0f);
                }
            }
        }
    }
}
