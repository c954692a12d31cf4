package dev.apr.hub.publish;

import dev.apr.format.ModelFile;
import dev.apr.format.ModelFiles;

import java.nio.file.Path;

/** The one door from the hub module to apr's format readers: every model file is opened here. */
final class Readers {
    private Readers() {}

    /** Opens an APR, SafeTensors or GGUF file with apr's own reader ({@link ModelFiles}). */
    static ModelFile open(Path file) { return ModelFiles.open(file); }
}
