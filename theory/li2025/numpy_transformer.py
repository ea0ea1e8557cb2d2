"""numpy forward pass of a pelg pre-norm Transformer, for the capacity bounds of Li 2025 (claim 1): the function
that ``theory.li2025.lipschitz`` bounds and ``theory.li2025.capacity`` measures.

numpy only. A pelg Transformer reaches this module as a *weight dict* (built from a torch model by
``empirics.evidence.weights``); the numpy forward pass here reproduces ``empirics.model`` exactly (tested against
torch in tests/empirics/test_capacity_models.py), so the bounds can be checked against finite-difference
measurements of the very function they bound.

Weight dict (all float64 numpy arrays; W is an ``nn.Linear.weight``: y = x W^T + b)::

    net = {"n_head": H, "scale": c (logit scale: 1/sqrt(d_head), or 1), "causal": bool,
           "norm": "layernorm" | "rmsnorm", "activation": "gelu" | "relu",
           "rope": None | {"base": .., "fraction": .., "layout": ..},
           "blocks": [{"ln1": LN, "W_q", "W_k", "W_v", "W_o": (d, d), "b_q", "b_k", "b_v", "b_o": (d,),
                       "ln2": LN, "W1": (f, d), "b1": (f,), "W2": (d, f), "b2": (d,)}, ...],
           "ln_f": LN, "W_head": (out, d), "b_head": (out,) or None}
    LN = {"weight": (d,), "bias": (d,) or None, "eps": float}

Positional information enters as arguments, never as weights: ``z0`` already contains an embedding-hook
PE (the caller adds it, from theory.encodings tables), ``bias`` is the additive logit bias (H or 1, n, n)
of a bias-hook PE (theory.encodings.alibi_bias etc.), and ``positions`` feed RoPE
(theory.encodings.rope_rotate).
"""
from __future__ import annotations

import math

import numpy as np

from theory import encodings as E

__all__ = [
    "GELU_MAX_SLOPE",
    "layer_norm",
    "logit_mask",
    "softmax",
    "attention_parts",
    "attention_forward",
    "mlp_forward",
    "block_forward",
    "network_forward",
    "centering",
]

# max_x d/dx [x Phi(x)] = Phi(sqrt 2) + sqrt 2 phi(sqrt 2) (the derivative phi (2 - x^2) vanishes at sqrt 2)
GELU_MAX_SLOPE = 0.5 * (1 + math.erf(1.0)) + math.sqrt(2) * math.exp(-1.0) / math.sqrt(2 * math.pi)


def layer_norm(x, ln: dict, kind: str = "layernorm") -> np.ndarray:
    """torch LayerNorm (biased variance) or RMSNorm over the last axis."""
    x = np.asarray(x, dtype=np.float64)
    if kind == "layernorm":
        xc = x - x.mean(-1, keepdims=True)
        y = xc / np.sqrt((xc**2).mean(-1, keepdims=True) + ln["eps"])
    elif kind == "rmsnorm":
        y = x / np.sqrt((x**2).mean(-1, keepdims=True) + ln["eps"])
    else:
        raise ValueError(f"unknown norm {kind!r}; valid: 'layernorm', 'rmsnorm'")
    y = y * ln["weight"]
    return y + ln["bias"] if ln.get("bias") is not None else y


def _heads(x: np.ndarray, n_head: int) -> np.ndarray:
    """(..., n, d) -> (..., H, n, d/H)."""
    *lead, n, d = x.shape
    return np.swapaxes(x.reshape(*lead, n, n_head, d // n_head), -2, -3)


def logit_mask(n: int, bias, causal: bool) -> np.ndarray:
    """Additive mask (H or 1, n, n): the PE bias plus -inf above the diagonal when causal."""
    mask = np.zeros((1, n, n)) if bias is None else np.asarray(bias, dtype=np.float64)
    if mask.ndim != 3 or mask.shape[1:] != (n, n):
        raise ValueError(f"bias must have shape (H or 1, {n}, {n}), got {mask.shape}")
    if causal:
        mask = mask + np.where(np.triu(np.ones((n, n), dtype=bool), 1), -np.inf, 0.0)[None]
    return mask


def softmax(s: np.ndarray) -> np.ndarray:
    s = s - s.max(-1, keepdims=True)
    p = np.exp(s)
    return p / p.sum(-1, keepdims=True)


def attention_parts(blk: dict, z, n_head: int, rope=None, positions=None):
    """q, k, v of every head, each (..., H, n, d_head), with RoPE applied to q and k if given."""
    z = np.asarray(z, dtype=np.float64)
    q, k, v = (_heads(z @ blk[f"W_{c}"].T + blk[f"b_{c}"], n_head) for c in "qkv")
    if rope is not None:
        if positions is None:
            raise ValueError("RoPE needs positions")
        q = E.rope_rotate(q, positions, **rope)
        k = E.rope_rotate(k, positions, **rope)
    return q, k, v


def attention_forward(blk: dict, z, n_head: int, scale: float, bias=None, causal=False, rope=None,
                      positions=None, return_probs: bool = False):
    """Multi-head attention on z (..., n, d): softmax(scale q k^T + bias + causal mask) v, heads
    concatenated, then W_o, b_o."""
    q, k, v = attention_parts(blk, z, n_head, rope, positions)
    n = q.shape[-2]
    p = softmax(scale * q @ np.swapaxes(k, -1, -2) + logit_mask(n, bias, causal))  # (..., H, n, n)
    y = np.swapaxes(p @ v, -2, -3)  # (..., n, H, dh)
    out = y.reshape(*y.shape[:-2], -1) @ blk["W_o"].T + blk["b_o"]
    return (out, p) if return_probs else out


def _gelu(x):
    from scipy.special import erf  # scipy is allowed in theory

    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def mlp_forward(blk: dict, z, activation: str = "gelu") -> np.ndarray:
    h = np.asarray(z, dtype=np.float64) @ blk["W1"].T + blk["b1"]
    h = _gelu(h) if activation == "gelu" else np.maximum(h, 0.0)
    return h @ blk["W2"].T + blk["b2"]


def block_forward(net: dict, blk: dict, x, bias=None, positions=None) -> np.ndarray:
    """x + attn(LN1 x); then + mlp(LN2 .)  (pre-norm, as empirics.model.Block)."""
    x = np.asarray(x, dtype=np.float64)
    x = x + attention_forward(blk, layer_norm(x, blk["ln1"], net["norm"]), net["n_head"], net["scale"], bias,
                              net["causal"], net.get("rope"), positions)
    return x + mlp_forward(blk, layer_norm(x, blk["ln2"], net["norm"]), net["activation"])


def network_forward(net: dict, z0, bias=None, positions=None, return_residuals: bool = False):
    """head(LN_f(blocks(z0))) for z0 (..., n, d) = token embedding + embedding-hook PE.

    Output (..., n, out); ``return_residuals`` also returns the residual stream entering each block and
    LN_f (a list of L + 1 arrays)."""
    x = np.asarray(z0, dtype=np.float64)
    residuals = []
    for blk in net["blocks"]:
        residuals.append(x)
        x = block_forward(net, blk, x, bias, positions)
    residuals.append(x)
    out = layer_norm(x, net["ln_f"], net["norm"]) @ net["W_head"].T
    if net.get("b_head") is not None:
        out = out + net["b_head"]
    return (out, residuals) if return_residuals else out


def centering(d: int, kind: str) -> np.ndarray:
    """Pi: the centring projector I - 11^T/d for LayerNorm, the identity for RMSNorm."""
    return np.eye(d) - 1.0 / d if kind == "layernorm" else np.eye(d)
