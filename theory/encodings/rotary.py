"""Rotations of queries and keys: RoPE (Su et al. 2021) and xPos (Sun et al. 2022)."""
from __future__ import annotations

import math

import numpy as np

from ._validate import LAYOUTS, _choice, _positions, _positive_int, _positive_real


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
