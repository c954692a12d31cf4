package dev.apr.hub.server;

import org.eclipse.jgit.attributes.Attribute;
import org.eclipse.jgit.attributes.AttributesNode;
import org.eclipse.jgit.attributes.AttributesRule;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.ignore.IgnoreNode;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.revwalk.filter.RevFilter;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.AndTreeFilter;
import org.eclipse.jgit.treewalk.filter.PathFilter;
import org.eclipse.jgit.treewalk.filter.TreeFilter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * One Hub repository: a bare git repository whose commits are the Hub's commits (40-hex SHA-1
 * ids), whose regular files are git blobs and whose large files are LFS pointer blobs
 * ({@link LfsPointer}) with the content in the {@link LfsStore}. Branch updates are
 * compare-and-swap ref updates under a per-repository lock, so a commit either lands on the
 * head its author saw or fails with 412.
 */
final class HubRepo {
    /** The {@code .gitattributes} the Hub puts in every new model repository (spec §8). */
    static final String DEFAULT_GITATTRIBUTES = String.join("", List.of(
            "*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gz", "*.h5", "*.joblib", "*.lfs.*",
            "*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot", "*.parquet", "*.pb",
            "*.pickle", "*.pkl", "*.pt", "*.pth", "*.rar", "*.safetensors", "saved_model/**/*", "*.tar.*",
            "*.tar", "*.tflite", "*.tgz", "*.wasm", "*.xz", "*.zip", "*.zst", "*tfevents*")
            .stream().map(p -> p + " filter=lfs diff=lfs merge=lfs -text\n").toList());

    private static final Pattern SHA1 = Pattern.compile("[0-9a-f]{40}");

    final String type, namespace, name;
    final Repository git;
    private final ReentrantLock commitLock = new ReentrantLock();

    HubRepo(String type, String namespace, String name, Repository git) {
        this.type = type;
        this.namespace = namespace;
        this.name = name;
        this.git = git;
    }

    /** Fills a freshly created bare repository: visibility, creation time, the first commit. */
    static void initialize(Repository git, boolean isPrivate, String user) throws IOException {
        StoredConfig cfg = git.getConfig();
        cfg.setBoolean("apr", null, "private", isPrivate);
        cfg.setString("apr", null, "createdAt", Instant.now().toString());
        cfg.save();
        HubRepo repo = new HubRepo("model", "", "", git);
        ObjectId blob;
        try (ObjectInserter ins = git.newObjectInserter()) {
            blob = ins.insert(Constants.OBJ_BLOB, DEFAULT_GITATTRIBUTES.getBytes(StandardCharsets.UTF_8));
            ins.flush();
        }
        repo.commit("main", null, true, List.of(new Put(".gitattributes", blob, null)), "initial commit", "", ident(user));
    }

    String id() { return namespace + "/" + name; }

    boolean isPrivate() { return git.getConfig().getBoolean("apr", null, "private", false); }

    void setPrivate(boolean value) throws IOException {
        StoredConfig cfg = git.getConfig();
        cfg.setBoolean("apr", null, "private", value);
        cfg.save();
    }

    String createdAt() { return git.getConfig().getString("apr", null, "createdAt"); }

    static PersonIdent ident(String user) { return new PersonIdent(user, user + "@users.noreply.apr.local"); }

    // ---------------------------------------------------------------- revisions

    /** A revision as the Hub accepts it: HEAD, a branch, a tag, refs/..., or a 40-hex commit id. */
    RevCommit resolve(String rev) {
        if (rev == null || rev.isEmpty()) throw HttpError.revisionNotFound("");
        try (RevWalk walk = new RevWalk(git)) {
            ObjectId id = null;
            if (SHA1.matcher(rev).matches()) {
                id = ObjectId.fromString(rev);
            } else if (Repository.isValidRefName(rev.startsWith("refs/") ? rev : "refs/heads/" + rev) || rev.equals("HEAD")) {
                Ref ref = rev.equals("HEAD") ? git.exactRef("HEAD")
                        : rev.startsWith("refs/") ? git.exactRef(rev)
                        : firstNonNull(git.exactRef("refs/heads/" + rev), git.exactRef("refs/tags/" + rev));
                if (ref != null && ref.getObjectId() != null) id = ref.getObjectId();
            }
            if (id == null) throw HttpError.revisionNotFound(rev);
            return walk.parseCommit(id);
        } catch (MissingObjectException | org.eclipse.jgit.errors.IncorrectObjectTypeException e) {
            throw HttpError.revisionNotFound(rev);
        } catch (IOException e) {
            throw new HttpError(500, null, "cannot read revision " + rev + ": " + e.getMessage());
        }
    }

    /** The commit a branch points at, or null when the branch does not exist. */
    ObjectId branchHead(String branch) throws IOException {
        Ref ref = git.exactRef("refs/heads/" + branch);
        return ref == null ? null : ref.getObjectId();
    }

    private static Ref firstNonNull(Ref a, Ref b) { return a != null ? a : b; }

    // ---------------------------------------------------------------- reading trees

    /** A file or directory of a commit's tree; {@code size} is the real content size (LFS or not). */
    record Entry(String path, boolean directory, ObjectId oid, long size, LfsPointer lfs) {}

    /** The entry at {@code path} in the commit, or null. The root ("") is a directory. */
    Entry entry(RevCommit commit, String path) throws IOException {
        if (path.isEmpty()) return new Entry("", true, commit.getTree().getId(), 0, null);
        try (TreeWalk tw = TreeWalk.forPath(git, path, commit.getTree())) {
            if (tw == null) return null;
            return toEntry(tw.getObjectReader(), path, tw.getFileMode(0), tw.getObjectId(0));
        }
    }

    /**
     * The entries under a directory, in git tree order, each directory before its contents when
     * recursive. Paths are repository-root relative. 404 EntryNotFound when {@code dir} is not a directory.
     */
    List<Entry> list(RevCommit commit, String dir, boolean recursive) throws IOException {
        Entry base = entry(commit, dir);
        if (base == null || !base.directory()) throw HttpError.entryNotFound(dir);
        List<Entry> out = new ArrayList<>();
        try (TreeWalk tw = new TreeWalk(git)) {
            tw.addTree(base.oid());
            tw.setRecursive(false);
            String prefix = dir.isEmpty() ? "" : dir + "/";
            while (tw.next()) {
                out.add(toEntry(tw.getObjectReader(), prefix + tw.getPathString(), tw.getFileMode(0), tw.getObjectId(0)));
                if (recursive && tw.isSubtree()) tw.enterSubtree();
            }
        }
        return out;
    }

    private Entry toEntry(ObjectReader reader, String path, FileMode mode, ObjectId id) throws IOException {
        if (mode == FileMode.TREE) return new Entry(path, true, id, 0, null);
        if (mode == FileMode.GITLINK) return new Entry(path, false, id, 0, null);
        long size = reader.getObjectSize(id, Constants.OBJ_BLOB);
        LfsPointer lfs = size <= LfsPointer.MAX_POINTER_BYTES ? LfsPointer.parse(reader.open(id).getBytes()) : null;
        return new Entry(path, false, id, lfs != null ? lfs.size() : size, lfs);
    }

    /** A blob's bytes; only for blobs known to be small (pointers, README, config). */
    byte[] readBlob(ObjectId id, long max) throws IOException {
        try (ObjectReader r = git.newObjectReader()) {
            long size = r.getObjectSize(id, Constants.OBJ_BLOB);
            if (size > max) throw HttpError.tooLarge("blob " + id.name() + " has " + size + " bytes, more than " + max);
            return r.open(id, Constants.OBJ_BLOB).getBytes();
        }
    }

    /** The text of a small file at a commit, or null when absent (or a directory, or LFS). */
    String readText(RevCommit commit, String path, long max) throws IOException {
        Entry e = entry(commit, path);
        if (e == null || e.directory() || e.lfs() != null || e.size() > max) return null;
        return new String(readBlob(e.oid(), max), StandardCharsets.UTF_8);
    }

    /** The most recent commit (from {@code head} back) that changed {@code path}. */
    RevCommit lastCommitTouching(RevCommit head, String path) throws IOException {
        try (RevWalk walk = new RevWalk(git)) {
            walk.markStart(walk.parseCommit(head));
            walk.setRevFilter(RevFilter.ALL);
            if (!path.isEmpty())
                walk.setTreeFilter(AndTreeFilter.create(PathFilter.create(path), TreeFilter.ANY_DIFF));
            RevCommit c = walk.next();
            return c != null ? c : walk.parseCommit(head);
        }
    }

    // ---------------------------------------------------------------- .gitattributes / .gitignore

    /** Whether {@code .gitattributes} text routes {@code path} to LFS (the last rule setting {@code filter} wins). */
    static boolean isLfsPath(String gitattributes, String path) {
        if (gitattributes == null || gitattributes.isEmpty()) return false;
        AttributesNode node = new AttributesNode();
        try {
            node.parse(new ByteArrayInputStream(gitattributes.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            return false;
        }
        boolean lfs = false;
        for (AttributesRule rule : node.getRules()) {
            if (!rule.isMatch(path, false)) continue;
            for (Attribute a : rule.getAttributes())
                if (a.getKey().equals("filter"))
                    lfs = a.getState() == Attribute.State.CUSTOM && "lfs".equals(a.getValue());
        }
        return lfs;
    }

    /** Whether {@code .gitignore} text ignores {@code path} (or one of its parent directories). */
    static boolean isIgnored(String gitignore, String path) {
        if (gitignore == null || gitignore.isEmpty()) return false;
        IgnoreNode node = new IgnoreNode();
        try {
            node.parse(new ByteArrayInputStream(gitignore.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            return false;
        }
        String[] parts = path.split("/");
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) prefix.append('/');
            prefix.append(parts[i]);
            Boolean ignored = node.checkIgnored(prefix.toString(), i < parts.length - 1);
            if (Boolean.TRUE.equals(ignored)) return true;
        }
        return false;
    }

    /**
     * A gitattributes pattern for {@code path}: glob characters escaped; a space (which ends a
     * pattern in git and JGit) becomes '?', so the rule matches the file (and only names that
     * differ from it in that one character).
     */
    static String attributesPattern(String path) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == ' ') b.append('?');
            else if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\' || (i == 0 && (c == '#' || c == '!'))) b.append('\\').append(c);
            else b.append(c);
        }
        return b.toString();
    }

    // ---------------------------------------------------------------- commits

    /** One change of a commit. */
    sealed interface Op permits Put, Delete, DeleteFolder {}

    /** Adds or replaces a file with an inserted blob; {@code lfs} is set when the blob is that LFS pointer. */
    record Put(String path, ObjectId blob, LfsPointer lfs) implements Op {}

    record Delete(String path) implements Op {}

    record DeleteFolder(String path) implements Op {}

    private record Item(FileMode mode, ObjectId id) {}

    /**
     * Applies {@code ops} to the branch head and moves the branch to the new commit, atomically.
     *
     * @param expectedParent when non-null, the head the caller saw: a different head is a 412
     * @param create         the branch must not exist yet (repository creation)
     * @return the new commit id
     */
    ObjectId commit(String branch, ObjectId expectedParent, boolean create, List<Op> ops, String summary,
                    String description, PersonIdent who) throws IOException {
        commitLock.lock();
        try (ObjectInserter ins = git.newObjectInserter(); RevWalk walk = new RevWalk(git)) {
            ObjectId head = branchHead(branch);
            if (head == null && !create) throw HttpError.revisionNotFound(branch);
            if (expectedParent != null && !expectedParent.equals(head))
                throw new HttpError(412, "PreconditionFailed", "The branch was updated since you opened this page. Please refresh and try again.");

            TreeMap<String, Item> files = new TreeMap<>();
            if (head != null) {
                try (TreeWalk tw = new TreeWalk(git)) {
                    tw.addTree(walk.parseCommit(head).getTree());
                    tw.setRecursive(true);
                    while (tw.next()) files.put(tw.getPathString(), new Item(tw.getFileMode(0), tw.getObjectId(0)));
                }
            }
            List<String> lfsPaths = new ArrayList<>();
            for (Op op : ops) {
                switch (op) {
                    case Put p -> {
                        files.put(p.path(), new Item(FileMode.REGULAR_FILE, p.blob()));
                        if (p.lfs() != null) lfsPaths.add(p.path());
                        else lfsPaths.remove(p.path());
                    }
                    case Delete d -> {
                        if (files.remove(d.path()) == null)
                            throw new HttpError(404, "EntryNotFound", "A file with this name doesn't exist: " + d.path());
                        lfsPaths.remove(d.path());
                    }
                    case DeleteFolder d -> {
                        String prefix = d.path().endsWith("/") ? d.path() : d.path() + "/";
                        var sub = files.subMap(prefix, true, prefix + Character.MAX_VALUE, false);
                        if (sub.isEmpty())
                            throw new HttpError(404, "EntryNotFound", "A folder with this name doesn't exist: " + d.path());
                        sub.clear();
                        lfsPaths.removeIf(p -> p.startsWith(prefix));
                    }
                }
            }
            addLfsRules(files, lfsPaths, ins);
            checkNoFileDirectoryClash(files);

            DirCache index = DirCache.newInCore();
            DirCacheBuilder builder = index.builder();
            for (Map.Entry<String, Item> e : files.entrySet()) {
                DirCacheEntry de;
                try {
                    de = new DirCacheEntry(e.getKey());
                } catch (IllegalArgumentException bad) {
                    throw HttpError.badRequest("Invalid path '" + RepoPaths.printable(e.getKey()) + "': " + bad.getMessage());
                }
                de.setFileMode(e.getValue().mode());
                de.setObjectId(e.getValue().id());
                builder.add(de);
            }
            builder.finish();
            ObjectId tree = index.writeTree(ins);

            CommitBuilder cb = new CommitBuilder();
            cb.setTreeId(tree);
            if (head != null) cb.setParentId(head);
            cb.setAuthor(who);
            cb.setCommitter(who);
            cb.setMessage(description == null || description.isBlank() ? summary + "\n" : summary + "\n\n" + description + "\n");
            ObjectId commitId = ins.insert(cb);
            ins.flush();

            RefUpdate ru = git.updateRef("refs/heads/" + branch);
            ru.setNewObjectId(commitId);
            ru.setExpectedOldObjectId(head == null ? ObjectId.zeroId() : head);
            ru.setRefLogIdent(who);
            ru.setRefLogMessage("commit: " + summary, false);
            RefUpdate.Result result = ru.update(walk);
            switch (result) {
                case NEW, FAST_FORWARD, FORCED -> { return commitId; }
                case LOCK_FAILURE -> throw new HttpError(412, "PreconditionFailed",
                        "The branch was updated since you opened this page. Please refresh and try again.");
                default -> throw new HttpError(500, null, "ref update of " + branch + " failed: " + result);
            }
        } finally {
            commitLock.unlock();
        }
    }

    /** The Hub appends "{path} filter=lfs diff=lfs merge=lfs -text" for LFS files no rule covers (spec §6.2). */
    private void addLfsRules(TreeMap<String, Item> files, List<String> lfsPaths, ObjectInserter ins) throws IOException {
        if (lfsPaths.isEmpty()) return;
        Item attrs = files.get(".gitattributes");
        String text = attrs == null ? "" : new String(readBlob(attrs.id(), 16 * HubLimits.MiB), StandardCharsets.UTF_8);
        StringBuilder added = new StringBuilder();
        for (String p : lfsPaths) {
            if (isLfsPath(text + added, p)) continue;
            added.append(attributesPattern(p)).append(" filter=lfs diff=lfs merge=lfs -text\n");
        }
        if (added.isEmpty()) return;
        String updated = (text.isEmpty() || text.endsWith("\n") ? text : text + "\n") + added;
        files.put(".gitattributes", new Item(FileMode.REGULAR_FILE,
                ins.insert(Constants.OBJ_BLOB, updated.getBytes(StandardCharsets.UTF_8))));
    }

    /** "a" as a file and "a/b" in the same tree cannot both exist. */
    private static void checkNoFileDirectoryClash(TreeMap<String, Item> files) {
        for (String path : files.keySet()) {
            for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
                String parent = path.substring(0, i);
                if (files.containsKey(parent))
                    throw HttpError.badRequest("Path conflict: '" + RepoPaths.printable(parent) + "' is a file, so '"
                            + RepoPaths.printable(path) + "' cannot be created");
            }
        }
    }
}
