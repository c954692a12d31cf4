const { Tokenizer } = require('tokenizers');
const fs = require('fs');
(async () => {
const texts = JSON.parse(fs.readFileSync('texts.json', 'utf8')).concat(JSON.parse(fs.readFileSync('fuzz.json', 'utf8')).texts.slice(0, 600));
const out = { texts, variants: {} };
for (const v of ['llama3style', 'gpt2style', 'smollmstyle']) {
  const tok = Tokenizer.fromFile(v + '.json');
  const ids = [];
  for (const s of texts) ids.push((await tok.encode(s, null, {addSpecialTokens: false})).getIds());
  out.variants[v] = ids;
}
fs.writeFileSync('variant-ids.json', JSON.stringify(out));
console.log('texts', texts.length);
})();
