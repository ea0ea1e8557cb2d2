"""Ledger entries of theory/li2025/ledger_norms.py and ledger_extrapolation.py: valid verdicts with numbers, the
forced ones right, fast."""
from __future__ import annotations

import json

import pytest

from theory.li2025 import constructions as CON
import theory.li2025.ledger_extrapolation as L
from theory.claims import REGISTRY, VERDICTS, run_claims

# verdicts that the mathematics forces (each decided inside the check from the computed numbers)
EXPECTED = {
    "li2025.norms.sinusoidal": "holds",
    "li2025.norms.table2.learned": "holds",
    "li2025.norms.alibi_inflation": "holds",
    "li2025.norms.wavelet_growth": "holds with correction",
    "li2025.norms.legendre": "holds with correction",
    "li2025.decay.envelope": "holds with correction",
    "li2025.decay.difference_norm": "fails",
    "li2025.decay.vanishing": "holds with correction",
    "li2025.legendre.saturation": "holds with correction",
    "li2025.learned.extrapolation": "holds with correction",
    "li2025.universal_approximation": "holds",
}


@pytest.fixture(scope="module")
def records():
    return {r["id"]: r for r in run_claims(ids=list(EXPECTED))}, None


def test_every_entry_is_registered_and_returns_a_valid_verdict(records):
    recs, _ = records
    assert set(EXPECTED) <= set(REGISTRY) and set(recs) == set(EXPECTED)
    for r in recs.values():
        assert r["paper"] == "li2025"
        assert r["verdict"] in VERDICTS and r["evidence"] and r["note"]
        assert "error" not in r["evidence"], r["evidence"]
        json.dumps(r)  # JSON-able


def test_forced_verdicts(records):
    recs, _ = records
    assert {k: r["verdict"] for k, r in recs.items()} == EXPECTED


def test_reconstruction_flags():
    for cid in EXPECTED:
        wavelet_or_legendre = ".decay." in cid or "legendre" in cid or "wavelet" in cid
        assert REGISTRY[cid].reconstruction == wavelet_or_legendre, cid


def test_key_numbers(records):
    recs, _ = records
    e = recs["li2025.norms.wavelet_growth"]["evidence"]
    assert 0.45 < e["fitted_exponent"] < 0.55 and e["best_law"] == "sqrt(N)" and e["within_closed_form_bounds"]
    assert recs["li2025.norms.legendre"]["evidence"]["P7_at_2_float"] == pytest.approx(2199.125)
    assert recs["li2025.decay.envelope"]["evidence"]["slope_log2_C_j_by_amplitude"]["2^(j/2) (PE)"] == pytest.approx(1.0, abs=0.01)
    assert recs["li2025.decay.vanishing"]["evidence"]["d64_n_max64"]["first_exact_zero_from"] == 7 * 64
    assert recs["li2025.learned.extrapolation"]["evidence"]["distinct_encodings_pos_n_max_minus_1_to_4n_max_last_row"] == 1
    assert recs["li2025.universal_approximation"]["evidence"]["polynomial_gap_at_n_plus_1"] == 40320


def test_learned_fit_rows_beyond_training_get_no_gradient_and_never_move():
    fit = CON.learned_pe_fit("position", n_max=4, d=3, alloc_factor=3, steps=40)
    assert fit["max_grad_rows_beyond_n_max_at_init"] == 0.0 and fit["max_row_change_beyond_n_max"] == 0.0
    # negative control: the training rows do get gradient and move
    assert fit["min_grad_rows_below_n_max_at_init"] > 0.0 and fit["max_row_change_train_rows"] > 0.0


def test_learned_fit_gradient_is_the_gradient_of_the_loss():
    """The complex-step gradient moves the loss down: a fit with more steps has a lower train MSE."""
    short = CON.learned_pe_fit("content", n_max=4, d=3, alloc_factor=2, steps=2)
    long = CON.learned_pe_fit("content", n_max=4, d=3, alloc_factor=2, steps=60)
    assert long["train_mse"] < 0.01 * short["train_mse"]


def test_learned_fit_penalty_couples_the_rows_beyond():
    fit = CON.learned_pe_fit("position", n_max=4, d=3, alloc_factor=3, steps=20, smoothness=0.1)
    assert fit["max_grad_rows_beyond_n_max_at_init"] > 0.0 and fit["max_row_change_beyond_n_max"] > 0.0


def test_learned_fit_content_pathway_predicts_beyond_n_max(records):
    recs, _ = records
    e = recs["li2025.learned.extrapolation"]["evidence"]
    pos = e["fit_position_target"]
    assert pos["test_mse_beyond_n_max"] >= 0.5 * pos["zero_predictor_mse_beyond_n_max"]
    assert e["content_mse_beyond_over_zero_predictor"] < 0.1


def test_counterexample_models_differ_only_beyond_n():
    c = CON.extrapolation_counterexample(n=5, n_samples=200)
    assert c["max_abs_diff_models_lengths_le_n"] == 0.0 and c["mean_abs_diff_models_length_n_plus_1"] > 0.1
    assert c["polynomials_agree_on_1_to_n"] and c["polynomial_gap_at_n_plus_1"] == 120
    broken = CON.extrapolation_counterexample(n=5, n_samples=200, differ_row=2)
    assert broken["max_abs_diff_models_lengths_le_n"] > 0.1  # negative control


def test_saturation_and_vanishing_helpers_agree_with_decay():
    from theory.li2025 import decay
    assert L._saturation("legendre_clamp", "legendre_extend", 8, 32) == decay.legendre_saturation(8, 32) | {
        "saturating_pe": "legendre_clamp", "growing_pe": "legendre_extend"}
    v, ref = L._vanishing("wavelet", 16, 50), decay.wavelet_vanishing_position(16, 50)
    assert v["first_exact_zero_from"] == ref["first_exact_zero_from"]
    assert v["distinct_rows_from_first_zero"] == ref["distinct_rows_beyond_cutoff"]
