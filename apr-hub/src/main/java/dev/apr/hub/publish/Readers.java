package dev.apr.hub.publish;

import dev.apr.format.AprException;
import dev.apr.format.ModelFile;

import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;

/**
 * The one door from the hub module to apr's format readers ({@code dev.apr.format.ModelFiles}).
 * Every model file publish, audit and verify look at is opened here and nowhere else.
 */
final class Readers {
    private Readers() {}

    /** Opens an APR, SafeTensors or GGUF file with apr's own reader. */
    static ModelFile open(Path file) {
        try {
            // ModelFiles lives in apr-format (branch fmt); looked up by name until it is on main
            Class<?> c = Class.forName("dev.apr.format.ModelFiles");
            return (ModelFile) c.getMethod("open", Path.class).invoke(null, file);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new AprException("READ_FAILED", AprException.BAD_INPUT, file + ": " + e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new AprException("READER_MISSING", AprException.BAD_INPUT,
                    file + ": apr's format readers (dev.apr.format.ModelFiles) are not in this build");
        }
    }
}
