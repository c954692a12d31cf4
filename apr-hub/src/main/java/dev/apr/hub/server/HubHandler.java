package dev.apr.hub.server;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.util.List;

/**
 * Routes the Hub's URL space (spec §12) to the endpoint classes. Routing works on the raw path
 * split into percent-decoded segments, so an encoded revision like {@code refs%2Fpr%2F1} is one
 * segment while an unencoded {@code refs/pr/1} is re-joined.
 */
final class HubHandler extends Handler.Abstract {
    private final RepoApi repoApi;
    private final CommitApi commitApi;
    private final LfsApi lfsApi;
    private final FileApi fileApi;
    private final long drainCap;

    HubHandler(HubContext ctx) {
        this.drainCap = Math.max(64 * HubLimits.MiB, 2 * ctx.limits().maxCommitBodyBytes());
        this.repoApi = new RepoApi(ctx);
        this.commitApi = new CommitApi(ctx);
        this.lfsApi = new LfsApi(ctx);
        this.fileApi = new FileApi(ctx);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        Exchange ex = null;
        cors(response);
        if (request.getMethod().equals("OPTIONS")) { // CORS preflight, for browser use of the JS client
            response.setStatus(204);
            response.write(true, null, callback);
            return true;
        }
        try {
            ex = new Exchange(request, response, callback);
            route(ex);
            if (!ex.isDone()) throw new HttpError(404, null, "Not found: " + ex.method + " " + request.getHttpURI().getPath());
        } catch (Throwable t) {
            HttpError e = t instanceof HttpError h ? h : new HttpError(500, null, "Internal error: " + t);
            if (e.status >= 500) {
                System.err.println("apr hub: " + request.getMethod() + " " + request.getHttpURI().getPath() + " failed: " + t);
                if (!(t instanceof HttpError)) t.printStackTrace(System.err);
            }
            if (ex == null) ex = new Exchange(request, response, callback, true);
            if (ex.isDone()) {
                callback.failed(t);
            } else {
                ex.drainBody(drainCap);
                ex.error(e);
            }
        }
        return true;
    }

    /** The headers a browser needs to call the hub and read the Hub-specific answers (spec §12 "should"). */
    private static void cors(Response response) {
        var h = response.getHeaders();
        h.put("Access-Control-Allow-Origin", "*");
        h.put("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
        h.put("Access-Control-Allow-Headers", "Authorization, Content-Type, Range, Accept, X-Request-Id");
        h.put("Access-Control-Expose-Headers", "ETag, Content-Range, Content-Length, Accept-Ranges, X-Repo-Commit, X-Linked-Etag, "
                + "X-Linked-Size, X-Error-Code, X-Error-Message, Link, X-Request-Id");
    }

    private void route(Exchange ex) throws Exception {
        List<String> s = ex.segments;
        if (s.isEmpty()) {
            ex.json(200, java.util.Map.of("name", "apr hub", "api", "huggingface-compatible"));
            return;
        }
        if (s.getFirst().equals("api")) { routeApi(ex, s.subList(1, s.size())); return; }

        // git-side routes: [datasets/|spaces/]{ns}/{name}(.git/info/lfs/...|/resolve/...|/raw/...)
        String type = "model";
        int i = 0;
        if ((s.getFirst().equals("datasets") || s.getFirst().equals("spaces")) && s.size() >= 3) {
            type = RepoPaths.typeFromPlural(s.getFirst());
            i = 1;
        }
        if (s.size() < i + 2) return;
        String ns = s.get(i), name = s.get(i + 1);
        List<String> rest = s.subList(i + 2, s.size());
        if (name.endsWith(".git") && rest.equals(List.of("info", "lfs", "objects", "batch")) && ex.method.equals("POST")) {
            lfsApi.batch(ex, type, ns, name.substring(0, name.length() - 4));
            return;
        }
        if (rest.size() >= 2 && (rest.getFirst().equals("resolve") || rest.getFirst().equals("raw"))
                && (ex.method.equals("GET") || ex.method.equals("HEAD"))) {
            RevAndPath rp = RevAndPath.split(rest.subList(1, rest.size()));
            if (rp.path().isEmpty()) return;
            fileApi.serve(ex, type, ns, name, rp.rev(), rp.path(), rest.getFirst().equals("raw"));
        }
    }

    private void routeApi(Exchange ex, List<String> s) throws Exception {
        if (s.isEmpty()) return;
        String m = ex.method;
        switch (s.getFirst()) {
            case "whoami-v2" -> { if (s.size() == 1 && m.equals("GET")) repoApi.whoami(ex); return; }
            case "validate-yaml" -> { if (s.size() == 1 && m.equals("POST")) repoApi.validateYaml(ex); return; }
            case "repos" -> {
                if (s.size() == 2 && s.get(1).equals("create") && m.equals("POST")) repoApi.create(ex);
                else if (s.size() == 2 && s.get(1).equals("delete") && m.equals("DELETE")) repoApi.delete(ex);
                else if (s.size() == 5 && s.get(4).equals("settings") && m.equals("PUT"))
                    repoApi.settings(ex, RepoPaths.typeFromPlural(s.get(1)), s.get(2), s.get(3));
                return;
            }
            case "lfs" -> { lfsApi.signed(ex, s.subList(1, s.size())); return; }
            default -> { }
        }
        String type = RepoPaths.typeFromPlural(s.getFirst());
        if (type != null && s.size() == 1 && m.equals("GET")) { repoApi.listRepos(ex, type); return; }
        if (type == null || s.size() < 3) return;
        String ns = s.get(1), name = s.get(2);
        List<String> rest = s.subList(3, s.size());
        if (rest.isEmpty()) {
            if (m.equals("GET")) repoApi.info(ex, type, ns, name, "HEAD");
            return;
        }
        String op = rest.getFirst();
        List<String> tail = rest.subList(1, rest.size());
        switch (op) {
            case "revision" -> {
                if (m.equals("GET") && !tail.isEmpty()) repoApi.info(ex, type, ns, name, RevAndPath.split(tail).joined());
            }
            case "tree" -> {
                if (m.equals("GET") && !tail.isEmpty()) {
                    RevAndPath rp = RevAndPath.split(tail);
                    repoApi.tree(ex, type, ns, name, rp.rev(), rp.path());
                }
            }
            case "paths-info" -> { if (m.equals("POST") && !tail.isEmpty()) repoApi.pathsInfo(ex, type, ns, name, RevAndPath.split(tail).joined()); }
            case "preupload" -> { if (m.equals("POST") && !tail.isEmpty()) commitApi.preupload(ex, type, ns, name, RevAndPath.split(tail).joined()); }
            case "commit" -> { if (m.equals("POST") && !tail.isEmpty()) commitApi.commit(ex, type, ns, name, RevAndPath.split(tail).joined()); }
            case "branch" -> {
                if (tail.isEmpty()) return;
                String branch = String.join("/", tail);
                if (m.equals("POST")) repoApi.createBranch(ex, type, ns, name, branch);
                else if (m.equals("DELETE")) repoApi.deleteBranch(ex, type, ns, name, branch);
            }
            case "tag" -> { if (m.equals("POST") && !tail.isEmpty()) repoApi.createTag(ex, type, ns, name, RevAndPath.split(tail).joined()); }
            case "xet-read-token", "xet-write-token" -> throw new HttpError(501, "XetNotSupported",
                    "This hub does not speak Xet; use the LFS path (huggingface_hub: set HF_HUB_DISABLE_XET=1)");
            case "refs" -> { if (m.equals("GET") && tail.isEmpty()) repoApi.refs(ex, type, ns, name); }
            case "commits" -> { if (m.equals("GET") && !tail.isEmpty()) repoApi.commits(ex, type, ns, name, RevAndPath.split(tail).joined()); }
            default -> { }
        }
    }

    /**
     * A revision followed by a path. The revision is one segment ("main", "refs%2Fpr%2F1" decoded)
     * or, unencoded, "refs/&lt;kind&gt;/&lt;name&gt;" spread over three segments.
     */
    record RevAndPath(String rev, String path) {
        static RevAndPath split(List<String> segs) {
            int n = segs.getFirst().equals("refs") && segs.size() >= 3 ? 3 : 1;
            String rev = String.join("/", segs.subList(0, n));
            return new RevAndPath(rev, String.join("/", segs.subList(n, segs.size())));
        }

        /** The revision when nothing may follow it (then a '/'-containing path is part of the revision). */
        String joined() { return path.isEmpty() ? rev : rev + "/" + path; }
    }
}
