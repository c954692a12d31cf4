package dev.apr.format;

import dev.apr.format.io.ByteSink;

/**
 * Tensor bytes produced while a file is written (a dtype conversion, a quantizer), so that no
 * writer has to hold a whole model in the heap. It must write exactly the declared byte count.
 */
@FunctionalInterface
public interface TensorBytes {
    void writeTo(ByteSink out);
}
