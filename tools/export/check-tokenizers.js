// Manual check (not CI): the exported tokenizer.json loads in the Rust tokenizers (npm `tokenizers`)
// and encodes like a reference tokenizer.json.
// usage: node check-tokenizers.js EXPORTED/tokenizer.json REFERENCE/tokenizer.json
const { Tokenizer } = require('tokenizers');
const [ours, ref] = process.argv.slice(2).map(p => Tokenizer.fromFile(p));
const texts = ["def fib(n):\n    return n if n < 2 else fib(n-1) + fib(n-2)",
  "Hello, 世界! 12345 <|im_start|>user\nhi<|im_end|>", "  spaces\t\ttabs\r\n"];
(async () => {
  let ok = true;
  for (const t of texts) {
    const a = (await ours.encode(t)).getIds(), b = (await ref.encode(t)).getIds();
    const same = JSON.stringify(a) === JSON.stringify(b);
    ok = ok && same;
    console.log(same ? 'same' : 'DIFF', a.length, 'ids');
  }
  console.log('vocab with added tokens:', ours.getVocabSize(true));
  process.exit(ok ? 0 : 1);
})();
