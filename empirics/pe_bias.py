"""The bias-hook PEs (DESIGN.md hook (c)): an additive attention-logit bias b[h, i, j] from the query and key
positions, the torch side of `theory.encodings`' relative functions (registered in `empirics.positional`).

Every class returns its bias from `bias(q_pos, k_pos, scale)` as a (B, H, Tq, Tk) float32 tensor; ALiBi and
T5 also give a FlexAttention `score_mod` that computes the same number inline, so the fused attention
kernel reads an (H,) slope vector or a (buckets, H) table instead of a materialised (B, H, T, T) bias
(`empirics.attention_backends`; the others are indexed from `bias()`).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from theory import encodings as E
from .errors import PelgError, unknown
from .pe_base import PositionalEncoding, host_checks, position_range


def _offsets(q_pos: torch.Tensor, k_pos: torch.Tensor) -> torch.Tensor:
    """(B, Tq), (B, Tk) -> (B, 1, Tq, Tk) query minus key position."""
    return (q_pos[:, :, None] - k_pos[:, None, :]).unsqueeze(1)


def _distance(q_pos, k_pos, symmetric: bool) -> torch.Tensor:
    """|i - j| (symmetric) or max(i - j, 0) (causal: future keys are masked by the model)."""
    rel = _offsets(q_pos, k_pos)
    return rel.abs() if symmetric else rel.clamp(min=0)


class ALiBi(PositionalEncoding):
    """ALiBi (Press et al. 2022): logit -= m_h * distance, slopes from `theory.encodings.alibi_slopes`."""

    hook = "bias"

    def __init__(self, n_head: int, symmetric: bool):
        super().__init__()
        self.symmetric = symmetric
        self.register_buffer("slopes", torch.as_tensor(E.alibi_slopes(n_head), dtype=torch.float32))

    def bias(self, q_pos, k_pos, scale=None):
        return -self.slopes.view(1, -1, 1, 1) * _distance(q_pos, k_pos, self.symmetric)

    def score_mod(self, positions, scale=None):
        """The bias inline: score - m_h * distance(positions[b, q], positions[b, kv])."""
        slopes, symmetric = self.slopes, self.symmetric

        def mod(score, b, h, q, kv):
            d = positions[b, q] - positions[b, kv]
            return score - slopes[h] * (d.abs() if symmetric else d.clamp(min=0))
        return mod


class T5Bias(PositionalEncoding):
    """T5 relative bias (Raffel et al. 2020): a learned scalar per (bucket, head); buckets from
    `theory.encodings.t5_relative_bucket`. One table shared by all layers (as in K23's code)."""

    hook = "bias"

    def __init__(self, n_head: int, bidirectional: bool, num_buckets: int = 32, max_distance: int = 128):
        super().__init__()
        self.table = nn.Embedding(num_buckets, n_head)
        nn.init.normal_(self.table.weight, std=0.02)
        self.num_buckets, self.max_distance, self.bidirectional = num_buckets, max_distance, bidirectional
        E.t5_relative_bucket(np.arange(-1, 2), bidirectional, num_buckets, max_distance)  # bad options fail here
        self._span = 0
        self.register_buffer("_buckets", torch.zeros(1, dtype=torch.long), persistent=False)

    def reserve(self, size: int) -> None:
        """Cache bucket ids for every key - query offset of positions 0..size-1 (|rel| < size)."""
        if size > self._span:
            self._span = max(size, 2 * self._span, 64)
            ids = E.t5_relative_bucket(np.arange(-self._span + 1, self._span), self.bidirectional,
                                       self.num_buckets, self.max_distance)
            self._buckets = torch.as_tensor(ids, dtype=torch.long, device=self._buckets.device)

    def buckets(self, rel: torch.Tensor) -> torch.Tensor:
        """Bucket ids for relative positions rel = key - query (any shape), via a cached theory table."""
        if host_checks(rel) and rel.numel():
            self.reserve(int(rel.abs().max()) + 1)
        return self._buckets[rel + self._span - 1]

    def bias(self, q_pos, k_pos, scale=None):
        rel = -_offsets(q_pos, k_pos).squeeze(1)  # (B, Tq, Tk) key - query
        return self.table(self.buckets(rel)).permute(0, 3, 1, 2)  # (B, H, Tq, Tk)

    def score_mod(self, positions, scale=None):
        """The bias inline: score + table[bucket(positions[b, kv] - positions[b, q]), h]."""
        if host_checks(positions) and position_range(positions) is not None:
            self.reserve(position_range(positions)[1] + 1)
        ids, offset, table = self._buckets, self._span - 1, self.table.weight

        def mod(score, b, h, q, kv):
            return score + table[ids[positions[b, kv] - positions[b, q] + offset], h]
        return mod


class Kerple(PositionalEncoding):
    """KERPLE (Chi et al. 2022): log variant -r1 log(1 + r2 d), power variant -r1 d^r2; r1, r2 > 0 learned
    per head (power: r2 in (0, 2))."""

    hook = "bias"

    def __init__(self, n_head: int, kind: str, symmetric: bool):
        super().__init__()
        if kind not in ("log", "power"):
            raise unknown("kerple kind", kind, ["log", "power"])
        self.kind, self.symmetric = kind, symmetric
        self.raw_r1 = nn.Parameter(torch.full((n_head,), math.log(math.e - 1)))  # softplus -> 1
        self.raw_r2 = nn.Parameter(torch.full((n_head,), math.log(math.e - 1) if kind == "log" else 0.0))

    def coefficients(self) -> tuple[torch.Tensor, torch.Tensor]:
        r1 = nn.functional.softplus(self.raw_r1)
        r2 = nn.functional.softplus(self.raw_r2) if self.kind == "log" else 2 * torch.sigmoid(self.raw_r2)
        return r1, r2

    def bias(self, q_pos, k_pos, scale=None):
        r1, r2 = (c.view(1, -1, 1, 1) for c in self.coefficients())
        d = _distance(q_pos, k_pos, self.symmetric).float()
        return -r1 * torch.log1p(r2 * d) if self.kind == "log" else -r1 * d.pow(r2)


class Fire(PositionalEncoding):
    """FIRE (Li et al. 2023): b(i, j) = f(psi(d) / psi(max(L, i))), psi(x) = log(c x + 1), f a one-hidden-
    layer ReLU MLP to one value per head."""

    hook = "bias"

    def __init__(self, n_head: int, symmetric: bool, hidden: int = 32, c: float = 1.0, L: float = 1.0):
        super().__init__()
        if L <= 0 or c <= 0:
            raise PelgError(f"FIRE needs c > 0 and L > 0, got c={c}, L={L}")
        self.symmetric, self.c, self.L = symmetric, c, L
        self.mlp = nn.Sequential(nn.Linear(1, hidden), nn.ReLU(), nn.Linear(hidden, n_head))

    def bias(self, q_pos, k_pos, scale=None):
        d = _distance(q_pos, k_pos, self.symmetric).float().squeeze(1)  # (B, Tq, Tk)
        norm = torch.log(self.c * q_pos.float().clamp(min=self.L) + 1)[:, :, None]  # (B, Tq, 1)
        u = torch.log(self.c * d + 1) / norm
        return self.mlp(u.unsqueeze(-1)).permute(0, 3, 1, 2)  # (B, H, Tq, Tk)


class LBPE(PositionalEncoding):
    """Learning-based PE (Chen, Liang, Lin 2025; [reconstruction], chen2025.md): an attention bias
    b_h(i, j) = MLP_h(features(i, j, n)) with the features of `theory.encodings.lbpe_features`:
    (i - j, (i - j)/n, i - j - n, log(1 + |i - j|)); n is the instance scale (the number of source tokens,
    from the batch), or the sequence length when the task has no separator."""

    hook = "bias"

    def __init__(self, n_head: int, hidden: int = 32):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, n_head))

    @staticmethod
    def features(q_pos, k_pos, scale) -> torch.Tensor:
        d = _offsets(q_pos, k_pos).squeeze(1).float()  # (B, Tq, Tk)
        n = scale.float().view(-1, 1, 1)
        return torch.stack([d, d / n, d - n, torch.log1p(d.abs())], dim=-1)  # (B, Tq, Tk, 4)

    def bias(self, q_pos, k_pos, scale=None):
        if scale is None:
            scale = torch.full((q_pos.shape[0],), q_pos.shape[1], device=q_pos.device)
        feats = self.features(q_pos, k_pos, scale.clamp(min=1)).to(self.mlp[0].weight.dtype)
        return self.mlp(feats).permute(0, 3, 1, 2)  # (B, H, Tq, Tk)


class IPE(PositionalEncoding):
    """The identity-aligned PE of Chen, Liang, Lin 2025 [reconstruction], the torch side of
    `theory.encodings.ipe_alignment`: b_h(i, j) = w_h * [j = i - n, 1 <= j <= n], n the instance scale (source
    tokens, from the batch). The query that predicts target token u reads source token u through one learned
    weight per head; every other pair shares one value (0: a constant per row that softmax ignores). w starts
    at 0, so an untrained IPE model is a NoPE model. Without a scale (no separator) nothing is aligned."""

    hook = "bias"

    def __init__(self, n_head: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_head))

    @staticmethod
    def alignment(q_pos: torch.Tensor, k_pos: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        """q_pos (B, Tq), k_pos (B, Tk), scale (B,) -> (B, Tq, Tk) bool: j = i - n and 1 <= j <= n."""
        n = scale.view(-1, 1, 1)
        j = k_pos[:, None, :]                                        # (B, 1, Tk)
        return (j == q_pos[:, :, None] - n) & (j >= 1) & (j <= n)    # (B, Tq, Tk)

    def bias(self, q_pos, k_pos, scale=None):
        """-> (B, H, Tq, Tk); all zeros without a scale (no separator: nothing is aligned)."""
        if scale is None:
            return self.weight.new_zeros((q_pos.shape[0], self.weight.shape[0], q_pos.shape[1], k_pos.shape[1]))
        hit = self.alignment(q_pos, k_pos, scale)[:, None].to(self.weight.dtype)  # (B, 1, Tq, Tk)
        return self.weight.view(1, -1, 1, 1) * hit                                  # (B, H, Tq, Tk)
