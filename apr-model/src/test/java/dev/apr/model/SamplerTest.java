package dev.apr.model;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class SamplerTest {
    static final float[] LOGITS = {1.0f, 3.0f, 2.5f, -1.0f, 2.9f};

    @Test
    void greedyIsArgmaxAndIgnoresTheSeed() {
        assertEquals(1, new Sampler(Sampler.Options.greedy()).sample(LOGITS, 0, 5, new int[0], 0));
        assertEquals(1, new Sampler(new Sampler.Options(0f, 0, 1f, 1f, 99)).sample(LOGITS, 0, 5, new int[0], 0));
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        // token 1 (3.0) seen: 3.0 / 1.5 = 2.0 < 2.9 -> token 4 wins
        Sampler s = new Sampler(new Sampler.Options(0f, 0, 1f, 1.5f, 0));
        assertEquals(4, s.sample(LOGITS, 0, 5, new int[] {1}, 1));
        // all positive ones seen: 1/1.5, 2, 2.5/1.5, 2.9/1.5 -> token 1 (2.0) wins; -1 becomes -1.5
        assertEquals(1, s.sample(LOGITS, 0, 5, new int[] {0, 1, 2, 4, 3}, 5));
        assertEquals(3.0f, LOGITS[1], "caller's logits untouched");
    }

    @Test
    void topKOneAndTinyTopPAreGreedy() {
        for (long seed = 0; seed < 20; seed++) {
            assertEquals(1, new Sampler(new Sampler.Options(1.5f, 1, 1f, 1f, seed)).sample(LOGITS, 0, 5, new int[0], 0));
            assertEquals(1, new Sampler(new Sampler.Options(1.5f, 0, 0.01f, 1f, seed)).sample(LOGITS, 0, 5, new int[0], 0));
        }
    }

    @Test
    void sameSeedSameSequence() {
        float[] big = new float[1000];
        Random r = new Random(5);
        for (int i = 0; i < big.length; i++) big[i] = (float) r.nextGaussian() * 2;
        Sampler a = new Sampler(new Sampler.Options(0.8f, 40, 0.9f, 1.1f, 1234)), b = new Sampler(new Sampler.Options(0.8f, 40, 0.9f, 1.1f, 1234));
        int[] hist = new int[50];
        boolean differsFromGreedy = false;
        for (int i = 0; i < 50; i++) {
            int x = a.sample(big, 0, 1000, hist, i), y = b.sample(big, 0, 1000, hist, i);
            assertEquals(x, y, "step " + i);
            differsFromGreedy |= x != Sampler.argmax(big);
            hist[i] = x;
        }
        assertTrue(differsFromGreedy, "temperature sampling is not greedy");
    }

    @Test
    void temperatureSamplingFollowsTheSoftmax() {
        float[] l = {0f, (float) Math.log(2), (float) Math.log(5)};   // probabilities 1/8, 2/8, 5/8
        Sampler s = new Sampler(new Sampler.Options(1f, 0, 1f, 1f, 7));
        int[] n = new int[3];
        int draws = 40_000;
        for (int i = 0; i < draws; i++) n[s.sample(l, 0, 3, new int[0], 0)]++;
        assertEquals(0.125, n[0] / (double) draws, 0.01);
        assertEquals(0.25, n[1] / (double) draws, 0.01);
        assertEquals(0.625, n[2] / (double) draws, 0.01);
    }

    @Test
    void topPKeepsTheSmallestNucleus() {
        float[] l = {0f, (float) Math.log(2), (float) Math.log(5)};   // 0.125, 0.25, 0.625
        Sampler s = new Sampler(new Sampler.Options(1f, 0, 0.8f, 1f, 3));   // nucleus {2, 1}: 0.875 >= 0.8
        boolean saw1 = false;
        for (int i = 0; i < 2000; i++) {
            int t = s.sample(l, 0, 3, new int[0], 0);
            assertNotEquals(0, t, "token outside the nucleus");
            saw1 |= t == 1;
        }
        assertTrue(saw1);
    }

    @Test
    void refusesBadOptions() {
        assertThrows(IllegalArgumentException.class, () -> new Sampler.Options(-1f, 0, 1f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler.Options(1f, -2, 1f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler.Options(1f, 0, 0f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler.Options(1f, 0, 1f, 0f, 0));
    }
}
