"""Capacity of pre-norm Transformers (Li 2025, claim 1): the input domains (B_0 and the LayerNorm floor c0)
and the O(L_trans B_0 / sqrt(m)) proxy, on top of spectral complexity and certified Lipschitz upper
bounds that include softmax attention on a bounded domain.

The pieces, one module each (numpy only):
* ``theory.li2025.numpy_transformer``: the weight dict and the numpy forward pass (equal to the torch model's);
* ``theory.li2025.spectral_complexity``: Bartlett-Foster-Telgarsky spectral complexity;
* ``theory.li2025.lipschitz``: certified Lipschitz bounds L_trans (global and pointwise) and measurements;
* this module: the input domains (B_0 and the LayerNorm floor c0) and the proxy L_trans B_0 / sqrt(m).

What is a theorem and what is a proxy
-------------------------------------
THEOREM: Bartlett-Foster-Telgarsky's R_A for feed-forward chains (``spectral_complexity``; applied to a
Transformer it is a PROXY), and the certified Lipschitz bounds of ``theory.li2025.lipschitz``.
THEOREM here: ``affine_domain`` and ``hull_domain`` compute B_0 = sup ||z_t|| exactly and a certified lower
bound c0 on the centred row norm, the domain on which those Lipschitz bounds hold.

PROXY: ``capacity_proxy`` = L_trans * B_0 / sqrt(m) (Li 2025's O(L_trans B_0 / sqrt(m)) without its
constant).  A Rademacher bound of exactly this form holds for norm-bounded *linear* classes; for a
general L-Lipschitz class it is not a theorem (the complexity of Lipschitz classes grows with the input
dimension).  It is reported as the paper's scaling, never as a bound on a generalisation gap.
"""
from __future__ import annotations

import math

import numpy as np

from theory.li2025.numpy_transformer import centering
from theory.li2025.spectral_complexity import spectral_norm

__all__ = [
    "affine_domain",
    "hull_domain",
    "capacity_proxy",
]


# ----------------------------------------------------------------------------------------------------
# input domains: B_0 and the centred-norm floor c0
# ----------------------------------------------------------------------------------------------------


def affine_domain(w, b, pe_rows, kind: str = "layernorm") -> dict:
    """Domain of a regression model: row t is z_t = u_t w + b + PE(t), u_t in [-1, 1] (a convex set).

    B_0 = sup ||z_t|| = max_t max(||w + b + PE(t)||, ||-w + b + PE(t)||) (a convex function of u peaks at
    an endpoint); c0 = min_t min_u ||Pi (a_t + u w)|| with a_t = b + PE(t), exact (a 1-D quadratic in u).
    pe_rows: (n, d) table rows (zeros for PEs that do not act on the embedding)."""
    w, b = np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64)
    a = np.asarray(pe_rows, dtype=np.float64) + b  # (n, d)
    B0 = float(max(np.linalg.norm(a + w, axis=1).max(), np.linalg.norm(a - w, axis=1).max()))
    Pi = centering(w.size, kind)
    pa, pw = a @ Pi, Pi @ w
    ww = float(pw @ pw)
    u = np.clip(-(pa @ pw) / ww, -1.0, 1.0) if ww > 0 else np.zeros(len(a))
    c0 = float(np.linalg.norm(pa + u[:, None] * pw[None], axis=1).min())
    return {"B0": B0, "c0": c0}


def _project_simplex(v: np.ndarray) -> np.ndarray:
    """Euclidean projection of each row of v onto the probability simplex (sort-based)."""
    u = -np.sort(-v, axis=-1)
    css = np.cumsum(u, axis=-1) - 1.0
    k = np.arange(1, v.shape[-1] + 1)
    rho = (u - css / k > 0).sum(-1, keepdims=True)
    theta = np.take_along_axis(css, rho - 1, axis=-1) / rho
    return np.maximum(v - theta, 0.0)


def hull_domain(embeddings, pe_rows, kind: str = "layernorm", iters: int = 2000) -> dict:
    """Domain of a token model: row t lies in conv{E_v} + PE(t) (the convex hull of the embeddings).

    B_0 = max_{t,v} ||E_v + PE(t)|| (exact: a convex function peaks at a vertex). c0 is a certified lower
    bound of min_t min_{lambda in simplex} ||Pi(E^T lambda + PE(t))||: projected gradient on the convex
    f(lambda) = ||Pi(E^T lambda + p)||^2, then the Frank-Wolfe gap g = grad.lambda - min_v grad_v gives
    min f >= f(lambda) - g."""
    Em = np.asarray(embeddings, dtype=np.float64)  # (V, d)
    P = np.asarray(pe_rows, dtype=np.float64)      # (n, d)
    B0 = float(np.linalg.norm(Em[None] + P[:, None], axis=-1).max())
    Pi = centering(Em.shape[1], kind)
    A, p = Em @ Pi, P @ Pi  # rows projected
    G = A @ A.T
    step = 1.0 / (2 * max(spectral_norm(G), 1e-12))
    lam = np.full((len(P), len(Em)), 1.0 / len(Em))
    for _ in range(iters):
        grad = 2 * (lam @ G + p @ A.T)
        lam = _project_simplex(lam - step * grad)
    x = lam @ A + p
    f = (x**2).sum(-1)
    grad = 2 * (lam @ G + p @ A.T)
    gap = (grad * lam).sum(-1) - grad.min(-1)
    lower = np.maximum(f - gap, 0.0)
    return {"B0": B0, "c0": float(np.sqrt(lower.min())), "c0_upper": float(np.sqrt(f.min()))}


def capacity_proxy(L_trans: float, B0: float, m: int) -> float:
    """PROXY (Li 2025 claim 1's scaling without constants): L_trans B_0 / sqrt(m)."""
    if m <= 0:
        raise ValueError(f"m must be a positive sample size, got {m!r}")
    return float(L_trans) * float(B0) / math.sqrt(m)
