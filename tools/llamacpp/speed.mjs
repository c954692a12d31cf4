// Manual speed comparison (not CI): llama.cpp's prefill and decode tokens/s on a GGUF file through
// npm node-llama-cpp (its prebuilt llama.cpp, CPU, 2 threads), measured the way `apr bench` measures:
// pp128 = one 128-token batch from an empty cache, tg32 = 32 tokens decoded one at a time; medians.
// Usage: cd /tmp/llcpp && npm install node-llama-cpp && cp THIS . && node speed.mjs FILE.gguf [reps=5]
// Then: ./apr bench FILE.gguf -r 5 (the same file). Note: each decoded token is a separate call from
// JavaScript into the binding, which adds per-token overhead that llama-bench does not have (on a
// 4-layer hidden-256 model this script decodes only ~100 tokens/s); compare prefill first.
import {getLlama} from "node-llama-cpp";

const file = process.argv[2];
const reps = Number(process.argv[3] ?? 5);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath: file});
const ctx = await model.createContext({contextSize: 256, batchSize: 128, threads: 2});
const seq = ctx.getSequence();
let seed = 1;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const prompt = () => Array.from({length: 128}, () => 1000 + Math.floor(rnd() * 100000));

async function pp() {
  await seq.clearHistory();
  const p = prompt();
  const t0 = performance.now();
  await seq.evaluateWithoutGeneratingNewTokens(p);
  return 128 / ((performance.now() - t0) / 1000);
}

async function tg() {
  await seq.clearHistory();
  await seq.evaluateWithoutGeneratingNewTokens([1000]);
  let n = 0;
  const t0 = performance.now();
  for await (const _ of seq.evaluate([1001], {temperature: 0})) if (++n >= 32) break;
  return 32 / ((performance.now() - t0) / 1000);
}

const median = a => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (let i = 0; i < 2; i++) { await pp(); await tg(); }   // warm-up
const P = [], T = [];
for (let i = 0; i < reps; i++) { P.push(await pp()); T.push(await tg()); }
console.log(file.split("/").pop(), "pp128", median(P).toFixed(1), "[" + P.map(v => v.toFixed(0)).join(" ") + "]",
    "tg32", median(T).toFixed(1), "[" + T.map(v => v.toFixed(1)).join(" ") + "]");
process.exit(0);
