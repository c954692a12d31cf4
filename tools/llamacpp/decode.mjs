// Manual (not CI): llama.cpp's decode through npm node-llama-cpp without its sampler: 32 tokens, each
// one evaluateWithoutGeneratingNewTokens call (2 threads), median of repetitions. It isolates the
// binding's own per-token cost: on the 4-layer hidden-256 fixture this still decodes at only ~48 tokens/s
// (apr: ~225), i.e. ~16-20 ms of each token is the JavaScript/addon round trip, not the model.
// Subtract that from 1/tg before comparing with `apr bench FILE.gguf`.
// Usage: cd /tmp/llcpp && npm install node-llama-cpp && cp THIS . && node decode.mjs FILE.gguf [reps=5]
import {getLlama} from "node-llama-cpp";

const file = process.argv[2];
const reps = Number(process.argv[3] ?? 5);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath: file});
const ctx = await model.createContext({contextSize: 256, batchSize: 128, threads: 2});
const seq = ctx.getSequence();

async function tg() {
  await seq.clearHistory();
  await seq.evaluateWithoutGeneratingNewTokens([1000]);
  const t0 = performance.now();
  for (let i = 0; i < 32; i++) await seq.evaluateWithoutGeneratingNewTokens([1001 + i]);
  return 32 / ((performance.now() - t0) / 1000);
}

const median = a => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (let i = 0; i < 2; i++) await tg();   // warm-up
const T = [];
for (let i = 0; i < reps; i++) T.push(await tg());
console.log(file.split("/").pop(), "tg32 (no sampling)", median(T).toFixed(1), "[" + T.map(v => v.toFixed(1)).join(" ") + "]");
process.exit(0);
