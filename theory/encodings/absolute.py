"""Absolute PEs added to the token embedding: sinusoidal (Vaswani et al. 2017), a learned table
(Gehring et al. 2017), and Li 2025's bounded wavelet and Legendre encodings [reconstruction]."""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pywt

from ._validate import LAYOUTS, PositionOutOfRange, _choice, _positions, _positive_int, _positive_real


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


def wavelet_support_width(wavelet: str) -> int:
    """psi of an orthogonal wavelet with filter length F is supported on [0, F - 1] (db4: [0, 7])."""
    return _orthogonal_wavelet(wavelet).dec_len - 1


@lru_cache(maxsize=32)
def psi_samples(wavelet: str, level: int) -> tuple[np.ndarray, np.ndarray]:
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
    w = wavelet_support_width(wavelet)
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
    support = wavelet_support_width(wavelet)
    grid, psi = psi_samples(wavelet, level)
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
