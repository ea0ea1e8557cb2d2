"""Bad input through the `pelg` command line, table-driven: unknown names, impossible lengths, an APE asked
beyond its table, malformed TOML, spec fields of the wrong type, corrupt or truncated checkpoints, stores
that are locked or not pelg stores, output directories that cannot be written, bad options.

Every case must: exit with code 2, print exactly one line `pelg: error: ...` naming the problem, print no
traceback, and leave everything as it was (no new store, no new files, the existing store unchanged)."""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
from pathlib import Path

import pytest
import torch

from bad_inputs import error_line, snapshot, unwritable_dir
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
    before, rows_before = snapshot(tmp_path), _rows(store)
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
    line = error_line(code, capsys.readouterr())
    assert needle.lower() in line.lower(), line
    assert not fresh.exists() and not fresh.parent.exists()          # nothing created
    assert snapshot(tmp_path) == before and _rows(store) == rows_before  # nothing changed


def test_the_table_is_big_enough():
    assert len(CASES) >= 30 and len({c[0] for c in CASES}) == len(CASES)


# ----------------------------------------------------------------------------- issue 15: the other commands
# (id, argv with placeholders, setup name or None, needles that the one error line must contain)
# {tmp}: the test's directory; {ds}: an exported dataset (setups "ds_*"); {model}: a saved model directory.
CLI_CASES = [
    # argparse errors: one line, the value named, no usage block
    ("train: --steps 2.5", "train --task copy --steps 2.5 --out {tmp}/o", None, ["--steps", "'2.5'"]),
    ("train: missing --task", "train --steps 2", None, ["--task"]),
    ("tasks show: no name", "tasks show", None, ["name"]),
    ("unknown subcommand", "trian --task copy", None, ["'trian'", "train"]),
    ("train: --test-lengths without MAX", "train --task copy --test-lengths 9 16 17 --out {tmp}/o", None,
     ["--test-lengths", "17"]),
    ("train: --test-lengths not a length", "train --task copy --test-lengths 9-x --out {tmp}/o", None,
     ["'9-x'"]),
    # devices, before any run starts
    ("train: --device gpu", "train --task copy --device gpu --out {tmp}/o", None, ["'gpu'", "cuda"]),
    ("repro: --device gpu", "repro li2025 --profile smoke --device gpu --out {tmp}/r", None, ["'gpu'", "cpu"]),
    ("train: cuda without a GPU", "train --task copy --device cuda --steps 2 --out {tmp}/o", "no_gpu", ["cuda"]),
    ("repro: cuda without a GPU", "repro li2025 --profile smoke --device cuda --out {tmp}/r", "no_gpu", ["cuda"]),
    ("repro: --workers 0", "repro li2025 --profile smoke --workers 0 --out {tmp}/r", None, ["--workers", "0"]),
    # PE and position-scheme options
    ("t5 num_buckets=-1", "train --task copy --pe t5 --pe-opt num_buckets=-1 --steps 2 --out {tmp}/o", None,
     ["num_buckets='-1'", ">= 2"]),
    ("rope base=ten", "train --task copy --pe rope --pe-opt base=ten --steps 2 --out {tmp}/o", None,
     ["option base='ten' for PE 'rope': expected float"]),
    ("learned max_positions=0", "train --task copy --pe learned --pe-opt max_positions=0 --out {tmp}/o", None,
     ["max_positions='0'", ">= 1"]),
    ("random_max not an int", "train --task copy --pe rope+random --pe-opt random_max=many --out {tmp}/o", None,
     ["random_max='many'", "int"]),
    ("random_max negative", "train --task copy --pe rope+random --pe-opt random_max=-3 --out {tmp}/o", None,
     ["random_max='-3'", ">= 0"]),
    ("random_max huge", "train --task copy --pe rope+random --pe-opt random_max=99999999999 --out {tmp}/o", None,
     ["random_max='99999999999'", "<="]),
    ("random_max below the lengths", "train --task copy --pe rope+random --pe-opt random_max=30 --steps 2 "
     "--out {tmp}/o", "no_training", ["random_max 30", "11-20"]),
    ("learned PE too short, before training", "train --task copy --pe learned --pe-opt max_positions=16 --steps 2 "
     "--out {tmp}/o", "no_training", ["max_positions=16", "outside its table", "max_positions=22"]),
    # sizes and upper bounds
    ("train lengths too long", "train --task copy --train-lengths 1 5000000 --out {tmp}/o", None,
     ["5000000", "4096"]),
    ("test lengths too long", "train --task copy --test-lengths 3000000 3000000 --out {tmp}/o", None,
     ["3000000", "4096"]),
    ("tasks show: length too long", "tasks show copy --length 1000000000", None, ["1000000000", "4096"]),
    ("tasks show: language length too long", "tasks show h25.tomita3 --length 1000000000", None,
     ["1000000000", "4096"]),
    ("steps too many", "train --task copy --steps 99999999999999999999999 --out {tmp}/o", None,
     ["--steps", "99999999999999999999999", "<="]),
    ("seed too big", "train --task copy --seed 99999999999999999999999 --steps 2 --out {tmp}/o", None,
     ["--seed", "99999999999999999999999", "<="]),
    ("seed negative", "train --task copy --seed -1 --steps 2 --out {tmp}/o", None, ["--seed", "-1", ">= 0"]),
    ("model too big", "train --task copy --d-model 65536 --layers 512 --steps 2 --out {tmp}/o", None,
     ["parameters", "maximum"]),
    ("batch too big", "train --task copy --batch-size 99999999 --steps 2 --out {tmp}/o", None,
     ["--batch-size", "99999999", "<= 65536"]),
    ("attention: too many examples", "attention --model {model} --task copy --length 3 --n 99999999", "model",
     ["--n", "99999999"]),
    # names
    ("tasks: unknown paper", "tasks --paper k24", None, ["'k24'", "k23", "kazemnejad2023"]),
    ("claims: unknown paper", "claims --paper k24", None, ["'k24'", "k23", "kazemnejad2023"]),
    # data export and check
    ("export --n 0", "data export copy --split train --out {tmp}/ex --n 0", None, ["--n", "got 0"]),
    ("export --n -5", "data export copy --split train --out {tmp}/ex --n -5", None, ["--n", "got -5"]),
    ("export --seed -1", "data export copy --split train --out {tmp}/ex --seed -1", None, ["--seed", "-1"]),
    ("check a file", "data check {ds}/train.jsonl", "ds", ["train.jsonl", "not a dataset directory"]),
    ("split file is a directory", "data check {ds}", "ds_split_dir", ["train.jsonl", "is a directory"]),
    ("manifest n a string", "data check {ds}", "ds_n_string", ["'n'", "'5'"]),
    ("manifest n wrong", "data check {ds}", "ds_n_wrong", ["'n' is 6", "5"]),
    ("manifest n 10^12", "data check {ds}", "ds_n_huge", ["n_requested", "1000000000000"]),
    ("manifest protocol n 10^12", "data check {ds}", "ds_protocol_huge", ["n_train", "1000000000000"]),
    ("manifest splits empty", "data check {ds}", "ds_no_splits", ["'splits'", "at least one split"]),
    ("manifest path escapes", "data check {ds}", "ds_escape", ["../../../../etc/hostname", "outside"]),
    ("manifest lengths too long", "data check {ds}", "ds_long_lengths", ["train_lengths", "4096"]),
    ("binary split file", "data check {ds}", "ds_binary", ["train.jsonl", "UTF-8"]),
    ("train on a binary split file", "train --task copy --dataset {ds} --steps 2 --out {tmp}/o", "ds_binary",
     ["train.jsonl", "UTF-8"]),
    # a full disk: one line naming the path, nothing half-written
    ("disk full: train --out", "train --task copy --steps 2 --d-model 16 --eval-samples 4 --quiet "
     "--out {tmp}/o", "enospc", ["no space left on device", "{tmp}/o/"]),
    ("disk full: data export", "data export copy --split train --out {tmp}/ex --n 5", "enospc",
     ["no space left on device", "train.jsonl"]),
    ("disk full: export manifest", "data export copy --split train --out {tmp}/ex --n 5", "enospc_second",
     ["no space left on device", "manifest.json"]),
    ("disk full: second export keeps the first", "data export copy --split test --out {ds} --n 5",
     "ds_enospc_second", ["no space left on device", "manifest.json"]),
    # corrupted checkpoints: detected by their checksum, on load and on resume
    ("flipped bytes in model.pt", "attention --model {model} --task copy --length 3", "model_flipped",
     ["model.pt", "corrupt"]),
    ("flipped bytes in checkpoint.pt", "train --task copy --steps 2 --d-model 16 --eval-samples 4 --quiet "
     "--out {tmp}/o", "state_flipped", ["checkpoint.pt", "corrupt"]),
]


def _dataset(tmp_path: Path) -> Path:
    from empirics import datasets

    ds = tmp_path / "ds"
    datasets.export("copy", "train", ds, n=5)
    return ds


def _edit_manifest(ds: Path, edit) -> None:
    path = ds / "manifest.json"
    m = json.loads(path.read_text())
    edit(m)
    path.write_text(json.dumps(m))


def _full_disk(monkeypatch, after: int) -> None:
    """Every atomic write after the first `after` ones fails as a full disk does (OSError ENOSPC)."""
    import errno

    from empirics import fileio

    real, count = fileio._open, {"n": 0}

    from fake_disk import WrappedFile

    class Full(WrappedFile):
        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    def opener(fd):
        count["n"] += 1
        return real(fd) if count["n"] <= after else Full(real(fd))

    monkeypatch.setattr(fileio, "_open", opener)


def _flip_tensor_byte(path: Path, tensor: torch.Tensor) -> None:
    """Flip one byte inside `tensor`'s stored data (the zip container itself stays valid)."""
    data = bytearray(path.read_bytes())
    raw = tensor.detach().contiguous().view(-1).view(torch.uint8).numpy().tobytes()
    at = data.find(raw[:256])
    assert at > 0
    data[at + 100] ^= 0x10
    path.write_bytes(bytes(data))


def _model_dir(tmp_path: Path) -> tuple[Path, torch.nn.Module]:
    from empirics import checkpoint
    from empirics.runconfig import TrainConfig, build_model

    cfg = TrainConfig(task="copy", steps=1, model={"d_model": 16, "d_ff": 32})
    model = build_model(cfg)
    (tmp_path / "m").mkdir()
    checkpoint.save(tmp_path / "m" / "model.pt", model, cfg)
    return tmp_path / "m", model


def _cli_setup(name: str | None, tmp_path: Path, monkeypatch) -> dict:
    """Prepare a case; returns the placeholders it adds. Runs before the snapshot."""
    from empirics import checkpoint

    if name is None:
        return {}
    if name == "no_gpu":
        if torch.cuda.is_available():
            pytest.skip("this machine has a GPU")
        return {}
    if name == "no_training":
        from empirics import train as T

        def no_training(*a, **k):
            raise AssertionError("training started")

        monkeypatch.setattr(T, "train", no_training)
        return {}
    if name in ("enospc", "enospc_second"):
        _full_disk(monkeypatch, after=0 if name == "enospc" else 1)
        return {}
    if name in ("model", "model_flipped"):
        directory, model = _model_dir(tmp_path)
        if name == "model_flipped":
            _flip_tensor_byte(directory / "model.pt", max(model.state_dict().values(), key=torch.numel))
        return {"model": directory}
    if name == "state_flipped":
        out = tmp_path / "o"
        weights = torch.arange(4096, dtype=torch.float32)
        state = {k: None for k in checkpoint.STATE_KEYS} | {"config": "{}", "step": 1, "model": {"w": weights}}
        checkpoint.save_state(out / "checkpoint.pt", state)
        _flip_tensor_byte(out / "checkpoint.pt", weights)
        return {}
    ds = _dataset(tmp_path)
    edits = {
        "ds_n_string": lambda m: m["splits"]["train"].update(n="5"),
        "ds_n_wrong": lambda m: m["splits"]["train"].update(n=6),
        "ds_n_huge": lambda m: m["splits"]["train"].update(n_requested=10**12),
        "ds_protocol_huge": lambda m: (m["splits"]["train"].update(n_requested=None),
                                       m["protocol"].update(n_train=10**12)),
        "ds_no_splits": lambda m: m.update(splits={}),
        "ds_escape": lambda m: m["splits"]["train"].update(file="../../../../etc/hostname"),
        "ds_long_lengths": lambda m: m["protocol"].update(train_lengths=[1, 10**12]),
    }
    if name in edits:
        _edit_manifest(ds, edits[name])
    elif name == "ds_split_dir":
        (ds / "train.jsonl").unlink()
        (ds / "train.jsonl").mkdir()
    elif name == "ds_binary":
        (ds / "train.jsonl").write_bytes(b"\xff\xfe\x00\x81 not text\n")
    elif name == "ds_enospc_second":
        _full_disk(monkeypatch, after=1)  # the test split is written, its manifest is not
    return {"ds": ds}


@pytest.mark.parametrize("case", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_bad_cli_input(case, tmp_path, monkeypatch, capsys):
    """Exit 2, one line `pelg: error: ...` naming the value, no traceback, and every file as it was."""
    name, argv, setup, needles = case
    monkeypatch.chdir(tmp_path)
    places = {"tmp": tmp_path, **_cli_setup(setup, tmp_path, monkeypatch)}
    before = snapshot(tmp_path)
    code = cli.main(argv.format(**places).split())
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert code == 2, (out.out, out.err)
    assert len(lines) == 1 and lines[0].startswith("pelg: error: "), out.err
    for needle in needles:
        assert needle.format(**places) in lines[0], (needle, lines[0])
    assert "Traceback" not in out.err + out.out and "usage:" not in out.err
    assert snapshot(tmp_path) == before  # nothing written, nothing half-written, nothing changed
    assert not (tmp_path / "o" / "model.pt").exists() and not (tmp_path / "ex").exists()


def test_the_cli_table_is_big_enough():
    assert len(CLI_CASES) >= 40 and len({c[0] for c in CLI_CASES}) == len(CLI_CASES)
