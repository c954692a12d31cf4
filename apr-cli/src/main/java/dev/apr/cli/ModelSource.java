package dev.apr.cli;

import dev.apr.format.AprException;
import dev.apr.format.ModelFile;
import dev.apr.format.ModelFiles;
import dev.apr.hub.client.HubDownloader;
import dev.apr.format.io.Progress;
import dev.apr.hub.client.RepoId;
import dev.apr.model.ModelConfig;
import dev.apr.model.RandomModel;
import dev.apr.model.Weights;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where {@code apr run} and {@code apr bench} get a model: an APR file, a Hugging Face checkpoint
 * directory, a GGUF file, or {@code random:PRESET[:TYPE]} (random weights in memory). All source
 * kinds are told apart in {@link #resolveSource(String)}; a hub repo id {@code org/name} is
 * downloaded into the Hugging Face cache (endpoint from {@code HF_ENDPOINT}, else the embedded hub).
 *
 * @param spec   what the user typed
 * @param file   the opened checkpoint (close it when done)
 * @param config the architecture it describes
 * @param dir    the local directory or file the checkpoint came from (null for random:)
 */
record ModelSource(String spec, ModelFile file, ModelConfig config, Path dir) implements AutoCloseable {

    static ModelSource resolveSource(String spec) { return resolveSource(spec, null); }

    /** {@code hub} (null: the environment's settings) says where {@code org/name} sources come from. */
    static ModelSource resolveSource(String spec, HubOptions hub) {
        if (spec.startsWith("random:")) {
            RandomModel m = RandomModel.parse(spec);
            return new ModelSource(spec, m, m.config(), null);
        }
        Path p = Path.of(spec);
        if (!Files.exists(p)) {
            if (!RepoId.looksLikeRepoId(spec))
                throw AprException.badInput("FILE_NOT_FOUND", spec + ": no such file or directory (expected an .apr file,"
                        + " a GGUF file, a Hugging Face checkpoint directory, a hub repo id org/name or random:PRESET[:TYPE])");
            // org/name: fetched into the HF cache first
            p = hub == null ? HubDownloader.resolveModelSource(spec)
                    : HubDownloader.resolveModelSource(spec, hub.settings(), hub.quiet ? Progress.NONE : Progress.to(System.err));
        }
        ModelFile f = ModelFiles.open(p);
        try {
            return new ModelSource(spec, f, Weights.config(f), p);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    @Override public void close() { file.close(); }
}
