"""ALiBi extrapolation bounds (Li 2025, claim 3) for one attention query, from its content logits,
its values and the key distances.

Notation. One query attends to keys j with content logits s_j (= c q . k_j), values v_j (rows of an
(n, d_v) array) and distances d_j >= 0; ALiBi adds the bias b_j = -alpha d_j. The attention output as a
function of the bias is A(mu, b) = sum_j softmax(s + b)_j v_j (mu = (s, v), the content).

Claim 3 [seed]: |A(mu, -alpha d) - A(mu, -alpha N_max)| <= L_A alpha (d - N_max), L_A the Lipschitz
constant of A in its bias argument.

Our reading [reconstruction]: a model trained on sequences whose key distances never exceeded D = N_max
(the largest distance seen in training: train length - 1) meets, at test length N', keys at distances up
to d > D. Compare the true output A(mu, b_true), b_true = -alpha d_j, with the output whose biases are
clipped at the training range, A(mu, b_clip), b_clip = -alpha min(d_j, D). Both differ in the bias only
on far keys, by at most alpha (d_max - D) in the sup norm, so by the mean value theorem
    Delta = ||A(mu, b_true) - A(mu, b_clip)||_2 <= L_A alpha (d_max - D),
with L_A = sup over the segment [b_clip, b_true] of the (inf -> 2) norm of dA/db. The derivative is
dA/db_j = P_j (v_j - vbar), so L_A <= sum_j P_j ||v_j - vbar|| <= diam{v_j} (a rigorous constant).
L_A is *estimated by finite differences* (``bias_lipschitz_fd``), as the seed prescribes.

The mass bound [derived]: the attention mass beyond distance D is
    m(b) = sum_{d_j > D} e^{s_j + b_j} / Z  <=  sum_{d_j > D} e^{s_max + b_j} / Z,   Z = sum_j e^{s_j + b_j}
(exact, non-asymptotic). Both outputs share the same near-key average A_near (near keys have identical
biases), A(b) = (1 - m(b)) A_near + m(b) A_far(b), hence
    Delta <= diam{v_j} (m(b_true) + m(b_clip)),
and the truncation error ||A(b_true) - A_near|| <= diam{v_j} m(b_true) (the output without the unseen
keys). ``extrapolation_check`` evaluates all of these and which bound on Delta is tighter.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "attention_weights",
    "attention_output",
    "alibi_key_bias",
    "bias_jacobian",
    "bias_lipschitz_local",
    "bias_lipschitz_fd",
    "far_mass",
    "far_mass_bound",
    "value_diameter",
    "extrapolation_check",
]


def _arrays(scores, values):
    s = np.asarray(scores, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if s.ndim != 1 or v.ndim != 2 or v.shape[0] != s.size:
        raise ValueError(f"scores must be (n,) and values (n, d_v); got {s.shape} and {v.shape}")
    return s, v


def attention_weights(scores, bias) -> np.ndarray:
    """softmax(scores + bias) over the last axis (bias may carry leading batch axes)."""
    x = np.asarray(scores, dtype=np.float64) + np.asarray(bias, dtype=np.float64)
    x = x - x.max(-1, keepdims=True)
    p = np.exp(x)
    return p / p.sum(-1, keepdims=True)


def attention_output(scores, bias, values) -> np.ndarray:
    """A(mu, b) = softmax(s + b) @ V; bias (..., n) -> (..., d_v)."""
    return attention_weights(scores, bias) @ np.asarray(values, dtype=np.float64)


def alibi_key_bias(distances, slope: float, clip: float | None = None) -> np.ndarray:
    """b_j = -slope * d_j, with d_j replaced by min(d_j, clip) when clip is given."""
    d = np.asarray(distances, dtype=np.float64)
    if np.any(d < 0):
        raise ValueError("distances must be >= 0")
    if slope < 0:
        raise ValueError(f"slope must be >= 0, got {slope}")
    return -slope * (d if clip is None else np.minimum(d, clip))


def bias_jacobian(scores, bias, values) -> np.ndarray:
    """dA/db (d_v, n): column j is P_j (v_j - vbar)."""
    s, v = _arrays(scores, values)
    p = attention_weights(s, bias)
    return (p[:, None] * (v - p @ v)).T


def bias_lipschitz_local(scores, bias, values) -> float:
    """Rigorous upper bound sum_j P_j ||v_j - vbar|| on the (inf -> 2) norm of dA/db at bias b."""
    M = bias_jacobian(scores, bias, values)
    return float(np.linalg.norm(M, axis=0).sum())


def bias_lipschitz_fd(scores, values, b_from, b_to, n_grid: int = 11, h: float = 1e-5, n_random: int = 8,
                      rng: np.random.Generator | None = None) -> float:
    """Finite-difference estimate of L_A on the segment [b_from, b_to]: the largest central difference
    ||A(b + h delta) - A(b - h delta)|| / (2 h) over grid points b of the segment and directions delta
    with ||delta||_inf = 1: the segment direction, the sign patterns sign(M^T e) that maximise
    ||M delta|| along the top singular directions e of M = dA/db, and random sign vectors.
    An estimate (from below) of the sup, as the seed prescribes."""
    s, v = _arrays(scores, values)
    b0, b1 = np.asarray(b_from, dtype=np.float64), np.asarray(b_to, dtype=np.float64)
    rng = rng if rng is not None else np.random.default_rng(0)
    seg = b1 - b0
    best = 0.0
    for lam in np.linspace(0.0, 1.0, n_grid):
        b = b0 + lam * seg
        M = bias_jacobian(s, b, v)
        dirs = [np.sign(rng.standard_normal(s.size)) for _ in range(n_random)]
        if np.abs(seg).max() > 0:
            dirs.append(seg / np.abs(seg).max())
        U = np.linalg.svd(M, full_matrices=False)[0] if M.size else np.zeros((0, 0))
        for e in U.T[: min(3, U.shape[1])]:
            dirs.append(np.where(M.T @ e >= 0, 1.0, -1.0))
        D = np.stack(dirs)  # (k, n)
        diff = attention_output(s, b + h * D, v) - attention_output(s, b - h * D, v)
        best = max(best, float(np.linalg.norm(diff, axis=-1).max() / (2 * h)))
    return best


def far_mass(scores, bias, distances, d_train: float) -> float:
    """Exact attention mass on keys with distance > d_train."""
    p = attention_weights(scores, bias)
    return float(p[np.asarray(distances) > d_train].sum())


def far_mass_bound(scores, bias, distances, d_train: float) -> float:
    """sum_{d_j > d_train} e^{s_max + b_j} / Z with Z = sum_j e^{s_j + b_j} (>= the exact far mass)."""
    s, b = np.asarray(scores, dtype=np.float64), np.asarray(bias, dtype=np.float64)
    x = s + b
    top = x.max()
    logZ = top + np.log(np.exp(x - top).sum())
    far = np.asarray(distances) > d_train
    if not far.any():
        return 0.0
    return float(np.exp(s.max() + b[far] - logZ).sum())


def value_diameter(values) -> float:
    """max_{j,k} ||v_j - v_k||."""
    v = np.asarray(values, dtype=np.float64)
    sq = (v**2).sum(-1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * v @ v.T, 0.0)
    return float(np.sqrt(d2.max()))


def extrapolation_check(scores, values, distances, slope: float, d_train: float,
                        rng: np.random.Generator | None = None, lipschitz_constant: float | None = None,
                        **fd) -> dict:
    """Everything for one query: Delta = ||A(b_true) - A(b_clip)||, the Lipschitz bound
    L_A slope (d_max - d_train) with L_A by finite differences (and the rigorous diam version), the mass
    bound diam (m_hat(b_true) + m_hat(b_clip)), exact far masses and their s_max bounds, and the
    truncation error ||A(b_true) - A_near|| with its bound diam m_hat(b_true).

    `lipschitz_constant`: an L_A estimated elsewhere (e.g. on training-length inputs), used for
    "lipschitz_bound" instead of the finite-difference estimate on the very segment the bound covers
    (which is reported as "L_A_fd" either way): only then is the bound a prediction that can fail."""
    s, v = _arrays(scores, values)
    dist = np.asarray(distances, dtype=np.float64)
    b_true = alibi_key_bias(dist, slope)
    b_clip = alibi_key_bias(dist, slope, clip=d_train)
    A_true, A_clip = attention_output(s, b_true, v), attention_output(s, b_clip, v)
    near = dist <= d_train
    A_near = attention_output(s[near], b_true[near], v[near])
    excess = max(float(dist.max()) - d_train, 0.0)
    L_fd = bias_lipschitz_fd(s, v, b_clip, b_true, rng=rng, **fd) if excess > 0 else 0.0
    diam = value_diameter(v)
    m_true, m_clip = far_mass(s, b_true, dist, d_train), far_mass(s, b_clip, dist, d_train)
    mb_true, mb_clip = far_mass_bound(s, b_true, dist, d_train), far_mass_bound(s, b_clip, dist, d_train)
    return {
        "d_max": float(dist.max()), "excess": excess, "slope": float(slope),
        "delta": float(np.linalg.norm(A_true - A_clip)),
        "L_A_fd": L_fd, "L_A_rigorous": diam,
        "L_A_used": L_fd if lipschitz_constant is None else float(lipschitz_constant),
        "lipschitz_bound": (L_fd if lipschitz_constant is None else float(lipschitz_constant)) * slope * excess,
        "lipschitz_bound_rigorous": diam * slope * excess,
        "far_mass_true": m_true, "far_mass_clip": m_clip,
        "far_mass_bound_true": mb_true, "far_mass_bound_clip": mb_clip,
        "mass_bound": diam * (mb_true + mb_clip),
        "truncation_error": float(np.linalg.norm(A_true - A_near)), "truncation_bound": diam * mb_true,
        "value_diameter": diam,
    }
