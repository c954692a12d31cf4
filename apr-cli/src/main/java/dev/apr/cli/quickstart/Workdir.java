package dev.apr.cli.quickstart;

import dev.apr.format.AprException;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.stream.Stream;

/**
 * The quickstart's working directory. A marker file says the directory is the quickstart's own:
 * only then is a previous run's output removed (so it is re-runnable); a non-empty directory
 * without the marker is someone else's and is refused, never cleaned.
 */
final class Workdir {
    private Workdir() {}

    static final String MARKER = ".apr-quickstart";
    static final List<String> OWNED = List.of("data", "runs", "staging", "hub", "hf-cache", "quickstart-report.md", "loss-curves.svg");

    static void prepare(Path dir) {
        try {
            if (Files.isDirectory(dir) && !Files.exists(dir.resolve(MARKER))) {
                try (Stream<Path> s = Files.list(dir)) {
                    if (s.findAny().isPresent())
                        throw AprException.badInput("QUICKSTART_WORKDIR", dir + ": expected an empty directory or one a previous"
                                + " apr quickstart made (with " + MARKER + "), got a directory with other files; pass --workdir NEW_DIR");
                }
            }
            Files.createDirectories(dir);
            for (String name : OWNED) deleteTree(dir.resolve(name));
            Files.writeString(dir.resolve(MARKER), "made by apr quickstart; its output here is replaced on the next run\n");
        } catch (IOException e) {
            throw AprException.badInput("QUICKSTART_WORKDIR", dir + ": " + e.getMessage());
        }
    }

    static void deleteTree(Path p) {
        if (!Files.exists(p)) return;
        try {
            Files.walkFileTree(p, new SimpleFileVisitor<>() {
                @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    Files.delete(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    if (e != null) throw e;
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw AprException.badInput("QUICKSTART_WORKDIR", p + ": cannot remove the previous run's output: " + e.getMessage());
        }
    }
}
