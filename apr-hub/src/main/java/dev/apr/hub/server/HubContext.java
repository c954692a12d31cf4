package dev.apr.hub.server;

import java.util.Optional;

/** What every endpoint shares: the stores, the limits, and the authentication rules. */
record HubContext(RepoStore repos, LfsStore lfs, TokenStore tokens, UrlSigner signer, HubLimits limits) {

    static final String INVALID_CREDENTIALS = "Invalid credentials in Authorization header";

    /**
     * The caller's token entry, empty when no Authorization header was sent. A header with an
     * unknown token is a 401 even on public reads, as on the Hub (Python relies on this message).
     */
    Optional<TokenStore.Entry> caller(Exchange ex) {
        String auth = ex.header("Authorization");
        if (auth == null || auth.isBlank()) return Optional.empty();
        String a = auth.strip();
        if (a.length() < 7 || !a.regionMatches(true, 0, "Bearer ", 0, 7)) throw HttpError.unauthorized(INVALID_CREDENTIALS);
        Optional<TokenStore.Entry> who = tokens.lookup(a.substring(7).strip());
        if (who.isEmpty()) throw HttpError.unauthorized(INVALID_CREDENTIALS);
        return who;
    }

    /** A valid token is required (every write). */
    TokenStore.Entry requireCaller(Exchange ex) {
        return caller(ex).orElseThrow(() -> HttpError.unauthorized("Authorization header is required: send 'Authorization: Bearer hf_...'"));
    }

    /**
     * A repository the caller may read: public ones for everyone, private ones with a valid
     * token. Unauthenticated access to a private repository looks exactly like a missing one.
     */
    HubRepo readable(Exchange ex, String type, String ns, String name) {
        Optional<TokenStore.Entry> who = caller(ex);
        HubRepo repo;
        try {
            repo = repos.open(type, ns, name);
        } catch (HttpError e) {
            if (e.status == 404 && who.isEmpty()) throw new HttpError(401, "RepoNotFound", "Repository not found");
            throw e;
        }
        if (repo.isPrivate() && who.isEmpty()) throw new HttpError(401, "RepoNotFound", "Repository not found");
        return repo;
    }

    /** A repository the caller may write (a valid token; this hub is single-tenant: any token writes any repo). */
    HubRepo writable(Exchange ex, String type, String ns, String name) {
        requireCaller(ex);
        return repos.open(type, ns, name);
    }
}
