import json
t = json.load(open('/work/wt/tok/testdata/qwen3-tokenizer/tokenizer.json'))
# llama3-style: Llama-3 regex (digits by 3), ignore_merges, no normalizer
l = json.loads(json.dumps(t))
l['normalizer'] = None
l['pre_tokenizer']['pretokenizers'][0]['pattern']['Regex'] = l['pre_tokenizer']['pretokenizers'][0]['pattern']['Regex'].replace('\\p{N}|', '\\p{N}{1,3}|')
l['model']['ignore_merges'] = True
json.dump(l, open('llama3style.json', 'w'), ensure_ascii=False)
# gpt2-style: ByteLevel with its own regex and a prefix space, NFC kept
g = json.loads(json.dumps(t))
g['pre_tokenizer'] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
json.dump(g, open('gpt2style.json', 'w'), ensure_ascii=False)
# smollm-style: SmolLM's Sequence[Digits(individual), ByteLevel(use_regex)], no normalizer.
# Its ids come from the Rust tokenizers (npm "tokenizers" 0.23.2, Tokenizer.fromFile) on the same texts,
# not from tokenizers.js, whose Digits splits only ASCII digits.
s = json.loads(json.dumps(t))
s['normalizer'] = None
s['pre_tokenizer'] = {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True},
                      {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]}
json.dump(s, open('smollmstyle.json', 'w'), ensure_ascii=False)
