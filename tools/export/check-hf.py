#!/usr/bin/env python3
"""Manual check (not CI): load an `apr export --format safetensors` directory with real Transformers.

usage: python3 check-hf.py STAGING_DIR [NAME]
Needs transformers + torch (CPU). Loads AutoConfig, GenerationConfig, the fast tokenizer
(tokenizer.json) and the slow one (vocab.json + merges.txt, Qwen2Tokenizer) and compares their ids,
renders the chat template, loads AutoModelForCausalLM (missing/unexpected keys must be empty) and
generates a few tokens. NAME.safetensors is linked as model.safetensors, as publish aliases it.
"""
import os, sys
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, GenerationConfig, Qwen2Tokenizer

d = sys.argv[1]
name = sys.argv[2] if len(sys.argv) > 2 else None
if name and not os.path.exists(os.path.join(d, "model.safetensors")):
    os.symlink(os.path.abspath(os.path.join(d, name + ".safetensors")), os.path.join(d, "model.safetensors"))
cfg = AutoConfig.from_pretrained(d)
print(type(cfg).__name__, "hidden", cfg.hidden_size, "layers", cfg.num_hidden_layers, "tie", cfg.tie_word_embeddings)
gc = GenerationConfig.from_pretrained(d)
print("generation: bos", gc.bos_token_id, "eos", gc.eos_token_id, "pad", gc.pad_token_id, "do_sample", gc.do_sample)
fast = AutoTokenizer.from_pretrained(d)
text = "def fib(n):\n    return n if n < 2 else fib(n-1) + fib(n-2)  # 12345 <|im_end|>"
if os.path.exists(os.path.join(d, "vocab.json")):
    slow = Qwen2Tokenizer.from_pretrained(d)
    print("fast == slow ids:", fast(text)["input_ids"] == slow(text)["input_ids"])
if fast.chat_template:
    print(repr(fast.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)))
m, info = AutoModelForCausalLM.from_pretrained(d, output_loading_info=True)
print(type(m).__name__, m.dtype, "missing", info["missing_keys"], "unexpected", info["unexpected_keys"])
assert not info["missing_keys"] and not info["unexpected_keys"]
out = m.generate(**fast("def fib(n):", return_tensors="pt"), max_new_tokens=4, do_sample=False)
print("generated", out.shape[1], "tokens: OK")
