"""Bad input through the `pelg` command line, table-driven: unknown names, impossible lengths, an APE asked
beyond its table, malformed TOML, spec fields of the wrong type, corrupt or truncated checkpoints, stores
that are locked or not pelg stores, output directories that cannot be written, bad options.

Every case must: exit with code 2, print exactly one line `pelg: error: ...` naming the problem, print no
traceback, and leave everything as it was (no new store, no new files, the existing store unchanged)."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
from pathlib import Path

import pytest
import torch

from empirics import cli
from empirics.engine import cli as cli_engine
from empirics.engine.confighash import canonical_config, config_hash
from empirics.engine.store import Store

BASE = {"name": "bad", "base": {"task": "copy", "train_lengths": [1, 4], "eval_buckets": [[1, 4], [5, 6]],
                                "steps": 2, "batch_size": 4, "eval_samples": 4,
                                "model": {"n_layer": 1, "d_model": 16, "d_ff": 32}},
        "grid": {"seed": [0, 1]}}
DROP = object()


def _value(v) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return json.dumps(v)


def _key(k: str) -> str:
    return json.dumps(k) if "." in k or " " in k else k


def to_toml(d: dict, prefix: str = "") -> str:
    """A small TOML writer for the spec dicts of this table (tables after scalars)."""
    scalars = [f"{_key(k)} = {_value(v)}" for k, v in d.items() if not isinstance(v, dict)]
    text = (f"[{prefix}]\n" if prefix else "") + "".join(line + "\n" for line in scalars)
    for k, v in d.items():
        if isinstance(v, dict):
            text += to_toml(v, f"{prefix}.{_key(k)}" if prefix else _key(k))
    return text


def spec_with(**changes) -> str:
    """BASE with changes: keys are paths with '__' for nesting (base__model__pe='rope'); DROP removes."""
    d = json.loads(json.dumps(BASE))
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = d
        for p in parents:
            node = node.setdefault(p, {})
        if value is DROP:
            node.pop(last, None)
        else:
            node[last] = value
    return to_toml(d)


def unwritable_dir(tmp_path: Path) -> Path | None:
    """A directory this process cannot write into (chmod for users; a path under /sys for root)."""
    ro = tmp_path / "readonly"
    ro.mkdir()
    ro.chmod(0o555)
    if not os.access(ro, os.W_OK):
        return ro
    candidate = Path("/sys/pelg-test-not-writable")
    try:
        candidate.mkdir()
    except OSError:
        return candidate
    candidate.rmdir()
    return None


# (id, spec text or None, argv with placeholders, setup name or None, needle in the error line)
# {spec}: the case's spec file; {good}: good spec; {fresh}: a store path that must stay absent;
# {store}: an existing store that must stay unchanged; {tmp}: the test's directory.
CASES = [
    # spec files
    ("spec file missing", None, "sweep {tmp}/nosuch.toml --store {fresh}", None, "no sweep spec file"),
    ("spec is a directory", None, "sweep {tmp} --store {fresh}", None, "is not a file"),
    ("malformed TOML", "name = \"x\"\n[base\nsteps = 3\n", "sweep {spec} --store {fresh}", None, "malformed TOML"),
    ("binary spec file", "\udcff\udcfe", "sweep {spec} --store {fresh}", None, "not a text"),
    ("unknown top-level key", spec_with(gird={"seed": [0]}), "sweep {spec} --store {fresh}", None, "'gird'"),
    ("grid value not a list", spec_with(grid__seed=3), "sweep {spec} --store {fresh}", None, "grid.seed"),
    ("grid list empty", spec_with(grid__seed=[]), "sweep {spec} --store {fresh}", None, "non-empty list"),
    ("base not a table", to_toml({"name": "x", "base": 3}),
     "sweep {spec} --store {fresh}", None, "'base' must be a table"),
    ("name with a slash", spec_with(name="a/b"), "sweep {spec} --store {fresh}", None, "slashes"),
    ("unknown task", spec_with(base__task="copyy"), "sweep {spec} --store {fresh}", None, "unknown task 'copyy'"),
    ("unknown task in grid", spec_with(grid__task=["copy", "sortt"]), "sweep {spec} --store {fresh}", None,
     "'sortt'"),
    ("unknown PE", spec_with(base__model__pe="ropee"), "sweep {spec} --store {fresh}", None, "ropee"),
    ("unknown PE scheme", spec_with(base__model__pe="rope+shuffled"), "sweep {spec} --store {fresh}", None,
     "shuffled"),
    ("unknown train field", spec_with(base__stepz=3), "sweep {spec} --store {fresh}", None, "'stepz'"),
    ("unknown model field", spec_with(base__model__layers=3), "sweep {spec} --store {fresh}", None, "'layers'"),
    ("unknown schedule", spec_with(base__schedule="cosine"), "sweep {spec} --store {fresh}", None, "cosine"),
    ("unknown device", spec_with(base__device="tpu"), "sweep {spec} --store {fresh}", None, "tpu"),
    ("unknown layout", spec_with(base__layout="k24"), "sweep {spec} --store {fresh}", None, "k24"),
    ("unknown task format", spec_with(base__task_format="scratch"), "sweep {spec} --store {fresh}", None,
     "scratch"),
    ("unknown lengths mode", spec_with(lengths="auto"), "sweep {spec} --store {fresh}", None, "lengths mode"),
    ("wrong type: lr string", spec_with(base__lr="fast"), "sweep {spec} --store {fresh}", None,
     "'lr' must be a number"),
    ("wrong type: steps float", spec_with(base__steps=2.5), "sweep {spec} --store {fresh}", None,
     "'steps' must be an integer"),
    ("wrong type: causal string", spec_with(base__model__causal="yes"), "sweep {spec} --store {fresh}", None,
     "'model.causal' must be a boolean"),
    ("wrong type: lengths string", spec_with(base__train_lengths="1-4"), "sweep {spec} --store {fresh}", None,
     "'train_lengths' must be a list"),
    ("wrong type: bucket of strings", spec_with(base__eval_buckets=[["a", "b"]]), "sweep {spec} --store {fresh}",
     None, "'eval_buckets' must be a list"),
    ("wrong type: model not a table", spec_with(grid__model=[3]), "sweep {spec} --store {fresh}", None,
     "'model' must be a table"),
    ("wrong type: pe_options entry", spec_with(pe_options={"rope": 3}), "sweep {spec} --store {fresh}", None,
     "pe_options.rope"),
    ("impossible train lengths", spec_with(base__train_lengths=[5, 3]), "sweep {spec} --store {fresh}", None,
     "impossible"),
    ("impossible bucket", spec_with(base__eval_buckets=[[7, 4]]), "sweep {spec} --store {fresh}", None,
     "impossible"),
    ("length beyond the task", spec_with(base__task="h25.sort", base__eval_buckets=[[1, 4], [151, 160]]),
     "sweep {spec} --store {fresh}", None, "h25.sort"),
    ("APE beyond its table", spec_with(base__model__pe="learned", pe_options={"learned": {"max_positions": 8}}),
     "sweep {spec} --store {fresh}", None, "outside its table"),
    ("d_model vs heads", spec_with(base__model__n_head=3), "sweep {spec} --store {fresh}", None, "divisible"),
    ("zero steps", spec_with(base__steps=0), "sweep {spec} --store {fresh}", None, "steps must be a positive"),
    ("unknown protocol", to_toml({"protocol": "li2026", "profile": "smoke"}), "sweep {spec} --store {fresh}", None,
     "li2026"),
    ("bad protocol profile", to_toml({"protocol": "li2025", "profile": "huge"}), "sweep {spec} --store {fresh}",
     None, "huge"),
    ("protocol and grid", to_toml({"protocol": "li2025", "profile": "smoke", "grid": {"seed": [0]}}),
     "sweep {spec} --store {fresh}", None, "remove 'grid'"),
    ("cuda without a GPU", spec_with(base__device="cuda"), "sweep {spec} --store {fresh}", "no_gpu", "cuda"),
    # options
    ("unknown executor", None, "sweep {good} --store {fresh} --executor slurm", None, "unknown executor 'slurm'"),
    ("zero workers", None, "sweep {good} --store {fresh} --workers 0", None, "--workers"),
    ("negative threads", None, "sweep {good} --store {fresh} --threads -1", None, "--threads"),
    ("zero stale-after", None, "sweep {good} --store {fresh} --stale-after 0", None, "--stale-after"),
    ("ray address without ray", None, "sweep {good} --store {fresh} --ray-address auto", None, "--executor ray"),
    ("GPUs per run without ray", None, "sweep {good} --store {fresh} --gpus-per-run 1", None, "--executor ray"),
    ("negative GPUs per run", None, "sweep {good} --store {fresh} --gpus-per-run -1", None, "--gpus-per-run"),
    ("bad store timeout", None, "results --store {store}", "bad_timeout", "PELG_STORE_TIMEOUT"),
    # stores
    ("store is a text file", None, "sweep {good} --store {tmp}/notes.txt", "text_store", "not a pelg store"),
    ("store is someone else's database", None, "results --store {tmp}/other.sqlite", "foreign_store",
     "not a pelg store"),
    ("sweep into someone else's database", None, "sweep {good} --store {tmp}/other.sqlite", "foreign_store",
     "not a pelg store"),
    ("store of a newer version", None, "results --store {tmp}/future.sqlite", "future_store", "version 7"),
    ("store missing", None, "results --store {tmp}/absent.sqlite", None, "no store"),
    ("store is a directory", None, "results --store {tmp}", None, "is a directory"),
    ("store locked", None, "sweep {good} --store {store}", "lock_store", "locked by another process"),
    ("store dir under a file", None, "sweep {good} --store {tmp}/notes.txt/sub/pelg.sqlite", "text_store",
     "cannot create the store directory"),
    ("store dir not writable", None, "sweep {good} --store {ro}/pelg.sqlite", "needs_ro", "cannot"),
    # checkpoints
    ("corrupt checkpoint", None, "sweep {good} --store {store}", "corrupt_checkpoint", "corrupt or truncated"),
    ("truncated checkpoint", None, "sweep {good} --store {store}", "truncated_checkpoint", "corrupt or truncated"),
    ("checkpoint not a dict", None, "sweep {good} --store {store}", "list_checkpoint", "corrupt or truncated"),
    # results
    ("where without =", None, "results --store {store} --where seed", None, "KEY=VALUE"),
    ("where unknown key", None, "results --store {store} --where colour=red", None, "unknown --where key 'colour'"),
    ("csv into a directory", None, "results --store {store} --csv {tmp}", None, "is a directory"),
    ("csv not writable", None, "results --store {store} --csv {ro}/out.csv", "needs_ro", "cannot write"),
    # the older subcommands, through the same entry point
    ("train: unknown task", None, "train --task nosuch --steps 1 --quiet", None, "nosuch"),
    ("train: unknown PE", None, "train --task copy --pe bogus --steps 1 --quiet", None, "bogus"),
    ("train: impossible lengths", None, "train --task copy --train-lengths 5 3 --steps 1 --quiet", None,
     "impossible"),
    ("tasks show: impossible length", None, "tasks show k23.lego --length 99", None, "k23.lego"),
]


def _wire(monkeypatch):
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "sweep" not in sub.choices:  # until the lead wires cli_engine into empirics/cli.py
        build = cli.build_parser

        def wired():
            p = build()
            cli_engine.add_parsers(next(a for a in p._actions if isinstance(a, argparse._SubParsersAction)))
            return p

        monkeypatch.setattr(cli, "build_parser", wired)


def _snapshot(root: Path) -> dict:
    """Every file under root (but SQLite's -wal/-shm side files) with a hash of its bytes, and the
    store's rows."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.name.endswith(("-wal", "-shm")):
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _rows(store: Path):
    db = sqlite3.connect(store)
    rows = db.execute("SELECT * FROM runs ORDER BY hash").fetchall() + db.execute("SELECT * FROM events").fetchall()
    db.close()
    return rows


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input(case, tmp_path, monkeypatch, capsys):
    name, spec_text, argv, setup, needle = case
    _wire(monkeypatch)
    monkeypatch.setenv("PELG_STORE_TIMEOUT", "0.3")
    good = tmp_path / "good.toml"
    good.write_text(to_toml(BASE))
    from empirics.engine.spec import expand, load_spec

    configs = expand(load_spec(good))
    store = tmp_path / "store" / "pelg.sqlite"
    with Store(store, create=True) as s:  # an existing store: registered, nothing trained
        s.register("bad", [(config_hash(c), canonical_config(c)) for c in configs])
    first_run = store.parent / "runs" / config_hash(configs[0])
    fresh = tmp_path / "fresh" / "pelg.sqlite"
    spec = tmp_path / "case.toml"
    if spec_text is not None:
        spec.write_bytes(spec_text.encode("utf-8", "surrogateescape"))
    ro, holder = None, None
    if setup == "no_gpu" and torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    if setup == "needs_ro":
        ro = unwritable_dir(tmp_path)
        if ro is None:
            pytest.skip("no unwritable directory available")
    if setup == "bad_timeout":
        monkeypatch.setenv("PELG_STORE_TIMEOUT", "soon")
    if setup == "text_store":
        (tmp_path / "notes.txt").write_text("not a database\n" * 50)
    if setup == "foreign_store":
        db = sqlite3.connect(tmp_path / "other.sqlite")
        db.execute("CREATE TABLE samples (x)")
        db.commit()
        db.close()
    if setup == "future_store":
        Store(tmp_path / "future.sqlite", create=True).close()
        db = sqlite3.connect(tmp_path / "future.sqlite")
        db.execute("UPDATE meta SET value='7' WHERE key='version'")
        db.commit()
        db.close()
    if setup in ("corrupt_checkpoint", "truncated_checkpoint", "list_checkpoint"):
        first_run.mkdir(parents=True)
        ckpt = first_run / "checkpoint.pt"
        if setup == "corrupt_checkpoint":
            ckpt.write_bytes(os.urandom(300))
        elif setup == "list_checkpoint":
            torch.save([1, 2, 3], ckpt)
        else:
            torch.save({"format": "x", "weights": torch.zeros(2000)}, ckpt)
            ckpt.write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    before, rows_before = _snapshot(tmp_path), _rows(store)
    if setup == "lock_store":
        holder = sqlite3.connect(store, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    try:
        args = argv.format(spec=spec, good=good, fresh=fresh, store=store, tmp=tmp_path, ro=ro).split()
        code = cli.main(args)
    finally:
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()
        if ro is not None and ro.is_relative_to(tmp_path):
            ro.chmod(0o755)
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert code == 2, (out.out, out.err)
    assert len(lines) == 1 and lines[0].startswith("pelg: error: "), out.err
    assert needle.lower() in lines[0].lower(), lines[0]
    assert "Traceback" not in out.err + out.out
    assert not fresh.exists() and not fresh.parent.exists()          # nothing created
    assert _snapshot(tmp_path) == before and _rows(store) == rows_before  # nothing changed


def test_the_table_is_big_enough():
    assert len(CASES) >= 30 and len({c[0] for c in CASES}) == len(CASES)
