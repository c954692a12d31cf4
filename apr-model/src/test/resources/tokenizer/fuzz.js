// Random strings from a pool of tricky code points; writes texts + HF ids.
const { Tokenizer } = require('tokenizers');
const fs = require('fs');
(async () => {
const tok = Tokenizer.fromFile('/work/wt/tok/testdata/qwen3-tokenizer/tokenizer.json');
let seed = 12345; const rnd = n => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const pool = [" ", "  ", "\t", "\n", "\r", "\r\n", "\u00a0", "\u3000", "\u2028", "\u0085", "\u000b", "\u000c", "\u200b", "\u2009",
 "a", "Z", "é", "e\u0301", "\u0301", "\u0308", "ſ", "K", "ß", "ﬁ", "İ", "'", "’", "'s", "'S", "'ll", "'LL", "'d", "'re", "'ve", "'m", "'t",
 "0", "7", "١", "٣", "½", "²", "Ⅷ", "①", "中", "文", "日本", "カ", "한", "\u1100", "\u1161", "\u11a8", "ㄱ", "😀", "👍", "🏽", "\u200d", "👩", "💻", "\ufe0f", "🇫", "🇷",
 "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<think>", "</think>", "<|im_", "|>", "<", ">", "|", "_", "-", ".", ",", "!", "?", "\"", "#", "$", "{", "}", "(", ")", "/", "\\",
 "\u0000", "\u007f", "\u0080", "\ud800", "\udc00", "𝔘", "𐍈", "\u0600", "\u0627", "\u05d0", "ا", "ह", "\u093f", "ก", "\u0e31", "\u1e9b", "\u0323", "Å", "Å", "\u212b", "\uac00", "x", "Y", "q", "hello", "WORLD", "ing"];
const texts = [], ids = [];
for (let i = 0; i < 3000; i++) {
  let s = ""; const n = rnd(25);
  for (let k = 0; k < n; k++) s += pool[rnd(pool.length)];
  texts.push(s);
  ids.push((await tok.encode(s, null, {addSpecialTokens: false})).getIds());
}
fs.writeFileSync('fuzz.json', JSON.stringify({texts, ids}));
console.log('fuzz texts', texts.length, 'tokens', ids.reduce((a, x) => a + x.length, 0));
})();
