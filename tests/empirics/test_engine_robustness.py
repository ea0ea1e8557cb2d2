"""The engine under hostile conditions (issue 15, "No input crashes it"): a new store on a full disk leaves no
file; a run stopped by a full disk is given back, not failed, and runs next time; a run counts as done only
once its model.pt loads; `pelg sweep` exits 1 and names the runs that failed; output files respect the
umask; and the training-loss curve a real run records reaches the store. Trainings are a few steps."""
from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from empirics import cli
from empirics.engine.executors import disk_full
from empirics.engine.store import Store
from empirics.errors import PelgError

ROOT = Path(__file__).resolve().parents[2]
SPEC = """
name = "tiny"
[base]
task = "copy"
train_lengths = [1, 4]
eval_buckets = [[1, 4], [5, 6]]
steps = 6
checkpoint_every = 3
batch_size = 8
eval_samples = 8
[base.model]
n_layer = 1
d_model = 16
d_ff = 32
[grid]
"model.pe" = ["nope", "rope"]
"""


def pelg(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def spec(tmp_path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(SPEC)
    return path


def statuses(store: Path) -> dict[str, str]:
    db = sqlite3.connect(store)
    out = dict(db.execute("SELECT json_extract(config, '$.model.pe'), status FROM runs"))
    db.close()
    return out


# ------------------------------------------------------------------------------------------- full disk
CREATE_UNDER_LIMIT = r"""
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write past the limit fails with EFBIG instead
from empirics.engine.store import Store
from empirics.errors import PelgError
resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))   # no file may grow: a full disk
try:
    Store(sys.argv[1], create=True)
except PelgError as e:
    print("pelg: error:", e)
"""


def test_a_new_store_that_cannot_be_written_leaves_nothing(tmp_path):
    target = tmp_path / "new" / "sub" / "pelg.sqlite"
    proc = subprocess.run([sys.executable, "-c", CREATE_UNDER_LIMIT, str(target)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert proc.stdout.startswith("pelg: error: cannot write to store"), proc.stdout + proc.stderr
    assert list(tmp_path.iterdir()) == []            # no 0-byte pelg.sqlite, no folders made for it


def test_undoing_a_failed_creation_spares_a_store_made_meanwhile(tmp_path):
    from empirics.engine.sqlfiles import remove_new

    Store(tmp_path / "a" / "s.sqlite", create=True).close()      # another process won the race
    remove_new(tmp_path / "a" / "s.sqlite", tmp_path / "a")
    with Store(tmp_path / "a" / "s.sqlite") as s:
        assert s.rows() == []
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "s.sqlite").write_bytes(b"")                # what a failed creation leaves
    remove_new(tmp_path / "b" / "s.sqlite", tmp_path / "b")
    assert not (tmp_path / "b").exists()


@pytest.fixture
def full_disk(tmp_path):
    """A mounted 16 KiB tmpfs, filled (needs root and mount; skipped elsewhere)."""
    target = tmp_path / "full"
    target.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(target)], capture_output=True).returncode:
        pytest.skip("cannot mount a small filesystem here")
    try:
        with open(target / "fill", "wb") as f:
            try:
                f.write(b"\0" * 65536)
            except OSError:
                pass
        yield target
    finally:
        subprocess.run(["umount", str(target)], capture_output=True)


def test_sweep_into_a_store_on_a_full_disk_is_one_line_and_leaves_no_store(tmp_path, full_disk, capsys):
    code, _, err = pelg(capsys, "sweep", spec(tmp_path), "--store", full_disk / "s" / "pelg.sqlite")
    assert code == 2 and err.count("\n") == 1 and "database or disk is full" in err
    assert sorted(p.name for p in full_disk.iterdir()) == ["fill"]


def test_disk_full_is_recognised_through_the_exception_chain():
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError:
            raise RuntimeError("[enforce fail at inline_container.cc] unexpected pos")  # torch.save's message
    except RuntimeError as e:
        assert disk_full(e)
    assert disk_full(PelgError("cannot write to '/x': No space left on device"))
    assert disk_full("OSError: [Errno 122] Disk quota exceeded (train.py:3)")
    assert not disk_full(PelgError("run failed at step 3: non-finite loss nan"))
    assert not disk_full(OSError(errno.EACCES, "Permission denied"))


def test_a_run_stopped_by_a_full_disk_is_not_failed_and_runs_next_time(tmp_path, capsys, monkeypatch):
    from empirics import train as training

    real = training.train

    def full(cfg, out_dir=None, **kw):
        if cfg.model.pe == "rope":
            raise OSError(errno.ENOSPC, "No space left on device", str(Path(out_dir) / "model.pt"))
        return real(cfg, out_dir=out_dir, **kw)

    monkeypatch.setattr(training, "train", full)
    store = tmp_path / "pelg.sqlite"
    code, out, err = pelg(capsys, "sweep", spec(tmp_path), "--store", store)
    assert code == 2 and err.startswith("pelg: error: the disk is full: 1 run(s)") and err.count("\n") == 1
    assert statuses(store) == {"nope": "done", "rope": "pending"}       # given back, not failed
    events = [e for e in Store(store, readonly=True).events() if e["event"] == "release"]
    assert len(events) == 1 and "disk full" in events[0]["detail"]
    monkeypatch.setattr(training, "train", real)                         # space freed
    code, out, err = pelg(capsys, "sweep", spec(tmp_path), "--store", store)
    assert code == 0 and "1 already done" in out and "2/2 done, 0 failed" in out, err


def test_runs_recorded_failed_for_a_full_disk_are_retried(tmp_path, capsys):
    store = tmp_path / "pelg.sqlite"
    assert pelg(capsys, "sweep", spec(tmp_path), "--store", store)[0] == 0
    db = sqlite3.connect(store)   # as an older pelg recorded it
    db.execute("UPDATE runs SET status='failed', error='OSError: [Errno 28] No space left on device (x.py:1)' "
               "WHERE json_extract(config, '$.model.pe') = 'rope'")
    db.execute("UPDATE runs SET status='failed', error='run failed at step 2: non-finite loss nan' "
               "WHERE json_extract(config, '$.model.pe') = 'nope'")
    db.commit()
    db.close()
    code, out, err = pelg(capsys, "sweep", spec(tmp_path), "--store", store)
    assert statuses(store) == {"nope": "failed", "rope": "done"} and code == 1
    assert "pe=nope: run failed at step 2" in err and "pe=rope" not in err


# -------------------------------------------------------------------------- done only when model.pt loads
def test_a_run_whose_model_does_not_load_is_failed_not_done(tmp_path, capsys, monkeypatch):
    from empirics import train as training

    real = training.train

    def corrupting(cfg, out_dir=None, **kw):
        result = real(cfg, out_dir=out_dir, **kw)
        if cfg.model.pe == "rope":
            model = Path(out_dir) / training.MODEL
            model.write_bytes(model.read_bytes()[:200])   # truncated after training
        return result

    monkeypatch.setattr(training, "train", corrupting)
    store = tmp_path / "pelg.sqlite"
    code, _, err = pelg(capsys, "sweep", spec(tmp_path), "--store", store)
    assert code == 1 and statuses(store) == {"nope": "done", "rope": "failed"}
    assert "pe=rope" in err and "model.pt" in err


def test_recovery_from_result_json_needs_a_model_that_loads(tmp_path, capsys):
    from empirics.checkpoint import load

    store = tmp_path / "pelg.sqlite"
    assert pelg(capsys, "sweep", spec(tmp_path), "--store", store)[0] == 0
    rows = {r["config"]["model"]["pe"]: r for r in Store(store, readonly=True).rows()}
    broken = tmp_path / "runs" / rows["rope"]["hash"] / "model.pt"
    broken.write_bytes(b"not a checkpoint")
    db = sqlite3.connect(store)   # as if the driver died after training, before writing the store
    db.execute("UPDATE runs SET status='running', claimed_by='elsewhere:1:x', heartbeat=0, metrics=NULL")
    db.commit()
    db.close()
    code, out, err = pelg(capsys, "sweep", spec(tmp_path), "--store", store)
    assert code == 0 and out.count("recovered") == 1 and "ran 1 here" in out, err   # rope trained again
    assert statuses(store) == {"nope": "done", "rope": "done"}
    load(broken)                                        # rewritten, and it loads


# ------------------------------------------------------------------------------------ exit codes, files
def test_sweep_exits_1_and_names_the_failed_runs(tmp_path, capsys, monkeypatch):
    from empirics import train as training

    real = training.train

    def flaky(cfg, out_dir=None, **kw):
        if cfg.model.pe == "nope":
            raise training.RunFailed(4, "non-finite loss nan; lower the learning rate")
        return real(cfg, out_dir=out_dir, **kw)

    monkeypatch.setattr(training, "train", flaky)
    store = tmp_path / "pelg.sqlite"
    code, out, err = pelg(capsys, "sweep", spec(tmp_path), "--store", store)
    failed = next(r for r in Store(store, readonly=True).rows() if r["status"] == "failed")
    assert code == 1 and "pelg: 1 run(s) failed" in err
    assert f"{failed['hash'][:12]}  pe=nope: run failed at step 4: non-finite loss nan" in err


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_respect_the_umask(tmp_path, umask, mode):
    from empirics.fileio import write_json

    old = os.umask(umask)
    try:
        write_json(tmp_path / "r.json", {"a": 1})
    finally:
        os.umask(old)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == mode


def test_a_sweep_run_keeps_its_loss_curve_and_files_are_readable(tmp_path, capsys):
    old = os.umask(0o022)
    try:
        store = tmp_path / "pelg.sqlite"
        assert pelg(capsys, "sweep", spec(tmp_path), "--store", store)[0] == 0
    finally:
        os.umask(old)
    with Store(store, readonly=True) as s:
        row = s.rows()[0]
        curve = s.loss_curve(row["hash"])
    assert [step for step, _ in curve] == [1, 2, 3, 4, 5, 6]          # 6 steps: every one kept
    assert curve[0][1] == pytest.approx(row["train_loss"]["first"])
    assert min(loss for _, loss in curve) == pytest.approx(row["train_loss"]["min"])
    run = tmp_path / "runs" / row["hash"]
    assert json.loads((run / "result.json").read_text())["loss_curve"] == [list(p) for p in curve]
    for name in ("result.json", "model.pt"):
        assert (run / name).stat().st_mode & 0o777 == 0o644


def test_the_loss_curve_is_capped_and_keeps_both_ends():
    from empirics.train import LOSS_POINTS, loss_points

    points = loss_points(list(range(5000, 0, -1)))
    assert len(points) == LOSS_POINTS and points[0] == [1, 5000.0] and points[-1] == [5000, 1.0]
