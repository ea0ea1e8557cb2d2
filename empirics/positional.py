"""Positional-encoding modules: the torch side of `theory.encodings`.

Every PE acts through one of three hooks (DESIGN.md):
- "embedding": a vector added to the token embedding (learned, sinusoidal, wavelet, Legendre);
- "qk":        a transform of queries and keys (RoPE, xPos);
- "bias":      an additive attention-logit bias (T5, ALiBi, KERPLE, FIRE, LBPE; `empirics.pe_bias`);
NoPE uses none. Position ids always come from the caller as a (B, T) integer tensor, so re-indexing
schemes (randomized positions, Scale Hint; see `empirics.positions`) work with every PE.

Fixed tables and position-dependent constants are computed by the theory functions over the integer
positions 0..P-1 and cached (`_TheoryTable`), so the numbers the model uses are the theory's numbers.
Learned parameters (T5 table, KERPLE r1/r2, FIRE MLP) are torch parameters whose forward formula is
tested against the theory function with the same values.

Each PE is registered once, at the end of this file (`empirics.pe_registry.register_pe`). The base class,
the table cache and position reservation (no host sync in the forward pass) are in `empirics.pe_base`.
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
from .pe_base import NoPE, PositionalEncoding, _TheoryTable, host_checks, position_range  # noqa: F401
from .pe_bias import IPE, LBPE, T5Bias, ALiBi, Fire, Kerple  # noqa: F401  (registered below)


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

    def reserve(self, size: int) -> None:
        """Positions 0..size-1 must have rows: raise before the forward pass, on the host."""
        if size > self.weight.shape[0]:
            raise PelgError(f"learned PE has positions 0..{self.weight.shape[0] - 1}; position {size - 1} is "
                            f"outside its table (raise max_positions)")

    def embed(self, positions):
        if host_checks(positions):
            span = position_range(positions)  # negative ids raise here
            if span is not None:
                self.reserve(span[1] + 1)
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
        self.scales = None
        if xpos:
            limit = xpos_float32_limit(d_head, fraction, gamma, scale_base)
            why = (f"xPos's float32 key scale 1/zeta^(p/{scale_base:g}) overflows to inf from position {limit:,} "
                   f"(gamma {gamma:g}); keep every position id below it")
            self.scales = _TheoryTable(lambda p: E.xpos_scale(p, d_head, fraction=fraction, gamma=gamma,
                                                              scale_base=scale_base), limit=limit, why=why)

    def rotate(self, x, positions, role):
        """Angles, cos/sin and xPos scales in float32 (the tables' dtype), cast to x's dtype where they
        multiply x (bf16 under autocast)."""
        theta = self.angles.lookup(positions).unsqueeze(1)  # (B, 1, T, r) float32
        out = rotate_pairs(x, theta.cos().to(x.dtype), theta.sin().to(x.dtype), self.layout)
        if self.scales is not None:
            s = self.scales.lookup(positions).unsqueeze(1)  # (B, 1, T, r) float32
            s = (s if role == "query" else 1.0 / s).to(x.dtype)
            s = torch.cat([s, s], -1) if self.layout == "half" else s.repeat_interleave(2, -1)
            r2 = s.shape[-1]
            out = torch.cat([out[..., :r2] * s, out[..., r2:]], dim=-1)
        return out


def xpos_float32_limit(d_head: int, fraction: float, gamma: float, scale_base: float) -> int | None:
    """The first position p whose xPos key scale 1/zeta_k^(p/scale_base) (Sun et al. 2022), computed as
    the model does (1 / the float32 theory scale, in float32), is inf for some k; None if none below 2^40.
    The smallest zeta, gamma/(1 + gamma), decides: 36,261 at the defaults (gamma 0.4, scale_base 512)."""
    def overflows(p: int) -> bool:
        s = np.asarray(E.xpos_scale([p], d_head, fraction=fraction, gamma=gamma, scale_base=scale_base), np.float32)
        with np.errstate(over="ignore", divide="ignore"):
            return not np.isfinite(np.float32(1.0) / s).all()

    hi = 1
    while not overflows(hi):
        if hi > 2 ** 40:
            return None
        hi *= 2
    lo = hi // 2  # overflows(hi), not overflows(lo) (or lo == 0: position 0 has scale 1)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if overflows(mid) else (mid, hi)
    return hi


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
register_pe(PESpec("ipe", "bias", "logit[h,i,j] += w_h·[j = i − n], n source tokens: target u reads source u "
                   "[reconstruction]", "Chen, Liang, Lin 2025", IPE, lambda ctx, o: IPE(ctx.n_head),
                   E.ipe_alignment))
