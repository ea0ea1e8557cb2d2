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
    claims = {r["id"]: r for r in json.loads((tmp_path / "o" / "claims.json").read_text())["records"]}
    # the ledger read this job's summaries, not the committed quick records
    assert claims["li2025.experiment.table5"]["evidence"]["profile"] == "smoke"
    assert not [i for i, r in claims.items() if r["verdict"] == "error"]

    assert main(["repro", "all", "--profile", "smoke", "--out", "o"]) == 0   # the store has every run
    again = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert again["runs_trained"] == 0 and [h["runs_trained"] for h in again["invocations"]] == [summary["runs_trained"], 0]
    assert "The invocation that trained the runs" in A.summary_markdown(again)
    assert "claims ledger: reused" in capsys.readouterr().out


def test_claims_rerun_reads_the_fresh_runs_of_the_profile_given(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["claims", "--rerun", "--rerun-profile", "smoke", "--rerun-out", "fresh", "--json",
                 "--id", "li2025.experiment.table5", "--id", "k23.mrr_ranking"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    table5 = next(r for r in records if r["id"] == "li2025.experiment.table5")
    assert table5["evidence"]["profile"] == "smoke" and (tmp_path / "fresh" / "pelg.sqlite").is_file()
    assert {r["id"] for r in records} == {"li2025.experiment.table5", "k23.mrr_ranking"}
    from empirics.fileio import recorded_result
    assert recorded_result("li2025_quick.json").parent.name == "results"   # the override ends with the call


def test_claims_rerun_with_an_unknown_profile_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["claims", "--rerun", "--rerun-profile", "huge"]) == 2
    err = capsys.readouterr().err.strip()
    assert "'huge'" in err and "smoke" in err and "\n" not in err and not (tmp_path / "runs").exists()


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
