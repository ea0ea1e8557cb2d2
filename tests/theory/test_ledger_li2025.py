"""Ledger entries of theory/li2025/ledger_norms.py and ledger_extrapolation.py: valid verdicts with numbers, the
forced ones right, fast."""
from __future__ import annotations

import json

import pytest

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
    "li2025.learned.extrapolation": "holds",
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


def test_gradient_demo_rows_beyond_training_never_move():
    demo = L.learned_table_gradient_demo(n_max=8, d=4, steps=50)
    assert demo["max_row_change_beyond_n_max"] == 0.0
    assert demo["max_row_change_train_rows"] > 0.0  # negative control: the training rows do move


def test_counterexample_models_differ_only_beyond_n():
    c = L.extrapolation_counterexample(n=5, n_samples=200)
    assert c["max_abs_diff_models_lengths_le_n"] == 0.0 and c["mean_abs_diff_models_length_n_plus_1"] > 0.1
    assert c["polynomials_agree_on_1_to_n"] and c["polynomial_gap_at_n_plus_1"] == 120
