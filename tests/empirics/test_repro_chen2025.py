"""`pelg repro chen2025` [reconstruction]: the smoke profile end to end, the PE -> theory-class mapping, the
predictions it pairs with each cell, and the two claim verdicts on constructed cells (each able to fail)."""
import json

import pytest

from empirics.cli import main
from empirics.repro import chen2025 as C
from empirics.repro.common import load_protocol


def _cell(means, decided=True, src="fails", lrc=None, lo_hi=0.02):
    bins = ["1-8", "9-16", "17-32"]
    stats = {b: {"mean": m, "lo": m - lo_hi, "hi": m + lo_hi, "n": 2} for b, m in zip(bins, means)}
    return {"bins": bins, "lg_bins": bins[1:], "stats": stats, "decided": decided,
            "observed": ("generalizes" if min(means[1:]) >= 0.7 else "fails") if decided else "undecided (0 of 2 fit)",
            "src_predicted": src, "lrc_predicted": lrc}


def test_smoke_end_to_end_writes_one_figure_per_task_and_decides_nothing(tmp_path, capsys):
    assert main(["repro", "chen2025", "--profile", "smoke", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "too small to decide" in out
    record = json.loads((tmp_path / "o" / "summary.json").read_text())
    p = load_protocol("chen2025", "smoke")
    assert set(record["summary"]) == set(p["tasks"])
    for task in p["tasks"]:
        for suffix in (".png", ".pdf"):
            assert (tmp_path / "o" / C.figure_name(task)).with_suffix(suffix).stat().st_size > 1000
    cell = record["summary"]["c25.copy"]["ipe"]
    assert cell["src_predicted"] == "generalizes" and cell["src_class"] == "ipe"
    assert record["summary"]["c25.copy"]["lbpe"]["src_predicted"] is None   # SRC has no LBPE class
    assert all(c["src_agree"] is None for pes in record["summary"].values() for c in pes.values())


def test_quick_protocol_covers_the_issue_tasks_and_pes():
    p = load_protocol("chen2025", "quick")
    assert {"c25.copy", "c25.shift_k", "c25.shift_scale", "c25.reverse", "c25.parity_cot", "c25.addition_cot",
            "c25.running_sum_tokens"} <= set(p["tasks"])
    assert {"learned", "t5", "nope", "ipe", "learned+sh", "rope+sh", "t5+sh", "lbpe"} <= set(p["pes"])
    configs = C.build_configs(p)
    assert len(configs) == len(p["tasks"]) * len(p["pes"]) * len(p["seeds"])
    train, buckets = C.lengths(p, "c25.copy")
    assert train == [1, 8] and buckets == [[1, 8], [9, 16], [17, 32]]
    assert C.lengths(p, "c25.addition_cot")[1][-1] == [7, 12]      # N = 3: (2N, 4N]


def test_predictions_follow_the_theory_at_the_training_scale():
    # SRC: IPE keeps one operator on parity-CoT (generalizes), APE needs a new one per step (fails)
    assert C.predictions("c25.parity_cot", "ipe", 8)["src"]["prediction"] == "generalizes"
    assert C.predictions("c25.parity_cot", "learned", 8)["src"]["prediction"] == "fails"
    assert C.predictions("c25.parity_cot", "learned", 8)["lrc"] is None   # no POLA target for parity
    rec = C.predictions("c25.copy", "t5+sh", 4)["lrc"]
    assert rec["train_scales"] == [1, 2, 3, 4] and rec["test_scales"] == [8, 16]


def test_unknown_pe_in_a_protocol_is_one_line_error():
    p = dict(load_protocol("chen2025", "smoke"), pes=["rope+random"])
    with pytest.raises(Exception, match="no SRC / LRC class"):
        C.build_configs(p)


def test_no_new_operators_holds_fails_and_undecided():
    fails = {"c25.copy": {"learned": _cell([1.0, 0.1, 0.0]), "t5": _cell([1.0, 0.0, 0.0])}}
    assert C.claim_verdicts(fails)["no_new_operators"]["verdict"] == "holds"
    wins = {"c25.copy": {"learned": _cell([1.0, 0.9, 0.8])}}       # SRC grows, yet it generalizes
    v = C.claim_verdicts(wins)["no_new_operators"]
    assert v["verdict"] == "fails" and v["generalizing"] == ["c25.copy/learned"]
    none = {"c25.copy": {"learned": _cell([0.5, 0.0, 0.0], decided=False)}}
    assert C.claim_verdicts(none)["no_new_operators"]["verdict"] == "undecided"


def test_hint_widens_needs_separated_intervals():
    base = _cell([1.0, 0.10, 0.0])
    higher = {"c25.copy": {"t5": base, "t5+sh": _cell([1.0, 0.90, 0.5], src="generalizes")}}
    assert C.claim_verdicts(higher)["hint_widens"]["verdict"] == "holds"
    lower = {"c25.copy": {"t5": _cell([1.0, 0.9, 0.5]), "t5+sh": _cell([1.0, 0.1, 0.0], src="generalizes")}}
    assert C.claim_verdicts(lower)["hint_widens"]["verdict"] == "fails"
    close = {"c25.copy": {"t5": base, "t5+sh": _cell([1.0, 0.11, 0.0], lo_hi=0.2)}}
    assert C.claim_verdicts(close)["hint_widens"]["verdict"] == "no separation"
    assert C.claim_verdicts({"c25.copy": {"t5": base}})["hint_widens"]["verdict"] == "undecided"
