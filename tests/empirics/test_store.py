"""The results store: config hashing, opening and refusing files, claims that never hand one run to two
processes (also under real concurrency), dead and stale claims, results, filters and exports."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest

from empirics.engine import store as store_mod
from empirics.errors import PelgError
from empirics.engine.confighash import canonical_config, config_hash
from empirics.engine.rows import filter_rows, flatten_row
from empirics.engine.store import Store

TINY = {"task": "copy", "steps": 2, "batch_size": 4, "eval_samples": 4, "train_lengths": [1, 3],
        "eval_buckets": [[1, 3], [4, 5]], "model": {"n_layer": 1, "d_model": 16, "d_ff": 32}}


def cfg(**over):
    d = json.loads(json.dumps(TINY))
    for k, v in over.items():
        d[k] = v
    return d


# ------------------------------------------------------------------------------------------- hashing
def test_hash_is_canonical():
    h = config_hash(cfg())
    assert len(h) == 64 and h == config_hash(dict(reversed(list(cfg().items()))))
    assert config_hash(cfg(lr=1)) == config_hash(cfg(lr=1.0))              # int in a float field
    assert config_hash(cfg(device="auto")) == h                               # "auto" is left out
    assert config_hash(cfg(device="cpu")) != h                                # an explicit device is kept
    assert config_hash(cfg(train_lengths=(1, 3))) == h                        # tuples are lists
    assert config_hash(cfg(model={"n_layer": 1, "d_model": 16, "d_ff": 32, "vocab_size": 0})) == h
    assert len({h, config_hash(cfg(seed=1)), config_hash(cfg(lr=2e-3)), config_hash(cfg(task="reverse"))}) == 4
    full = canonical_config(cfg())
    assert full["model"]["vocab_size"] > 0 and full["warmup"] == 0.05    # defaults filled, vocab resolved


def test_hash_of_a_result_config_equals_the_hash_of_its_config():
    from empirics.train import TrainConfig, train

    c = cfg()
    result = train(TrainConfig.from_dict(canonical_config(c)), progress=False)
    assert config_hash(result["config"]) == config_hash(c)


def test_bad_configs_raise_one_line_errors():
    with pytest.raises(PelgError, match="stepz"):
        config_hash(cfg(stepz=3))
    with pytest.raises(PelgError, match="nosuchtask"):
        config_hash(cfg(task="nosuchtask"))
    with pytest.raises(PelgError, match="model"):
        config_hash(cfg(model=3))


# ---------------------------------------------------------------------------------- opening, refusing
def test_create_then_open(tmp_path):
    path = tmp_path / "a" / "b" / "s.sqlite"
    with Store(path, create=True) as s:
        assert s.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with Store(path) as s:
        assert s.rows() == []


def test_refuses_what_is_not_a_store(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello, not a database " * 100)
    foreign = tmp_path / "other.sqlite"
    db = sqlite3.connect(foreign)
    db.execute("CREATE TABLE things (x)")
    db.commit()
    db.close()
    for path, needle in [(text, "not a pelg store"), (foreign, "not a pelg store"), (tmp_path, "directory"),
                         (tmp_path / "missing.sqlite", "no store")]:
        with pytest.raises(PelgError, match=needle):
            Store(path)
    for path in (text, foreign):  # never adopts someone else's file, even when asked to create
        with pytest.raises(PelgError, match="not a pelg store"):
            Store(path, create=True)
    assert text.read_text().startswith("hello") and not (tmp_path / "missing.sqlite").exists()


def test_newer_store_version_is_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    Store(path, create=True).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value='99' WHERE key='version'")
    db.commit()
    db.close()
    with pytest.raises(PelgError, match="version 99"):
        Store(path)


def test_locked_store_times_out_with_one_line(tmp_path):
    path = tmp_path / "s.sqlite"
    Store(path, create=True).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        s = Store(path, timeout=0.2)
        t = time.time()
        with pytest.raises(PelgError, match="locked by another process"):
            s.register("x", [("h1", cfg())])
        assert time.time() - t < 5
        assert s.rows() == []  # reading still works under WAL
        s.close()
    finally:
        other.execute("ROLLBACK")
        other.close()


# ------------------------------------------------------------------------------------------- claims
def test_claim_finish_fail_release(tmp_path):
    s = Store(tmp_path / "s.sqlite", create=True)
    runs = [(f"h{i}", cfg(seed=i)) for i in range(3)]
    s.register("sw", runs)
    s.register("sw", runs)  # idempotent
    hashes = [h for h, _ in runs]
    a, b = store_mod.new_worker_id(), store_mod.new_worker_id()
    assert s.claim(hashes, a) == "h0" and s.claim(hashes, b) == "h1" and s.claim(hashes, a) == "h2"
    assert s.claim(hashes, b) is None  # all claimed by live workers
    result = {"metrics": {"1-3": {"metric": 0.5, "loss": 1.0, "n": 4}}, "train_loss": {"final": 1.0},
              "train_seconds": 0.1, "device": "cpu", "env": {"torch": "x"}, "config": cfg()}
    assert s.finish("h0", a, result, 1.5, threads=1, commit="abc") is True
    assert s.finish("h0", b, result, 1.5) is False  # already done: nothing changes
    s.fail("h1", b, "non-finite loss", step=7, wall_seconds=0.3)
    s.release("h2", a)
    row0, row1, row2 = (s.get(h) for h in hashes)
    assert row0["status"] == "done" and row0["metrics"]["1-3"]["metric"] == 0.5 and row0["git_commit"] == "abc"
    assert row0["versions"]["torch"] == "x" and "pelg" in row0["versions"]
    assert row1["status"] == "failed" and row1["failed_step"] == 7 and row2["status"] == "pending"
    assert s.counts(hashes) == {"pending": 1, "running": 0, "done": 1, "failed": 1}
    assert s.retry_failed(hashes, a) == 1 and s.get("h1")["status"] == "pending"
    events = [(e["hash"], e["event"]) for e in s.events()]
    assert events.count(("h0", "done")) == 1 and ("h0", "duplicate") in events and ("h2", "release") in events
    s.close()


def test_dead_and_stale_claims_are_reclaimed(tmp_path):
    s = Store(tmp_path / "s.sqlite", create=True)
    s.register("sw", [("h0", cfg()), ("h1", cfg(seed=1)), ("h2", cfg(seed=2))])
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = f"{store_mod.HOST}:{gone.stdout.strip()}:deadbeef"        # a process that has exited
    alive_elsewhere = f"{store_mod.HOST}:1:cafe"                       # pid 1 lives
    retired = store_mod.new_worker_id()
    store_mod.retire_worker_id(retired)                                # this process, driver gone
    now = time.time()
    for h, who, beat in [("h0", dead, now), ("h1", alive_elsewhere, now), ("h2", retired, now)]:
        s.db.execute("UPDATE runs SET status='running', claimed_by=?, heartbeat=? WHERE hash=?", (who, beat, h))
    me = store_mod.new_worker_id()
    assert s.dead_claims(["h0", "h1", "h2"]) == 2
    assert s.claim(["h0", "h1", "h2"], me) == "h0"
    assert s.claim(["h1", "h2"], me) == "h2"
    assert s.claim(["h1"], me) is None                                 # alive, fresh heartbeat
    s.db.execute("UPDATE runs SET heartbeat=? WHERE hash='h1'", (now - 1000,))
    assert s.claim(["h1"], me, stale_after=60) == "h1"                 # alive but silent too long
    assert [e["event"] for e in s.events()].count("reclaim") == 3
    s.close()


CLAIMER = """
import sys, time
from empirics.engine.store import Store, new_worker_id
s = Store(sys.argv[1]); me = new_worker_id(); got = []
hashes = [f"h{i}" for i in range(int(sys.argv[2]))]
print("ready", flush=True)
sys.stdin.readline()  # all start together
while True:
    h = s.claim(hashes, me)
    if h is None: break
    got.append(h)
    time.sleep(0.002)  # a little work between claims
print(" ".join(got), flush=True)
sys.stdin.read()  # stay alive (a dead claimer's runs may rightly be reclaimed) until the test is done
"""


def test_concurrent_processes_never_claim_the_same_run(tmp_path):
    path = tmp_path / "s.sqlite"
    n = 120
    with Store(path, create=True) as s:
        s.register("sw", [(f"h{i}", cfg(seed=i)) for i in range(n)])
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    procs = [subprocess.Popen([sys.executable, "-c", CLAIMER, str(path), str(n)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env) for _ in range(4)]
    assert [p.stdout.readline().strip() for p in procs] == ["ready"] * 4
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    claimed = [p.stdout.readline().split() for p in procs]
    assert sum(len(got) > 0 for got in claimed) >= 2  # they really competed
    for p in procs:
        p.communicate(timeout=60)
    assert all(p.returncode == 0 for p in procs)
    flat = [h for got in claimed for h in got]
    assert sorted(flat) == sorted(f"h{i}" for i in range(n))           # every run once, none twice
    with Store(path) as s:
        assert s.counts([f"h{i}" for i in range(n)])["running"] == n


# --------------------------------------------------------------------------------- reading the store
def _done_store(tmp_path):
    s = Store(tmp_path / "s.sqlite", create=True)
    me = store_mod.new_worker_id()
    for i, pe in enumerate(["rope", "alibi"]):
        c = canonical_config(cfg(seed=i, model={**TINY["model"], "pe": pe}))
        h = config_hash(c)
        s.register("demo", [(h, c)])
        s.claim([h], me)
        s.finish(h, me, {"metrics": {"1-3": {"metric": 0.25 * (i + 1), "loss": 1.0, "n": 4}},
                         "train_loss": {"final": 2.0}, "device": "cpu", "env": {}, "config": c}, 0.5)
    return s


def test_flat_rows_and_filters(tmp_path):
    s = _done_store(tmp_path)
    rows = s.flat_rows()
    assert len(rows) == 2 and rows[0]["model.pe"] == "rope" and rows[0]["metric.1-3"] == 0.25
    assert rows[0]["sweeps"] == "demo" and rows[0]["train_lengths"] == [1, 3]
    assert [r["model.pe"] for r in s.flat_rows(["pe=alibi"])] == ["alibi"]          # suffix key
    assert len(s.flat_rows(["seed=0", "status=done", "sweep=demo"])) == 1
    assert len(s.flat_rows(["train_lengths=[1,3]", "model.causal=true"])) == 2
    assert len(s.flat_rows([f"hash={rows[1]['hash'][:8]}"])) == 1
    assert s.flat_rows(["seed=5"]) == []
    with pytest.raises(PelgError, match="unknown --where key 'colour'"):
        s.flat_rows(["colour=red"])
    with pytest.raises(PelgError, match="KEY=VALUE"):
        filter_rows(rows, ["seed"])
    assert flatten_row(s.rows()[0])["status"] == "done"
    s.close()


def test_dataframe_and_missing_pandas(tmp_path, monkeypatch):
    s = _done_store(tmp_path)
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "pandas", None)  # as if pandas were not installed
        with pytest.raises(PelgError, match="pip install pandas"):
            s.dataframe()
    pd = pytest.importorskip("pandas")
    df = s.dataframe()
    assert isinstance(df, pd.DataFrame) and len(df) == 2 and list(df["model.pe"]) == ["rope", "alibi"]
    assert list(s.dataframe(["pe=alibi"])["metric.1-3"]) == [0.5]
    s.close()


def test_git_commit_never_fails(monkeypatch):
    store_mod.git_commit.cache_clear()
    commit = store_mod.git_commit()
    assert commit is None or len(commit.split("+")[0]) == 40

    def no_git(*a, **k):
        raise FileNotFoundError("git")

    monkeypatch.setattr(store_mod.subprocess, "run", no_git)
    store_mod.git_commit.cache_clear()
    assert store_mod.git_commit() is None
    store_mod.git_commit.cache_clear()
