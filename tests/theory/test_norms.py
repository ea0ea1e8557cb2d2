"""theory/li2025/norms.py: closed forms (sympy), measured norms against bounds, growth fits (Li 2025 claim 2)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from theory import encodings as E
from theory.li2025 import norms

FAST = settings(max_examples=25, deadline=None)


# ------------------------------------------------------------------------------------- sinusoidal
def test_sinusoidal_norm_symbolic_proof():
    general = norms.sinusoidal_norm_proof()
    assert general["proved"] and general["norm_squared"] == general["expected"]
    for d in (2, 4, 6, 8, 12):
        r = norms.sinusoidal_norm_proof(d)
        assert r["proved"] and r["norm_squared"] == sp.Rational(d, 2)


def test_symbolic_proof_detects_a_wrong_identity():
    """Negative control: the same simplification does not turn a wrong sum (cos at twice the angle) into
    a constant, so the proof could fail."""
    p, b = sp.symbols("p b", positive=True)
    wrong = sp.simplify(sp.sin(p / b) ** 2 + sp.cos(2 * p / b) ** 2)
    assert sp.simplify(wrong - 1) != 0


@FAST
@given(half_d=st.integers(1, 128), pos=st.lists(st.floats(0, 1e7), min_size=1, max_size=30))
def test_sinusoidal_rows_have_norm_sqrt_half_d(half_d, pos):
    d = 2 * half_d
    nr = norms.row_norms("sinusoidal", np.array(pos), d, 1)
    np.testing.assert_allclose(nr, norms.sinusoidal_norm_closed_form(d), rtol=0, atol=1e-9)


@FAST
@given(half_d=st.integers(1, 64), b_x=st.floats(0.0, 10.0), seed=st.integers(0, 2**31 - 1))
def test_sinusoidal_input_norm_within_table2_bound(half_d, b_x, seed):
    d = 2 * half_d
    mc = norms.monte_carlo_input_norm(norms.pe_rows("sinusoidal", np.arange(500), d, 1), b_x,
                                      np.random.default_rng(seed), 500)
    bound = norms.table2_bound("sinusoidal", b_x, d)
    assert mc["monte_carlo_max"] <= bound + 1e-12 and mc["aligned_max"] <= bound + 1e-12
    assert mc["aligned_max"] == pytest.approx(b_x + math.sqrt(d / 2), rel=1e-12)  # the exact sup


# ---------------------------------------------------------------------------------------- learned
@FAST
@given(n=st.integers(1, 40), d=st.integers(1, 32), std=st.floats(0.01, 3.0), b_x=st.floats(0.0, 5.0),
       seed=st.integers(0, 2**31 - 1))
def test_learned_input_norm_bound_is_tight(n, d, std, b_x, seed):
    rng = np.random.default_rng(seed)
    table = rng.normal(0.0, std, size=(n, d))
    b_p = norms.sup_norm("learned", 0, n - 1, d, n, table=table)
    mc = norms.monte_carlo_input_norm(table, b_x, rng, 300)
    bound = norms.table2_bound("learned", b_x, d, b_p)
    assert mc["monte_carlo_max"] <= bound * (1 + 1e-12)
    assert mc["aligned_max"] == pytest.approx(bound, rel=1e-12)


def test_learned_bound_with_a_too_small_b_p_is_exceeded():
    """Negative control: using the mean row norm as B_p, the worst case exceeds the 'bound'."""
    table = np.random.default_rng(0).normal(size=(50, 8))
    too_small = float(np.linalg.norm(table, axis=1).mean())
    mc = norms.monte_carlo_input_norm(table, 1.0, np.random.default_rng(1))
    assert mc["aligned_max"] > norms.table2_bound("learned", 1.0, 8, too_small)


def test_learned_beyond_table_raises_and_last_row_collapses():
    table = np.random.default_rng(0).normal(size=(10, 4))
    with pytest.raises(E.PositionOutOfRange):
        norms.pe_rows("learned", [10], 4, 10, table=table)
    rows = norms.pe_rows("learned_last_row", np.arange(9, 40), 4, 10, table=table)
    assert norms.count_distinct_rows(rows) == 1
    assert norms.count_distinct_rows(table) == 10


# ---------------------------------------------------------------------------------------- Legendre
@FAST
@given(d=st.integers(1, 40), n_max=st.integers(1, 200), orthonormal=st.booleans())
def test_legendre_clamp_sup_norm_closed_form(d, n_max, orthonormal):
    name = "legendre_orthonormal_clamp" if orthonormal else "legendre_clamp"
    nr = norms.row_norms(name, np.arange(0, 3 * n_max + 1), d, n_max)
    closed = norms.legendre_sup_norm_closed_form(d, orthonormal)
    assert nr.max() <= closed * (1 + 1e-12)
    assert nr[0] == pytest.approx(closed, rel=1e-12) and nr[n_max] == pytest.approx(closed, rel=1e-12)


def test_legendre_extend_is_unbounded_and_exact():
    assert norms.legendre_exact_value(7, 2) == sp.Rational(17593, 8)
    row = norms.pe_rows("legendre_extend", [96.0], 8, 64)[0]  # x = 2*96/64 - 1 = 2
    assert row[7] == pytest.approx(2199.125, rel=1e-12)
    nr = norms.legendre_extend_norm(np.arange(64, 257), 8, 64)
    assert np.all(np.diff(nr) > 0) and nr[-1] > 1e6 * norms.legendre_sup_norm_closed_form(8)
    # negative control: the clamped encoding does not exceed its bound on the same positions
    assert norms.row_norms("legendre_clamp", np.arange(64, 257), 8, 64).max() == pytest.approx(math.sqrt(8))


# ----------------------------------------------------------------------------------------- wavelet
@pytest.mark.parametrize("amplitude", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("n_scales", [1, 3, 5, 7])
def test_wavelet_mean_square_closed_form(n_scales, amplitude):
    """mean_{t in [0,1)} ||PE(t)||^2 = sum_j 4^(a j) with every shift present (fine Riemann grid)."""
    d = norms.wavelet_full_scale_dim(n_scales)
    t = np.arange(2 ** (n_scales + 7)) / 2 ** (n_scales + 7)
    rows = norms.wavelet_scaled_rows(t * 1000.0, d, 1000.0, amplitude)
    measured = float((rows ** 2).sum(1).mean())
    assert measured == pytest.approx(norms.wavelet_mean_square_closed_form(n_scales, amplitude), rel=2e-3)


def test_wavelet_mean_square_detects_a_missing_shift():
    """Negative control: dropping the shift k = 0 of the finest scale (j = 4, whose support lies in [0, 1])
    lowers the mean square by its squared L2 norm, 2^j * 2^-j = 1."""
    n_scales = 5
    d = norms.wavelet_full_scale_dim(n_scales)
    t = np.arange(2**12) / 2**12
    rows = norms.wavelet_scaled_rows(t * 100.0, d, 100.0)
    col = E.wavelet_feature_index(d).index((4, 0))
    rows[:, col] = 0.0
    measured = float((rows ** 2).sum(1).mean())
    assert measured == pytest.approx(norms.wavelet_mean_square_closed_form(n_scales) - 1.0, rel=2e-3)


@settings(max_examples=8, deadline=None)
@given(log_n=st.integers(2, 9), amplitude=st.sampled_from([0.0, 0.5, 1.0]))
def test_wavelet_sup_norm_between_closed_form_bounds(log_n, amplitude):
    g = norms.wavelet_growth([2**log_n], amplitude=amplitude)
    m = norms.wavelet_periodized_max()
    rms = math.sqrt(norms.wavelet_mean_square_closed_form(log_n, amplitude))
    assert rms * (1 - 1e-9) <= g["sup_norm"][0] <= math.sqrt(m) * rms * (1 + 1e-9)


def test_wavelet_growth_exponents():
    ns = [16, 64, 256, 1024]
    res = norms.fit_growth(ns, norms.wavelet_growth(ns)["sup_norm"])
    assert 0.45 < res["exponent"] < 0.55 and res["best"] == "sqrt(N)"
    fixed = norms.wavelet_growth(ns, scales="fixed_d", d=64)
    assert norms.fit_growth(ns, fixed["sup_norm"])["exponent"] < 0.1
    assert norms.fit_growth(ns, norms.wavelet_growth(ns, amplitude=1.0)["sup_norm"])["exponent"] > 0.95


@pytest.mark.parametrize("law", ["sqrt(N)", "N sqrt(log N)", "sqrt(log N)", "N"])
def test_fit_growth_recovers_a_known_law(law):
    ns = np.array([16, 32, 64, 128, 256, 512, 1024, 2048, 4096], dtype=float)
    vals = 2.5 * norms.GROWTH_LAWS[law](ns)
    res = norms.fit_growth(ns, vals)
    assert res["best"] == law and res["laws"][law]["c"] == pytest.approx(2.5)
    assert res["laws"][law]["rms_log_residual"] < 1e-12


def test_wavelet_growth_rejects_non_power_of_two():
    with pytest.raises(ValueError, match="power of two"):
        norms.wavelet_growth([100])


# ------------------------------------------------------------------------------------------- ALiBi
@FAST
@given(h=st.integers(1, 16), n=st.integers(2, 200), symmetric=st.booleans())
def test_alibi_max_bias_is_alpha_times_length_minus_one(h, n, symmetric):
    assert norms.alibi_max_abs_bias(h, n, symmetric) == pytest.approx(norms.alibi_max_abs_bias_closed_form(h, n),
                                                                       rel=1e-12)


def test_alibi_inflation_with_the_smallest_slope_is_wrong():
    """Negative control: alpha must be the largest slope; the smallest underestimates for H >= 2."""
    assert norms.alibi_max_abs_bias(8, 100) > E.alibi_slopes(8).min() * 99 * 1.5


# ------------------------------------------------------------------------------------ sup table
def test_sup_norm_table_matches_its_closed_forms():
    rows = {r["pe"]: r for r in norms.sup_norm_table(d=16, n_max=32)}
    assert set(norms.EMBEDDING_PES) <= set(rows) | {"learned"}
    for r in rows.values():
        if r["closed_form"] is not None and r["pe"] not in ("alibi (H=1)", "xpos"):
            assert r["sup_train"] == pytest.approx(r["closed_form"], rel=1e-9, abs=1e-12)
    assert rows["alibi (H=1)"]["sup_to_factor_n_max"] == pytest.approx(rows["alibi (H=1)"]["closed_form"])
    assert rows["xpos"]["sup_to_factor_n_max"] == pytest.approx(rows["xpos"]["closed_form"])
    assert rows["legendre_extend"]["sup_to_factor_n_max"] > 1e3 * rows["legendre_clamp"]["sup_to_factor_n_max"]
    assert rows["wavelet_unit"]["sup_train"] == pytest.approx(1.0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="unknown embedding PE"):
        norms.pe_rows("rotary", [0], 4, 4)
    with pytest.raises(ValueError, match="needs a table"):
        norms.pe_rows("learned", [0], 4, 4)
    with pytest.raises(ValueError, match="empty position range"):
        norms.sup_norm("sinusoidal", 5, 4, 4, 4)
    with pytest.raises(ValueError, match="even"):
        norms.sinusoidal_norm_closed_form(3)
