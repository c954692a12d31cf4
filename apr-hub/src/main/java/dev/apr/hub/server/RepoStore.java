package dev.apr.hub.server;

import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the repositories live: {@code repos/<type>s/<namespace>/<name>.git}, each a bare git
 * repository. Namespaces and names are validated ({@link RepoPaths#checkName}) before they
 * touch the disk, so no request can name a directory outside the data directory.
 */
final class RepoStore implements Closeable {
    private final Path root;
    private final ConcurrentHashMap<String, HubRepo> open = new ConcurrentHashMap<>();

    RepoStore(Path dataDir) throws IOException {
        root = Files.createDirectories(dataDir.resolve("repos"));
    }

    private Path dir(String type, String namespace, String name) {
        if (RepoPaths.typeFromPlural(type + "s") == null) throw HttpError.badRequest("Invalid repo type '" + RepoPaths.printable(type) + "'");
        RepoPaths.checkName("namespace", namespace);
        RepoPaths.checkName("repo name", name);
        return root.resolve(type + "s").resolve(namespace).resolve(name + ".git");
    }

    /** An existing repository, or 404 RepoNotFound. */
    HubRepo open(String type, String namespace, String name) {
        Path dir = dir(type, namespace, name);
        String key = type + "/" + namespace + "/" + name;
        HubRepo repo = open.get(key);
        if (repo != null && Files.isDirectory(dir)) return repo;
        if (repo != null) open.remove(key, repo); // deleted behind our back
        if (!Files.isRegularFile(dir.resolve("HEAD"))) throw HttpError.repoNotFound();
        return open.computeIfAbsent(key, k -> {
            try {
                Repository git = new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().setMustExist(true).build();
                return new HubRepo(type, namespace, name, git);
            } catch (IOException e) {
                throw new HttpError(500, null, "cannot open repository " + namespace + "/" + name + ": " + e.getMessage());
            }
        });
    }

    /** Creates a bare repository with the default {@code .gitattributes} commit; 409 when it exists. */
    synchronized HubRepo create(String type, String namespace, String name, boolean isPrivate, String user) throws IOException {
        Path dir = dir(type, namespace, name);
        if (Files.exists(dir)) throw new HttpError(409, "RepoExists", "You already created this " + type + " repo");
        Files.createDirectories(dir.getParent());
        Path staging = Files.createTempDirectory(dir.getParent(), "." + name + ".creating-");
        try {
            try (Repository git = new FileRepositoryBuilder().setGitDir(staging.toFile()).setBare().setInitialBranch("main").build()) {
                git.create(true);
                HubRepo.initialize(git, isPrivate, user);
            }
            Files.move(staging, dir); // the repository appears complete or not at all
        } catch (org.eclipse.jgit.api.errors.InvalidRefNameException e) {
            deleteTree(staging);
            throw new IOException(e);
        } catch (IOException | RuntimeException e) {
            deleteTree(staging);
            throw e;
        }
        return open(type, namespace, name);
    }

    synchronized void delete(String type, String namespace, String name) throws IOException {
        Path dir = dir(type, namespace, name);
        if (!Files.isDirectory(dir)) throw HttpError.repoNotFound();
        HubRepo repo = open.remove(type + "/" + namespace + "/" + name);
        if (repo != null) repo.git.close();
        Path doomed = dir.resolveSibling("." + name + ".deleting-" + System.nanoTime());
        Files.move(dir, doomed);
        deleteTree(doomed);
    }

    /** Every repository of a type as "namespace/name", sorted. */
    java.util.List<String> list(String type) throws IOException {
        java.util.List<String> out = new java.util.ArrayList<>();
        Path dir = root.resolve(type + "s");
        if (!Files.isDirectory(dir)) return out;
        try (var namespaces = Files.newDirectoryStream(dir)) {
            for (Path ns : namespaces) {
                if (!Files.isDirectory(ns) || ns.getFileName().toString().startsWith(".")) continue;
                try (var names = Files.newDirectoryStream(ns, "*.git")) {
                    for (Path n : names) {
                        String name = n.getFileName().toString();
                        if (!name.startsWith(".")) out.add(ns.getFileName() + "/" + name.substring(0, name.length() - 4));
                    }
                }
            }
        }
        java.util.Collections.sort(out);
        return out;
    }

    @Override public void close() {
        open.values().forEach(r -> r.git.close());
        open.clear();
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
