// Measures upload and download throughput of one big file through a hub with the official JS
// client (not a test; numbers go to the report):
//   node bench-transfer.mjs <hubUrl> <accessToken> <namespace/name> <file>
import { openAsBlob } from "node:fs";
import { createRepo, uploadFiles, downloadFile } from "@huggingface/hub";

const [hubUrl, accessToken, repoName, file] = process.argv.slice(2);
const repo = { type: "model", name: repoName };
const blob = await openAsBlob(file);
await createRepo({ repo, accessToken, hubUrl });
let t = performance.now();
await uploadFiles({ repo, accessToken, hubUrl, files: [{ path: "big.bin", content: blob }] });
const up = (performance.now() - t) / 1000;
t = performance.now();
const remote = await downloadFile({ repo, path: "big.bin", accessToken, hubUrl });
let n = 0;
for await (const chunk of remote.stream()) n += chunk.length;
const down = (performance.now() - t) / 1000;
const mb = blob.size / 1e6;
console.log(JSON.stringify({ bytes: blob.size, downloaded: n, uploadSeconds: up, uploadMBps: mb / up, downloadSeconds: down, downloadMBps: mb / down }));
