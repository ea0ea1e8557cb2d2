"""Kazemnejad et al. 2023, appendix C: NoPE can represent absolute and relative positions.

Theorem 1 (absolute position). Input `[<bos>, x_1, .., x_T]`; token t (1-based over the whole sequence)
sees tokens 1..t under the causal mask. Embedding: dim 0 = 1 for every token, dim 1 = 1 only for <bos>.
One head whose keys are all equal (W_K = 0, so every logit in a row is 0) gives causal softmax weights
1/t; its value reads dim 1 (the <bos> indicator), so the head outputs exactly 1/t at position t, written
to dim 2. An MLP then maps 1/t to t on any finite range 1..T.

Theorem 2 (relative position). Given dim 0 = 1 and dim 2 = t (theorem 1 + the MLP), W_Q with rows
(e_0, -e_2) and W_K with rows (e_2, e_0) give q_t . k_i = i - t = -(t - i): a relative bias. Content
dimensions appended to q and k add q_c . k_c, so logits are -(t - i) + content.

Everything is built as explicit weight matrices and run through an ordinary causal-softmax attention
forward pass: numpy float64 (`causal_attention`) and, for small T, exact arithmetic with sympy
(`causal_attention_exact`: rational logits, exact exp, exact division). The weight builders take keyword
arguments that break the construction on purpose; the ledger's falsification cases run them.
"""
from __future__ import annotations

import numpy as np
import sympy as sp

D_MODEL = 4  # dims: 0 = constant one, 1 = <bos> flag, 2 = position channel, 3 = scratch


def theorem1_embeddings(T: int, d_model: int = D_MODEL) -> np.ndarray:
    """(T+1, d_model) embeddings of [<bos>, x_1..x_T] (content dims beyond 3 would not matter)."""
    h = np.zeros((T + 1, d_model))
    h[:, 0] = 1.0
    h[0, 1] = 1.0
    return h


def theorem1_weights(d_model: int = D_MODEL, key_bos_logit: float = 0.0, value_dim: int = 1) -> dict[str, np.ndarray]:
    """W_Q, W_K (any queries; zero keys), W_V reading dim 1, W_O writing to dim 2; shapes (d, d).

    The defaults are the appendix-C construction. The keyword arguments build deliberately broken variants
    for the ledger's falsification cases: ``key_bos_logit`` != 0 puts that value on key coordinate 0 of
    <bos> (with W_Q = I every query then gives <bos> the logit ``key_bos_logit``, so the causal-softmax
    weights are no longer uniform); ``value_dim`` != 1 makes the value read another dimension (0: the
    constant one) instead of the <bos> flag.
    """
    W_Q = np.eye(d_model)
    W_K = np.zeros((d_model, d_model))
    W_K[0, 1] = key_bos_logit
    W_V = np.zeros((d_model, d_model))
    W_V[0, value_dim] = 1.0  # value coordinate 0 = the <bos> flag (value_dim = 1)
    W_O = np.zeros((d_model, d_model))
    W_O[2, 0] = 1.0  # write it into dim 2
    return {"W_Q": W_Q, "W_K": W_K, "W_V": W_V, "W_O": W_O}


def causal_attention(h: np.ndarray, W_Q, W_K, W_V, W_O) -> np.ndarray:
    """One causal softmax head, no score scaling: returns the residual update (T, d)."""
    q, k, v = h @ W_Q.T, h @ W_K.T, h @ W_V.T
    logits = q @ k.T
    logits = np.where(np.tril(np.ones_like(logits, dtype=bool)), logits, -np.inf)
    logits -= logits.max(axis=1, keepdims=True)
    w = np.exp(logits)
    w /= w.sum(axis=1, keepdims=True)
    return (w @ v) @ W_O.T


def theorem1_forward(T: int, **variant) -> np.ndarray:
    """Residual stream after the theorem-1 layer: (T+1, d); dim 2 should be 1/t at position t = 1..T+1.
    ``variant``: keyword arguments of `theorem1_weights` (the defaults are the construction)."""
    h = theorem1_embeddings(T)
    return h + causal_attention(h, **theorem1_weights(**variant))


def _exact(a: np.ndarray) -> sp.Matrix:
    """A float64 array as a sympy matrix of the floats' exact rational values."""
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    return sp.Matrix(a.shape[0], a.shape[1], lambda i, j: sp.Rational(float(a[i, j])))


def causal_attention_exact(h: sp.Matrix, W_Q: sp.Matrix, W_K: sp.Matrix, W_V: sp.Matrix,
                           W_O: sp.Matrix) -> sp.Matrix:
    """`causal_attention` in exact arithmetic: logits q_t . k_i in rationals, causal softmax with sympy's
    exact exp (exp(0) = 1, exp(1/2) stays symbolic), weighted values, output map. Returns (T, d) entries
    as exact sympy expressions."""
    q, k, v = h * W_Q.T, h * W_K.T, h * W_V.T
    logits = q * k.T
    rows = []
    for t in range(h.rows):
        e = [sp.exp(logits[t, i]) for i in range(t + 1)]  # causal window: keys 0..t
        total = sp.Add(*e)
        mixed = sum(((e[i] / total) * v[i, :] for i in range(t + 1)), sp.zeros(1, v.cols))
        rows.append(mixed * W_O.T)
    return sp.Matrix.vstack(*rows)


def theorem1_exact(T: int, **variant) -> list[sp.Expr]:
    """The head's dim-2 output at positions t = 1..T+1 in exact arithmetic: the theorem-1 embeddings and
    weights (exact rational values of `theorem1_weights(**variant)`) run through `causal_attention_exact`.
    With the construction every logit in the causal window is 0, so the softmax weights are exp(0)/t = 1/t
    and the output is the rational 1/t; nothing here sets them by hand."""
    w = {name: _exact(m) for name, m in theorem1_weights(**variant).items()}
    h = _exact(theorem1_embeddings(T))
    out = h + causal_attention_exact(h, **w)
    return [out[t, 2] for t in range(out.rows)]


def inverse_mlp(T: int) -> dict[str, np.ndarray]:
    """A one-hidden-layer ReLU MLP g with g(1/t) = t for t = 1..T: the piecewise-linear interpolant of
    the points (1/t, t), written as g(u) = T + sum_k c_k relu(1/k - u) over the knots 1/T < .. < 1."""
    knots = 1.0 / np.arange(T, 0, -1)  # 1/T, 1/(T-1), .., 1
    values = np.arange(T, 0, -1, dtype=float)  # T, .., 1
    slopes = np.diff(values) / np.diff(knots)  # slope on each segment (negative)
    # g(u) = T - sum_k s_k-increments * relu(u - knot_k): start at (1/T, T) and add slope changes
    coef = np.concatenate([[slopes[0]], np.diff(slopes)])
    return {"W1": np.ones((len(coef), 1)), "b1": -knots[:-1], "W2": coef[None, :], "b2": np.array([values[0]])}


def mlp_apply(u: np.ndarray, W1, b1, W2, b2) -> np.ndarray:
    """g(u) = W2 relu(W1 u + b1) + b2 for u of shape (n,)."""
    hidden = np.maximum(W1 @ np.asarray(u, float)[None, :] + b1[:, None], 0.0)
    return (W2 @ hidden + b2[:, None])[0]


def theorem2_weights(c: int, A: np.ndarray, B: np.ndarray, position_sign: float = -1.0,
                     swap_key_rows: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """W_Q, W_K of shape (2 + c', D_MODEL + c): rows (e_0, -e_2 | A on content) and (e_2, e_0 | B on content),
    where A, B are (c', c) maps of the content dims.

    The defaults are the appendix-C construction. Deliberately broken variants for the ledger's
    falsification cases: ``position_sign`` = +1 makes the query (1, +t) (logits i + t, not relative);
    ``swap_key_rows`` makes the key (1, i) instead of (i, 1) (logits 1 - t i).
    """
    r = A.shape[0]
    W_Q = np.zeros((2 + r, D_MODEL + c))
    W_K = np.zeros((2 + r, D_MODEL + c))
    W_Q[0, 0], W_Q[1, 2] = 1.0, position_sign  # q_t = (1, -t, A x_t)
    if swap_key_rows:
        W_K[0, 0], W_K[1, 2] = 1.0, 1.0
    else:
        W_K[0, 2], W_K[1, 0] = 1.0, 1.0  # k_i = (i, 1, B x_i)
    W_Q[2:, D_MODEL:], W_K[2:, D_MODEL:] = A, B
    return W_Q, W_K


def theorem2_logits(positions: np.ndarray, content: np.ndarray, A: np.ndarray, B: np.ndarray,
                    **variant) -> np.ndarray:
    """Logits q_t . k_i of the theorem-2 head on hidden states with dim 0 = 1, dim 2 = position and the
    content (n, c) in dims 4..: equal to -(t - i) + (A x_t) . (B x_i). Returns (n, n).
    ``variant``: keyword arguments of `theorem2_weights` (the defaults are the construction)."""
    n, c = content.shape
    h = np.zeros((n, D_MODEL + c))
    h[:, 0], h[:, 2], h[:, D_MODEL:] = 1.0, positions, content
    W_Q, W_K = theorem2_weights(c, A, B, **variant)
    return (h @ W_Q.T) @ (h @ W_K.T).T
