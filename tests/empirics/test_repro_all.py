"""`pelg repro all`: the four reproductions, the ledger and the scorecard in one job. The smoke profile end to
end with --publish in a scratch copy of paper_repro.md's blocks; a second invocation trains nothing and
reuses the ledger; the job-wide progress counter."""
import json

from empirics.cli import main
from empirics.repro import all_papers as A

BLOCKS = [*A.BLOCKS.values(), A.SCORECARD_BLOCK, A.SUMMARY_BLOCK, "claims", "chen2025-gd"]


def test_smoke_end_to_end_publishes_every_block_and_then_reuses_the_store(tmp_path, monkeypatch, capsys):
    doc = "# repro\n" + "".join(f"<!-- {b}:begin -->\nold {b}\n<!-- {b}:end -->\n" for b in BLOCKS)
    (tmp_path / "paper_repro.md").write_text(doc)
    monkeypatch.chdir(tmp_path)
    assert main(["repro", "all", "--profile", "smoke", "--out", "o", "--publish"]) == 0
    out = capsys.readouterr().out
    text = (tmp_path / "paper_repro.md").read_text()
    assert not any(f"old {b}" in text for b in BLOCKS)          # every generated block rewritten
    assert "decided cells agree across the four theories" in text
    for name in ("scorecard.png", "scorecard.pdf", "capacity_vs_gap.png"):
        assert (tmp_path / "figures" / name).stat().st_size > 1000
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert set(summary["reproductions"]) == set(A.ORDER)
    assert all(v["verdict"] == "too small to decide" for v in summary["reproductions"].values())
    assert summary["runs_trained"] == summary["runs_planned"] > 0
    assert "[all " in out and "claims ledger:" in out

    assert main(["repro", "all", "--profile", "smoke", "--out", "o"]) == 0   # the store has every run
    again = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert again["runs_trained"] == 0 and [h["runs_trained"] for h in again["invocations"]] == [summary["runs_trained"], 0]
    assert "The invocation that trained the runs" in A.summary_markdown(again)
    assert "claims ledger: reused" in capsys.readouterr().out


def test_job_progress_counts_runs_of_every_reproduction():
    lines, now = [], [0.0]
    prog = A.JobProgress(10, lines.append, clock=lambda: now[0])
    prog("== li2025 (smoke)")
    prog("sweep repro-abc: 4 runs; 3 already done, 0 failed, 0 running elsewhere, 1 to run")
    now[0] = 60.0
    prog("[1/1] done copy/nope (1.0s) | done 1 failed 0 running 0 | elapsed 1s eta 0s")
    prog("[1/5] elapsed      1s  eta      4s  c25.copy/ipe seed 0: 1s, 4 steps")
    assert prog.done == 5 and prog.trained == 2
    assert lines[0] == "== li2025 (smoke)"
    assert lines[-1].startswith("[all 5/10, eta 2.5 min] ")     # 60 s per 2 trained runs, 5 left
