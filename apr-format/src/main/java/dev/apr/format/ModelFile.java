package dev.apr.format;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A read-only view of any checkpoint (APR file, SafeTensors file or directory, GGUF file):
 * its metadata and its tensor directory, tensors mapped from the file, never copied.
 * Obtain one with {@link ModelFiles#open(Path)}; close it to unmap.
 */
public interface ModelFile extends AutoCloseable {
    /** The file or directory this view reads. */
    Path path();

    /** "APR", "SafeTensors" or "GGUF". */
    String format();

    /**
     * Format metadata as plain Java values (String, Number, Boolean, List, Map): the APR metadata
     * JSON, the SafeTensors {@code __metadata__} (plus {@code config.json} for a directory, under
     * "config"), or the GGUF key/values.
     */
    Map<String, Object> metadata();

    /** Every tensor, in the file's order. */
    List<Tensor> tensors();

    /** The tensor with this name, or null. */
    Tensor tensor(String name);

    @Override void close();
}
