// llama.cpp (node-llama-cpp) greedy continuation of a prompt given as token ids, 2 threads, by hand (not CI):
//   node greedy.mjs FILE.gguf 750,75698,1445,... [n]
// Prints the first n (default 8) generated token ids, to compare with apr's greedy tokens on the same ids.
import {getLlama} from "node-llama-cpp";
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath: process.argv[2]});
const ctx = await model.createContext({contextSize: 512, batchSize: 128, threads: 2});
const seq = ctx.getSequence();
const ids = process.argv[3].split(",").map(Number);
const n = Number(process.argv[4] ?? 8);
const out = [];
for await (const tok of seq.evaluate(ids, {temperature: 0})) { out.push(tok); if (out.length >= n) break; }
console.log(out.join(","));
process.exit(0);
