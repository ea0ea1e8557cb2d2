"""A plain eager PyTorch decoder, the baseline of `pelg bench`: the architecture of pelg's default NoPE
decoder (pre-LayerNorm blocks, fused qkv with biases, GELU MLP, tied embeddings, GPT-2's normal(0.02)
init; Radford et al. 2019) written the shortest way, with SDPA's `is_causal` kernel and nothing
pluggable. pelg's NoPE tokens/s divided by this model's is the cost of pelg's PE plumbing."""
from __future__ import annotations

import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    def __init__(self, d: int, n_head: int, d_ff: int):
        super().__init__()
        self.n_head = n_head
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.out = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, d_ff), nn.GELU(), nn.Linear(d_ff, d))

    def forward(self, x):  # (B, T, D) -> (B, T, D)
        B, T, D = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(B, T, 3, self.n_head, D // self.n_head).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, H, T, dh)
        x = x + self.out(y.transpose(1, 2).reshape(B, T, D))
        return x + self.mlp(self.ln2(x))


class PlainDecoder(nn.Module):
    """forward(tokens (B, T)) -> logits (B, T, V); no positional encoding (causal mask only)."""

    def __init__(self, vocab: int, n_layer: int, d_model: int, n_head: int, d_ff: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.blocks = nn.ModuleList(Block(d_model, n_head, d_ff) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab, bias=False)
        self.head.weight = self.embed.weight
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
                if getattr(m, "bias", None) is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, tokens):
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))
