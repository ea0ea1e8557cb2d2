"""theory.li2025 (spectral_complexity, numpy_transformer, lipschitz, capacity): spectral complexity, the
numpy Transformer forward, and every Lipschitz upper bound
against finite-difference measurements with random weights.

Tolerance: a measurement may exceed a bound only by the finite-difference error, at most
FD_REL = 1e-4 relative (central differences, h = 1e-5, float64); anything above bound * (1 + FD_REL)
fails. Measurements: spectral norms of finite-difference Jacobians at random and hill-climbed inputs,
and ratios ||f(x) - f(y)|| / ||x - y|| over random pairs of the domain.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from theory.li2025 import capacity as C
from theory.li2025 import lipschitz as LIP
from theory.li2025 import numpy_transformer as NT
from theory.li2025 import spectral_complexity as SC
from theory import encodings as E

FD_REL = 1e-4
ROPE = {"base": 100.0, "fraction": 1.0, "layout": "half"}


def _ln(rng, d, spread=0.3):
    return {"weight": 1 + spread * rng.normal(size=d), "bias": spread * rng.normal(size=d), "eps": 1e-5}


def _block(rng, d, f, attn_scale=1.0, out_scale=1.0, bias_scale=0.3):
    b = {"ln1": _ln(rng, d), "ln2": _ln(rng, d)}
    for c in "qkv":
        b[f"W_{c}"] = attn_scale * rng.normal(size=(d, d)) / math.sqrt(d)
        b[f"b_{c}"] = bias_scale * rng.normal(size=d)
    b["W_o"], b["b_o"] = out_scale * rng.normal(size=(d, d)) / math.sqrt(d), bias_scale * out_scale * rng.normal(size=d)
    b["W1"], b["b1"] = rng.normal(size=(f, d)) / math.sqrt(d), 0.1 * rng.normal(size=f)
    b["W2"], b["b2"] = out_scale * rng.normal(size=(d, f)) / math.sqrt(f), 0.1 * out_scale * rng.normal(size=d)
    return b


def _net(rng, d=8, H=2, L=2, f=16, causal=False, rope=None, activation="gelu", norm="layernorm", **kw):
    return {"n_head": H, "scale": 1 / math.sqrt(d // H), "causal": causal, "norm": norm, "activation": activation,
            "rope": rope, "blocks": [_block(rng, d, f, **kw) for _ in range(L)], "ln_f": _ln(rng, d),
            "W_head": rng.normal(size=(3, d)) / math.sqrt(d), "b_head": rng.normal(size=3)}


def _row_ball(rng, k, n, d, R):
    z = rng.normal(size=(k, n, d))
    z /= np.linalg.norm(z, axis=-1, keepdims=True)
    return z * R * rng.uniform(0, 1, size=(k, n, 1)) ** (1 / d)


def _hill_climb(rng, fn, z, R, steps=40, step=0.3):
    """Random local search for a large Jacobian norm inside the row ball of radius R."""
    best = LIP.jacobian_spectral_norm(fn, z)
    for _ in range(steps):
        cand = z + step * rng.normal(size=z.shape)
        nr = np.linalg.norm(cand, axis=-1, keepdims=True)
        cand = np.where(nr > R, cand * R / nr, cand)
        val = LIP.jacobian_spectral_norm(fn, cand)
        if val > best:
            z, best = cand, val
    return best


# ----------------------------------------------------------------------------------------------- BFT


def test_spectral_complexity_by_hand():
    A1 = np.diag([3.0, 1.0])   # sigma 3, ||A^T||_{2,1} = 4
    A2 = np.array([[0.0, 2.0]])  # sigma 2, row norm 2
    expected = (3 * 2) * ((4 / 3) ** (2 / 3) + 1.0) ** 1.5
    assert SC.spectral_complexity([A1, A2]) == pytest.approx(expected, rel=1e-12)
    assert SC.spectral_complexity([A1, A2], rhos=[2.0, 1.0]) == pytest.approx(2 * expected, rel=1e-12)
    assert SC.spectral_complexity([A1, A2], refs=[A1, A2]) == 0.0  # nothing moved from the reference
    assert SC.norm_21(A1) == 4.0


@given(st.integers(1, 4), st.integers(1, 6), st.floats(0.1, 10), st.integers(0, 10_000))
@settings(max_examples=40, deadline=None)
def test_spectral_complexity_is_homogeneous_per_layer(L, width, a, seed):
    """Scaling one matrix by a scales R_A by a (the ratio terms are scale free)."""
    rng = np.random.default_rng(seed)
    mats = [rng.normal(size=(width, width)) for _ in range(L)]
    scaled = [m.copy() for m in mats]
    scaled[0] *= a
    assert SC.spectral_complexity(scaled) == pytest.approx(a * SC.spectral_complexity(mats), rel=1e-9)


def test_spectral_complexity_bad_input():
    with pytest.raises(ValueError):
        SC.spectral_complexity([])
    with pytest.raises(ValueError):
        SC.spectral_complexity([np.eye(2)], refs=[np.eye(3)])


def test_gelu_max_slope():
    x = np.linspace(-6, 6, 200_001)
    assert LIP._activation_slope(x, "gelu").max() == pytest.approx(NT.GELU_MAX_SLOPE, abs=1e-9)


# ------------------------------------------------------------------------------------------ LayerNorm


@pytest.mark.parametrize("kind", ["layernorm", "rmsnorm"])
@given(d=st.integers(2, 12), floor=st.floats(0.05, 5.0), seed=st.integers(0, 10_000))
@settings(max_examples=40, deadline=None)
def test_layernorm_bound_vs_finite_differences(kind, d, floor, seed):
    """At rows with (centred) norm exactly `floor`, the measured Jacobian norm is <= the bound; the
    output row norm is < R."""
    rng = np.random.default_rng(seed)
    ln = _ln(rng, d)
    x = rng.normal(size=d)
    if kind == "layernorm":
        x -= x.mean()
    x *= floor / np.linalg.norm(x)
    x += (rng.normal() if kind == "layernorm" else 0.0)  # a common shift leaves the centred norm alone
    fn = lambda z: NT.layer_norm(z, ln, kind)
    measured = LIP.jacobian_spectral_norm(fn, x, h=1e-6 * max(floor, 1e-2))
    assert measured <= LIP.layernorm_lipschitz(ln, floor, d) * (1 + FD_REL)
    assert np.linalg.norm(fn(x)) < LIP.layernorm_radius(ln)


def test_layer_norm_matches_definition():
    rng = np.random.default_rng(0)
    ln = _ln(rng, 5)
    x = rng.normal(size=(3, 5))
    ref = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5) * ln["weight"] + ln["bias"]
    np.testing.assert_allclose(NT.layer_norm(x, ln), ref, rtol=1e-12)


# ------------------------------------------------------------------------------------------ attention


@given(n=st.integers(1, 6), dh=st.integers(1, 4), H=st.integers(1, 3), scale=st.sampled_from([0.3, 1.0, 4.0]),
       causal=st.booleans(), pe=st.sampled_from(["none", "alibi", "random_bias", "rope"]),
       R=st.floats(0.5, 3.0), seed=st.integers(0, 10_000))
@settings(max_examples=60, deadline=None)
def test_attention_bounds_vs_finite_differences(n, dh, H, scale, causal, pe, R, seed):
    """Global bound on the row ball of radius R and the pointwise bound, against FD Jacobians at random
    points of the ball (interior and sphere)."""
    rng = np.random.default_rng(seed)
    d = dh * H * (2 if pe == "rope" else 1)
    blk = _block(rng, d, 4, attn_scale=scale)
    pos = np.arange(n)
    bias = {"alibi": E.alibi_bias(pos, pos, E.alibi_slopes(H), symmetric=True),
            "random_bias": 2 * rng.normal(size=(H, n, n))}.get(pe)
    rope = ROPE if pe == "rope" else None
    c = 1 / math.sqrt(d // H)
    fn = lambda z: NT.attention_forward(blk, z, H, c, bias, causal, rope, pos)
    glob = LIP.attention_lipschitz(blk, R, n, H, c, bias, causal, rope=rope is not None)["L"]
    pts = list(_row_ball(rng, 3, n, d, R))
    sphere = rng.normal(size=(n, d))
    pts.append(sphere * R / np.linalg.norm(sphere, axis=-1, keepdims=True))
    for z in pts:
        measured = LIP.jacobian_spectral_norm(fn, z)
        local = LIP.attention_jacobian_bound_at(blk, z, H, c, bias, causal, rope, pos)["L"]
        assert measured <= local * (1 + FD_REL) + 1e-9
        assert local <= glob * (1 + 1e-9)  # the pointwise bound never exceeds the domain bound


@pytest.mark.parametrize("scale", [1.0, 10.0])
@pytest.mark.parametrize("rope", [None, ROPE])
def test_attention_global_bound_vs_adversarial_search(scale, rope):
    """Hill-climbing the Jacobian norm (saturated softmax at scale 10) stays below the global bound;
    the ALiBi bias and causal mask are included."""
    rng = np.random.default_rng(1)
    n, d, H, R = 5, 4, 1, 2.0
    blk = _block(rng, d, 4, attn_scale=scale)
    pos = np.arange(n)
    bias = E.alibi_bias(pos, pos, [0.5])
    fn = lambda z: NT.attention_forward(blk, z, H, 0.5, bias, True, rope, pos)
    glob = LIP.attention_lipschitz(blk, R, n, H, 0.5, bias, True, rope=rope is not None)["L"]
    z0 = rng.normal(size=(n, d))
    z0 *= R / np.linalg.norm(z0, axis=-1, keepdims=True)
    assert _hill_climb(rng, fn, z0, R) <= glob * (1 + FD_REL)


def test_attention_forward_matches_naive_loop():
    rng = np.random.default_rng(3)
    n, d, H = 4, 6, 2
    blk = _block(rng, d, 4)
    z = rng.normal(size=(n, d))
    out = NT.attention_forward(blk, z, H, 0.7, None, True)
    dh = d // H
    heads = []
    for h in range(H):
        sl = slice(h * dh, (h + 1) * dh)
        q, k, v = (z @ blk[f"W_{c}"][sl].T + blk[f"b_{c}"][sl] for c in "qkv")
        rows = []
        for i in range(n):
            s = np.array([0.7 * q[i] @ k[j] for j in range(i + 1)])
            p = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
            rows.append(p @ v[: i + 1])
        heads.append(np.array(rows))
    np.testing.assert_allclose(out, np.concatenate(heads, 1) @ blk["W_o"].T + blk["b_o"], rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------------------------ MLP


@pytest.mark.parametrize("activation", ["gelu", "relu"])
def test_mlp_bound_vs_finite_differences(activation):
    rng = np.random.default_rng(4)
    blk = _block(rng, 6, 12)
    fn = lambda z: NT.mlp_forward(blk, z, activation)
    bound = LIP.mlp_lipschitz(blk, activation)
    for _ in range(10):
        assert LIP.jacobian_spectral_norm(fn, 2 * rng.normal(size=(1, 6))) <= bound * (1 + FD_REL)
    xs, ys = rng.normal(size=(200, 1, 6)), rng.normal(size=(200, 1, 6))
    assert LIP.pair_lipschitz(fn, xs, ys) <= bound * (1 + 1e-12)


# -------------------------------------------------------------------------------------- whole network


def _ball_domain(rng, n, d, radius, centre_norm):
    """Anchors A (n, d) with centred rows of norm centre_norm; D = {Z: ||Z_t - A_t|| <= radius} is
    convex with centred-norm floor centre_norm - radius."""
    A = rng.normal(size=(n, d))
    A -= A.mean(1, keepdims=True)
    A *= centre_norm / np.linalg.norm(A, axis=1, keepdims=True)
    return A, centre_norm - radius


def _domain_points(rng, A, radius, k):
    u = rng.normal(size=(k, *A.shape))
    u /= np.linalg.norm(u, axis=-1, keepdims=True)
    return A[None] + u * radius * rng.uniform(0, 1, size=(k, A.shape[0], 1))


@pytest.mark.parametrize("causal,rope,activation,norm", [(False, None, "gelu", "layernorm"),
                                                         (True, ROPE, "relu", "layernorm"),
                                                         (True, None, "gelu", "rmsnorm")])
def test_network_bounds_vs_measurements(causal, rope, activation, norm):
    """Global bound with non-vacuous LN floors (small residual updates keep the floor positive to the
    end) >= FD Jacobians and pair ratios on the convex domain; pointwise bound >= FD Jacobian at each
    point; the propagated floors are below the centred norms actually met at every LN input."""
    rng = np.random.default_rng(5)
    n, d, H = 5, 8, 2
    net = _net(rng, d, H, 2, 16, causal, rope, activation, norm, out_scale=0.02)
    pos = np.arange(n)
    bias = E.alibi_bias(pos, pos, E.alibi_slopes(H), symmetric=not causal)
    A, c0 = _ball_domain(rng, n, d, 0.5, 4.0)  # for RMSNorm the centred-norm floor is also a norm floor
    res = LIP.network_lipschitz_bound(net, n, c0, bias)
    assert res["floor_f"] > 0  # the propagation path is exercised, not the eps fallback
    fn = lambda z: NT.network_forward(net, z, bias, pos)
    pts = _domain_points(rng, A, 0.5, 12)
    for z in pts[:6]:
        J = LIP.jacobian_spectral_norm(fn, z)
        assert J <= LIP.jacobian_bound_at(net, z, bias, pos)["bound"] * (1 + FD_REL)
        assert J <= res["L_trans"] * (1 + FD_REL)
    assert LIP.pair_lipschitz(fn, pts[:6], pts[6:]) <= res["L_trans"]
    # floors: centred (RMS: plain) norms at every LN input of every domain point
    _, residuals = NT.network_forward(net, pts, bias, pos, return_residuals=True)
    Pi = np.eye(d) - 1 / d if norm == "layernorm" else np.eye(d)
    for layer, x in zip(res["layers"], residuals[:-1]):
        assert np.linalg.norm(x @ Pi, axis=-1).min() >= layer["floor1"] - 1e-12
    assert np.linalg.norm(residuals[-1] @ Pi, axis=-1).min() >= res["floor_f"] - 1e-12


@given(n=st.integers(1, 5), H=st.integers(1, 2), L=st.integers(1, 2), causal=st.booleans(),
       scale=st.sampled_from([0.5, 2.0]), seed=st.integers(0, 10_000))
@settings(max_examples=25, deadline=None)
def test_pointwise_network_bound_random_shapes(n, H, L, causal, scale, seed):
    rng = np.random.default_rng(seed)
    d = 2 * H
    net = _net(rng, d, H, L, 6, causal, attn_scale=scale)
    pos = np.arange(n)
    fn = lambda z: NT.network_forward(net, z, None, pos)
    z = 2 * rng.normal(size=(n, d))
    assert LIP.jacobian_spectral_norm(fn, z) <= LIP.jacobian_bound_at(net, z, None, pos)["bound"] * (1 + FD_REL)


def test_global_bound_falls_back_to_eps_when_floor_is_zero():
    rng = np.random.default_rng(6)
    net = _net(rng, 4, 1, 1, 4)
    res = LIP.network_lipschitz_bound(net, 3, 0.0)
    assert res["layers"][0]["L_ln1"] == pytest.approx(np.abs(net["blocks"][0]["ln1"]["weight"]).max() / math.sqrt(1e-5))


# -------------------------------------------------------------------------------------------- domains


def test_affine_domain_matches_brute_force():
    rng = np.random.default_rng(7)
    n, d = 6, 5
    w, b, rows = rng.normal(size=d), rng.normal(size=d), E.sinusoidal_table(np.arange(n), d + 1)[:, :d]
    dom = C.affine_domain(w, b, rows)
    u = np.linspace(-1, 1, 20_001)
    z = u[:, None, None] * w + b + rows[None]  # (U, n, d)
    zc = z - z.mean(-1, keepdims=True)
    assert dom["c0"] <= np.linalg.norm(zc, axis=-1).min() + 1e-12
    assert dom["c0"] == pytest.approx(np.linalg.norm(zc, axis=-1).min(), abs=1e-6)
    assert dom["B0"] == pytest.approx(np.linalg.norm(z, axis=-1).max(), rel=1e-12)


def test_hull_domain_certified_floor():
    rng = np.random.default_rng(8)
    V, n, d = 7, 4, 6
    Em, rows = rng.normal(size=(V, d)), rng.normal(size=(n, d))
    dom = C.hull_domain(Em, rows)
    lam = rng.dirichlet(np.ones(V) * 0.3, size=20_000)
    z = (lam @ Em)[:, None] + rows[None]
    zc = z - z.mean(-1, keepdims=True)
    assert dom["c0"] <= np.linalg.norm(zc, axis=-1).min() + 1e-12
    assert dom["c0"] <= dom["c0_upper"] <= dom["c0"] + 1e-3  # the certificate is nearly tight
    assert dom["B0"] == pytest.approx(np.linalg.norm(Em[None] + rows[:, None], axis=-1).max())


def test_capacity_proxy():
    assert C.capacity_proxy(2.0, 3.0, 36) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        C.capacity_proxy(1.0, 1.0, 0)


def test_finite_difference_jacobian_of_linear_map_is_exact():
    rng = np.random.default_rng(9)
    M = rng.normal(size=(4, 6))
    J = LIP.finite_difference_jacobian(lambda x: x @ M.T, rng.normal(size=6))
    np.testing.assert_allclose(J, M, atol=1e-9)
    assert SC.spectral_norm(J) == pytest.approx(np.linalg.svd(M, compute_uv=False)[0], rel=1e-8)
