// llama.cpp's (node-llama-cpp) logits for the last of a list of token ids, by hand (not CI):
//   node logits.mjs FILE.gguf 750,75698,1445,... OUT.f32
// Writes vocab_size float32 values (little-endian) to OUT.f32, to compare with apr's logits on the same
// GGUF (e.g. Transformer.forward in a JShell or test harness). node-llama-cpp returns the logits as a
// Map token -> logit, not an array: read them by key (an array view of it is all NaN).
import {getLlama} from "node-llama-cpp";
import fs from "node:fs";
const [file, idList, out] = process.argv.slice(2);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath: file});
const seq = (await model.createContext({contextSize: 512, batchSize: 512, threads: 2})).getSequence();
const ids = idList.split(",").map(Number);
const res = await seq.controlledEvaluate(ids.map((t, i) => i === ids.length - 1 ? [t, {generateNext: {logits: true}}] : t));
const logits = res[res.length - 1].next.logits;
const v = new Float32Array(logits.size).fill(NaN);
for (const [token, value] of logits) v[token] = value;
fs.writeFileSync(out, Buffer.from(v.buffer));
console.log(`${v.length} logits of position ${ids.length - 1} -> ${out}`);
process.exit(0);
