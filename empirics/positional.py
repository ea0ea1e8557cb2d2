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

Each PE is registered once, at the end of this file (`empirics.pe_registry.register_pe`).
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
from torch import nn

from theory import encodings as E
from .errors import PelgError, unknown
# build_pe, resolve_options and PES are read through this module, which fills the registry:
from .pe_registry import PES, Option, PEContext, PESpec, build_pe, register_pe, resolve_options  # noqa: F401


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
TOKEN_INIT_STD = 0.02  # init std of token rows (`Transformer._init`, GPT-2's) and of the learned APE


def table_scale(fn: Callable, d_model: int, scale, reference: np.ndarray, token_std: float = TOKEN_INIT_STD) -> float:
    """The multiplier of a fixed table: "none" -> 1 (the theory table as is); a number -> that number;
    "token" -> the factor that gives the table's RMS row norm over the `reference` positions the token
    embedding's expected row norm at init, token_std * sqrt(d_model) (token_std: the model's, 0.02, or 1
    under T5's init as in K23; reference: 0..floor(n_max) for wavelet and Legendre, the range they are
    laid out on; any range for the sinusoidal, whose rows all have norm sqrt(d/2)).

    Why "token" is the default: token and position vectors are summed before the first LayerNorm, so their
    ratio decides what the first layer sees. Vaswani et al. 2017 (section 3.4) keep the two at one scale
    by multiplying the token embedding by sqrt(d_model); pelg's model initializes token rows (and the
    learned APE) at std 0.02 (row norm 0.02 sqrt(d), 0.16 at d = 64), while a sinusoidal row has norm
    sqrt(d/2) (5.7): the raw table outweighs the content 35 to 1 and copy does not train (issue 10).
    Scaling the table, not the tokens, leaves every other PE's model unchanged; the table keeps its
    shape (the sinusoidal its constant row norm), and `theory.encodings` keeps the formula.
    """
    if scale == "none":
        return 1.0
    if scale != "token":
        return float(scale)
    rows = np.asarray(fn(reference), dtype=np.float64)  # (n, D)
    rms = float(np.sqrt(np.mean(np.sum(rows ** 2, axis=1))))
    if not rms > 0:
        raise ValueError(f"the table vanishes on positions {int(reference[0])}..{int(reference[-1])}; "
                         f"cannot match the token scale (give scale='none' or a number)")
    return token_std * math.sqrt(d_model) / rms


class TableEmbedding(PositionalEncoding):
    """A fixed table from theory (sinusoidal, wavelet, Legendre), times one constant `scale` (see
    `table_scale`), added to the token embedding: embed(p) = scale * fn(p)."""

    hook = "embedding"

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray], scale: float = 1.0):
        super().__init__()
        self.scale = float(scale)
        self.table = _TheoryTable(lambda p: self.scale * fn(p))

    def embed(self, positions):
        return self.table.lookup(positions)  # (B, T, D)


class LearnedEmbedding(PositionalEncoding):
    """Learned absolute PE (GPT-2 style `wpe`). A position beyond the table is an error, never a clamp
    (Li 2025 claim 6: a learned table has no row for positions it was not given)."""

    hook = "embedding"

    def __init__(self, d_model: int, max_positions: int):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(max_positions, d_model) * TOKEN_INIT_STD)

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
        E.t5_relative_bucket(np.arange(-1, 2), bidirectional, num_buckets, max_distance)  # bad options fail here
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


# ----------------------------------------------------------------------------- registrations
# One `register_pe` per PE (empirics.pe_registry): hook, formula, source, theory function, module, options.
LAYOUT = Option("half", choices=E.LAYOUTS)
BASE = Option(10000.0, minimum=0, above=True)
MLP_WIDTH = Option(32, minimum=1)


class TableScale(Option):
    """The fixed tables' `scale`: "token" (the default; see `table_scale`), "none" (1), or a number > 0."""

    def parse(self, owner: str, key: str, value):
        if isinstance(value, str) and value.strip().lower() in ("token", "none"):
            return value.strip().lower()
        try:
            out = float(value) if not isinstance(value, bool) else math.nan
        except (TypeError, ValueError):
            out = math.nan
        if not (math.isfinite(out) and out > 0):
            raise PelgError(f"option {key}={value!r} for {owner}: valid: token, none, or a number > 0")
        return out


SCALE = TableScale("token")


def _table(fn: Callable, reference: Callable[[dict], np.ndarray]) -> Callable[[PEContext, dict], TableEmbedding]:
    """Builder of an embedding PE from a theory table fn(positions, d_model, **options), scaled by the
    `scale` option over the positions `reference(options)` (see `table_scale`)."""

    def build(ctx: PEContext, o: dict) -> TableEmbedding:
        opts = {k: v for k, v in o.items() if k != "scale"}
        rows = lambda p: fn(p, ctx.d_model, **opts)  # noqa: E731
        return TableEmbedding(rows, table_scale(rows, ctx.d_model, o["scale"], reference(opts), ctx.token_std))
    return build


def _design_range(o: dict) -> np.ndarray:
    """Positions 0..floor(n_max), the range a wavelet or Legendre table is laid out on (as "unit" uses)."""
    return np.arange(math.floor(o["n_max"]) + 1)


register_pe(PESpec("nope", "none", "no positional signal; order only through the causal mask",
                   "Kazemnejad et al. 2023", NoPE, lambda ctx, o: NoPE()))
register_pe(PESpec("learned", "embedding", "x_i += E[i], E ∈ R^{N×d} learned; no row for i ≥ N",
                   "Gehring et al. 2017; Radford et al. 2018", LearnedEmbedding,
                   lambda ctx, o: LearnedEmbedding(ctx.d_model, o["max_positions"]), E.learned_table_lookup,
                   {"max_positions": Option(1024, minimum=1)}))
register_pe(PESpec("sinusoidal", "embedding", "x_i += s·[sin(i·w_k), cos(i·w_k)], w_k = 10000^(−2k/d), s: scale",
                   "Vaswani et al. 2017", TableEmbedding,
                   _table(E.sinusoidal_table, lambda o: np.arange(64)),
                   E.sinusoidal_table, {"base": BASE, "layout": LAYOUT, "scale": SCALE}))
register_pe(PESpec("t5", "bias", "logit[h,i,j] += b_h[bucket(j − i)]; exact below n/2, log-spaced to max_distance",
                   "Raffel et al. 2020", T5Bias,
                   lambda ctx, o: T5Bias(ctx.n_head, bidirectional=ctx.symmetric, **o), E.t5_bias,
                   {"num_buckets": Option(32, minimum=2), "max_distance": Option(128, minimum=1)}))
register_pe(PESpec("alibi", "bias", "logit[h,i,j] −= m_h·(i − j), m_h = 2^(−8h/H)", "Press et al. 2022", ALiBi,
                   lambda ctx, o: ALiBi(ctx.n_head, ctx.symmetric), E.alibi_bias))
register_pe(PESpec("rope", "qk", "rotate pair k of q_i, k_j by angle i·θ_k, θ_k = base^(−2k/d_rot)",
                   "Su et al. 2021", Rotary, lambda ctx, o: Rotary(ctx.d_head, **o), E.rope_rotate,
                   {"base": BASE, "fraction": Option(1.0, minimum=0, above=True), "layout": LAYOUT}))
register_pe(PESpec("xpos", "qk", "RoPE with q·ζ_k^(i/s), k·ζ_k^(−j/s), ζ_k = (k/(d_rot/2) + γ)/(1 + γ)",
                   "Sun et al. 2022", Rotary, lambda ctx, o: Rotary(ctx.d_head, xpos=True, **o), E.xpos_rotate,
                   {"base": BASE, "fraction": Option(1.0, minimum=0, above=True), "layout": LAYOUT,
                    "gamma": Option(0.4, minimum=0), "scale_base": Option(512.0, minimum=0, above=True)}))
for _kind, _formula in (("log", "logit[h,i,j] += −r1_h·log(1 + r2_h·|i − j|)"),
                        ("power", "logit[h,i,j] += −r1_h·|i − j|^r2_h, 0 < r2 ≤ 2")):
    register_pe(PESpec(f"kerple_{_kind}", "bias", _formula, "Chi et al. 2022", Kerple,
                       lambda ctx, o, kind=_kind: Kerple(ctx.n_head, kind, ctx.symmetric), E.kerple_bias))
register_pe(PESpec("fire", "bias", "logit[h,i,j] += f_h(ψ(i − j)/ψ(max(L, i))), ψ(x) = log(cx + 1), f an MLP",
                   "Li et al. 2023", Fire, lambda ctx, o: Fire(ctx.n_head, ctx.symmetric, **o), E.fire_bias,
                   {"hidden": MLP_WIDTH, "c": Option(1.0, minimum=0, above=True),
                    "L": Option(1.0, minimum=0, above=True)}))
register_pe(PESpec("wavelet", "embedding",
                   "x_i += s·[2^(j/2)·ψ(2^j·i/N − k)]_(j,k), ψ = db4 wavelet, s: scale [reconstruction]",
                   "Li 2025",
                   TableEmbedding, _table(E.wavelet_table, _design_range), E.wavelet_table,
                   {"n_max": Option(64, minimum=1), "wavelet": Option("db4"),
                    "normalize": Option("none", choices=("none", "unit")), "scale": SCALE}))
register_pe(PESpec("legendre", "embedding",
                   "x_i += s·[P_k(2i/N − 1)]_k, Legendre polynomials, s: scale [reconstruction]",
                   "Li 2025", TableEmbedding, _table(E.legendre_table, _design_range), E.legendre_table,
                   {"n_max": Option(64, minimum=1), "beyond": Option("clamp", choices=("clamp", "extend")),
                    "orthonormal": Option(False), "scale": SCALE}))
register_pe(PESpec("lbpe", "bias",
                   "logit[h,i,j] += MLP_h(i − j, (i − j)/n, i − j − n, log(1 + |i − j|)) [reconstruction]",
                   "Chen, Liang, Lin 2025", LBPE, lambda ctx, o: LBPE(ctx.n_head, **o), E.lbpe_features,
                   {"hidden": MLP_WIDTH}))
