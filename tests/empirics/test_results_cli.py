"""`pelg results`: aggregation over seeds (`--group-by`: mean, 95% t-interval from empirics.analysis.stats, n,
the metric named), buckets in numeric order everywhere, CSV of the aggregate, no traceback when the reader
of stdout goes away (`| head`), read-only stores (a read-only filesystem included), and the training-loss
curve each run keeps (`Store.loss_curve`, `empirics.train.loss_points`). Stores are synthetic (no training)."""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from empirics import cli
from empirics.engine.aggregate import aggregate
from empirics.engine.rows import sorted_buckets
from empirics.engine.store import Store
from empirics.errors import PelgError
from results_store import BUCKETS, config, copy_store, result, run_hash, synthetic_store

ROOT = Path(__file__).resolve().parents[2]


def pelg(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def rows_of(table: str) -> list[list[str]]:
    """The table's lines split on runs of 2+ spaces (cells may hold single spaces: '[0.25, 0.75]')."""
    import re

    return [re.split(r"\s{2,}", line.strip()) for line in table.strip().splitlines()]


def test_buckets_sort_numerically():
    assert sorted_buckets(["1-8", "11-12", "13-16", "9-10"]) == ["1-8", "9-10", "11-12", "13-16"]
    assert sorted_buckets(["200", "50", "100-150", "7"]) == ["7", "50", "100-150", "200"]
    assert sorted_buckets(["b", "10", "a", "2"]) == ["2", "10", "a", "b"]   # labels without numbers last


def test_group_by_gives_mean_interval_n_and_the_metric(tmp_path, capsys):
    store = copy_store(tmp_path / "s.sqlite")
    code, out, err = pelg(capsys, "results", "--store", store, "--group-by", "task,pe")
    assert code == 0, err
    lines = rows_of(out)
    header = next(line for line in lines if line[0] == "task")
    assert header == ["task", "pe", "bucket", "metric", "mean", "95% interval", "n"]
    body = {(r[1], r[2]): r for r in lines if r[0] == "copy"}
    # t(0.975, 2) * 0.1 / sqrt(3) = 0.24841: the interval of 0.4, 0.5, 0.6
    assert body[("rope", "9-10")][3:] == ["exact match", "0.5", "[0.2516, 0.7484]", "3"]
    assert body[("rope", "11-12")][4:] == ["0.25", "[0.1258, 0.3742]", "3"]
    assert body[("nope", "1-8")][4:] == ["1", "[1, 1]", "3"]
    order = [r[2] for r in lines if r[:2] == ["copy", "rope"]]
    assert order == BUCKETS                                       # numeric, not 1-8, 11-12, 13-16, 9-10
    assert "6 finished run(s) in 2 group(s); 1 run(s) not done left out" in out
    assert "exact match" in out.splitlines()[0]                   # the header line names the metric


def test_plain_table_sorts_buckets_numerically(tmp_path, capsys):
    store = copy_store(tmp_path / "s.sqlite")
    code, out, _ = pelg(capsys, "results", "--store", store)
    header = out.splitlines()[0].split()
    assert code == 0 and header[header.index("1-8"):header.index("1-8") + 4] == BUCKETS


def test_mse_runs_are_named_and_mixed_groups_noted(tmp_path, capsys):
    runs = []
    for seed in range(2):
        c = config("running_mean", "alibi", seed)
        runs.append((c, result(c, {"1-8": 0.01 * (seed + 1), "9-10": 0.05}, metric_name="mse")))
        c = config("copy", "alibi", seed)
        runs.append((c, result(c, {"1-8": 1.0, "9-10": 0.5})))
    store = synthetic_store(tmp_path / "s.sqlite", runs)
    code, out, err = pelg(capsys, "results", "--store", store, "--group-by", "task,pe")
    body = {(r[0], r[2]): r for r in rows_of(out) if r[0] in ("copy", "running_mean")}
    assert code == 0 and body[("running_mean", "1-8")][3:5] == ["MSE", "0.015"]
    assert body[("copy", "9-10")][3] == "exact match" and err == ""
    code, out, err = pelg(capsys, "results", "--store", store, "--group-by", "pe")
    assert code == 0 and "pelg: note: group model.pe=alibi also differs in task" in err
    with pytest.raises(PelgError, match="reports mse"):
        aggregate(Store(store, readonly=True).flat_rows(), ["pe"], "exact_match")


def test_metric_loss_and_csv_of_the_aggregate(tmp_path, capsys):
    store = copy_store(tmp_path / "s.sqlite")
    agg = aggregate(Store(store, readonly=True).flat_rows(["pe=rope"]), ["pe"], "loss")
    by_bucket = {r["bucket"]: r for r in agg["records"]}
    assert by_bucket["9-10"]["mean"] == pytest.approx(0.75) and by_bucket["9-10"]["metric"] == "loss"
    out_csv = tmp_path / "agg.csv"
    code, out, _ = pelg(capsys, "results", "--store", store, "--group-by", "pe", "--csv", out_csv)
    rows = list(csv.DictReader(out_csv.open()))
    assert code == 0 and "wrote 8 row(s)" in out
    assert list(rows[0]) == ["model.pe", "bucket", "metric", "mean", "lo", "hi", "n"]
    rope = [r for r in rows if r["model.pe"] == "rope"]
    assert [r["bucket"] for r in rope] == BUCKETS and float(rope[1]["hi"]) == pytest.approx(0.5 + 0.2484138, abs=1e-6)


def test_a_single_seed_has_no_interval(tmp_path, capsys):
    c = config("copy", "rope", 0)
    store = synthetic_store(tmp_path / "s.sqlite", [(c, result(c, {"1-8": 0.75}))])
    code, out, _ = pelg(capsys, "results", "--store", store, "--group-by", "pe")
    row = next(r for r in rows_of(out) if r[0] == "rope")
    assert code == 0 and row[1:] == ["1-8", "exact match", "0.75", "-", "1"]


# ------------------------------------------------------------------------------------- pipes, read-only
def test_no_traceback_when_the_reader_goes_away(tmp_path):
    store = copy_store(tmp_path / "s.sqlite")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "empirics.cli", "results", "--store", str(store)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.close()                      # like `| head` exiting before pelg writes
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141 and err == ""
    shell = subprocess.run(["bash", "-c", f"{sys.executable} -m empirics.cli results --store {store} "
                            "--group-by pe | head -n 1"], capture_output=True, text=True, env=env)
    assert shell.stdout.startswith("mean over seeds") and "Traceback" not in shell.stderr
    assert "Exception ignored" not in shell.stderr


def test_readonly_store_never_writes(tmp_path, capsys):
    store = copy_store(tmp_path / "s.sqlite")
    before = store.read_bytes()
    with Store(store, readonly=True) as s:
        assert len(s.flat_rows()) == 7
        with pytest.raises(PelgError, match="cannot write to store"):
            s.register("x", [("ab" * 32, config("copy", "rope", 9))])
    assert pelg(capsys, "results", "--store", store, "--group-by", "pe")[0] == 0
    assert store.read_bytes() == before


@pytest.fixture
def readonly_dir(tmp_path):
    """A directory on which writing fails: a read-only tmpfs when root may mount one, else chmod 555."""
    target = tmp_path / "ro"
    target.mkdir()
    if os.geteuid() != 0:
        yield target, lambda: target.chmod(0o555)
        target.chmod(0o755)
        return
    if shutil.which("mount") is None or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs",
                                                       str(target)], capture_output=True).returncode != 0:
        pytest.skip("root without a way to make a read-only filesystem")
    try:
        yield target, lambda: subprocess.run(["mount", "-o", "remount,ro", str(target)], check=True)
    finally:
        subprocess.run(["umount", str(target)], capture_output=True)


def test_results_read_a_store_on_a_readonly_filesystem(tmp_path, readonly_dir, capsys):
    target, make_readonly = readonly_dir
    copy_store(tmp_path / "s.sqlite")
    shutil.copyfile(tmp_path / "s.sqlite", target / "s.sqlite")
    make_readonly()
    with pytest.raises(OSError):
        (target / "probe").write_text("x")                      # really read-only
    code, out, err = pelg(capsys, "results", "--store", target / "s.sqlite", "--group-by", "pe")
    assert code == 0 and "6 finished run(s) in 2 group(s)" in out, err
    code, out, err = pelg(capsys, "results", "--store", target / "s.sqlite", "--where", "pe=rope")
    assert code == 0 and "3 run(s): done 3" in out


# ------------------------------------------------------------------------------------------ loss curves
def test_loss_points_subsample_evenly_keeping_first_and_last():
    from empirics.train import loss_points

    curve = [1.0 / (i + 1) for i in range(1000)]
    points = loss_points(curve)
    steps = [s for s, _ in points]
    assert len(points) == 200 and steps[0] == 1 and steps[-1] == 1000
    gaps = {b - a for a, b in zip(steps, steps[1:])}
    assert gaps <= {5, 6}                                        # even: 999 / 199 = 5.02
    assert all(loss == curve[s - 1] for s, loss in points)
    assert [s for s, _ in loss_points(curve[:37])] == list(range(1, 38))   # short curves kept whole


def test_store_keeps_the_loss_curve_per_run(tmp_path):
    c = config("copy", "rope", 0)
    curve = [[1, 3.0], [50, 1.5], [100, 0.5]]
    store = synthetic_store(tmp_path / "s.sqlite", [(c, result(c, {"1-8": 1.0}, curve=curve))])
    with Store(store, readonly=True) as s:
        h = run_hash(c)
        assert s.loss_curve(h[:10]) == [(1, 3.0), (50, 1.5), (100, 0.5)]
        with pytest.raises(PelgError, match="no run with id"):
            s.loss_curve("f" * 64 if not h.startswith("f") else "0" * 64)
        with pytest.raises(PelgError, match="not a config hash"):
            s.loss_curve("x; DROP TABLE runs")


def test_pandas_is_a_core_dependency_and_dataframe_works(tmp_path):
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(d.replace(" ", "").startswith("pandas>=") for d in project["dependencies"])
    with Store(copy_store(tmp_path / "s.sqlite"), readonly=True) as s:
        df = s.dataframe(["status=done"])
    assert len(df) == 6 and sorted(set(df["model.pe"])) == ["nope", "rope"]
    assert list(df.columns[df.columns.str.startswith("metric.")]) == [f"metric.{b}" for b in BUCKETS]



def test_exact_match_intervals_are_clipped_to_the_unit_range(tmp_path, capsys):
    """0.96, 1, 1: the raw t-interval reaches 1.043; exact match cannot pass 1, so the printed bound is 1."""
    runs = [(c, result(c, {"1-8": v})) for c, v in ((config("copy", "rope", s), v) for s, v in enumerate((0.96, 1.0, 1.0)))]
    store = synthetic_store(tmp_path / "s.sqlite", runs)
    code, out, err = pelg(capsys, "results", "--store", store, "--group-by", "task,pe")
    assert code == 0, err
    row = next(r for r in rows_of(out) if r[0] == "copy")
    assert row[-2:] == ["[0.9293, 1]", "3"]   # 0.9867 -+ t(0.975, 2) * 0.02309 / sqrt(3) = [0.9293, 1.044], clipped
