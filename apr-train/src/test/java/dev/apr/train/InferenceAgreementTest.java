package dev.apr.train;

import dev.apr.format.apr.AprFile;
import dev.apr.model.ModelConfig;
import dev.apr.model.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The training forward equals the inference forward (apr-model's Transformer) on a saved checkpoint. */
class InferenceAgreementTest {
    @Test
    void trainingLogitsEqualInferenceLogits(@TempDir Path dir) {
        ModelConfig l = TrainModelTest.tinyLlama();
        // Llama 3.2's RoPE scaling: with head_dim 8 and theta 5e5 one pair is interpolated and one divided by 32
        ModelConfig scaled = new ModelConfig(l.family(), l.hiddenSize(), l.numLayers(), l.numHeads(), l.numKvHeads(), l.headDim(),
                l.intermediateSize(), l.vocabSize(), l.maxPositions(), l.ropeTheta(), l.rmsNormEps(), l.attentionBias(),
                l.tieWordEmbeddings(), l.bosTokenId(), l.eosTokenId(), new dev.apr.model.RopeScaling(32, 1, 4, 8192));
        for (ModelConfig cfg : new ModelConfig[] {TrainModelTest.tinyQwen(), l, scaled}) {
            TrainModel m = TrainModelTest.model(cfg, 1, 7, 17);
            List<AprCheckpointFile.Out> tensors = new ArrayList<>();
            for (ParamLayout.Slot s : m.layout().slots())
                tensors.add(new AprCheckpointFile.Out(s.name(), s.shape(), m.params, s.offset()));
            Path p = dir.resolve(cfg.family() + (cfg.ropeScaling() != null ? "-scaled" : "") + ".apr");
            AprCheckpointFile.write(p, new java.util.LinkedHashMap<>(cfg.toAprMetadata()), tensors);
            int[] tokens = {3, 17, 42, 5, 60 % cfg.vocabSize(), 1, 9};
            float[] train = m.logits(tokens);
            try (AprFile f = AprFile.open(p)) {
                Transformer t = Transformer.load(f);
                assertEquals(cfg, t.config(), "the scaling travels in the checkpoint");
                float[] infer = t.forward(t.newState(16), tokens, true);
                assertEquals(train.length, infer.length);
                for (int i = 0; i < train.length; i++)
                    assertEquals(infer[i], train[i], 2e-4 * Math.max(1, Math.abs(infer[i])), cfg.family() + " logit " + i);
            }
        }
    }
}
