package dev.apr.format;

import dev.apr.format.apr.AprFile;
import dev.apr.format.safetensors.SafeTensorsFile;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Opens any checkpoint by sniffing its first bytes: APR ({@code APR\0}, and the refused v1
 * {@code APRN}), GGUF ({@code GGUF}), SafeTensors (a file whose u64 header length is followed by
 * '{', or a model directory). Anything else is refused naming the file and its first bytes.
 */
public final class ModelFiles {
    private ModelFiles() {}

    public static ModelFile open(Path path) {
        if (Files.isDirectory(path)) return SafeTensorsFile.open(path);
        byte[] head = new byte[9];
        int n;
        try (InputStream in = Files.newInputStream(path)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (NoSuchFileException e) {
            throw AprException.badInput("FILE_NOT_FOUND", path + ": no such file or directory");
        } catch (IOException e) {
            throw new AprException("IO_ERROR", AprException.BAD_INPUT, path + ": cannot read: " + e, e);
        }
        if (n >= 4 && head[0] == 'A' && head[1] == 'P' && head[2] == 'R' && (head[3] == 0 || head[3] == 'N'))
            return AprFile.open(path);
        if (n >= 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F') return openGguf(path);
        if ((n == 9 && head[8] == '{') || path.getFileName().toString().endsWith(".safetensors"))
            return SafeTensorsFile.open(path);
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < Math.min(n, 8); i++) hex.append(i > 0 ? " " : "").append(String.format("%02x", head[i] & 0xff));
        throw BadInput.of("UNKNOWN_FORMAT", path, "format", "an APR v2, GGUF or SafeTensors file (or a model directory)",
                n == 0 ? "an empty file" : "first bytes " + hex);
    }

    /**
     * GGUF is read by dev.apr.format.gguf.GgufFile (another branch). Until it is merged this is
     * looked up reflectively; replace with a direct call {@code GgufFile.open(path)} once it is.
     */
    private static ModelFile openGguf(Path path) {
        try {
            Class<?> c = Class.forName("dev.apr.format.gguf.GgufFile");
            return (ModelFile) c.getMethod("open", Path.class).invoke(null, path);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            throw BadInput.message("GGUF_UNSUPPORTED", path, "is a GGUF file, but this build of apr has no GGUF reader yet");
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
