// Runs the official @huggingface/hub JS client against an apr hub server and checks what it
// gets back. Used by HubServerJsClientTest (JUnit), which starts the server as a process.
//
//   node hub-client-check.mjs <hubUrl> <accessToken> <namespace/name>
//
// Prints one JSON line with what was observed; exits 1 with a message on the first mismatch.
import { createHash } from "node:crypto";
import { createRepo, uploadFiles, listFiles, downloadFile, modelInfo, whoAmI, fileDownloadInfo } from "@huggingface/hub";

const [hubUrl, accessToken, repoName] = process.argv.slice(2);
if (!hubUrl || !accessToken || !repoName) {
  console.error("usage: node hub-client-check.mjs <hubUrl> <accessToken> <namespace/name>");
  process.exit(2);
}
const repo = { type: "model", name: repoName };
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
const fail = (message) => { console.error("hub-client-check: " + message); process.exit(1); };
const check = (cond, message) => { if (!cond) fail(message); };

// Deterministic bytes (xorshift32), so the test can recompute the expected SHA-256 independently.
function pseudoRandom(n, seed) {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const readme = "---\nlicense: mit\nlibrary_name: apr\npipeline_tag: text-generation\ntags: [apr, test]\n---\n# JS client check\n";
const hello = new TextEncoder().encode("hello from the JS client\n");
const weights = pseudoRandom(2_000_003, 7);      // *.safetensors: LFS by the default .gitattributes, basic transfer
const big = pseudoRandom(12_000_017, 11);        // > 10 MiB: LFS by size; multipart when the server says so

const me = await whoAmI({ accessToken, hubUrl });
check(typeof me.name === "string" && me.name.length > 0, "whoAmI gave no name: " + JSON.stringify(me));

const created = await createRepo({ repo, accessToken, hubUrl });
check(created.repoUrl === `${hubUrl}/${repoName}`, `createRepo url ${created.repoUrl} != ${hubUrl}/${repoName}`);

const commit = await uploadFiles({
  repo, accessToken, hubUrl,
  commitTitle: "JS client upload",
  files: [
    { path: "README.md", content: new Blob([readme]) },
    { path: "hello.txt", content: new Blob([hello]) },
    { path: "model.safetensors", content: new Blob([weights]) },
    { path: "nested/dir/big.bin", content: new Blob([big]) },
  ],
});
check(/^[0-9a-f]{40}$/.test(commit.commit.oid), "commit oid is not 40-hex: " + commit.commit.oid);
check(commit.commit.url.endsWith("/commit/" + commit.commit.oid), "commit url: " + commit.commit.url);

const entries = [];
for await (const e of listFiles({ repo, recursive: true, accessToken, hubUrl })) entries.push(e);
const byPath = Object.fromEntries(entries.map((e) => [e.path, e]));
for (const p of [".gitattributes", "README.md", "hello.txt", "model.safetensors", "nested", "nested/dir", "nested/dir/big.bin"])
  check(byPath[p], `listFiles lacks ${p}: ${entries.map((e) => e.path).join(", ")}`);
check(byPath["nested"].type === "directory", "nested is not a directory");
check(byPath["hello.txt"].lfs === undefined && byPath["hello.txt"].size === hello.length, "hello.txt entry: " + JSON.stringify(byPath["hello.txt"]));
check(byPath["model.safetensors"].lfs?.oid === sha256(weights), "model.safetensors lfs oid");
check(byPath["nested/dir/big.bin"].lfs?.oid === sha256(big) && byPath["nested/dir/big.bin"].size === big.length, "big.bin lfs entry");

const helloBlob = await downloadFile({ repo, path: "hello.txt", accessToken, hubUrl });
check(helloBlob && (await helloBlob.text()) === "hello from the JS client\n", "hello.txt content");
const weightsBlob = await downloadFile({ repo, path: "model.safetensors", hubUrl });
check(sha256(new Uint8Array(await weightsBlob.arrayBuffer())) === sha256(weights), "model.safetensors content");
const bigBlob = await downloadFile({ repo, path: "nested/dir/big.bin", revision: commit.commit.oid, hubUrl });
check(bigBlob.size === big.length, "big.bin size " + bigBlob.size);
check(sha256(new Uint8Array(await bigBlob.arrayBuffer())) === sha256(big), "big.bin content");
const part = await bigBlob.slice(1000, 1010).arrayBuffer();
check(Buffer.from(part).equals(Buffer.from(big.subarray(1000, 1010))), "big.bin range slice");
const info = await fileDownloadInfo({ repo, path: "nested/dir/big.bin", hubUrl });
check(info.etag === `"${sha256(big)}"`, "big.bin etag " + info.etag);
check(info.xet === undefined, "server advertised xet");
const missing = await downloadFile({ repo, path: "no/such/file.txt", hubUrl });
check(missing === null, "missing file did not give null");

const model = await modelInfo({ name: repoName, accessToken, hubUrl, additionalFields: ["sha", "library_name", "tags", "cardData", "siblings"] });
check(model.name === repoName, "modelInfo name " + model.name);
check(model.task === "text-generation", "modelInfo task " + model.task);
check(model.sha === commit.commit.oid, `modelInfo sha ${model.sha} != ${commit.commit.oid}`);
check(model.private === false, "modelInfo private");
check(model.cardData?.license === "mit", "modelInfo cardData " + JSON.stringify(model.cardData));
check(model.library_name === "apr", "modelInfo library_name " + model.library_name);

console.log(JSON.stringify({
  user: me.name,
  commit: commit.commit.oid,
  files: entries.map((e) => e.path).sort(),
  bigSha256: sha256(big),
  weightsSha256: sha256(weights),
  modelSha: model.sha,
  tags: model.tags,
}));
