package dev.apr.model;

import dev.apr.format.DType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class GeneratorTest {
    @Test
    void greedyGenerationStreamsTheArgmaxOfEachStep() {
        ModelConfig c = TransformerTest.QWEN;
        var w = ReferenceModel.randomWeights(c, 21);
        try (var f = TransformerTest.file(c, w, DType.F32)) {
            Transformer m = Transformer.load(f, c);
            List<Integer> streamed = new ArrayList<>();
            Generator.Result r = new Generator(m).generate(new int[] {3, 1, 4}, 5, new Sampler(Sampler.Options.greedy()), Set.of(),
                    t -> streamed.add(t));
            assertEquals(5, r.tokens().length);
            assertEquals("length", r.stopReason());
            assertEquals(streamed, java.util.Arrays.stream(r.tokens()).boxed().toList());
            // each token is the reference model's argmax given everything before it
            int[] seq = {3, 1, 4, 0, 0, 0, 0};
            ReferenceModel ref = new ReferenceModel(c, w);
            for (int i = 0; i < 4; i++) {
                double[][] lg = ref.logits(java.util.Arrays.copyOf(seq, 3 + i));
                double[] last = lg[lg.length - 1];
                int best = 0;
                for (int v = 1; v < last.length; v++) if (last[v] > last[best]) best = v;
                assertEquals(best, r.tokens()[i], "step " + i);
                seq[3 + i] = r.tokens()[i];
            }
        }
    }

    @Test
    void stopsAtAStopTokenAndWhenTheListenerSaysSo() {
        ModelConfig c = TransformerTest.QWEN;
        try (var f = TransformerTest.file(c, ReferenceModel.randomWeights(c, 22), DType.F32)) {
            Transformer m = Transformer.load(f, c);
            Generator g = new Generator(m);
            int first = g.generate(new int[] {7}, 1, new Sampler(Sampler.Options.greedy()), Set.of(), t -> true).tokens()[0];
            Generator.Result r = g.generate(new int[] {7}, 10, new Sampler(Sampler.Options.greedy()), Set.of(first), t -> true);
            assertArrayEquals(new int[] {first}, r.tokens());
            assertEquals("eos", r.stopReason());
            r = g.generate(new int[] {7}, 10, new Sampler(Sampler.Options.greedy()), Set.of(), t -> false);
            assertEquals(1, r.tokens().length);
            assertEquals("callback", r.stopReason());
        }
    }
}
