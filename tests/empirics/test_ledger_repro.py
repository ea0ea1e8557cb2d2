"""Ledger entry li2025.experiment.table5: the verdict follows the recorded numbers."""
import copy

from empirics.evidence import ledger
from empirics.evidence import recorded as ledger_repro


def test_recorded_run_gives_fails_with_numbers():
    (r,) = ledger.run(ids=["li2025.experiment.table5"])
    assert r["verdict"] == "fails"
    assert r["evidence"]["bidirectional"]["best"] != "wavelet"
    assert abs(r["evidence"]["zero_predictor_mse_at_200"] - 0.009797) < 1e-5


def test_verdict_flips_when_the_numbers_do(monkeypatch):
    record = copy.deepcopy(ledger_repro.recorded_summary())
    for by_pe in record["summary"].values():
        by_pe["wavelet"]["200"]["mean"] = 1e-9  # make wavelet best everywhere
    monkeypatch.setattr(ledger_repro, "recorded_summary", lambda name=None: record)
    assert ledger_repro._table5().verdict == "holds"
