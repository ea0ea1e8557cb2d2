"""Sweeps: spec expansion, an end-to-end sweep through the CLI, failures kept with their step, SIGKILL at a
random point then re-run (nothing lost, nothing run twice, identical metrics), two sweeps at once on one
store, and the Ray executor on a local 2-CPU cluster (skipped without ray)."""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

import empirics.repro  # noqa: F401  (registers protocol "li2025", used by the shipped spec li2025_smoke)
from empirics import cli
from empirics.engine import cli as cli_engine
from empirics.errors import PelgError
from empirics.engine.confighash import config_hash
from empirics.engine.spec import check_spec, dry_check, expand, load_spec, shipped_specs
from empirics.engine.store import Store
from empirics.engine.sweep import run_sweep

TINY_SPEC = """
name = "tiny"
[base]
task = "copy"
train_lengths = [1, 4]
eval_buckets = [[1, 4], [5, 6]]
steps = {steps}
checkpoint_every = 10
batch_size = 8
lr = 3e-3
eval_samples = 16
[base.model]
n_layer = 1
d_model = 16
d_ff = 32
[grid]
"model.pe" = {pes}
seed = {seeds}
"""


def tiny_spec(tmp_path, steps=5, pes=("nope", "rope"), seeds=(0, 1), name="tiny.toml"):
    path = tmp_path / name
    path.write_text(TINY_SPEC.format(steps=steps, pes=json.dumps(list(pes)), seeds=json.dumps(list(seeds))))
    return path


@pytest.fixture
def pelg(monkeypatch, capsys):
    """`pelg ...` through empirics.cli.main, with the engine's subcommands wired in if the lead has not yet."""
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "sweep" not in sub.choices:
        build = cli.build_parser

        def wired():
            p = build()
            cli_engine.add_parsers(next(a for a in p._actions if isinstance(a, argparse._SubParsersAction)))
            return p

        monkeypatch.setattr(cli, "build_parser", wired)

    def run(*argv):
        code = cli.main([str(a) for a in argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def store_rows(path):
    """What must be identical between two stores: per run, status, config, metrics, training loss."""
    db = sqlite3.connect(path)
    rows = {h: (s, json.loads(c), json.loads(m) if m else None, json.loads(t) if t else None)
            for h, s, c, m, t in db.execute("SELECT hash, status, config, metrics, train_loss FROM runs")}
    db.close()
    return rows


def event_counts(path):
    db = sqlite3.connect(path)
    out = {}
    for h, e in db.execute("SELECT hash, event FROM events"):
        out.setdefault(h, []).append(e)
    db.close()
    return out


# ------------------------------------------------------------------------------------------ expansion
def test_grid_expansion_order_merges_and_dedup():
    spec = check_spec({"name": "g", "base": {"task": "copy", "steps": 3, "model": {"d_model": 32}},
                       "grid": {"model.pe": ["learned", "rope"], "model": [{"n_layer": 1}, {"n_layer": 2, "d_ff": 64}],
                                "seed": [0, 0, 1]},
                       "pe_options": {"learned": {"max_positions": 64}}})
    configs = expand(spec)
    assert len(configs) == 2 * 2 * 2  # the repeated seed merges
    first = configs[0]
    assert (first["model"]["pe"], first["model"]["n_layer"], first["seed"]) == ("learned", 1, 0)
    assert first["model"]["d_model"] == 32 and first["model"]["pe_options"] == {"max_positions": 64}
    assert configs[2]["model"]["d_ff"] == 64 and configs[-1]["model"]["pe_options"] == {}
    assert [c["model"]["pe"] for c in configs] == ["learned"] * 4 + ["rope"] * 4


def test_task_protocol_lengths_and_paper_protocol():
    spec = check_spec({"name": "p", "lengths": "task_protocol", "base": {"steps": 3},
                       "grid": {"task": ["k23.addition", "copy"]}})
    from empirics.tasks.protocols import task_protocol

    a, c = expand(spec)
    p = task_protocol("k23.addition")
    assert a["train_lengths"] == list(p["train_lengths"]) and a["eval_buckets"][0] == list(p["train_lengths"])
    assert c["train_lengths"] == list(task_protocol("copy")["train_lengths"])
    li = expand(load_spec("li2025_smoke"))
    assert len(li) == 14 and len({config_hash(x) for x in li}) == 14


def test_protocol_registry_resolves_specs():
    """The engine resolves `protocol = NAME` through its registry; it knows no paper."""
    from empirics.engine import protocols

    base = {"task": "copy", "train_lengths": [1, 4], "eval_buckets": [[1, 4]], "steps": 2}
    runs = {"one": 1, "three": 3}
    protocols.register_protocol("toy", lambda profile: [{**base, "seed": s} for s in range(runs[profile])], runs)
    try:
        assert [c["seed"] for c in expand(check_spec({"name": "t", "protocol": "toy", "profile": "three"}))] == [0, 1, 2]
        with pytest.raises(PelgError, match="unknown profile 'two'; valid: one, three"):
            check_spec({"name": "t", "protocol": "toy", "profile": "two"})
        with pytest.raises(PelgError, match="unknown sweep protocol 'nope'; valid: kazemnejad2023, li2025, toy"):
            check_spec({"name": "t", "protocol": "nope", "profile": "one"})
    finally:
        del protocols.PROTOCOLS["toy"]


def test_shipped_specs_expand_and_pass_the_dry_check():
    specs = shipped_specs()
    assert {"smoke12", "li2025_smoke", "k23_quick", "k23_full"} <= set(specs)
    sizes = {}
    for name in specs:
        configs = expand(load_spec(name))
        if name != "k23_full":  # 12 layers x 768: building ~200 paper-size models is a GPU-session check
            dry_check(configs)
        sizes[name] = len(configs)
    # k23_quick: 17 task-splits x 5 PEs, the scratchpad study (3 formats x 5 PEs) and the attention baseline
    assert sizes["smoke12"] == 12 and sizes["k23_quick"] == 17 * 5 + 3 * 5 + 1 and sizes["k23_full"] == 17 * 5 * 3 + 3 * 6 * 5 * 7 - 2 * 3 * 5


# ----------------------------------------------------------------------------------------- end to end
def test_sweep_then_rerun_skips_everything(tmp_path, pelg):
    spec, store = tiny_spec(tmp_path), tmp_path / "out" / "pelg.sqlite"
    code, out, err = pelg("sweep", spec, "--store", store)
    assert code == 0, err
    assert "4 to run" in out and "[4/4]" in out and "eta" in out and "4/4 done, 0 failed" in out
    rows = store_rows(store)
    assert len(rows) == 4 and all(r[0] == "done" for r in rows.values())
    for h in rows:  # each run trained in its own directory, named by its hash
        assert (store.parent / "runs" / h / "result.json").is_file()
    code, out, _ = pelg("sweep", spec, "--store", store)
    assert code == 0 and "4 already done" in out and "ran 0 here" in out and store_rows(store) == rows

    code, out, _ = pelg("results", "--store", store, "--where", "pe=rope")
    assert code == 0 and "2 run(s): done 2" in out and "1-4" in out and "5-6" in out
    csv_path = tmp_path / "all.csv"
    code, out, _ = pelg("results", "--store", store, "--csv", csv_path)
    lines = csv_path.read_text().splitlines()
    assert code == 0 and len(lines) == 5 and "metric.5-6" in lines[0] and "model.pe" in lines[0]
    full = Store(store).rows()[0]
    assert full["git_commit"] is None or len(full["git_commit"]) >= 40
    assert full["versions"]["torch"] and full["device"] == "cpu" and full["threads"] == 1
    assert full["wall_seconds"] > 0 and full["result"]["train_loss"] == full["train_loss"]


def test_results_trained_before_a_lost_store_write_are_recovered(tmp_path, pelg):
    spec, store = tiny_spec(tmp_path, pes=("nope",)), tmp_path / "pelg.sqlite"
    assert pelg("sweep", spec, "--store", store)[0] == 0
    rows = store_rows(store)
    db = sqlite3.connect(store)  # as if the driver died after training, before writing the store
    db.execute("UPDATE runs SET status='running', claimed_by='elsewhere:1:x', heartbeat=0, metrics=NULL")
    db.commit()
    db.close()
    code, out, _ = pelg("sweep", spec, "--store", store)
    assert code == 0 and out.count("recovered") == 2 and "ran 0 here" in out and store_rows(store) == rows


def test_failed_run_keeps_its_step_and_is_retried_on_request(tmp_path, pelg, monkeypatch):
    from empirics import train as training

    real = training.train

    class Exploded(PelgError):
        def __init__(self, step):
            super().__init__(f"non-finite loss nan at step {step}")
            self.step = step

    def flaky(cfg, out_dir=None, progress=True, **kw):
        if cfg.model.pe == "rope" and cfg.seed == 1:
            raise Exploded(3)
        return real(cfg, out_dir=out_dir, progress=progress, **kw)

    monkeypatch.setattr(training, "train", flaky)
    spec, store = tiny_spec(tmp_path), tmp_path / "pelg.sqlite"
    code, out, err = pelg("sweep", spec, "--store", store)
    assert code == 1 and "3/4 done, 1 failed" in out and "failed" in err   # exit 1 when runs failed
    assert "pe=rope seed=1: non-finite loss" in err                        # each failed run named
    failed = [r for r in Store(store).rows() if r["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["failed_step"] == 3 and "non-finite" in failed[0]["error"]
    code, out, _ = pelg("sweep", spec, "--store", store)
    assert "1 failed" in out and "ran 0 here" in out  # not retried by default
    monkeypatch.setattr(training, "train", real)
    code, out, _ = pelg("sweep", spec, "--store", store, "--retry-failed")
    assert code == 0 and "4/4 done, 0 failed" in out and "ran 1 here" in out


# ------------------------------------------------------------------------------- kill, concurrency, Ray
def _sweep_process(spec, store, *extra):
    return subprocess.Popen([sys.executable, "-m", "empirics.cli", "sweep", str(spec), "--store", str(store),
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONPATH": os.getcwd()})


def _done_count(store):
    if not store.exists():
        return 0
    try:
        db = sqlite3.connect(store, timeout=5)
        n = db.execute("SELECT count(*) FROM runs WHERE status='done'").fetchone()[0]
        db.close()
        return n
    except sqlite3.Error:
        return 0


def test_sigkill_then_rerun_loses_and_duplicates_nothing(tmp_path, pelg):
    spec = tiny_spec(tmp_path, steps=80, pes=("nope", "rope", "alibi"), seeds=(0,))
    reference = tmp_path / "ref" / "pelg.sqlite"
    assert pelg("sweep", spec, "--store", reference)[0] == 0
    store = tmp_path / "killed" / "pelg.sqlite"
    proc = _sweep_process(spec, store)
    deadline = time.time() + 60
    while _done_count(store) < 1 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(random.uniform(0.0, 0.4))  # somewhere inside the next run
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_at_kill = _done_count(store)
    code, out, err = pelg("sweep", spec, "--store", store)
    assert code == 0, err
    assert store_rows(store) == store_rows(reference)  # identical status, config, metrics, loss; none lost
    events = event_counts(store)
    assert all(e.count("done") == 1 and "duplicate" not in e for e in events.values())
    assert done_at_kill < 3 or "ran 0 here" in out


def test_two_concurrent_sweeps_never_run_a_config_twice(tmp_path):
    spec = tiny_spec(tmp_path, steps=5, pes=("nope", "rope"), seeds=(0, 1))
    store = tmp_path / "pelg.sqlite"
    procs = [_sweep_process(spec, store) for _ in range(2)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    rows = store_rows(store)
    assert len(rows) == 4 and all(r[0] == "done" for r in rows.values())
    events = event_counts(store)
    assert all(sorted(e) == ["claim", "done"] for e in events.values()), events  # one claim, one run, each
    ran = [int(o.rsplit("ran ", 1)[1].split()[0]) for o in outs]
    assert sum(ran) == 4


def test_ray_executor_runs_a_small_sweep(tmp_path):
    pytest.importorskip("ray")
    spec = tiny_spec(tmp_path)
    local, on_ray = tmp_path / "local" / "pelg.sqlite", tmp_path / "ray" / "pelg.sqlite"
    run_sweep(spec, local, log=lambda *_: None)
    lines = []
    summary = run_sweep(spec, on_ray, executor="ray", workers=2, log=lines.append)
    assert summary["done"] == 4 and summary["ran"] == 4 and "[ray, 2 worker(s)" in lines[0]
    assert store_rows(on_ray) == store_rows(local)  # same numbers as the local executor


def test_ray_executor_without_ray_is_a_one_line_error(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    with pytest.raises(PelgError, match=r"pip install 'pelg\[ray\]'"):
        run_sweep(tiny_spec(tmp_path), tmp_path / "s.sqlite", executor="ray", workers=2)
    assert not (tmp_path / "s.sqlite").exists()
