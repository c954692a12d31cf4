/**
 * The embedded, Hugging Face Hub-compatible server behind {@code apr hub serve}
 * (shared spec hf-hub-protocol.md §12). Entry points: {@link dev.apr.hub.server.HubServer}
 * (in-process: {@code start(dataDir, host, port)}, {@code url()}, {@code addToken}, {@code stop()})
 * and {@link dev.apr.hub.server.HubServerMain} (a process; the CLI calls its {@code serve}).
 *
 * <p>Endpoints ({@code {t}} = models|datasets|spaces, {@code [p/]} = the datasets/ or spaces/ prefix):
 * <pre>
 * GET    /api/whoami-v2                                   token owner, auth.accessToken.role
 * POST   /api/repos/create                                {name, organization, type, visibility|private, license?, files?}; 409 {url}
 * DELETE /api/repos/delete                                {name, organization, type}
 * PUT    /api/repos/{t}/{ns}/{name}/settings              {private | visibility}
 * POST   /api/validate-yaml                               {content} -> 200 {warnings} | 400 {errors:[{message}]}
 * GET    /api/{t}/{ns}/{name}[/revision/{rev}]            info: _id id sha lastModified private tags pipeline_tag
 *                                                          library_name cardData config siblings (blobs=true: size blobId lfs)
 * GET    /api/{t}/{ns}/{name}/tree/{rev}[/{path}]         recursive, expand (lastCommit), limit/cursor + Link rel="next"
 * POST   /api/{t}/{ns}/{name}/paths-info/{rev}            JSON {paths, expand} or form paths=..&expand=..
 * POST   /api/{t}/{ns}/{name}/preupload/{rev}             uploadMode lfs|regular, shouldIgnore, oid
 * POST   /api/{t}/{ns}/{name}/commit/{rev}                NDJSON header/file/lfsFile/deletedFile/deletedFolder or legacy JSON
 * GET    /api/{t}?author=&amp;search=&amp;limit=              repository listing (public ones without a token)
 * GET    /api/{t}/{ns}/{name}/refs | /commits/{rev}       branches/tags | history
 * POST   /api/{t}/{ns}/{name}/branch/{b} | /tag/{rev}     create (409 when it exists); DELETE branch
 * POST   /[p/]{ns}/{name}.git/info/lfs/objects/batch      basic or multipart (chunk_size + "00001".. part URLs), verify
 * PUT    /api/lfs/objects/{oid}?size&expires&sig          pre-signed basic upload (no token)
 * PUT    /api/lfs/objects/{oid}/parts/{id}/{n}?...        pre-signed part upload, answers ETag
 * POST   /api/lfs/objects/{oid}/complete/{id}?...         {oid, parts:[{partNumber, etag}]}
 * POST   /api/lfs/objects/{oid}/verify                    {oid, size} (token)
 * GET    /[p/]{ns}/{name}/resolve/{rev}/{path}            200/206, X-Repo-Commit, ETag, X-Linked-Etag/-Size (LFS)
 * GET    /[p/]{ns}/{name}/raw/{rev}/{path}                the git blob (pointer text for LFS files)
 * </pre>
 * Xet is never offered ({@code /xet-*-token} answer 501), so clients use the LFS transfers.
 */
package dev.apr.hub.server;
