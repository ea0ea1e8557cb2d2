"""Positional-encoding modules: the torch side of `theory.encodings`.

Every PE acts through one of three hooks (DESIGN.md):
- "embedding": a vector added to the token embedding (learned, sinusoidal, wavelet, Legendre);
- "qk":        a transform of queries and keys (RoPE, xPos);
- "bias":      an additive attention-logit bias (T5, ALiBi, KERPLE, FIRE);
NoPE uses none. Position ids always come from the caller as a (B, T) integer tensor, so re-indexing
schemes (randomized positions, Scale Hint; see `empirics.positions`) work with every PE.

Fixed tables and position-dependent constants are computed by the theory functions over the integer
positions 0..P-1 and cached (`_TheoryTable`), so the numbers the model uses are the theory's numbers.
Learned parameters (T5 table, KERPLE r1/r2, FIRE MLP) are torch parameters whose forward formula is
tested against the theory function with the same values.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
from torch import nn

from theory import encodings as E
from .errors import PelgError, unknown


class _TheoryTable(nn.Module):
    """Rows f(arange(P)) of a numpy function of integer positions, grown on demand.

    `lookup(positions)` gathers rows for a (B, T) long tensor -> (B, T, *row_shape).
    """

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray], initial: int = 64):
        super().__init__()
        self.fn = fn
        self.register_buffer("table", self._compute(initial), persistent=False)

    def _compute(self, size: int) -> torch.Tensor:
        return torch.as_tensor(np.asarray(self.fn(np.arange(size)), dtype=np.float32))

    def lookup(self, positions: torch.Tensor) -> torch.Tensor:
        if positions.numel() and int(positions.min()) < 0:
            raise PelgError(f"negative position id {int(positions.min())}")
        need = int(positions.max()) + 1 if positions.numel() else 0
        if need > self.table.shape[0]:
            size = max(need, 2 * self.table.shape[0])
            self.table = self._compute(size).to(self.table.device)
        return self.table[positions]


class PositionalEncoding(nn.Module):
    """Base class. Subclasses set `hook` and implement the matching method."""

    hook = "none"

    def embed(self, positions: torch.Tensor) -> torch.Tensor:  # (B, T) -> (B, T, D)
        raise NotImplementedError

    def rotate(self, x: torch.Tensor, positions: torch.Tensor, role: str) -> torch.Tensor:
        """x (B, H, T, dh), positions (B, T) -> (B, H, T, dh)."""
        raise NotImplementedError

    def bias(self, q_pos: torch.Tensor, k_pos: torch.Tensor, scale: torch.Tensor | None = None) -> torch.Tensor:
        """q_pos (B, Tq), k_pos (B, Tk), optional instance scale n (B,) -> (B, H, Tq, Tk)."""
        raise NotImplementedError


class NoPE(PositionalEncoding):
    """No positional information (Kazemnejad et al. 2023): attention sees only content and the mask."""


# ----------------------------------------------------------------------------- embedding hook
class TableEmbedding(PositionalEncoding):
    """A fixed table from theory (sinusoidal, wavelet, Legendre) added to the token embedding."""

    hook = "embedding"

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray]):
        super().__init__()
        self.table = _TheoryTable(fn)

    def embed(self, positions):
        return self.table.lookup(positions)  # (B, T, D)


class LearnedEmbedding(PositionalEncoding):
    """Learned absolute PE (GPT-2 style `wpe`). A position beyond the table is an error, never a clamp
    (Li 2025 claim 6: a learned table has no row for positions it was not given)."""

    hook = "embedding"

    def __init__(self, d_model: int, max_positions: int):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(max_positions, d_model) * 0.02)

    def embed(self, positions):
        size = self.weight.shape[0]
        if positions.numel() and (int(positions.max()) >= size or int(positions.min()) < 0):
            bad = int(positions.max()) if int(positions.max()) >= size else int(positions.min())
            raise PelgError(f"learned PE has positions 0..{size - 1}; position {bad} is outside its table "
                            f"(raise max_positions)")
        return self.weight[positions]  # (B, T, D)


# ----------------------------------------------------------------------------- q/k hook
def rotate_pairs(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, layout: str) -> torch.Tensor:
    """Rotate the first 2*r dims of x (B, H, T, dh) pairwise by angles with cos/sin (B, 1, T, r).

    layout "half" pairs (k, k + r); "interleaved" pairs (2k, 2k + 1) (see theory.encodings.rope_rotate).
    """
    r = cos.shape[-1]
    rot, rest = x[..., : 2 * r], x[..., 2 * r:]
    if layout == "half":
        a, b = rot[..., :r], rot[..., r:]
        out = torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)
    else:
        a, b = rot[..., 0::2], rot[..., 1::2]
        out = torch.stack([a * cos - b * sin, a * sin + b * cos], dim=-1).flatten(-2)
    return torch.cat([out, rest], dim=-1)


class Rotary(PositionalEncoding):
    """RoPE (Su et al. 2021) and, with `xpos=True`, xPos (Sun et al. 2022): angles (and xPos scales) come
    from `theory.encodings.rope_angles` / `xpos_scale`."""

    hook = "qk"

    def __init__(self, d_head: int, base: float = 10000.0, fraction: float = 1.0, layout: str = "half",
                 xpos: bool = False, gamma: float = 0.4, scale_base: float = 512.0):
        super().__init__()
        if layout not in ("half", "interleaved"):
            raise unknown("rope layout", layout, ["half", "interleaved"])
        self.layout = layout
        self.angles = _TheoryTable(lambda p: E.rope_angles(p, d_head, base=base, fraction=fraction))
        self.scales = (_TheoryTable(lambda p: E.xpos_scale(p, d_head, fraction=fraction, gamma=gamma,
                                                            scale_base=scale_base)) if xpos else None)

    def rotate(self, x, positions, role):
        theta = self.angles.lookup(positions).unsqueeze(1).to(x.dtype)  # (B, 1, T, r)
        out = rotate_pairs(x, theta.cos(), theta.sin(), self.layout)
        if self.scales is not None:
            s = self.scales.lookup(positions).unsqueeze(1).to(x.dtype)  # (B, 1, T, r)
            s = s if role == "query" else 1.0 / s
            s = torch.cat([s, s], -1) if self.layout == "half" else s.repeat_interleave(2, -1)
            r2 = s.shape[-1]
            out = torch.cat([out[..., :r2] * s, out[..., r2:]], dim=-1)
        return out


# ----------------------------------------------------------------------------- bias hook
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


class T5Bias(PositionalEncoding):
    """T5 relative bias (Raffel et al. 2020): a learned scalar per (bucket, head); buckets from
    `theory.encodings.t5_relative_bucket`. One table shared by all layers (as in K23's code)."""

    hook = "bias"

    def __init__(self, n_head: int, bidirectional: bool, num_buckets: int = 32, max_distance: int = 128):
        super().__init__()
        self.table = nn.Embedding(num_buckets, n_head)
        nn.init.normal_(self.table.weight, std=0.02)
        self.num_buckets, self.max_distance, self.bidirectional = num_buckets, max_distance, bidirectional
        self._span = 0
        self.register_buffer("_buckets", torch.zeros(1, dtype=torch.long), persistent=False)

    def buckets(self, rel: torch.Tensor) -> torch.Tensor:
        """Bucket ids for relative positions rel = key - query (any shape), via a cached theory table."""
        span = int(rel.abs().max()) + 1 if rel.numel() else 1
        if span > self._span:
            self._span = max(span, 2 * self._span, 64)
            ids = E.t5_relative_bucket(np.arange(-self._span + 1, self._span), self.bidirectional,
                                       self.num_buckets, self.max_distance)
            self._buckets = torch.as_tensor(ids, dtype=torch.long, device=rel.device)
        return self._buckets[rel + self._span - 1]

    def bias(self, q_pos, k_pos, scale=None):
        rel = -_offsets(q_pos, k_pos).squeeze(1)  # (B, Tq, Tk) key - query
        return self.table(self.buckets(rel)).permute(0, 3, 1, 2)  # (B, H, Tq, Tk)


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


# ----------------------------------------------------------------------------- registry
BASE_PES = ("nope", "learned", "sinusoidal", "t5", "alibi", "rope", "xpos", "kerple_log", "kerple_power",
            "fire", "wavelet", "legendre", "lbpe")

# Options each PE accepts (with defaults); anything else is an error.
PE_OPTIONS: dict[str, dict] = {
    "nope": {},
    "learned": {"max_positions": 1024},
    "sinusoidal": {"base": 10000.0, "layout": "half"},
    "t5": {"num_buckets": 32, "max_distance": 128},
    "alibi": {},
    "rope": {"base": 10000.0, "fraction": 1.0, "layout": "half"},
    "xpos": {"base": 10000.0, "fraction": 1.0, "layout": "half", "gamma": 0.4, "scale_base": 512.0},
    "kerple_log": {},
    "kerple_power": {},
    "fire": {"hidden": 32, "c": 1.0, "L": 1.0},
    "wavelet": {"n_max": 64, "wavelet": "db4", "normalize": "none"},
    "legendre": {"n_max": 64, "beyond": "clamp", "orthonormal": False},
    "lbpe": {"hidden": 32},
}


def resolve_options(base: str, options: dict | None) -> dict:
    """Defaults of `base` updated by `options`; unknown option names are an error."""
    if base not in PE_OPTIONS:
        raise unknown("positional encoding", base, BASE_PES)
    opts = dict(PE_OPTIONS[base])
    for key, value in (options or {}).items():
        if key not in opts:
            raise unknown(f"option for PE {base!r}", key, opts or ["(none)"])
        opts[key] = type(opts[key])(value) if not isinstance(opts[key], bool) else _as_bool(value)
    return opts


def _as_bool(value) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def build_pe(base: str, d_model: int, n_head: int, causal: bool, options: dict | None = None
             ) -> PositionalEncoding:
    """Build the module for a base PE name (no position-scheme suffix; see `empirics.positions`)."""
    o = resolve_options(base, options)
    symmetric = not causal
    d_head = d_model // n_head
    if base == "nope":
        return NoPE()
    if base == "learned":
        return LearnedEmbedding(d_model, o["max_positions"])
    if base == "sinusoidal":
        return TableEmbedding(lambda p: E.sinusoidal_table(p, d_model, base=o["base"], layout=o["layout"]))
    if base == "wavelet":
        return TableEmbedding(lambda p: E.wavelet_table(p, d_model, o["n_max"], wavelet=o["wavelet"],
                                                        normalize=o["normalize"]))
    if base == "legendre":
        return TableEmbedding(lambda p: E.legendre_table(p, d_model, o["n_max"], beyond=o["beyond"],
                                                         orthonormal=o["orthonormal"]))
    if base in ("rope", "xpos"):
        extra = {k: o[k] for k in ("gamma", "scale_base")} if base == "xpos" else {}
        return Rotary(d_head, base=o["base"], fraction=o["fraction"], layout=o["layout"],
                      xpos=base == "xpos", **extra)
    if base == "alibi":
        return ALiBi(n_head, symmetric)
    if base == "t5":
        return T5Bias(n_head, bidirectional=symmetric, num_buckets=o["num_buckets"],
                      max_distance=o["max_distance"])
    if base in ("kerple_log", "kerple_power"):
        return Kerple(n_head, base.split("_")[1], symmetric)
    if base == "lbpe":
        return LBPE(n_head, hidden=o["hidden"])
    return Fire(n_head, symmetric, hidden=o["hidden"], c=o["c"], L=o["L"])
