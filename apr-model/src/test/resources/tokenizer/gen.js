const { Tokenizer } = require('tokenizers');
const fs = require('fs'); const crypto = require('crypto');
(async () => {
const tjPath = '/work/wt/tok/testdata/qwen3-tokenizer/tokenizer.json';
const tok = Tokenizer.fromFile(tjPath);
const texts = JSON.parse(fs.readFileSync('texts.json', 'utf8'));
const out = { generator: 'tokenizers (npm) 0.23.2, Tokenizer.fromFile(qwen3 tokenizer.json), encode(text, null, {addSpecialTokens:false})',
  tokenizer_sha256: crypto.createHash('sha256').update(fs.readFileSync(tjPath)).digest('hex'), texts: [], files: [] };
for (const t of texts) {
  const e = await tok.encode(t, null, {addSpecialTokens: false});
  const ids = e.getIds();
  out.texts.push({ text: t, ids: ids, decoded: await tok.decode(ids, false) });
}
const committed = process.argv[2].split(',');
const big = [];
for (const f of fs.readFileSync(process.argv[3], 'utf8').trim().split('\n')) {
  const buf = fs.readFileSync(f); const s = buf.toString('utf8');
  const e = await tok.encode(s, null, {addSpecialTokens: false});
  const entry = f.replace(/^jdk\//, '');
  const rec = { entry, sha256: crypto.createHash('sha256').update(buf).digest('hex'), ids: e.getIds() };
  big.push(rec);
  if (committed.includes(entry)) out.files.push(rec);
}
fs.writeFileSync('expected-ids.json', JSON.stringify(out));
fs.writeFileSync('jdk-ids.json', JSON.stringify({ files: big }));
console.log('texts', out.texts.length, 'files', out.files.length, 'big', big.length, 'bigTokens', big.reduce((a, r) => a + r.ids.length, 0));
})();
