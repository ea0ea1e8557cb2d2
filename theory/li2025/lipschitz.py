"""Certified Lipschitz upper bounds of pre-norm Transformers (Li 2025, claim 1: the L_trans of the capacity bound
O(L_trans B_0 / sqrt(m))), including softmax attention on a bounded domain, and the measurements (lower
bounds) to test them against. The bounded function is the numpy forward of ``theory.li2025.numpy_transformer``.

THEOREM [derived here; proofs in the docstrings below]: ``network_lipschitz_bound`` is a certified upper
bound on the Lipschitz constant (Frobenius norm on R^{n x d} -> output) of the whole pre-norm network
z^(0) -> head(LN_f(blocks(z^(0)))) on any convex input domain D whose rows have centred norm
>= c_0 (``c0``), for a fixed length n, fixed positions and a fixed additive attention bias / causal mask.
Softmax attention is not globally Lipschitz (Kim, Papamakarios, Mnih 2021, "The Lipschitz constant of
self-attention"), so a bounded domain is essential; in a pre-norm block the attention input is a
LayerNorm output, whose rows are bounded by R = max|gamma| sqrt(d) + ||beta|| whatever the input.
The price is LayerNorm itself: its Jacobian norm is max|gamma| / sqrt(var + eps), so the bound needs a
floor on each LN input's variance; floors are propagated through the residual stream (below).

The pointwise bound ``jacobian_bound_at`` certifies ||J(z0)||_2 at one input (a THEOREM at that point);
the max over sampled inputs is a data-dependent PROXY for the sup, not a certificate. The measurements
(finite-difference Jacobians, pair ratios) are lower bounds on the Lipschitz constant.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from theory.li2025.numpy_transformer import (GELU_MAX_SLOPE, attention_forward, attention_parts, centering,
                                             layer_norm, logit_mask, mlp_forward, softmax)
from theory.li2025.spectral_complexity import spectral_norm

__all__ = [
    "layernorm_lipschitz",
    "layernorm_radius",
    "attention_lipschitz",
    "mlp_lipschitz",
    "attention_update_bound",
    "mlp_update_bound",
    "block_lipschitz",
    "network_lipschitz_bound",
    "attention_jacobian_bound_at",
    "jacobian_bound_at",
    "finite_difference_jacobian",
    "jacobian_spectral_norm",
    "pair_lipschitz",
]


# ----------------------------------------------------------------------------------------------------
# certified Lipschitz upper bounds (THEOREMS, derived here)
# ----------------------------------------------------------------------------------------------------


def layernorm_lipschitz(ln: dict, floor: float, d: int) -> float:
    """Lipschitz constant of one row x -> LN(x) on inputs whose centred norm ||x - mean(x) 1|| >= floor
    (RMSNorm: whose norm ||x|| >= floor):  max|gamma| / sqrt(floor^2 / d + eps).

    Proof (LayerNorm): with s = sqrt(var + eps), y = (x - mean)/s and Pi = I - 11^T/d, the Jacobian is
    diag(gamma) (Pi - y y^T / d) / s; Pi - y y^T/d has eigenvalues 1 (on Pi's range orthogonal to y),
    eps/(var + eps) (along y) and 0, so ||J|| <= max|gamma| / s, and var = ||Pi x||^2 / d >= floor^2 / d.
    RMSNorm: J = diag(gamma)(I - x x^T / (d r^2)) / r with r^2 = mean(x^2) + eps, same argument.
    On a convex domain the sup of ||J|| is the Lipschitz constant. floor = 0 gives max|gamma|/sqrt(eps).
    """
    floor = max(float(floor), 0.0)
    return float(np.abs(ln["weight"]).max() / math.sqrt(floor**2 / d + ln["eps"]))


def layernorm_radius(ln: dict) -> float:
    """R = max|gamma| sqrt(d) + ||beta||: every LN / RMSNorm output row has norm < R (since
    ||y||^2 = d var / (var + eps) < d)."""
    d = ln["weight"].shape[0]
    beta = 0.0 if ln.get("bias") is None else float(np.linalg.norm(ln["bias"]))
    return float(np.abs(ln["weight"]).max() * math.sqrt(d) + beta)


def _head_slices(d: int, n_head: int):
    dh = d // n_head
    return [slice(h * dh, (h + 1) * dh) for h in range(n_head)]


def _column_mass_bound(bias: np.ndarray, spread: float) -> np.ndarray:
    """Per head, C_h = max_j sum_i min(1, e^{2 spread} softmax(B_i)_j) >= max column sum of the
    attention matrix P (each P_ij <= e^{2 spread} softmax(B_i)_j when content logits vary by <= 2 spread
    along a row). Row i of B must have a finite entry."""
    b = bias - bias.max(-1, keepdims=True)
    sm = np.exp(b)
    sm = sm / sm.sum(-1, keepdims=True)
    with np.errstate(over="ignore"):
        factor = math.exp(min(2 * spread, 700.0))
    return np.minimum(1.0, factor * sm).sum(-2).max(-1)  # (H or 1,)


def attention_lipschitz(blk: dict, R: float, n: int, n_head: int, scale: float, bias=None, causal=False,
                        rope: bool = False) -> dict:
    """Certified Lipschitz bound of Z -> attention(Z) (Frobenius -> Frobenius) on {Z in R^{n x d}: every
    row ||z_i|| <= R}, for a fixed additive bias B (H or 1, n, n) and causal mask.

    For head h (single-head attention Y = P V, P = softmax(c Q K^T + B)), with
      Q_h = ||W_q^h|| R + ||b_q^h||   (bound on ||q_i||),
      K_h = ||W_k^h|| R               (bound on ||k_j - b_k^h||; with RoPE: ||W_k^h|| R + ||b_k^h||),
      C_h = min(n, max_j sum_i min(1, e^{2 c Q_h K_h} softmax(B_i)_j))   (bound on P's column sums),
    the Jacobian satisfies
      L_h <= ||W_v^h|| sqrt(C_h) + c ||W_v^h|| R (||W_q^h|| K_h + sqrt(C_h) Q_h ||W_k^h||),
    and the sublayer (heads concatenated, then W_o) has L_attn <= ||W_o|| sqrt(sum_h L_h^2).

    Proof. dY_i = sum_j P_ij dv_j + sum_j P_ij dS_ij (v_j - vbar_i) (softmax Jacobian; vbar_i = sum_j P_ij v_j).
    (a) ||P dV||_F <= ||P||_2 ||dV||_F and ||P||_2^2 <= ||P||_1 ||P||_inf = (max column sum) * 1 <= C_h.
        Column sums: content logits c q_i.k_j differ along a row by at most 2 c Q_h K_h, so
        P_ij <= e^{2 c Q_h K_h} softmax(B_i)_j, and P_ij <= 1.
    (b) Since sum_j P_ij (v_j - vbar_i) = 0, dS_ij may be replaced by c(dq_i.(k_j - b_k) + q_i.dk_j)
        (without RoPE). Cauchy-Schwarz with weights P_i: ||sum_j P_ij dS_ij (v_j - vbar_i)|| <=
        sqrt(sum_j P_ij ||v_j - vbar_i||^2) sqrt(sum_j P_ij dS_ij^2); the first factor is a weighted
        standard deviation of points within ||W_v|| R of b_v, so <= ||W_v|| R; by Minkowski the second is
        <= c ||W_q|| K_h ||dz_i|| + c Q_h ||W_k|| sqrt(sum_j P_ij ||dz_j||^2); summing squares over i,
        sum_ij P_ij ||dz_j||^2 <= C_h ||dZ||_F^2.
    Kim et al. 2021 show dot-product attention is not Lipschitz on all of R^{n x d}; R makes it so.
    RoPE rotations are orthogonal, so the norms above are unchanged (only the b_k cancellation is lost).
    """
    d = blk["W_q"].shape[1]
    mask = logit_mask(n, bias, causal)
    heads = []
    for h, sl in enumerate(_head_slices(d, n_head)):
        wq, wk, wv = (spectral_norm(blk[f"W_{c}"][sl]) for c in "qkv")
        Q = wq * R + float(np.linalg.norm(blk["b_q"][sl]))
        K = wk * R + (float(np.linalg.norm(blk["b_k"][sl])) if rope else 0.0)
        Bh = mask[h if mask.shape[0] > 1 else 0]
        C = float(min(n, _column_mass_bound(Bh[None], scale * Q * K)[0]))
        L = wv * math.sqrt(C) + scale * wv * R * (wq * K + math.sqrt(C) * Q * wk)
        heads.append({"W_q": wq, "W_k": wk, "W_v": wv, "Q": Q, "K": K, "C": C, "L": L})
    L_attn = spectral_norm(blk["W_o"]) * math.sqrt(sum(x["L"] ** 2 for x in heads))
    return {"L": L_attn, "heads": heads}


def mlp_lipschitz(blk: dict, activation: str = "gelu") -> float:
    """||W2||_sigma rho ||W1||_sigma with rho = 1 (ReLU) or GELU_MAX_SLOPE = 1.1289 (exact GELU)."""
    rho = GELU_MAX_SLOPE if activation == "gelu" else 1.0
    return spectral_norm(blk["W2"]) * rho * spectral_norm(blk["W1"])


def attention_update_bound(blk: dict, R: float, n_head: int, kind: str = "layernorm") -> float:
    """Bound on ||Pi a_t|| for every row a_t of the attention update (Pi: centring for LayerNorm,
    identity for RMSNorm): ||Pi W_o|| sqrt(sum_h (||W_v^h|| R + ||b_v^h||)^2) + ||Pi b_o||, since each
    head's output row is a convex combination of its values."""
    d = blk["W_o"].shape[0]
    Pi = centering(d, kind)
    vals = [spectral_norm(blk["W_v"][sl]) * R + float(np.linalg.norm(blk["b_v"][sl]))
            for sl in _head_slices(d, n_head)]
    return spectral_norm(Pi @ blk["W_o"]) * math.sqrt(sum(v * v for v in vals)) + float(np.linalg.norm(Pi @ blk["b_o"]))


def mlp_update_bound(blk: dict, R: float, kind: str = "layernorm") -> float:
    """Bound on ||Pi m_t|| for the MLP update: ||Pi W2|| (||W1|| R + ||b1||) + ||Pi b2|| (|act(h)| <= |h|
    for ReLU and GELU)."""
    Pi = centering(blk["W2"].shape[0], kind)
    return (spectral_norm(Pi @ blk["W2"]) * (spectral_norm(blk["W1"]) * R + float(np.linalg.norm(blk["b1"])))
            + float(np.linalg.norm(Pi @ blk["b2"])))


def block_lipschitz(net: dict, blk: dict, n: int, floor1: float, floor2: float, bias=None) -> dict:
    """L_block <= (1 + L_LN1 L_attn)(1 + L_LN2 L_mlp) for a pre-norm block x -> x + f(x), then + g(.),
    with LN floors floor1 (at LN1's input) and floor2 (at LN2's input)."""
    d = blk["W_q"].shape[1]
    R1, R2 = layernorm_radius(blk["ln1"]), layernorm_radius(blk["ln2"])
    attn = attention_lipschitz(blk, R1, n, net["n_head"], net["scale"], bias, net["causal"],
                               rope=net.get("rope") is not None)
    ln1, ln2 = layernorm_lipschitz(blk["ln1"], floor1, d), layernorm_lipschitz(blk["ln2"], floor2, d)
    mlp = mlp_lipschitz(blk, net["activation"])
    return {"L": (1 + ln1 * attn["L"]) * (1 + ln2 * mlp), "L_ln1": ln1, "L_attn": attn["L"], "L_ln2": ln2,
            "L_mlp": mlp, "R1": R1, "R2": R2, "floor1": floor1, "floor2": floor2, "heads": attn["heads"]}


def network_lipschitz_bound(net: dict, n: int, c0: float, bias=None) -> dict:
    """THEOREM: certified Lipschitz bound L_trans of z^(0) -> network output on a convex domain D of
    inputs (n rows) whose rows have centred norm >= c0 (RMSNorm: norm >= c0).

      L_trans <= ||W_head|| L_LN_f prod_l (1 + L_LN1,l L_attn,l)(1 + L_LN2,l L_mlp,l)

    LN floors are propagated (each holds at every point of D, so on every segment of D):
      floor at LN1 of block 1 = c0;  floor at LN2 = floor at LN1 - U_attn;  next LN1 = floor at LN2 - U_mlp
    with the update bounds of ``attention_update_bound`` / ``mlp_update_bound`` (reverse triangle
    inequality ||Pi(x + a)|| >= ||Pi x|| - ||Pi a||); a floor <= 0 is replaced by 0, where LN's
    constant becomes max|gamma| / sqrt(eps) (valid, large).
    Returns L_trans and the per-layer factors.
    """
    d = net["blocks"][0]["W_q"].shape[1] if net["blocks"] else net["W_head"].shape[1]
    floor, layers = max(float(c0), 0.0), []
    for blk in net["blocks"]:
        R1 = layernorm_radius(blk["ln1"])
        f2 = max(floor - attention_update_bound(blk, R1, net["n_head"], net["norm"]), 0.0)
        layer = block_lipschitz(net, blk, n, floor, f2, bias)
        floor = max(f2 - mlp_update_bound(blk, layer["R2"], net["norm"]), 0.0)
        layers.append(layer)
    ln_f = layernorm_lipschitz(net["ln_f"], floor, d)
    head = spectral_norm(net["W_head"])
    total = head * ln_f * float(np.prod([layer["L"] for layer in layers]))
    return {"L_trans": total, "L_head": head, "L_ln_f": ln_f, "floor_f": floor, "c0": float(c0),
            "layers": layers}


# ----------------------------------------------------------------------------------------------------
# pointwise certified bound on the Jacobian norm (THEOREM at each evaluated input)
# ----------------------------------------------------------------------------------------------------


def _norm_jacobians(x: np.ndarray, ln: dict, kind: str) -> np.ndarray:
    """Per-row Jacobians (n, d, d) of LN / RMSNorm at rows x (n, d)."""
    d = x.shape[-1]
    if kind == "layernorm":
        xc = x - x.mean(-1, keepdims=True)
        s = np.sqrt((xc**2).mean(-1, keepdims=True) + ln["eps"])
        y = xc / s
        core = np.eye(d) - 1.0 / d - y[:, :, None] * y[:, None, :] / d
    else:
        s = np.sqrt((x**2).mean(-1, keepdims=True) + ln["eps"])
        y = x / s
        core = np.eye(d) - y[:, :, None] * y[:, None, :] / d
    return ln["weight"][None, :, None] * core / s[:, :, None]


def _stacked_spectral(M: np.ndarray) -> np.ndarray:
    """Spectral norms of stacked matrices (..., a, b), via the top eigenvalue of M^T M."""
    G = np.swapaxes(M, -1, -2) @ M
    return np.sqrt(np.maximum(np.linalg.eigvalsh(G)[..., -1], 0.0))


def _activation_slope(h: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        return (h > 0).astype(np.float64)
    from scipy.special import erf

    return 0.5 * (1 + erf(h / math.sqrt(2))) + h * np.exp(-0.5 * h * h) / math.sqrt(2 * math.pi)


def attention_jacobian_bound_at(blk: dict, z, n_head: int, scale: float, bias=None, causal=False, rope=None,
                                positions=None) -> dict:
    """Certified bound on ||d attention(Z) / dZ||_2 at one input Z (n, d) (a THEOREM at that point).

    Per head, with the actual P, values v_j, queries q_i, keys k_j:
      L_h(Z) <= ||W_v^h|| ||P||_2 + c ||W_q^h|| max_i sigma_i kappa_i
                + c ||W_k^h|| sqrt(max_j sum_i sigma_i^2 ||q_i||^2 P_ij),
    sigma_i^2 = sum_j P_ij ||v_j - vbar_i||^2, kappa_i^2 = sum_j P_ij ||k_j - kbar_i||^2 (P_i-weighted
    spreads of values and keys). Proof: as in ``attention_lipschitz``, with the actual quantities, and
    dq_i . k_j replaced by dq_i . (k_j - kbar_i) (allowed since sum_j P_ij (v_j - vbar_i) = 0; valid
    with RoPE too). The sublayer: ||W_o|| sqrt(sum_h L_h^2).
    """
    z = np.asarray(z, dtype=np.float64)
    q, k, v = attention_parts(blk, z, n_head, rope, positions)  # (H, n, dh)
    n = z.shape[0]
    P = softmax(scale * q @ np.swapaxes(k, -1, -2) + logit_mask(n, bias, causal))  # (H, n, n)
    heads = []
    for h, sl in enumerate(_head_slices(z.shape[1], n_head)):
        Ph = P[h]
        # weighted spreads by E||x - xbar||^2 = E||x||^2 - ||xbar||^2 (clipped at 0 against rounding)
        sigma2 = np.maximum(Ph @ (v[h] ** 2).sum(-1) - ((Ph @ v[h]) ** 2).sum(-1), 0.0)
        kappa2 = np.maximum(Ph @ (k[h] ** 2).sum(-1) - ((Ph @ k[h]) ** 2).sum(-1), 0.0)
        qn2 = (q[h] ** 2).sum(-1)
        wq, wk, wv = (spectral_norm(blk[f"W_{c}"][sl]) for c in "qkv")
        p_norm = float(_stacked_spectral(Ph))
        term_a = wv * p_norm
        term_q = scale * wq * float(np.sqrt(sigma2 * kappa2).max())
        term_k = scale * wk * float(np.sqrt(((sigma2 * qn2)[:, None] * Ph).sum(0).max()))
        heads.append({"L": term_a + term_q + term_k, "P_norm": p_norm})
    return {"L": spectral_norm(blk["W_o"]) * math.sqrt(sum(x["L"] ** 2 for x in heads)), "heads": heads}


def jacobian_bound_at(net: dict, z0, bias=None, positions=None) -> dict:
    """THEOREM (pointwise): a certified upper bound B(z0) >= ||J(z0)||_2, the spectral norm of the
    Jacobian of the whole network at one input z0 (n, d).

      B = max_t ||W_head J_LNf,t|| prod_l (1 + ||J_attn,l|| max_t ||J_LN1,t||)(1 + max_t ||J_mlp,t J_LN2,t||)

    LN and MLP act row by row, so their Jacobians are block diagonal and the row norms are computed
    exactly (J_mlp,t = W2 diag(act'(h_t)) W1); ||J_attn|| uses ``attention_jacobian_bound_at``.
    sup over a convex domain of B(z) bounds the Lipschitz constant there; the max over *sampled* inputs
    (``L_local`` in the ledger) is a data-dependent PROXY for that sup, not a certificate.
    """
    x = np.asarray(z0, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"z0 must be one sequence (n, d), got shape {x.shape}")
    kind, layers, total = net["norm"], [], 1.0
    for blk in net["blocks"]:
        j1 = _norm_jacobians(x, blk["ln1"], kind)
        z1 = layer_norm(x, blk["ln1"], kind)
        att = attention_jacobian_bound_at(blk, z1, net["n_head"], net["scale"], bias, net["causal"],
                                          net.get("rope"), positions)
        a = att["L"] * float(_stacked_spectral(j1).max())
        x = x + attention_forward(blk, z1, net["n_head"], net["scale"], bias, net["causal"], net.get("rope"),
                                  positions)
        j2 = _norm_jacobians(x, blk["ln2"], kind)
        z2 = layer_norm(x, blk["ln2"], kind)
        g = _activation_slope(z2 @ blk["W1"].T + blk["b1"], net["activation"])  # (n, f)
        M = ((blk["W2"][None] * g[:, None, :]) @ blk["W1"]) @ j2  # (n, d, d): W2 diag(g_t) W1 J_LN2,t
        m = float(_stacked_spectral(M).max())
        x = x + mlp_forward(blk, z2, net["activation"])
        layers.append({"attn": a, "mlp": m, "L": (1 + a) * (1 + m)})
        total *= (1 + a) * (1 + m)
    jf = _norm_jacobians(x, net["ln_f"], kind)
    head = float(_stacked_spectral(net["W_head"][None] @ jf).max())
    return {"bound": head * total, "head": head, "layers": layers}


# ----------------------------------------------------------------------------------------------------
# measurements (lower bounds on the Lipschitz constant, to test the upper bounds against)
# ----------------------------------------------------------------------------------------------------


def finite_difference_jacobian(fn: Callable[[np.ndarray], np.ndarray], x, h: float = 1e-5) -> np.ndarray:
    """Central-difference Jacobian (out.size, x.size) of fn at x; fn must accept a leading batch axis
    (it is called once on 2 x.size perturbed copies)."""
    x = np.asarray(x, dtype=np.float64)
    eye = np.eye(x.size).reshape(x.size, *x.shape)
    out = np.asarray(fn(np.concatenate([x[None] + h * eye, x[None] - h * eye])))
    plus, minus = out[: x.size], out[x.size:]
    return ((plus - minus) / (2 * h)).reshape(x.size, -1).T


def jacobian_spectral_norm(fn, x, h: float = 1e-5) -> float:
    """||J(x)||_2 from the finite-difference Jacobian (error O(h^2))."""
    return spectral_norm(finite_difference_jacobian(fn, x, h))


def pair_lipschitz(fn, xs, ys) -> float:
    """max_k ||fn(x_k) - fn(y_k)||_F / ||x_k - y_k||_F over pairs (batched inputs (K, ...))."""
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    num = np.asarray(fn(xs)) - np.asarray(fn(ys))
    axes = tuple(range(1, xs.ndim))
    den = np.sqrt(((xs - ys) ** 2).sum(axis=axes))
    return float((np.sqrt((num**2).reshape(len(xs), -1).sum(1)) / den).max())
