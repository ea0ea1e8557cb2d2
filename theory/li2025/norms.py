"""Norms of positional encodings: Li 2025, claim 2 (Table 2) and the norm half of claim 5.

Li 2025 bounds the layer-0 input norm B_0 = sup ||x + PE(pos)|| of a Transformer by a per-PE quantity
(Table 2, [seed]): sinusoidal B_x + sqrt(d_model); learned B_x + B_p; ALiBi leaves the input alone but
adds alpha (N' - 1) to the logits at length N'; the unnormalized wavelet PE inflates input norms as
O(N_max sqrt(log N_max)); Legendre has bounded norm. This module measures sup_pos ||PE(pos)|| for every
PE of `theory.encodings` (the single source of truth for the formulas: nothing is re-implemented here)
and states the closed forms that exist [derived]:

* sinusoidal, even d: ||PE(pos)|| = sqrt(d/2) for every real pos (proved symbolically by
  `sinusoidal_norm_proof`), so B_x + sqrt(d) is valid but loose; the tight bound is B_x + sqrt(d/2).
* learned: B_p = max_p ||E[p]|| over the rows of the table; there is no row beyond the table.
* Legendre [reconstruction], x = 2 pos / N_max - 1: |P_k(x)| <= 1 on [-1, 1] with equality at x = +-1,
  so with clamping sup_pos ||PE(pos)|| = sqrt(d) (orthonormal: sqrt(sum_k (2k+1)/2) = d / sqrt 2), attained
  at pos = 0 and at every pos >= N_max. Without clamping ("extend") P_k(x) ~ (x + sqrt(x^2 - 1))^k
  for x > 1 (P_7(2) = 17593/8 = 2199.125): no bound beyond N_max.
* wavelet [reconstruction], column (j, k) = 2^(a j) psi(2^j t - k), t = pos / N_max, a = 1/2 in
  `encodings.wavelet_table`: if every shift of the scales j = 0..J-1 is present, then
  mean_{t in [0,1]} ||PE(t)||^2 = sum_{j<J} 4^(a j)  (exact; a = 1/2 gives 2^J - 1),
  because sum_k psi(s - k)^2 is 1-periodic with integral ||psi||_2^2 = 1 over a period. Hence
  sqrt(sum 4^(a j)) <= sup_t ||PE(t)|| <= sqrt(M sum 4^(a j)), M = max_s sum_k psi(s - k)^2. With the
  finest scale at the position resolution (2^J = N_max) the sup norm is Theta(sqrt(N_max)) for a = 1/2,
  Theta(sqrt(log N_max)) for a = 0 and Theta(N_max) for a = 1; at a fixed d it does not grow at all.
* ALiBi (Press et al. 2022): on a sequence of length N' the largest |bias| is m_max (N' - 1) with
  m_max = max_h m_h = 2^(-8/H) (H a power of two); RoPE is an isometry (norm ratio 1); xPos scales keys
  by zeta_0^(-pos/scale_base), unbounded in pos.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import sympy as sp

from theory import encodings as E

__all__ = [
    "EMBEDDING_PES",
    "pe_rows",
    "row_norms",
    "sup_norm",
    "count_distinct_rows",
    "sinusoidal_norm_closed_form",
    "sinusoidal_norm_proof",
    "legendre_sup_norm_closed_form",
    "legendre_exact_value",
    "legendre_extend_norm",
    "wavelet_full_scale_dim",
    "wavelet_mean_square_closed_form",
    "wavelet_periodized_max",
    "wavelet_scaled_rows",
    "wavelet_sup_norm",
    "wavelet_growth",
    "GROWTH_LAWS",
    "fit_growth",
    "alibi_max_abs_bias_closed_form",
    "alibi_max_abs_bias",
    "table2_bound",
    "monte_carlo_input_norm",
    "sup_norm_table",
]

# the embedding PEs (hook "embedding") with their beyond-range policies as separate entries
EMBEDDING_PES = ("sinusoidal", "learned", "learned_last_row", "wavelet", "wavelet_unit", "legendre_clamp",
                 "legendre_extend", "legendre_orthonormal_clamp")

_CHUNK = 1 << 21  # table entries per chunk when scanning long position ranges


def pe_rows(name: str, positions, d: int, n_max: int, *, table=None, wavelet: str = "db4") -> np.ndarray:
    """PE(pos) for each position, shape (n, d), from `theory.encodings`.

    ``learned`` needs ``table`` (rows 0..n_max-1) and raises ``PositionOutOfRange`` beyond it;
    ``learned_last_row`` is the policy "reuse the last row" (positions clipped to len(table) - 1).
    """
    if name not in EMBEDDING_PES:
        raise ValueError(f"unknown embedding PE {name!r}; valid: {', '.join(map(repr, EMBEDDING_PES))}")
    p = np.asarray(positions)
    if name == "sinusoidal":
        return E.sinusoidal_table(p, d)
    if name in ("learned", "learned_last_row"):
        if table is None:
            raise ValueError(f"PE {name!r} needs a table of shape (n_max, d); got table=None")
        t = np.asarray(table, dtype=np.float64)
        if name == "learned_last_row":
            p = np.minimum(np.asarray(p, dtype=np.int64), t.shape[0] - 1)
        return E.learned_table_lookup(t, p)
    if name in ("wavelet", "wavelet_unit"):
        return E.wavelet_table(p, d, n_max, wavelet=wavelet, normalize="none" if name == "wavelet" else "unit")
    beyond = "extend" if name == "legendre_extend" else "clamp"
    return E.legendre_table(p, d, n_max, beyond=beyond, orthonormal=name == "legendre_orthonormal_clamp")


def row_norms(name: str, positions, d: int, n_max: int, **kw) -> np.ndarray:
    """||PE(pos)||_2 for each position (computed in chunks so that long ranges fit in memory)."""
    p = np.asarray(positions)
    step = max(1, _CHUNK // max(d, 1))
    out = [np.linalg.norm(pe_rows(name, p[i:i + step], d, n_max, **kw), axis=1) for i in range(0, p.size, step)]
    return np.concatenate(out) if out else np.zeros(0)


def sup_norm(name: str, lo: int, hi: int, d: int, n_max: int, **kw) -> float:
    """max ||PE(pos)||_2 over the integer positions lo..hi (inclusive)."""
    if hi < lo:
        raise ValueError(f"empty position range {lo}..{hi}; need lo <= hi")
    return float(row_norms(name, np.arange(lo, hi + 1), d, n_max, **kw).max())


def count_distinct_rows(rows, decimals: int = 12) -> int:
    """Number of distinct encodings among the rows (rounded to `decimals` to ignore float noise)."""
    return int(np.unique(np.round(np.asarray(rows, dtype=np.float64), decimals), axis=0).shape[0])


# ----------------------------------------------------------------------------------------------------
# sinusoidal: ||PE(pos)|| = sqrt(d/2) exactly
# ----------------------------------------------------------------------------------------------------


def sinusoidal_norm_closed_form(d: int) -> float:
    """sqrt(d/2): the norm of every sinusoidal row (Vaswani et al. 2017), for every position."""
    if d < 2 or d % 2:
        raise ValueError(f"d must be an even integer >= 2, got {d!r}")
    return math.sqrt(d / 2)


def sinusoidal_norm_proof(d: int | None = None) -> dict:
    """Symbolic proof that ||PE(p)||^2 = d/2 for the sinusoidal PE (p, base symbolic, positive).

    d None: for a symbolic half-width h = d/2, the summand sin^2(p b^(-k/h)) + cos^2(p b^(-k/h)) simplifies
    to 1 and sum_{k=0}^{h-1} 1 = h. d even: the explicit sum of all d squared entries simplifies to d/2.
    Returns the simplified sum, the expected value and whether they are identical.
    """
    p, b = sp.symbols("p b", positive=True)
    if d is None:
        k = sp.Symbol("k", integer=True, nonnegative=True)
        h = sp.Symbol("h", integer=True, positive=True)
        w = b ** (-2 * k / (2 * h))
        summand = sp.trigsimp(sp.sin(p * w) ** 2 + sp.cos(p * w) ** 2)
        total = sp.summation(summand, (k, 0, h - 1))
        expected = h
    else:
        if d < 2 or d % 2:
            raise ValueError(f"d must be an even integer >= 2, got {d!r}")
        ws = [b ** sp.Rational(-2 * k, d) for k in range(d // 2)]
        total = sp.simplify(sum(sp.sin(p * w) ** 2 + sp.cos(p * w) ** 2 for w in ws))
        expected = sp.Rational(d, 2)
    return {"norm_squared": total, "expected": expected, "proved": sp.simplify(total - expected) == 0}


# ----------------------------------------------------------------------------------------------------
# Legendre [reconstruction]
# ----------------------------------------------------------------------------------------------------


def legendre_sup_norm_closed_form(d: int, orthonormal: bool = False) -> float:
    """sup_pos ||PE(pos)|| with clamping: sqrt(d), or sqrt(sum_k (2k+1)/2) = d/sqrt(2) when orthonormal.

    |P_k(x)| <= 1 on [-1, 1] with P_k(+-1) = +-1, so the sup is attained at pos = 0 and pos >= N_max.
    """
    return d / math.sqrt(2) if orthonormal else math.sqrt(d)


def legendre_exact_value(k: int, x) -> sp.Rational:
    """P_k(x) in exact rationals (sympy), e.g. P_7(2) = 17593/8."""
    return sp.nsimplify(sp.legendre(k, sp.Rational(x)))


def legendre_extend_norm(pos, d: int, n_max: int) -> np.ndarray:
    """||PE(pos)|| without clamping ("extend"), from `encodings.legendre_table`."""
    return row_norms("legendre_extend", np.asarray(pos, dtype=np.float64), d, n_max)


# ----------------------------------------------------------------------------------------------------
# wavelet [reconstruction]
# ----------------------------------------------------------------------------------------------------


def wavelet_full_scale_dim(n_scales: int, wavelet: str = "db4") -> int:
    """d such that `wavelet_feature_index(d)` holds every shift of the scales 0..n_scales-1:
    sum_j (2^j + W - 1) with W the support width (db4: W = 7, d = 2^J - 1 + 6 J)."""
    w = E.wavelet_support_width(wavelet)
    return sum(2**j + w - 1 for j in range(n_scales))


def wavelet_mean_square_closed_form(n_scales: int, amplitude: float = 0.5) -> float:
    """mean_{t in [0,1]} ||PE(t)||^2 = sum_{j<J} 4^(a j) for columns 2^(a j) psi(2^j t - k), all shifts."""
    return float(sum(4.0 ** (amplitude * j) for j in range(n_scales)))


@lru_cache(maxsize=8)
def wavelet_periodized_max(wavelet: str = "db4", level: int = 10) -> float:
    """M = max_s sum_k psi(s - k)^2 (the periodized squared wavelet), from pywavelets samples."""
    grid, psi = E.psi_samples(wavelet, level)
    w = E.wavelet_support_width(wavelet)
    s = np.linspace(0.0, 1.0, 2**level, endpoint=False)
    tot = sum(np.interp(s + m, grid, psi, left=0.0, right=0.0) ** 2 for m in range(w + 1))
    return float(tot.max())


def wavelet_scaled_rows(positions, d: int, n_max: int, amplitude: float = 0.5, wavelet: str = "db4",
                        normalize: str = "none") -> np.ndarray:
    """The wavelet PE with column (j, k) = 2^(a j) psi(2^j t - k): `encodings.wavelet_table` (a = 1/2)
    with each column rescaled by 2^((a - 1/2) j). a = 0: plain psi(2^j t - k); a = -1/2: the envelope's
    normalization 2^(-j/2) psi(2^j t - k)."""
    rows = E.wavelet_table(positions, d, n_max, wavelet=wavelet, normalize=normalize)
    js = np.array([j for j, _ in E.wavelet_feature_index(d, wavelet)], dtype=np.float64)
    return rows * (2.0 ** ((amplitude - 0.5) * js))[None, :]


def wavelet_sup_norm(d: int, n_max: int, amplitude: float = 0.5, wavelet: str = "db4", lo: int = 0,
                     hi: int | None = None) -> float:
    """max ||PE(pos)|| over the integer positions lo..hi (default 0..n_max) of the unnormalized wavelet PE."""
    hi = n_max if hi is None else hi
    step = max(1, _CHUNK // d)
    best = 0.0
    for a in range(lo, hi + 1, step):
        pos = np.arange(a, min(a + step, hi + 1))
        best = max(best, float(np.linalg.norm(wavelet_scaled_rows(pos, d, n_max, amplitude, wavelet), axis=1).max()))
    return best


def wavelet_growth(n_maxes, scales: str = "resolution", d: int = 64, amplitude: float = 0.5,
                   wavelet: str = "db4") -> dict:
    """sup_{pos in 0..N_max} ||PE(pos)|| of the unnormalized wavelet PE for each N_max.

    scales "resolution": J = log2 N_max scales with every shift (d = `wavelet_full_scale_dim(J)`), so the
    finest scale resolves single positions; "fixed_d": the first d features whatever N_max is.
    Also returns the closed-form RMS sqrt(sum 4^(a j)) and upper bound sqrt(M sum 4^(a j)) (resolution).
    """
    if scales not in ("resolution", "fixed_d"):
        raise ValueError(f"unknown scales {scales!r}; valid: 'resolution', 'fixed_d'")
    out = {"n_max": [], "d": [], "sup_norm": [], "rms_closed_form": [], "upper_closed_form": []}
    m = wavelet_periodized_max(wavelet)
    for n in n_maxes:
        n = int(n)
        if scales == "resolution":
            j = int(round(math.log2(n)))
            if 2**j != n:
                raise ValueError(f"N_max must be a power of two with scales='resolution', got {n}")
            dd = wavelet_full_scale_dim(j, wavelet)
            ms = wavelet_mean_square_closed_form(j, amplitude)
            out["rms_closed_form"].append(math.sqrt(ms))
            out["upper_closed_form"].append(math.sqrt(m * ms))
        else:
            dd = d
        out["n_max"].append(n)
        out["d"].append(dd)
        out["sup_norm"].append(wavelet_sup_norm(dd, n, amplitude, wavelet))
    if scales == "fixed_d":
        del out["rms_closed_form"], out["upper_closed_form"]
    return out


# growth laws g(N) compared by a one-parameter fit c g(N) in log space
GROWTH_LAWS = {
    "1": lambda n: np.ones_like(n),
    "sqrt(log N)": lambda n: np.sqrt(np.log(n)),
    "sqrt(N)": lambda n: np.sqrt(n),
    "sqrt(N log N)": lambda n: np.sqrt(n * np.log(n)),
    "N": lambda n: n,
    "N sqrt(log N)": lambda n: n * np.sqrt(np.log(n)),
}


def fit_growth(ns, values) -> dict:
    """Fit values ~ c N^e (free exponent, least squares in log-log) and values ~ c g(N) for each law of
    GROWTH_LAWS (c = geometric-mean ratio); the law with the smallest RMS log residual is "best"."""
    n = np.asarray(ns, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if n.size < 2 or np.any(n <= 1) or np.any(v <= 0):
        raise ValueError("need >= 2 points with N > 1 and positive values")
    e, logc = np.polyfit(np.log(n), np.log(v), 1)
    laws = {}
    for name, g in GROWTH_LAWS.items():
        r = np.log(v) - np.log(g(n))
        c = float(np.mean(r))
        laws[name] = {"c": math.exp(c), "rms_log_residual": float(np.sqrt(np.mean((r - c) ** 2))),
                      "ratio_first_to_last": float(np.exp(r[0] - r[-1]))}
    best = min(laws, key=lambda k: laws[k]["rms_log_residual"])
    return {"exponent": float(e), "c": math.exp(logc), "laws": laws, "best": best}


# ----------------------------------------------------------------------------------------------------
# ALiBi: logit inflation
# ----------------------------------------------------------------------------------------------------


def alibi_max_abs_bias_closed_form(n_heads: int, length: int) -> float:
    """max |bias| on a sequence of length N': m_max (N' - 1), m_max = max_h m_h."""
    return float(E.alibi_slopes(n_heads).max() * (length - 1))


def alibi_max_abs_bias(n_heads: int, length: int, symmetric: bool = False) -> float:
    """max of |bias| over the finite entries of `encodings.alibi_bias` for positions 0..N'-1."""
    pos = np.arange(length)
    b = E.alibi_bias(pos, pos, E.alibi_slopes(n_heads), symmetric=symmetric)
    return float(np.abs(b[np.isfinite(b)]).max())


# ----------------------------------------------------------------------------------------------------
# Table 2 and the sup-norm table
# ----------------------------------------------------------------------------------------------------


def table2_bound(name: str, b_x: float, d: int, b_p: float | None = None) -> float:
    """The seed's Table 2 bound on ||x + PE(pos)|| given ||x|| <= B_x: sinusoidal B_x + sqrt(d);
    learned (and any table with max row norm B_p) B_x + B_p."""
    if name == "sinusoidal":
        return b_x + math.sqrt(d)
    if name in ("learned", "table"):
        if b_p is None:
            raise ValueError(f"the {name!r} bound needs b_p (max row norm)")
        return b_x + b_p
    raise ValueError(f"unknown Table 2 row {name!r}; valid: 'sinusoidal', 'learned', 'table'")


def monte_carlo_input_norm(pe: np.ndarray, b_x: float, rng: np.random.Generator, n_samples: int = 2000) -> dict:
    """sup ||x + PE(pos)|| over ||x|| <= B_x, measured: random x uniform on the sphere of radius B_x
    (random rows), and the worst case x = B_x PE(pos)/||PE(pos)|| (= B_x + ||PE(pos)||, the exact sup)."""
    pe = np.asarray(pe, dtype=np.float64)
    rows = pe[rng.integers(0, pe.shape[0], size=n_samples)]
    x = rng.normal(size=rows.shape)
    x *= b_x / np.linalg.norm(x, axis=1, keepdims=True)
    mc = float(np.linalg.norm(x + rows, axis=1).max())
    norms = np.linalg.norm(pe, axis=1)
    i = int(norms.argmax())
    aligned = pe[i] * (1 + b_x / norms[i]) if norms[i] > 0 else pe[i]
    return {"monte_carlo_max": mc, "aligned_max": float(np.linalg.norm(aligned)), "exact_sup": b_x + float(norms.max())}


def sup_norm_table(d: int = 64, n_max: int = 64, factor: int = 4, seed: int = 0) -> list[dict]:
    """One row per PE: sup ||PE(pos)|| (or the positional factor for non-additive PEs) over 0..N_max and
    over 0..factor*N_max, with the closed form where one exists. The learned table is a random
    N(0, 0.02^2) table (the pelg initialization)."""
    rng = np.random.default_rng(seed)
    table = rng.normal(0.0, 0.02, size=(n_max, d))
    hi = factor * n_max
    rows = []

    def add(name, kind, train, beyond, closed=None, note=""):
        rows.append({"pe": name, "kind": kind, "sup_train": train, "sup_to_factor_n_max": beyond,
                     "closed_form": closed, "note": note})

    add("nope", "input norm", 0.0, 0.0, 0.0, "no positional signal")
    s = sinusoidal_norm_closed_form(d)
    add("sinusoidal", "input norm", sup_norm("sinusoidal", 0, n_max, d, n_max), sup_norm("sinusoidal", 0, hi, d, n_max),
        s, "sqrt(d/2) at every position")
    b_p = sup_norm("learned", 0, n_max - 1, d, n_max, table=table)
    add("learned", "input norm", b_p, None, None, f"B_p = max row norm; no row beyond {n_max - 1}")
    add("learned_last_row", "input norm", b_p, sup_norm("learned_last_row", 0, hi, d, n_max, table=table), None,
        "positions >= N_max reuse the last row")
    for name in ("wavelet", "wavelet_unit"):
        add(name, "input norm", sup_norm(name, 0, n_max, d, n_max), sup_norm(name, 0, hi, d, n_max), None,
            "unnormalized" if name == "wavelet" else "divided by the max norm on 0..N_max")
    add("legendre_clamp", "input norm", sup_norm("legendre_clamp", 0, n_max, d, n_max),
        sup_norm("legendre_clamp", 0, hi, d, n_max), legendre_sup_norm_closed_form(d), "sqrt(d)")
    add("legendre_orthonormal_clamp", "input norm", sup_norm("legendre_orthonormal_clamp", 0, n_max, d, n_max),
        sup_norm("legendre_orthonormal_clamp", 0, hi, d, n_max), legendre_sup_norm_closed_form(d, True), "d/sqrt(2)")
    add("legendre_extend", "input norm", sup_norm("legendre_extend", 0, n_max, d, n_max),
        sup_norm("legendre_extend", 0, hi, d, n_max), None, "P_k(x) ~ (x + sqrt(x^2-1))^k beyond N_max")
    add("alibi (H=1)", "max |logit bias|", alibi_max_abs_bias(1, n_max), alibi_max_abs_bias(1, hi),
        alibi_max_abs_bias_closed_form(1, hi), "m (N' - 1), input norm unchanged")
    x = rng.normal(size=(1, hi + 1, d))
    pos = np.arange(hi + 1)
    ratio = np.linalg.norm(E.rope_rotate(x, pos), axis=-1) / np.linalg.norm(x, axis=-1)
    add("rope", "||R(pos) q|| / ||q||", float(ratio[0, : n_max + 1].max()), float(ratio.max()), 1.0, "isometry")
    ks = 1.0 / E.xpos_scale(pos, d)
    add("xpos", "max key scale", float(ks[: n_max + 1].max()), float(ks.max()),
        float(((0.4 / 1.4) ** (-hi / 512.0))), "zeta_0^(-pos/512), zeta_0 = gamma/(1+gamma), grows with pos")
    return rows
