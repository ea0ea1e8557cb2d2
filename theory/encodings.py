"""Every positional encoding (PE) as mathematics: the single source of truth for PE formulas.

numpy / pywavelets only (never torch). The torch modules in `empirics.positional` are built from these
functions and tested against them, so the signatures are a contract.

Conventions
-----------
* Positions are 1-D array-likes. Integer positions are the norm; real positions are accepted where the
  formula is defined for them (sinusoidal, RoPE, xPos, ALiBi, KERPLE, FIRE, wavelet, Legendre).
* Every result is a float64 numpy array unless stated otherwise.
* Attention biases have shape (H, Lq, Lk): entry [h, a, b] is the bias of head h for the query at
  position ``q_pos[a]`` and the key at position ``k_pos[b]``. Below, i = q_pos[a] and j = k_pos[b].
* Bad arguments raise ``ValueError`` with a one-line message naming the bad value and the valid choices.

Provenance labels follow /work/shared/papers/README.md: formulas of the original papers are cited by
author and year; our own definitions where a paper's full text is unavailable are marked
**[reconstruction]** (wavelet and Legendre PEs of Li 2025, Scale Hint of Chen, Liang, Lin 2025).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pywt

__all__ = [
    "PositionOutOfRange",
    "sinusoidal_table",
    "learned_table_lookup",
    "t5_relative_bucket",
    "t5_bias",
    "alibi_slopes",
    "alibi_bias",
    "rope_rotary_dims",
    "rope_inverse_frequencies",
    "rope_angles",
    "rope_rotate",
    "xpos_scale",
    "xpos_rotate",
    "kerple_bias",
    "fire_bias",
    "wavelet_feature_index",
    "wavelet_table",
    "legendre_table",
    "randomized_positions",
    "scale_hint_positions",
    "PESpec",
    "PE_CATALOG",
    "PE_HOOKS",
]

LAYOUTS = ("half", "interleaved")


class PositionOutOfRange(ValueError):
    """A learned table was asked for a position it has no row for (never clamped silently)."""


# ----------------------------------------------------------------------------------------------------
# input validation helpers
# ----------------------------------------------------------------------------------------------------


def _choice(name: str, value, valid) -> str:
    if value not in valid:
        raise ValueError(f"unknown {name} {value!r}; valid: {', '.join(map(repr, valid))}")
    return value


def _positive_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _positive_real(name: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive real number, got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a positive real number, got {value!r}")
    return v


def _positions(positions, name: str = "positions", integer: bool = False) -> np.ndarray:
    """1-D positions as int64 (integer=True; integral values required) or float64 (finite values)."""
    arr = np.asarray(positions)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"{name} must hold integers or reals, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr[~np.isfinite(arr)][0]!r}")
    if integer:
        if np.issubdtype(arr.dtype, np.floating):
            bad = arr != np.round(arr)
            if np.any(bad):
                raise ValueError(f"{name} must be integers, got {arr[bad][0]!r}")
        return arr.astype(np.int64)
    return arr.astype(np.float64)


def _per_head(name: str, value, n_heads: int | None = None) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array (one value per head), got shape {arr.shape}")
    if n_heads is not None and arr.size != n_heads:
        raise ValueError(f"{name} must have {n_heads} entries (one per head), got {arr.size}")
    return arr


def _offsets(q_pos, k_pos) -> np.ndarray:
    """(Lq, Lk) matrix of i - j (query minus key), float64."""
    q = _positions(q_pos, "q_pos")
    k = _positions(k_pos, "k_pos")
    return q[:, None] - k[None, :]


# ----------------------------------------------------------------------------------------------------
# absolute encodings added to the token embedding
# ----------------------------------------------------------------------------------------------------


def sinusoidal_table(positions, d, base=10000.0, layout="half") -> np.ndarray:
    """Sinusoidal absolute PE (Vaswani et al. 2017), shape (n, d).

    w_k = base^(-2k/d) for k = 0..d/2-1. ``layout="half"``: [sin(p w_0), .., sin(p w_{d/2-1}),
    cos(p w_0), .., cos(p w_{d/2-1})] (the layout of Kazemnejad et al. 2023's code); ``"interleaved"``:
    [sin(p w_0), cos(p w_0), sin(p w_1), ...] (the original paper's PE_(p,2k), PE_(p,2k+1)).
    Every row has Euclidean norm sqrt(d/2) exactly (Li 2025, Table 2: the bound sqrt(d) is loose).
    """
    p = _positions(positions)
    d = _positive_int("d", d, minimum=2)
    if d % 2:
        raise ValueError(f"d must be even for the sinusoidal PE, got {d}")
    base = _positive_real("base", base)
    _choice("layout", layout, LAYOUTS)
    w = base ** (-2.0 * np.arange(d // 2) / d)  # (d/2,)
    ang = p[:, None] * w[None, :]  # (n, d/2)
    out = np.empty((p.size, d))
    if layout == "half":
        out[:, : d // 2] = np.sin(ang)
        out[:, d // 2 :] = np.cos(ang)
    else:
        out[:, 0::2] = np.sin(ang)
        out[:, 1::2] = np.cos(ang)
    return out


def learned_table_lookup(table, positions) -> np.ndarray:
    """Learned absolute PE (Gehring et al. 2017; GPT): the rows ``table[positions]``, shape (n, d).

    A position outside 0..len(table)-1 has no row: raises ``PositionOutOfRange`` rather than clamping
    (Li 2025 claim 6: learned PEs cannot extrapolate; reusing the last row would hide that).
    """
    t = np.asarray(table, dtype=np.float64)
    if t.ndim != 2:
        raise ValueError(f"table must be 2-D (n_positions, d), got shape {t.shape}")
    p = _positions(positions, integer=True)
    bad = (p < 0) | (p >= t.shape[0])
    if np.any(bad):
        raise PositionOutOfRange(
            f"position {int(p[bad][0])} is outside the learned table; valid: 0..{t.shape[0] - 1}"
        )
    return t[p].copy()


# ----------------------------------------------------------------------------------------------------
# relative biases added to the attention logits
# ----------------------------------------------------------------------------------------------------


def t5_relative_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128) -> np.ndarray:
    """T5 relative-position bucket (Raffel et al. 2020), int64 array of the input's shape.

    ``relative_position = key_pos - query_pos`` (the HF T5 convention). Same semantics as HF T5's
    ``_relative_position_bucket``:
    * bidirectional: half of the buckets per sign; positive offsets (keys after the query) are shifted by
      num_buckets//2; then n = num_buckets//2 buckets for the magnitude |rel|.
    * unidirectional (causal): rel = -min(rel, 0) (future keys map to bucket 0), n = num_buckets.
    In the n buckets: |rel| < n//2 has its own bucket; larger distances get
    n//2 + floor(log(rel / (n//2)) / log(max_distance / (n//2)) * (n - n//2)), clipped to n - 1
    (so every distance >= max_distance shares the last bucket). Computed in float64 (HF uses float32;
    the two agree for the default 32 buckets / 128 max distance).
    """
    rel = np.asarray(relative_position)
    if rel.dtype == bool or not (np.issubdtype(rel.dtype, np.integer) or np.issubdtype(rel.dtype, np.floating)):
        if rel.size:
            raise ValueError(f"relative_position must hold integers, got dtype {rel.dtype}")
    if np.issubdtype(rel.dtype, np.floating):
        bad = ~np.isfinite(rel) | (rel != np.round(np.nan_to_num(rel)))
        if np.any(bad):
            raise ValueError(f"relative_position must be integers, got {rel[bad].flat[0]!r}")
    rel = rel.astype(np.int64)
    if not isinstance(bidirectional, (bool, np.bool_)):
        raise ValueError(f"bidirectional must be True or False, got {bidirectional!r}")
    n = _positive_int("num_buckets", num_buckets, minimum=4 if bidirectional else 2)
    buckets = np.zeros(rel.shape, dtype=np.int64)
    if bidirectional:
        if n % 2:
            raise ValueError(f"num_buckets must be even when bidirectional, got {n}")
        n //= 2
        buckets += (rel > 0).astype(np.int64) * n
        dist = np.abs(rel)
    else:
        dist = -np.minimum(rel, 0)
    max_exact = n // 2
    max_distance = _positive_int("max_distance", max_distance, minimum=max_exact + 1)
    safe = np.maximum(dist, max_exact).astype(np.float64)  # avoid log(0) in the unused branch
    large = max_exact + np.floor(
        np.log(safe / max_exact) / math.log(max_distance / max_exact) * (n - max_exact)
    ).astype(np.int64)
    large = np.minimum(large, n - 1)
    buckets += np.where(dist < max_exact, dist, large)
    return buckets


def t5_bias(q_pos, k_pos, table, bidirectional=True, num_buckets=32, max_distance=128) -> np.ndarray:
    """T5 relative bias (Raffel et al. 2020), shape (H, Lq, Lk): bias[h, a, b] = table[bucket(j - i), h].

    ``table`` has shape (num_buckets, H) (an ``Embedding(num_buckets, H)`` weight).
    """
    t = np.asarray(table, dtype=np.float64)
    if t.ndim != 2 or t.shape[0] != num_buckets:
        raise ValueError(f"table must have shape (num_buckets={num_buckets}, H), got {t.shape}")
    q = _positions(q_pos, "q_pos", integer=True)
    k = _positions(k_pos, "k_pos", integer=True)
    b = t5_relative_bucket(k[None, :] - q[:, None], bidirectional, num_buckets, max_distance)  # (Lq, Lk)
    return np.moveaxis(t[b], -1, 0)  # (Lq, Lk, H) -> (H, Lq, Lk)


def alibi_slopes(n_heads) -> np.ndarray:
    """ALiBi head slopes (Press et al. 2022), shape (H,).

    H a power of two: m_h = 2^(-8h/H), h = 1..H (H = 1 gives 2^-8). Otherwise, with P = 2^floor(log2 H):
    the slopes for P heads followed by the first H - P of every other slope for 2P heads
    (H = 12: 2^-1 .. 2^-8, then 2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5, as in Kazemnejad et al. 2023).
    """
    h = _positive_int("n_heads", n_heads)

    def power_of_two(n: int) -> list[float]:
        return [2.0 ** (-8.0 * i / n) for i in range(1, n + 1)]

    p = 1 << (h.bit_length() - 1)
    if p == h:
        return np.array(power_of_two(h))
    return np.array(power_of_two(p) + power_of_two(2 * p)[0::2][: h - p])


def alibi_bias(q_pos, k_pos, slopes, symmetric=False) -> np.ndarray:
    """ALiBi bias (Press et al. 2022), shape (H, Lq, Lk).

    symmetric: -m_h |i - j|. Causal (symmetric=False): -m_h (i - j) for j <= i and -inf for j > i
    (the causal mask is part of the bias).
    """
    m = _per_head("slopes", slopes)
    off = _offsets(q_pos, k_pos)  # (Lq, Lk), i - j
    if symmetric:
        return -m[:, None, None] * np.abs(off)[None]
    out = -m[:, None, None] * off[None]
    out[:, off < 0] = -np.inf
    return out


def _kerple_fire_distance(q_pos, k_pos, symmetric: bool) -> np.ndarray:
    off = _offsets(q_pos, k_pos)  # i - j
    return np.abs(off) if symmetric else np.maximum(off, 0.0)


def kerple_bias(q_pos, k_pos, r1, r2, kind="log", symmetric=False) -> np.ndarray:
    """KERPLE bias (Chi et al. 2022), shape (H, Lq, Lk).

    dist = |i - j| if symmetric else max(i - j, 0) (causal; future keys are masked elsewhere).
    kind "log": -r1 log(1 + r2 dist); kind "power": -r1 dist^r2 with r2 in (0, 2]. r1, r2: (H,), > 0.
    """
    _choice("kind", kind, ("log", "power"))
    a = _per_head("r1", r1)
    b = _per_head("r2", r2, a.size)
    for name, v in (("r1", a), ("r2", b)):
        if not np.all(v > 0):
            raise ValueError(f"{name} must be positive, got {v[~(v > 0)][0]!r}")
    if kind == "power" and np.any(b > 2):
        raise ValueError(f"r2 must lie in (0, 2] for kind 'power', got {b[b > 2][0]!r}")
    dist = _kerple_fire_distance(q_pos, k_pos, symmetric)[None]  # (1, Lq, Lk)
    a, b = a[:, None, None], b[:, None, None]
    if kind == "log":
        return -a * np.log1p(b * dist)
    return -a * dist**b


def fire_bias(q_pos, k_pos, W1, b1, W2, b2, c=1.0, L=1.0, symmetric=False) -> np.ndarray:
    """FIRE bias (Li et al. 2023, "Functional Interpolation for Relative Positions"), shape (H, Lq, Lk).

    b(i, j) = f(psi(dist) / psi(max(L, i))), psi(x) = log(c x + 1), dist as in ``kerple_bias``
    (|i - j| or max(i - j, 0)); f(u) = W2 relu(W1 u + b1) + b2 with W1 (hidden, 1), b1 (hidden,),
    W2 (H, hidden), b2 (H,). Requires c > 0 and L > 0 (so psi(max(L, i)) > 0) and query positions i >= 0.
    """
    c = _positive_real("c", c)
    L = _positive_real("L", L)
    w1 = np.asarray(W1, dtype=np.float64)
    bb1 = np.asarray(b1, dtype=np.float64)
    w2 = np.asarray(W2, dtype=np.float64)
    bb2 = np.asarray(b2, dtype=np.float64)
    if w1.ndim != 2 or w1.shape[1] != 1:
        raise ValueError(f"W1 must have shape (hidden, 1), got {w1.shape}")
    hidden = w1.shape[0]
    if bb1.shape != (hidden,):
        raise ValueError(f"b1 must have shape ({hidden},), got {bb1.shape}")
    if w2.ndim != 2 or w2.shape[1] != hidden:
        raise ValueError(f"W2 must have shape (H, {hidden}), got {w2.shape}")
    if bb2.shape != (w2.shape[0],):
        raise ValueError(f"b2 must have shape ({w2.shape[0]},), got {bb2.shape}")
    q = _positions(q_pos, "q_pos")
    if np.any(q < 0):
        raise ValueError(f"q_pos must be >= 0 for FIRE, got {q[q < 0][0]!r}")
    dist = _kerple_fire_distance(q, k_pos, symmetric)  # (Lq, Lk)
    u = np.log1p(c * dist) / np.log1p(c * np.maximum(L, q))[:, None]  # (Lq, Lk)
    hid = np.maximum(u[..., None] * w1[:, 0] + bb1, 0.0)  # (Lq, Lk, hidden)
    out = hid @ w2.T + bb2  # (Lq, Lk, H)
    return np.moveaxis(out, -1, 0)


# ----------------------------------------------------------------------------------------------------
# rotations of queries and keys
# ----------------------------------------------------------------------------------------------------


def rope_rotary_dims(d_head, fraction=1.0) -> int:
    """Number of rotated dimensions d_rot = 2 floor(fraction d_head / 2) (the first d_rot of the head).

    fraction in (0, 1]; d_rot must be >= 2. (A 1e-9 tolerance keeps e.g. 0.58 * 100 from flooring to 57.)
    """
    d_head = _positive_int("d_head", d_head, minimum=2)
    try:
        f = float(fraction)
    except (TypeError, ValueError):
        raise ValueError(f"fraction must be a real in (0, 1], got {fraction!r}") from None
    if not (0.0 < f <= 1.0):
        raise ValueError(f"fraction must be a real in (0, 1], got {fraction!r}")
    d_rot = 2 * math.floor(f * d_head / 2 + 1e-9)
    if d_rot < 2:
        raise ValueError(f"fraction={fraction!r} of d_head={d_head} rotates {d_rot} dims; at least 2 needed")
    return d_rot


def rope_inverse_frequencies(d_head, base=10000.0, fraction=1.0) -> np.ndarray:
    """RoPE inverse frequencies (Su et al. 2021), shape (d_rot/2,): inv_freq_k = base^(-2k/d_rot).

    With fraction < 1 (partial rotary, e.g. 25% in Kazemnejad et al. 2023) the frequencies are those of
    a d_rot-dimensional RoPE.
    """
    d_rot = rope_rotary_dims(d_head, fraction)
    base = _positive_real("base", base)
    return base ** (-2.0 * np.arange(d_rot // 2) / d_rot)


def rope_angles(positions, d_head, base=10000.0, fraction=1.0) -> np.ndarray:
    """RoPE rotation angles, shape (n, d_rot/2): positions[:, None] * inv_freq[None, :]."""
    p = _positions(positions)
    return p[:, None] * rope_inverse_frequencies(d_head, base, fraction)[None, :]


def _pair_slices(d_rot: int, layout: str) -> tuple[slice, slice]:
    """Index sets (first members, second members) of the rotated pairs."""
    h = d_rot // 2
    if layout == "half":
        return slice(0, h), slice(h, d_rot)  # pair (k, k + d_rot/2): GPT-NeoX / LLaMA
    return slice(0, d_rot, 2), slice(1, d_rot, 2)  # pair (2k, 2k+1): GPT-J, Kazemnejad et al. code


def _check_x(x, positions) -> tuple[np.ndarray, np.ndarray]:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim < 2:
        raise ValueError(f"x must have shape (..., n, d_head), got {arr.shape}")
    p = _positions(positions)
    if arr.shape[-2] != p.size:
        raise ValueError(f"x has {arr.shape[-2]} positions (axis -2) but {p.size} positions were given")
    return arr, p


def rope_rotate(x, positions, base=10000.0, fraction=1.0, layout="half") -> np.ndarray:
    """Rotary position embedding (Su et al. 2021) applied to x of shape (..., n, d_head); same shape.

    Rotates the first d_rot dims (see ``rope_rotary_dims``); the rest pass through unchanged. Pair (a, b)
    at position p and frequency k turns by t = p inv_freq_k: (a cos t - b sin t, a sin t + b cos t).
    layout "half": pairs (k, k + d_rot/2); "interleaved": pairs (2k, 2k + 1).
    Hence <R(i) q, R(j) k> depends on i - j only.
    """
    _choice("layout", layout, LAYOUTS)
    arr, p = _check_x(x, positions)
    d_head = arr.shape[-1]
    d_rot = rope_rotary_dims(d_head, fraction)
    ang = rope_angles(p, d_head, base, fraction)  # (n, d_rot/2)
    cos, sin = np.cos(ang), np.sin(ang)
    first, second = _pair_slices(d_rot, layout)
    a, b = arr[..., first], arr[..., second]  # (..., n, d_rot/2) each
    out = arr.copy()
    out[..., first] = a * cos - b * sin
    out[..., second] = a * sin + b * cos
    return out


def xpos_scale(positions, d_head, fraction=1.0, gamma=0.4, scale_base=512.0) -> np.ndarray:
    """xPos per-frequency scale (Sun et al. 2022), shape (n, d_rot/2).

    zeta_k = (k / (d_rot/2) + gamma) / (1 + gamma), k = 0..d_rot/2-1; scale[p, k] = zeta_k^(p / scale_base).
    (No centring of positions: the scale is exactly zeta^(p / scale_base).)
    """
    p = _positions(positions)
    d_rot = rope_rotary_dims(d_head, fraction)
    gamma = _positive_real("gamma", gamma)
    scale_base = _positive_real("scale_base", scale_base)
    h = d_rot // 2
    zeta = (np.arange(h) / h + gamma) / (1.0 + gamma)  # (d_rot/2,), in (0, 1)
    return zeta[None, :] ** (p[:, None] / scale_base)


def xpos_rotate(
    x, positions, role, base=10000.0, fraction=1.0, layout="half", gamma=0.4, scale_base=512.0
) -> np.ndarray:
    """xPos (Sun et al. 2022): RoPE followed by a per-frequency scale; same shape as x (..., n, d_head).

    role "query": rope_rotate(x) * scale; role "key": rope_rotate(x) / scale, the scale multiplying both
    members of each rotated pair (pass-through dims are not scaled). Then
    q_i . k_j = sum_k zeta_k^((i - j)/scale_base) (rotated pair products) + tail products,
    a function of i - j only.
    """
    _choice("role", role, ("query", "key"))
    _choice("layout", layout, LAYOUTS)
    arr, p = _check_x(x, positions)
    out = rope_rotate(arr, p, base, fraction, layout)
    d_rot = rope_rotary_dims(arr.shape[-1], fraction)
    s = xpos_scale(p, arr.shape[-1], fraction, gamma, scale_base)  # (n, d_rot/2)
    if role == "key":
        s = 1.0 / s
    first, second = _pair_slices(d_rot, layout)
    out[..., first] *= s
    out[..., second] *= s
    return out


# ----------------------------------------------------------------------------------------------------
# Li 2025 bounded encodings [reconstruction]
# ----------------------------------------------------------------------------------------------------


def _orthogonal_wavelet(wavelet) -> pywt.Wavelet:
    if not isinstance(wavelet, str) or wavelet not in pywt.wavelist(kind="discrete"):
        raise ValueError(
            f"unknown wavelet {wavelet!r}; valid: orthogonal discrete pywt wavelets "
            "('haar', 'db1'..'db38', 'sym2'..'sym20', 'coif1'..'coif17')"
        )
    w = pywt.Wavelet(wavelet)
    if not w.orthogonal:
        raise ValueError(
            f"wavelet {wavelet!r} is not orthogonal; valid: 'haar', 'db1'..'db38', 'sym2'..'sym20', 'coif1'..'coif17'"
        )
    return w


def _wavelet_support_width(wavelet: str) -> int:
    """psi of an orthogonal wavelet with filter length F is supported on [0, F - 1] (db4: [0, 7])."""
    return _orthogonal_wavelet(wavelet).dec_len - 1


@lru_cache(maxsize=32)
def _psi_samples(wavelet: str, level: int) -> tuple[np.ndarray, np.ndarray]:
    _, psi, grid = _orthogonal_wavelet(wavelet).wavefun(level=level)[:3]
    grid, psi = np.asarray(grid, dtype=np.float64), np.asarray(psi, dtype=np.float64)
    grid.setflags(write=False)
    psi.setflags(write=False)
    return grid, psi


def wavelet_feature_index(d, wavelet="db4") -> list[tuple[int, int]]:
    """The (j, k) of each column of ``wavelet_table`` (Li 2025) [reconstruction].

    Ordering: by scale j = 0, 1, 2, ... and, within a scale, by shift k ascending over every integer k
    whose support [k, k + W] / 2^j meets the open interval (0, 1), i.e. k = -(W - 1), ..., 2^j - 1, where
    W = support width of psi (db4: W = 7, so scale j has 2^j + 6 features). Scales are added until at
    least d features exist; the first d are kept.
    """
    d = _positive_int("d", d)
    w = _wavelet_support_width(wavelet)
    index: list[tuple[int, int]] = []
    j = 0
    while len(index) < d:
        index.extend((j, k) for k in range(-(w - 1), 2**j))
        j += 1
    return index[:d]


def wavelet_table(positions, d, n_max, wavelet="db4", normalize="none", level=10) -> np.ndarray:
    """Wavelet PE (Li 2025, claim 4) [reconstruction], shape (n, d).

    t = pos / n_max; column c with (j, k) = wavelet_feature_index(d)[c] holds 2^(j/2) psi(2^j t - k).
    psi is sampled by ``pywt.Wavelet(wavelet).wavefun(level=level)`` (grid spacing 2^-level) and
    evaluated by linear interpolation on that grid; it is exactly 0 outside its support [0, W]
    (compact support: columns vanish identically for t far outside [0, 1]).
    normalize "none": as above; "unit": every row divided by the maximum row norm over the integer
    positions 0..floor(n_max) (so training positions have norm <= 1).
    """
    p = _positions(positions)
    d = _positive_int("d", d)
    n_max = _positive_real("n_max", n_max)
    _choice("normalize", normalize, ("none", "unit"))
    level = _positive_int("level", level)
    index = wavelet_feature_index(d, wavelet)
    support = _wavelet_support_width(wavelet)
    grid, psi = _psi_samples(wavelet, level)
    js = np.array([j for j, _ in index], dtype=np.float64)
    ks = np.array([k for _, k in index], dtype=np.float64)

    def table(pos: np.ndarray) -> np.ndarray:
        s = (2.0**js)[None, :] * (pos / n_max)[:, None] - ks[None, :]  # (n, d) psi arguments
        vals = np.interp(s, grid, psi, left=0.0, right=0.0)
        vals[(s < 0) | (s > support)] = 0.0
        return (2.0 ** (js / 2))[None, :] * vals

    out = table(p)
    if normalize == "unit":
        ref = np.linalg.norm(table(np.arange(math.floor(n_max) + 1, dtype=np.float64)), axis=1).max()
        if ref == 0:
            raise ValueError(f"every wavelet feature vanishes on 0..{n_max}; cannot normalize (d={d})")
        out /= ref
    return out


def legendre_table(positions, d, n_max, beyond="clamp", orthonormal=False) -> np.ndarray:
    """Legendre PE (Li 2025, claim 5) [reconstruction], shape (n, d).

    x = 2 pos / n_max - 1; columns P_k(x), k = 0..d-1, from P_0 = 1, P_1 = x and
    (k+1) P_{k+1} = (2k+1) x P_k - k P_{k-1}. beyond "clamp": x clipped to [-1, 1], so every position
    >= n_max gets the row (1, ..., 1) (saturation); "extend": no clipping (P_k(x) grows like x^k).
    orthonormal: P_k scaled by sqrt((2k+1)/2) (orthonormal in L2[-1, 1]).
    """
    p = _positions(positions)
    d = _positive_int("d", d)
    n_max = _positive_real("n_max", n_max)
    _choice("beyond", beyond, ("clamp", "extend"))
    x = 2.0 * p / n_max - 1.0
    if beyond == "clamp":
        x = np.clip(x, -1.0, 1.0)
    out = np.empty((p.size, d))
    out[:, 0] = 1.0
    if d > 1:
        out[:, 1] = x
    for k in range(1, d - 1):
        out[:, k + 1] = ((2 * k + 1) * x * out[:, k] - k * out[:, k - 1]) / (k + 1)
    if orthonormal:
        out *= np.sqrt((2 * np.arange(d) + 1) / 2.0)[None, :]
    return out


# ----------------------------------------------------------------------------------------------------
# position re-indexing (works with every PE: the PE takes the position ids from the caller)
# ----------------------------------------------------------------------------------------------------


def randomized_positions(rng, length, max_position) -> np.ndarray:
    """Randomized positions (Ruoss et al. 2023), int64 (length,).

    A sorted sample without replacement of ``length`` integers from range(max_position); the base PE is
    then evaluated at these positions instead of 0..length-1.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    length = _positive_int("length", length, minimum=0)
    max_position = _positive_int("max_position", max_position, minimum=0)
    if length > max_position:
        raise ValueError(f"length {length} exceeds max_position {max_position}; need length <= max_position")
    return np.sort(rng.choice(max_position, size=length, replace=False)).astype(np.int64)


def scale_hint_positions(length, sep_index, source_start=1, mode="align") -> np.ndarray:
    """Scale Hint position ids (Chen, Liang, Lin 2025) [reconstruction], int64 (length,).

    Sequence = [<bos>] source [<sep>] target...: source token k at index source_start + k, the
    separator at sep_index. Indices t <= sep_index keep position t. Target indices t > sep_index:
    * "align": position source_start + (t - sep_index - 1) (target k shares source k's position);
    * "offset": position t - n with n = sep_index - source_start source tokens (target k sits a constant
      1 after source k, whatever n is).
    sep_index >= length is allowed (a prefix without target tokens: identity positions).
    """
    length = _positive_int("length", length, minimum=0)
    source_start = _positive_int("source_start", source_start, minimum=0)
    sep_index = _positive_int("sep_index", sep_index, minimum=source_start)
    _choice("mode", mode, ("align", "offset"))
    t = np.arange(length, dtype=np.int64)
    if mode == "align":
        target = source_start + (t - sep_index - 1)
    else:
        target = t - (sep_index - source_start)
    return np.where(t <= sep_index, t, target).astype(np.int64)


# ----------------------------------------------------------------------------------------------------
# catalogue for `pelg pes`
# ----------------------------------------------------------------------------------------------------

def lbpe_features(q_pos, k_pos, n) -> np.ndarray:
    """Relational features of the learning-based PE (Chen, Liang, Lin 2025; [reconstruction],
    chen2025.md "Scale Hint and LBPE"): for query i, key j and instance scale n,
    (i - j, (i - j) / n, i - j - n, log(1 + |i - j|)). Returns (Lq, Lk, 4)."""
    q = _positions(q_pos, "q_pos").astype(float)
    k = _positions(k_pos, "k_pos").astype(float)
    n = float(n)
    if not n > 0:
        raise ValueError(f"lbpe_features needs a positive scale n, got {n!r}")
    d = q[:, None] - k[None, :]
    return np.stack([d, d / n, d - n, np.log1p(np.abs(d))], axis=-1)


PE_HOOKS = ("none", "embedding", "qk", "bias", "positions")


@dataclass(frozen=True)
class PESpec:
    """One PE as data: where it acts (hook), its formula in one line, and where it comes from."""

    name: str
    hook: str  # one of PE_HOOKS
    formula: str
    source: str

    def __post_init__(self):
        _choice("hook", self.hook, PE_HOOKS)


PE_CATALOG: dict[str, PESpec] = {
    s.name: s
    for s in (
        PESpec("nope", "none", "no positional signal; order only through the causal mask",
               "Kazemnejad et al. 2023"),
        PESpec("learned", "embedding", "x_i += E[i], E ∈ R^{N×d} learned; no row for i ≥ N",
               "Gehring et al. 2017; Radford et al. 2018"),
        PESpec("sinusoidal", "embedding", "x_i += [sin(i·w_k), cos(i·w_k)], w_k = 10000^(−2k/d)",
               "Vaswani et al. 2017"),
        PESpec("t5", "bias", "logit[h,i,j] += b_h[bucket(j − i)]; exact below n/2, log-spaced to max_distance",
               "Raffel et al. 2020"),
        PESpec("alibi", "bias", "logit[h,i,j] −= m_h·(i − j), m_h = 2^(−8h/H)", "Press et al. 2022"),
        PESpec("rope", "qk", "rotate pair k of q_i, k_j by angle i·θ_k, θ_k = base^(−2k/d_rot)",
               "Su et al. 2021"),
        PESpec("xpos", "qk", "RoPE with q·ζ_k^(i/s), k·ζ_k^(−j/s), ζ_k = (k/(d_rot/2) + γ)/(1 + γ)",
               "Sun et al. 2022"),
        PESpec("kerple_log", "bias", "logit[h,i,j] += −r1_h·log(1 + r2_h·|i − j|)", "Chi et al. 2022"),
        PESpec("kerple_power", "bias", "logit[h,i,j] += −r1_h·|i − j|^r2_h, 0 < r2 ≤ 2", "Chi et al. 2022"),
        PESpec("fire", "bias", "logit[h,i,j] += f_h(ψ(i − j)/ψ(max(L, i))), ψ(x) = log(cx + 1), f an MLP",
               "Li et al. 2023"),
        PESpec("wavelet", "embedding", "x_i += [2^(j/2)·ψ(2^j·i/N − k)]_(j,k), ψ = db4 wavelet [reconstruction]",
               "Li 2025"),
        PESpec("legendre", "embedding", "x_i += [P_k(2i/N − 1)]_k, Legendre polynomials [reconstruction]",
               "Li 2025"),
        PESpec("lbpe", "bias", "logit[h,i,j] += MLP_h(i − j, (i − j)/n, i − j − n, log(1 + |i − j|)) [reconstruction]",
               "Chen, Liang, Lin 2025"),
        PESpec("random", "positions", "BASE+random: base PE at sorted random positions from {0..L'−1}, L' > L",
               "Ruoss et al. 2023"),
        PESpec("sh", "positions", "BASE+sh: target token k takes source token k's position [reconstruction]",
               "Chen, Liang, Lin 2025"),
    )
}
