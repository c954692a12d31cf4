package dev.apr.model.kernel;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Run only by apr-model's narrow-vector test executions (see its pom): proves that their
 * {@code -XX:MaxVectorSize} cap took, so the kernel tests beside it really ran the 8- or 4-lane paths.
 * (Not named *Test: the default execution, with the machine's full width, leaves it out.)
 */
class LaneWidthCheck {
    @Test
    void vectorsAreNoWiderThanTheCap() {
        String cap = System.getProperty("apr.maxVectorBits");
        assumeTrue(cap != null, "run by the capped executions only");
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        assertTrue(bits <= Integer.parseInt(cap), "preferred float vector: expected at most " + cap + " bits, got " + bits);
        assertTrue(WeightMatrix.L == bits / 32, "kernel lanes: expected " + bits / 32 + ", got " + WeightMatrix.L);
    }
}
