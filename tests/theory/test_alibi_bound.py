"""theory.li2025.alibi_bound: the attention output as a function of the ALiBi bias, the Lipschitz bound of
Li 2025 claim 3 and the exact far-mass bound, on random heads (hypothesis) and two fixed regimes.

Tolerances: exact inequalities (mass <= mass bound, Delta <= diam-based bounds) up to 1e-12 relative
rounding; finite-difference derivatives agree with the analytic dA/db to 1e-6."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from theory.li2025 import alibi_bound as AB

TOL = 1e-12


def _head(rng, n, dv, score_scale):
    return score_scale * rng.normal(size=n), rng.normal(size=(n, dv))


def test_attention_output_is_the_softmax_average():
    s, b, v = np.array([0.0, 1.0, 2.0]), np.array([0.0, -1.0, -2.0]), np.eye(3)
    np.testing.assert_allclose(AB.attention_output(s, b, v), np.ones(3) / 3, rtol=1e-15)
    assert AB.alibi_key_bias([0, 3, 7], 0.5).tolist() == [0.0, -1.5, -3.5]
    assert AB.alibi_key_bias([0, 3, 7], 0.5, clip=4).tolist() == [0.0, -1.5, -2.0]
    with pytest.raises(ValueError):
        AB.alibi_key_bias([-1], 0.5)
    with pytest.raises(ValueError):
        AB.bias_jacobian(np.zeros(3), np.zeros(3), np.zeros((4, 2)))  # 3 scores, 4 values


@given(n=st.integers(1, 30), dv=st.integers(1, 5), seed=st.integers(0, 10_000))
@settings(max_examples=40, deadline=None)
def test_bias_jacobian_matches_finite_differences(n, dv, seed):
    rng = np.random.default_rng(seed)
    s, v = _head(rng, n, dv, 2.0)
    b = -0.1 * np.arange(n)
    M = AB.bias_jacobian(s, b, v)
    h = 1e-6
    fd = np.stack([(AB.attention_output(s, b + h * e, v) - AB.attention_output(s, b - h * e, v)) / (2 * h)
                   for e in np.eye(n)], 1)
    np.testing.assert_allclose(M, fd, atol=1e-6)
    assert AB.bias_lipschitz_local(s, b, v) <= AB.value_diameter(v) + TOL


@given(n=st.integers(2, 120), dv=st.integers(1, 4), slope=st.floats(1e-3, 2.0), frac=st.floats(0.05, 0.95),
       score_scale=st.floats(0.0, 5.0), seed=st.integers(0, 10_000))
@settings(max_examples=60, deadline=None)
def test_exact_bounds_hold(n, dv, slope, frac, score_scale, seed):
    """Far mass <= its s_max bound; Delta <= diam (m_hat_true + m_hat_clip); truncation error <= diam
    m_hat_true; Delta <= the rigorous Lipschitz bound diam * slope * (d_max - D); L_A(FD) <= diam."""
    rng = np.random.default_rng(seed)
    s, v = _head(rng, n, dv, score_scale)
    dist = np.arange(n)[::-1]  # causal query at the last position: distances n-1 .. 0
    D = int(frac * (n - 1))
    r = AB.extrapolation_check(s, v, dist, slope, D, rng=rng, n_grid=5, n_random=2)
    assert r["far_mass_true"] <= r["far_mass_bound_true"] * (1 + TOL) + TOL
    assert r["far_mass_clip"] <= r["far_mass_bound_clip"] * (1 + TOL) + TOL
    assert r["delta"] <= r["mass_bound"] * (1 + TOL) + TOL
    assert r["truncation_error"] <= r["truncation_bound"] * (1 + TOL) + TOL
    assert r["delta"] <= r["lipschitz_bound_rigorous"] * (1 + TOL) + TOL
    assert r["L_A_fd"] <= r["L_A_rigorous"] * (1 + 1e-6) + 1e-9


def test_no_keys_beyond_training_range_means_no_error():
    rng = np.random.default_rng(0)
    s, v = _head(rng, 10, 3, 1.0)
    r = AB.extrapolation_check(s, v, np.arange(10), 0.5, d_train=9, rng=rng)
    assert r["delta"] == 0.0 and r["lipschitz_bound"] == 0.0 and r["mass_bound"] == 0.0
    assert r["truncation_error"] == 0.0


def test_finite_difference_lipschitz_bound_holds_on_random_heads():
    """The seed's inequality with L_A by finite differences (grid of 11 points on the segment)."""
    rng = np.random.default_rng(1)
    worst = 0.0
    for _ in range(40):
        n = int(rng.integers(20, 200))
        s, v = _head(rng, n, 4, 2.0)
        r = AB.extrapolation_check(s, v, np.arange(n)[::-1], float(rng.uniform(0.001, 0.5)), n // 3, rng=rng)
        worst = max(worst, r["delta"] / r["lipschitz_bound"])
    assert worst <= 1.0


def test_which_bound_is_tighter_depends_on_the_slope():
    """Small slope (ALiBi's 2^-8 for one head): far keys keep their mass and the Lipschitz bound is far
    tighter; large slope and long distances: the far mass is ~e^{-slope D} and the mass bound wins."""
    rng = np.random.default_rng(2)
    n, D = 200, 49
    s, v = _head(rng, n, 8, 1.0)
    dist = np.arange(n)[::-1]
    small = AB.extrapolation_check(s, v, dist, 2.0**-8, D, rng=rng)
    large = AB.extrapolation_check(s, v, dist, 0.5, D, rng=rng)
    assert small["lipschitz_bound"] < small["mass_bound"]
    assert large["mass_bound"] < large["lipschitz_bound"]
    assert large["far_mass_true"] < 1e-8 < small["far_mass_true"]


def test_far_mass_bound_formula():
    s = np.array([1.0, 0.0, 2.0])
    b = np.array([0.0, -1.0, -2.0])
    Z = np.exp(s + b).sum()
    assert AB.far_mass(s, b, [0, 1, 2], 0) == pytest.approx((np.exp(-1.0) + np.exp(0.0)) / Z)
    assert AB.far_mass_bound(s, b, [0, 1, 2], 0) == pytest.approx((np.exp(2 - 1.0) + np.exp(2 - 2.0)) / Z)
    assert AB.value_diameter(np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0]])) == pytest.approx(5.0)
