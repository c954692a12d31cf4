package dev.apr.train;

import dev.apr.model.ModelConfig;

import java.nio.file.Path;

final class InitCheckpointTest {
    static ModelConfig configOf(Path apr) {
        try (InitCheckpoint c = InitCheckpoint.check(apr, null, -1)) {
            return c.config();
        }
    }
}
