// Encode every java.base/*.java entry (sorted by name, as CorpusEncoder orders zip entries) and compare
// with the shards apr wrote (eos-policy between, id 151643).
const { Tokenizer } = require('tokenizers');
const fs = require('fs');
(async () => {
const tok = Tokenizer.fromFile('/work/wt/tok/testdata/qwen3-tokenizer/tokenizer.json');
const files = fs.readFileSync('allzip.txt', 'utf8').trim().split('\n');
const outDir = process.argv[2];
let shards = fs.readdirSync(outDir).filter(f => /^shard-\d+\.bin$/.test(f)).sort().map(f => fs.readFileSync(outDir + '/' + f));
const buf = Buffer.concat(shards); const got = new Uint32Array(buf.buffer, buf.byteOffset, buf.length / 4);
let pos = 0, bad = 0, tokens = 0;
for (let i = 0; i < files.length; i++) {
  if (i > 0) { if (got[pos] !== 151643) { console.log('missing eos before', files[i]); bad++; break; } pos++; }
  const s = fs.readFileSync('jdk/' + files[i], 'utf8');
  const ids = (await tok.encode(s, null, {addSpecialTokens: false})).getIds();
  for (let k = 0; k < ids.length; k++) if (got[pos + k] !== ids[k]) { console.log('MISMATCH', files[i], 'at token', k); bad++; break; }
  pos += ids.length; tokens += ids.length;
  if (bad) break;
}
console.log('files', files.length, 'tokens', tokens, 'shard tokens', got.length, 'consumed', pos, bad ? 'FAIL' : 'ALL EQUAL');
})();
