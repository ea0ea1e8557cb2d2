"""`pelg repro huang2025`: the smoke profile end to end, and the summary rules (seed selection with drop
counts, observed verdicts, agreement with the C-RASP predictions) on hand-made results."""
import json

import pytest

from empirics.cli import main
from empirics.errors import PelgError
from empirics.repro import huang2025 as h
from empirics.repro.common import load_protocol


def test_smoke_end_to_end_and_publish(capsys, tmp_path, monkeypatch):
    doc = "# repro\n<!-- huang2025-table:begin -->\nold\n<!-- huang2025-table:end -->\ntail\n"
    (tmp_path / "paper_repro.md").write_text(doc)
    monkeypatch.chdir(tmp_path)
    assert main(["repro", "huang2025", "--profile", "smoke", "--out", "o", "--publish"]) == 0
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    p = load_protocol("huang2025", "smoke")
    # every (task, PE) except Scale Hint on the formal language (no separator)
    cells = {(t, pe) for t, pes in summary["summary"].items() for pe in pes}
    assert cells == {(t, pe) for t in p["tasks"] for pe in p["pes"]} - {("h25.tomita4", "rope+sh")}
    assert summary["scorecard"]["cells"] == len(cells)
    table = (tmp_path / "o" / "table.md").read_text()
    assert "Predicted vs observed" in table and "| h25.tomita4 | nope (nope)" in table
    assert "100/16.45/0" in table                                   # the paper's NoPE numbers on Tomita 4
    published = (tmp_path / "paper_repro.md").read_text()
    assert "old" not in published and "| h25.binary_majority" in published and published.endswith("tail\n")
    assert (tmp_path / "figures" / h.FIGURE).read_bytes()[:4] == b"\x89PNG"


def _result(task, pe, seed, accs, buckets=((1, 16), (17, 32), (33, 48))):
    return {"config": {"task": task, "train_lengths": [1, 16], "eval_buckets": [list(b) for b in buckets],
                       "model": {"pe": pe}, "seed": seed},
            "metric_name": "exact_match",
            "metrics": {f"{lo}-{hi}": {"metric": a, "n": 10} for (lo, hi), a in zip(buckets, accs)}}


def test_summary_rules_on_hand_made_results():
    p = {"seeds": [0, 1, 2], "k_success": 1, "id_success": 1.0, "generalizes_at": 0.9}
    keys = [("h25.copy_repeat", "rope+sh", 0), ("h25.copy_repeat", "rope+sh", 1),
            ("h25.copy_repeat", "nope", 0), ("h25.parity", "learned", 0), ("h25.parity", "learned", 1)]
    results = [_result("h25.copy_repeat", "rope+sh", 0, [0.8, 0.0, 0.0]),    # misses the bar: dropped
               _result("h25.copy_repeat", "rope+sh", 1, [1.0, 0.95, 0.5]),
               _result("h25.copy_repeat", "nope", 0, [1.0, 0.3, 0.0]),
               _result("h25.parity", "learned", 0, [0.9, 0.5, 0.5]),
               _result("h25.parity", "learned", 1, [0.99, 0.5, 0.5])]
    s = h.summarize(p, keys, results)
    sh = s["h25.copy_repeat"]["rope+sh"]
    assert sh["seeds"] == [1] and sh["dropped"] == [0] and sh["mean"]["17-32"] == pytest.approx(0.95)
    assert sh["predicted"] == "generalizes" and sh["observed"] == "generalizes" and sh["agree"] is True
    nope = s["h25.copy_repeat"]["nope"]
    assert nope["predicted"] == "fails" and nope["observed"] == "fails" and nope["agree"] is True
    par = s["h25.parity"]["learned"]
    assert par["observed"] == "not fit" and par["agree"] is None and par["dropped"] == [0, 1]
    assert h.scorecard(s) == {"cells": 3, "decided": 2, "agree": 2, "not_fit": 1}
    p["generalizes_at"] = 0.99                                   # the threshold decides: now a disagreement
    assert h.summarize(p, keys, results)["h25.copy_repeat"]["rope+sh"]["agree"] is False


def test_lengths_and_configs():
    p = load_protocol("huang2025", "quick")
    assert h.lengths(p, "h25.parity") == ([0, 16], [[0, 16], [17, 32], [33, 48]])
    assert h.lengths({}, "h25.parity") == ([0, 50], [[0, 50], [51, 100], [101, 150]])   # the task protocol
    with pytest.raises(PelgError, match="train_max 2"):
        h.lengths({"train_max": 2}, "h25.binary_majority_interleave")
    keys = [k for k, _ in h.build_configs(p)]
    assert ("h25.tomita4", "rope+sh", 0) not in keys and ("h25.copy_repeat", "rope+sh", 0) in keys
    cfg = dict(h.build_configs(p))[("h25.copy_repeat", "learned", 0)]
    assert cfg["position_offset_max"] == 160 and cfg["model"]["pe_options"] == {"max_positions": 160}
    with pytest.raises(PelgError, match="alibi"):
        h.build_configs({**p, "pes": ["alibi"]})


def test_an_inline_run_gives_the_callers_thread_count_back():
    """run_many with one worker trains in this process; torch's thread count (which changes results
    in the last bits) must come back, or later runs in the same process would differ."""
    import torch

    from empirics.repro.common import run_many
    p = load_protocol("huang2025", "smoke")
    cfg = dict(h.build_configs(p))[("h25.binary_majority", "nope", 0)]
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run_many([cfg], workers=1, log=lambda *_: None)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
