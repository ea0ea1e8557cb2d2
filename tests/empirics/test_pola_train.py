"""empirics.evidence.pola_train (observed side of the Chen 2025 POLA theory, [reconstruction]) and
empirics.plots.chen2025: gradient descent from zero lands on the exact minimum-norm interpolator, the fit
gate decides exactly the cells whose POLA fits its training scales and the table agrees on them, an
untrained POLA is undecided (negative control), every chen2025 claim's false variants are caught, and the
figures render."""
from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from empirics.evidence import pola_train as P
from empirics.plots.chen2025 import render
from theory import claims
from theory.chen2025 import lrc, pola

CFG = P.POLAConfig()


@pytest.mark.parametrize("layout, target, pe, tol", [("seq2seq", "copy", "sh", 1e-6),
                                                     ("stream", "prefix_mean", "lbpe", 1e-4),
                                                     ("stream", "prefix_sum", "ipe", 1e-6)])
def test_gradient_descent_reaches_the_exact_min_norm_interpolator(layout, target, pe, tol):
    (rec,) = P.train_layout(layout, [target], [pe], CFG, return_theta=True)
    exact = lrc._train(pe, target, tuple(range(1, CFG.n_train + 1)), True)[1]
    assert set(rec["theta"]) == set(exact)
    assert max(abs(rec["theta"][k] - float(v)) for k, v in exact.items()) < tol
    assert rec["observed"] == "generalizes"


def test_min_norm_failure_is_observed_too():
    """lbpe on copy: gradient descent fits the training scales but, like theta*, misses at 16 and 32."""
    (rec,) = P.train_layout("seq2seq", ["copy"], ["lbpe"], CFG)
    assert rec["train_rel_error"] < 1e-5 and rec["observed"] == "fails"
    assert min(rec["test_rel_error"].values()) > 1e-3


def test_fit_gate_decides_the_cells_that_fit_and_they_agree():
    recs = P.table(CFG)
    assert len(recs) == len(pola.TARGETS) * len(pola.PES)
    fit = [r for r in recs if r["train_rel_error"] <= CFG.tol]
    # the gate is the training error against the bar, and only fit cells are decided
    assert all(r["fit"]["fit"] == (r in fit) for r in recs)
    assert all((r["agree"] is None) == (r not in fit) for r in recs)
    assert all(r["cell"] == ("decided" if r in fit else "undecided (0 of 1 fit)") for r in recs)
    # a POLA fits exactly where the theory says T_S is in range(Phi_S) (no budget misses at the default config)
    assert {(r["target"], r["pe"]) for r in fit} == {(r["target"], r["pe"]) for r in recs if r["representable_train"]}
    bad = [(r["target"], r["pe"], r["predicted"], r["observed"]) for r in fit if not r["agree"]]
    assert not bad
    gen = [r for r in fit if r["observed"] == "generalizes"]
    assert len(gen) == sum(r["predicted"] == "generalizes" for r in recs) > 0
    assert 0 < len(gen) < len(fit)                                     # fits-then-fails cells exist
    split = P.fit_split(recs)
    assert split["decided"] + split["undecided"] == len(recs)
    assert len(split["fits_then_generalizes"]) + len(split["fits_then_fails"]) == split["decided"] == len(fit)
    assert split["max_train_rel_error_of_fit_cells"] <= CFG.tol < split["min_train_rel_error_of_unfit_cells"]
    md = P.markdown(recs)
    assert md.count("\n") == len(recs) + 1 and "| copy (c25.copy) | sh | generalizes | generalizes |" in md
    assert md.count("| undecided |") == split["undecided"]
    assert "| copy (c25.copy) | rpe | fails | undecided (0 of 1 fit) |" in md
    assert f"{split['decided']} of {len(recs)}" in P.summary(recs)


def test_the_claim_reports_the_fit_split_with_numbers():
    claims.load()
    (rec,) = claims.run_claims(ids=["chen2025.lrc_criterion_vs_gd"])
    ev, split = rec["evidence"], rec["evidence"]["fit_split"]
    assert rec["verdict"] == "holds"
    assert ev["decided"] == f"{split['decided']} of {split['cells']}" and split["cells"] == 80
    assert f"Decided {split['decided']} of 80" in rec["note"]
    assert f"{len(split['fits_then_fails'])} fit then fail" in rec["note"]
    assert ev["agree"] == split["decided"] == len(split["fits_then_generalizes"]) + len(split["fits_then_fails"])
    assert len(split["does_not_fit_not_representable"]) + len(split["does_not_fit_budget"]) == split["undecided"] > 0


def test_every_chen2025_claim_has_false_variants_that_are_caught():
    claims.load()
    records = claims.run_falsifications(paper="chen2025")
    ids = {c.id for c in claims.REGISTRY.values() if c.paper == "chen2025"}
    # six theory entries, plus the three trained-Transformer entries once empirics.evidence is loaded
    assert "chen2025.lrc_criterion_vs_gd" in ids and len(ids) in (6, 9)
    missed = [(r["id"], r["variant"], r["verdict"]) for r in records if r["caught"] is False]
    assert not missed
    definitional = {r["id"] for r in records if r["caught"] is None}
    assert definitional == {"chen2025.pes_do_not_expand_capabilities"}
    assert {r["id"] for r in records if r["caught"]} == ids - definitional


def test_untrained_pola_is_undecided():
    """Negative control: with zero steps theta stays 0, nothing fits, and no cell is decided (the
    observation says 'fails' where the theory says 'generalizes', but that is not evidence)."""
    recs = P.train_layout("stream", ["shift_k", "prefix_mean"], ["rpe", "nope"], replace(CFG, steps=0))
    assert all(r["observed"] == "fails" and not r["fit"]["fit"] for r in recs)
    assert all(r["train_rel_error"] == pytest.approx(1.0) for r in recs)
    table = P.table(replace(CFG, steps=0), pes=("rpe", "nope"), targets=("shift_k", "prefix_mean"))
    assert all(r["agree"] is None for r in table) and P.fit_split(table)["decided"] == 0
    assert P.markdown(table).count("| undecided |") == len(table)


def test_a_short_budget_shows_up_as_budget_misses():
    """Five steps: representable cells short of the bar are undecided and counted as budget misses."""
    recs = P.table(replace(CFG, steps=5), pes=("lbpe", "nope"), targets=("prefix_mean", "copy"))
    split = P.fit_split(recs)
    representable = {f"{r['target']}/{r['pe']}" for r in recs if r["representable_train"]}
    assert split["does_not_fit_budget"] and set(split["does_not_fit_budget"]) <= representable
    assert set(split["does_not_fit_not_representable"]).isdisjoint(representable)


def test_training_is_deterministic_for_a_seed():
    a = P.train_layout("stream", ["window_sum"], ["lbpe"], replace(CFG, steps=40))
    b = P.train_layout("stream", ["window_sum"], ["lbpe"], replace(CFG, steps=40))
    assert a[0]["train_rel_error"] == b[0]["train_rel_error"]
    assert torch.get_num_threads() == 1


def test_figures_render(tmp_path):
    paths = render(tmp_path, n_max=5)
    assert [p.name for p in paths] == ["chen2025_lrc.png", "chen2025_src.png"]
    assert all(p.stat().st_size > 10_000 for p in paths)
