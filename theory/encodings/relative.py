"""Relative attention biases added to the logits: T5 buckets (Raffel et al. 2020), ALiBi (Press et al.
2022), KERPLE (Chi et al. 2022), FIRE (Li et al. 2023) and the LBPE features (Chen, Liang, Lin 2025)
[reconstruction]. Biases have shape (H, Lq, Lk)."""
from __future__ import annotations

import math

import numpy as np

from ._validate import _choice, _offsets, _per_head, _positions, _positive_int, _positive_real


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


def ipe_alignment(q_pos, k_pos, n) -> np.ndarray:
    """The alignment relation of the identity-aligned PE (IPE) of Chen, Liang, Lin 2025 [reconstruction],
    chen2025.md "POLA": "a designated alignment relation r(i, j) gets one parameter; all other pairs share
    one parameter". In the layout `<bos> x_1..x_n <sep> y_1..`, with <bos> at position 0, source token u at
    position u and target token u at n + 1 + u, the query that predicts target u sits at i = n + u (the
    <sep> for u = 1) and its aligned key is source u at j = i - n (the parity-CoT figure's "corresponding
    input token"). Returns the (Lq, Lk) 0/1 indicator of j = i - n with 1 <= j <= n; the learned bias is
    w_h times it (the shared parameter of every other pair is a constant per row, which softmax ignores)."""
    q = _positions(q_pos, "q_pos", integer=True)
    k = _positions(k_pos, "k_pos", integer=True)
    if isinstance(n, bool) or not float(n).is_integer() or int(n) < 1:
        raise ValueError(f"ipe_alignment needs an integer scale n >= 1, got {n!r}")
    n = int(n)
    j = k[None, :]
    return ((j == q[:, None] - n) & (j >= 1) & (j <= n)).astype(np.float64)
