#!/usr/bin/env python3
"""By-hand cross-check of `apr pretrain` against PyTorch (not CI: needs torch, e.g. Debian's python3-torch).

Replays the first optimizer steps of an apr run in PyTorch: the model written out from config.json with
Hugging Face's Qwen2/Llama semantics (RMSNorm, rotate-half RoPE, grouped-query attention, q/k/v biases,
SwiGLU, tied or separate head) in float64, mean next-token cross-entropy, torch.nn.utils.clip_grad_norm_
(1.0) and torch.optim.AdamW (betas 0.9/0.95, eps 1e-8, weight decay 0.01 on matrices only, as
specs/pretrain.md says), at the lr apr logged for each step. Prints, per step, both losses, both gradient
norms and how far the weights are from apr's checkpoint of that step.

  apr pretrain --config C.json --data D --val-data V --run-dir R0 --num-steps 0 --seed S ...   # the init
  apr pretrain --config C.json --data D --val-data V --run-dir R  --num-steps N --seed S --eval-every 1 ...
  python3 tools/torch/train_step_check.py C.json R0 R D --batch-size B --seq-length T [--steps 3]

(--val-data keeps training windows starting at window 0 of D; --grad-accum 1; F32 checkpoints.)
"""
import argparse, json, math, os, struct
import numpy as np
import torch


def read_apr(path):
    """F32 tensors of an APR v2 file (specs/apr-v2.md), read here independently of apr's Java reader."""
    b = open(path, 'rb').read()
    assert b[:4] == b'APR\0', path
    flags, count, mo, ms, io, do = struct.unpack_from('<HIQIQQ', b, 6)
    pos, out = io, {}
    for _ in range(count):
        (nl,) = struct.unpack_from('<H', b, pos); pos += 2
        name = b[pos:pos + nl].decode(); pos += nl
        dt, nd = b[pos], b[pos + 1]; pos += 2
        dims = struct.unpack_from('<%dQ' % nd, b, pos); pos += 8 * nd
        off, size = struct.unpack_from('<QQ', b, pos); pos += 16
        assert dt == 0, f'{path}: {name}: dtype code {dt}, expected 0 (F32)'
        out[name] = np.frombuffer(b, dtype='<f4', count=size // 4, offset=do + off).reshape(dims).copy()
    return out


def windows(data_dir, seq):
    """apr's training windows: seq+1 tokens each, back to back within a shard, shards in manifest order."""
    man = json.load(open(os.path.join(data_dir, 'manifest.json')))
    for s in man['shards']:
        tok = np.fromfile(os.path.join(data_dir, s['file']), dtype='<u4').astype(np.int64)
        for w in range(len(tok) // (seq + 1)):
            yield tok[w * (seq + 1):(w + 1) * (seq + 1)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('config'); ap.add_argument('init_run'); ap.add_argument('run'); ap.add_argument('data')
    ap.add_argument('--batch-size', type=int, required=True); ap.add_argument('--seq-length', type=int, required=True)
    ap.add_argument('--steps', type=int, default=3)
    a = ap.parse_args()
    torch.set_default_dtype(torch.float64)
    c = json.load(open(a.config))
    B, T, E, NL = a.batch_size, a.seq_length, c['hidden_size'], c['num_hidden_layers']
    H, KV, V = c['num_attention_heads'], c.get('num_key_value_heads', c['num_attention_heads']), c['vocab_size']
    D = c.get('head_dim') or E // H
    eps, tied = c['rms_norm_eps'], c.get('tie_word_embeddings', False)
    w0 = read_apr(os.path.join(a.init_run, 'ckpt', 'step-000000.apr'))
    P = {k: torch.nn.Parameter(torch.tensor(v, dtype=torch.float64)) for k, v in w0.items()}
    wins = list(windows(a.data, T))

    inv = 1.0 / (c.get('rope_theta', 10000.0) ** (torch.arange(0, D, 2) / D))
    ang = torch.outer(torch.arange(T, dtype=torch.float64), inv)
    cos, sin = torch.cat([ang, ang], -1).cos(), torch.cat([ang, ang], -1).sin()

    def rms(x, w): return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))
    def rot(x): return torch.cat([-x[..., D // 2:], x[..., :D // 2]], -1)

    def logits(x):
        h = P['model.embed_tokens.weight'][x]
        mask = torch.full((T, T), float('-inf')).triu(1)
        for l in range(NL):
            p = f'model.layers.{l}.'
            n = rms(h, P[p + 'input_layernorm.weight'])
            q, k, v = (n @ P[p + f'self_attn.{m}_proj.weight'].T for m in 'qkv')
            if p + 'self_attn.q_proj.bias' in P:
                q, k, v = q + P[p + 'self_attn.q_proj.bias'], k + P[p + 'self_attn.k_proj.bias'], v + P[p + 'self_attn.v_proj.bias']
            q = q.view(B, T, H, D).transpose(1, 2)
            k = k.view(B, T, KV, D).transpose(1, 2)
            v = v.view(B, T, KV, D).transpose(1, 2)
            q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
            k, v = k.repeat_interleave(H // KV, 1), v.repeat_interleave(H // KV, 1)
            o = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D) + mask, -1) @ v
            h = h + o.transpose(1, 2).reshape(B, T, H * D) @ P[p + 'self_attn.o_proj.weight'].T
            n = rms(h, P[p + 'post_attention_layernorm.weight'])
            g, u = n @ P[p + 'mlp.gate_proj.weight'].T, n @ P[p + 'mlp.up_proj.weight'].T
            h = h + (torch.nn.functional.silu(g) * u) @ P[p + 'mlp.down_proj.weight'].T
        h = rms(h, P['model.norm.weight'])
        return h @ (P['model.embed_tokens.weight'] if tied else P['lm_head.weight']).T

    opt = torch.optim.AdamW([{'params': [p for p in P.values() if p.dim() == 2], 'weight_decay': 0.01},
                             {'params': [p for p in P.values() if p.dim() != 2], 'weight_decay': 0.0}],
                            lr=1.0, betas=(0.9, 0.95), eps=1e-8)
    metrics = {m['step']: m for m in map(json.loads, open(os.path.join(a.run, 'metrics.jsonl')))}
    for step in range(1, a.steps + 1):
        ws = wins[(step - 1) * B: step * B]
        x, y = torch.tensor(np.stack([w[:T] for w in ws])), torch.tensor(np.stack([w[1:] for w in ws]))
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits(x).reshape(-1, V), y.reshape(-1))
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(list(P.values()), 1.0)
        for g in opt.param_groups: g['lr'] = metrics[step]['lr']
        opt.step()
        wa = read_apr(os.path.join(a.run, 'ckpt', f'step-{step:06d}.apr'))
        diff = torch.cat([(P[k].detach() - torch.tensor(v, dtype=torch.float64)).abs().flatten() for k, v in wa.items()])
        moved = max(float((P[k].detach() - torch.tensor(w0[k], dtype=torch.float64)).abs().max()) for k in wa)
        print(f"step {step}: loss torch {loss.item():.9f} apr {metrics[step]['train_loss']:.9f} | grad norm torch "
              f"{norm.item():.7f} apr {metrics[step]['grad_norm']:.7f} | lr {metrics[step]['lr']:g} | weights vs apr: median "
              f"{float(diff.median()):.1e}, max {float(diff.max()):.1e}, share within 1e-6 {float((diff < 1e-6).double().mean()):.5f} "
              f"(moved up to {moved:.1e} from the init)")


if __name__ == '__main__':
    main()
