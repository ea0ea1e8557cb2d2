"""theory/li2025/decay.py: the wavelet envelope, difference norms and Legendre saturation (Li 2025 claims 4, 5)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import pywt
from hypothesis import given, settings
from hypothesis import strategies as st

from theory.li2025 import decay
from theory.li2025 import norms

FAST = settings(max_examples=20, deadline=None)


# ----------------------------------------------------------------------------------------- envelope
@pytest.mark.parametrize("beta", [0.0, 0.3, 1.0, 2.5])
@pytest.mark.parametrize("centre", [0.0, 3.5])
def test_envelope_fitted_on_level_10_bounds_finer_samples(beta, centre):
    """C(beta) from level-10 samples bounds the level-13 samples of psi (tolerance 1%: finer dyadic points)."""
    c = decay.envelope_constant(beta, centre)
    _, psi, s = pywt.Wavelet("db4").wavefun(level=13)
    assert np.all(np.abs(psi) <= 1.01 * c * np.exp(-beta * np.abs(s - centre)))


def test_envelope_with_a_smaller_constant_is_violated():
    """Negative control: 0.9 C(beta) is not an envelope."""
    s, psi = decay.psi_samples()
    c = 0.9 * decay.envelope_constant(1.0)
    assert np.any(np.abs(psi) > c * np.exp(-1.0 * s))


def test_fit_envelope_reports_the_seed_centre_has_no_decay():
    seed = decay.fit_envelope(0.0)
    mid = decay.fit_envelope(3.5)
    assert seed["beta"] == 0.0 and seed["C"] == pytest.approx(seed["max_abs_psi"])
    assert mid["beta"] > 0.5 and mid["area"] < seed["area"]
    assert seed["support"] == [0.0, 7.0]
    assert np.all(np.isfinite(seed["C_of_beta"]))  # every beta gives a valid (finite) C: compact support


@settings(max_examples=6, deadline=None)
@given(beta=st.floats(0.0, 2.0), amplitude=st.sampled_from([0.5, 0.0, -0.5]))
def test_scale_constants_follow_closed_form(beta, amplitude):
    """C_j = 2^((a + 1/2) j) C(beta): slope 1 for the PE (a = 1/2), 0 for the envelope's 2^(-j/2)."""
    sc = decay.scale_constants(32, 64, beta, amplitude=amplitude, per_unit=32)
    c0 = decay.envelope_constant(beta)
    for j, cj in zip(sc["j"], sc["C_j"]):
        assert cj == pytest.approx(2 ** ((amplitude + 0.5) * j) * c0, rel=0.02)
    assert decay.scale_slope(sc) == pytest.approx(amplitude + 0.5, abs=0.02)


# -------------------------------------------------------------------------------- difference norms
@FAST
@given(d=st.integers(7, 80), n_max=st.integers(4, 80), unit=st.booleans())
def test_wavelet_difference_norm_plateaus_at_norm_of_pe_n_max(d, n_max, unit):
    name = "wavelet_unit" if unit else "wavelet"
    pos = np.arange(7 * n_max, 9 * n_max)
    assert np.all(norms.row_norms(name, pos, d, n_max) == 0.0)  # compact support: PE = 0 beyond 7 N_max
    ref = np.linalg.norm(norms.pe_rows(name, [n_max], d, n_max)[0])
    np.testing.assert_allclose(decay.difference_norms(name, pos, d, n_max), ref, rtol=1e-12)
    # negative control: just before the cutoff the coarsest wavelet psi_{0,0} is still non-zero
    assert norms.row_norms(name, [6 * n_max], d, n_max)[0] > 0


def test_difference_summary_can_report_decay():
    """Negative control for the 'tends_to_zero' flag: the clamped Legendre PE is constant beyond N_max."""
    assert decay.difference_summary("legendre_clamp", 8, 16)["tends_to_zero"] is True
    assert decay.difference_summary("wavelet", 64, 64)["tends_to_zero"] is False


def test_exp_decay_fit_recovers_a_rate_and_sees_none_in_the_wavelet():
    pos = np.arange(65, 300)
    fit = decay.exp_decay_fit(pos, 3.0 * np.exp(-0.05 * (pos - 64)), 64)
    assert fit["beta"] == pytest.approx(0.05) and fit["A"] == pytest.approx(3.0)
    wav = decay.exp_decay_fit(pos, decay.difference_norms("wavelet", pos, 64, 64), 64)
    assert wav["beta"] < 0.01


def test_wavelet_vanishing_position_is_seven_n_max():
    v = decay.wavelet_vanishing_position(64, 64)
    assert v["first_exact_zero_from"] == v["predicted_cutoff"] == 448
    assert v["distinct_rows_beyond_cutoff"] == 1


# ---------------------------------------------------------------------------------------- Legendre
@FAST
@given(d=st.integers(2, 40), n_max=st.integers(2, 100))
def test_legendre_clamp_saturates_and_extend_does_not(d, n_max):
    r = decay.legendre_saturation(d, n_max, factor=3)
    assert r["clamp_distinct_beyond"] == 1 and r["clamp_equals_all_ones"]
    assert r["clamp_sup_norm"] == pytest.approx(math.sqrt(d))
    assert r["clamp_distinct_train"] == n_max + 1  # negative control: distinct inside the range
    assert r["extend_distinct_beyond"] == 2 * n_max + 1
    assert r["extend_norm_at_3n_max"] > r["extend_norm_at_2n_max"] > r["extend_norm_at_n_max"] == pytest.approx(math.sqrt(d))
