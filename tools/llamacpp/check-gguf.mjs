// Manual cross-check (not CI): load GGUF files with real llama.cpp (npm node-llama-cpp 3.22.1),
// check its tokenization of the fixture prompt, compare per-position logits of fixture-derived files with
// testdata/qwen2-h256-q4km/logits-dequant-reference.f32, and print a 12-token greedy continuation.
// Usage: cd /tmp/llcpp && npm install node-llama-cpp && cp THIS . && node check-gguf.mjs FILE.gguf ...
// A file whose name contains "fixture" is compared with the reference logits (APR_TESTDATA = the repo testdata dir).
import {getLlama} from "node-llama-cpp";
import fs from "node:fs";

const files = process.argv.slice(2);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const text = "def fibonacci(n):\n    return fibonacci(n-1)";
const refIds = [750, 75698, 1445, 982, 262, 470, 75698, 1445, 12, 16, 8];
const refPath = "" + (process.env.APR_TESTDATA ?? "testdata") + "/qwen2-h256-q4km/logits-dequant-reference.f32";
const ref = new Float32Array(fs.readFileSync(refPath).buffer.slice(0));
const V = 151936;
for (const f of files) {
  const t0 = Date.now();
  let model;
  try { model = await llama.loadModel({modelPath: f}); }
  catch (e) { console.log(f, "LOAD FAILED:", e.message); continue; }
  const ids = model.tokenize(text);
  const idsOk = JSON.stringify(Array.from(ids)) === JSON.stringify(refIds);
  const ctx = await model.createContext({contextSize: 256, batchSize: 64});
  const seq = ctx.getSequence();
  const items = Array.from(ids).map(t => [t, {generateNext: {logits: true}}]);
  const res = await seq.controlledEvaluate(items);
  let maxDiff = 0, argmaxAgree = 0, n = 0;
  const useRef = f.includes("fixture");
  res.forEach((r, pos) => {
    const lg = r?.next?.logits; if (!lg) return;
    let best = -1, bestV = -Infinity, bestR = -1, bestRV = -Infinity;
    for (const [tok, v] of lg) {
      if (v > bestV) { bestV = v; best = tok; }
      if (useRef) { const rv = ref[pos * V + tok]; maxDiff = Math.max(maxDiff, Math.abs(rv - v)); }
    }
    if (useRef) { for (let t = 0; t < V; t++) { const rv = ref[pos * V + t]; if (rv > bestRV) { bestRV = rv; bestR = t; } } if (best === bestR) argmaxAgree++; }
    n++;
  });
  // greedy continuation
  const seq2 = (await model.createContext({contextSize: 256})).getSequence();
  const gen = [];
  for await (const tok of seq2.evaluate(Array.from(ids), {temperature: 0})) { gen.push(tok); if (gen.length >= 12) break; }
  console.log(JSON.stringify({file: f.split("/").pop(), loaded: true, vocab: model.tokens?.bos ?? null, tokenizerMatchesLlamaCpp: idsOk,
    positions: n, ...(useRef ? {maxAbsDiffVsReference: +maxDiff.toFixed(4), argmaxAgree: `${argmaxAgree}/${n}`} : {}),
    greedy: gen, text: model.detokenize(gen), seconds: (Date.now() - t0) / 1000}));
  await model.dispose();
}
