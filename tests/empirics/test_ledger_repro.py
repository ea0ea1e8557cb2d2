"""Ledger entry li2025.experiment.table5: the verdict follows the recorded runs through the fit gate and
the interval rule, and flips when the numbers do."""
import copy

from empirics.evidence import ledger
from empirics.evidence import recorded as ledger_repro
from empirics.evidence.li2025_table5 import decide, summarize


def test_recorded_runs_carry_what_a_reader_needs():
    record = ledger_repro.recorded_summary()
    p = record["protocol"]
    assert len(record["runs"]) == len(p["masks"]) * len(p["pes"]) * len(p["seeds"])
    for row in record["runs"]:
        assert {"config_hash", "seed", "metrics", "in_distribution", "fit", "train_loss", "train_seconds",
                "device", "torch", "git_commit"} <= set(row)
    assert record["fit_rate"]["runs"] == len(record["runs"])


def test_recorded_run_gives_the_rules_verdict_with_numbers():
    (r,) = ledger.run(ids=["li2025.experiment.table5"])
    record = ledger_repro.recorded_summary()
    expected = decide(record["protocol"], summarize(record["protocol"], record["runs"]))["verdict"]
    assert r["verdict"] == expected
    assert abs(r["evidence"]["zero_predictor_mse_at_200"] - 0.009797) < 1e-5
    assert r["evidence"]["fit_rate"] == record["fit_rate"]


def test_verdict_flips_when_the_numbers_do(monkeypatch):
    record = copy.deepcopy(ledger_repro.recorded_summary())
    for row in record["runs"]:
        mask, pe, seed = row["key"]
        row["fit"] = True
        row["metrics"]["200"] = {"wavelet": 1e-4 * (1 + 0.01 * seed)}.get(pe, 1.0 + 0.01 * seed)
    monkeypatch.setattr(ledger_repro, "recorded_summary", lambda name=None: record)
    assert ledger_repro._table5().verdict == "holds"
    assert ledger_repro._table5(claimed="legendre", versus="alibi").verdict == "fails"
