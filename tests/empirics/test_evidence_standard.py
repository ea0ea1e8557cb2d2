"""The evidence standard (issue 10): fit gates, intervals over seeds and the ordering rule, the Li 2025
Table-5 decision on hand-made rows, and the ledger machinery (error, definitional, falsification)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as st

from empirics.analysis.fit import FitBar, bar_from_protocol, cell_status, default_bar, fit_record
from empirics.analysis.stats import compare, mean_interval, ordering_verdict, permutation_p
from empirics.errors import PelgError
from empirics.evidence import li2025_table5 as L5
from theory import claims as C


def _result(kind, id_metric, zero=None, n=10):
    m = {"metric": id_metric, "loss": id_metric, "n": n}
    if zero is not None:
        m["zero_mse"] = zero
    return {"config": {"task": "t", "train_lengths": [1, 8], "eval_buckets": [[1, 8], [9, 16]]},
            "metrics": {"1-8": m, "9-16": {"metric": 0.0, "loss": 0.0, "n": n}}, "task_kind": kind}


def test_fit_bars_and_records():
    tok, reg = default_bar("tokens"), default_bar("regression")
    assert fit_record(_result("tokens", 0.95), tok)["fit"] and not fit_record(_result("tokens", 0.94), tok)["fit"]
    assert fit_record(_result("regression", 0.0029, zero=0.03), reg)["fit"]
    r = fit_record(_result("regression", 0.0031, zero=0.03), reg)
    assert not r["fit"] and r["mse_ratio"] == pytest.approx(0.0031 / 0.03)
    with pytest.raises(PelgError, match="zero predictor"):
        fit_record(_result("regression", 0.001), reg)  # an old record without zero_mse
    huang = bar_from_protocol("tokens", {"fit": {"threshold": 1.0, "source": "Huang et al. 2025 (paper)"}})
    assert not fit_record(_result("tokens", 0.99), huang)["fit"]
    with pytest.raises(PelgError, match="looser"):
        bar_from_protocol("tokens", {"fit": {"threshold": 0.5, "source": "because"}})
    assert bar_from_protocol("tokens", {"fit": {"threshold": 0.9, "source": "the paper reports 90%"}}).threshold == 0.9
    assert cell_status([True, True, False], 2) == (True, "decided")
    assert cell_status([True, False, False], 2) == (False, "undecided (1 of 3 fit)")
    assert isinstance(tok, FitBar) and "0.95" in tok.text()


def test_interval_matches_scipy_and_the_ordering_rule():
    x = [0.1, 0.12, 0.11, 0.13]
    i = mean_interval(x)
    lo, hi = st.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=st.sem(x))
    assert (i.lo, i.hi) == pytest.approx((lo, hi))
    assert mean_interval([1.0]).n == 1 and mean_interval([1.0]).lo == -np.inf
    # 3 vs 3 seeds: the exact permutation p is at least 2/20, so only separated intervals decide
    assert permutation_p([1, 2, 3], [4, 5, 6]) == pytest.approx(0.1)
    assert compare([1.0, 1.1, 0.9], [5.0, 5.2, 4.9])["result"] == "A better"
    assert compare([1.0, 3.0, 2.0], [2.5, 1.5, 3.5])["result"] == "no separation"
    assert ordering_verdict([1.0, 1.1, 0.9], [5.0, 5.2, 4.9], "A")[0] == "holds"
    assert ordering_verdict([1.0, 1.1, 0.9], [5.0, 5.2, 4.9], "B")[0] == "fails"
    # many seeds: the permutation test can decide where the intervals still touch
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 30), rng.normal(0.8, 1, 30)
    c = compare(a, b)
    assert c["permutation_p"] < 0.05 and c["result"] == "A better"


def _rows(values: dict, fit: dict | None = None):
    """Recorded rows for one mask: values[pe] = per-seed MSE at N = 200."""
    rows = []
    for pe, vs in values.items():
        for seed, v in enumerate(vs):
            ok = True if fit is None else fit.get(pe, [True] * len(vs))[seed]
            rows.append({"key": ["causal", pe, seed], "metrics": {"50": 1e-4, "200": v}, "fit": ok})
    return rows


P = {"test_lengths": [50, 200], "fit": {"min_seeds": 2}}


def test_table5_rule_holds_fails_no_separation_and_undecided():
    good = {"wavelet": [0.010, 0.011, 0.012], "sinusoidal": [0.05, 0.052, 0.051],
            "alibi": [0.03, 0.031, 0.029], "legendre": [0.5, 0.6, 0.55]}
    d = L5.decide(P, L5.summarize(P, _rows(good)))
    assert d["verdict"] == "holds"
    bad = {**good, "alibi": [0.001, 0.0011, 0.0012]}  # ALiBi separated below wavelet
    assert L5.decide(P, L5.summarize(P, _rows(bad)))["masks"]["causal"]["lowest"] == "fails"
    overlap = {**good, "sinusoidal": [0.005, 0.02, 0.012]}
    d = L5.decide(P, L5.summarize(P, _rows(overlap)))["masks"]["causal"]
    assert d["below"] == "no separation" and d["lowest"] == "no separation"
    unfit = L5.summarize(P, _rows(good, fit={"wavelet": [True, False, False]}))
    assert unfit["causal"]["wavelet"]["200"]["status"] == "undecided (1 of 3 fit)"
    assert L5.decide(P, unfit)["verdict"] == "undecided"
    # the falsification variant of the ledger entry: Legendre claimed lowest and below ALiBi
    assert L5.decide(P, L5.summarize(P, _rows(good)), "legendre", "alibi")["verdict"] == "fails"


@pytest.fixture
def scratch_registry(monkeypatch):
    monkeypatch.setattr(C, "REGISTRY", {})
    return C.REGISTRY


def test_ledger_error_definitional_and_falsification(scratch_registry):
    @C.claim(id="t.raises", paper="li2025", wording="w", statement="s", check="c", falsify={"x": {}})
    def _raises():
        raise RuntimeError("boom")

    @C.claim(id="t.definitional", paper="li2025", wording="w", statement="s", check="c", definitional=True)
    def _definitional():
        return C.Verdict("holds", {"x": 1})

    @C.claim(id="t.bound", paper="li2025", wording="w", statement="s", check="c",
             falsify={"bound halved": {"scale": 0.5}, "bound doubled (not false)": {"scale": 2.0}})
    def _bound(scale=1.0):
        return C.Verdict("holds" if 0.8 <= 1.0 * scale else "fails")

    @C.claim(id="t.unfalsified", paper="li2025", wording="w", statement="s", check="c")
    def _plain():
        return C.Verdict("holds")

    records = {r["id"]: r for r in C.run_claims()}
    assert records["t.raises"]["verdict"] == "error" and "boom" in records["t.raises"]["evidence"]["error"]
    assert records["t.definitional"]["verdict"] == "definitional"
    assert records["t.definitional"]["evidence"]["check_verdict"] == "holds"
    falsified = C.run_falsifications()
    caught = {(r["id"], r["variant"]): r["caught"] for r in falsified}
    assert caught[("t.bound", "bound halved")] is True
    assert caught[("t.bound", "bound doubled (not false)")] is False  # a variant that is not false is missed
    assert caught[("t.unfalsified", None)] is False and caught[("t.definitional", None)] is None
    assert caught[("t.raises", "x")] is False  # an error is never a catch
    with pytest.raises(ValueError, match="definitional"):
        C.claim(id="t.both", paper="li2025", wording="w", statement="s", check="c", definitional=True,
                falsify={"x": {}})


def test_every_registered_claim_is_falsifiable_or_definitional():
    from empirics.evidence import ledger

    C.load(ledger.EMPIRICS_LEDGER_MODULES)
    missing = [c.id for c in C.REGISTRY.values() if not c.definitional and not c.falsify]
    assert not missing, missing
