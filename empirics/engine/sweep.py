"""Sweeps: a TOML spec expands to a list of training configs; `run_sweep` runs the ones the store does not
have yet, on a local process pool or Ray, and records every result in the store.

Spec (see empirics/sweeps/*.toml):

    name = "smoke12"                   # optional; default: the file name without .toml
    description = "..."                # optional
    lengths = "task_protocol"          # optional: train_lengths / eval_buckets from each task's protocol
                                       # where the config does not set them (default "explicit"); a
                                       # protocol length 0 becomes 1 (TrainConfig lengths start at 1)
    [base]                             # a partial TrainConfig (any field; `model` is a table)
    steps = 40
    [base.model]
    d_model = 32
    [grid]                             # the cartesian product, in file order; dotted keys reach into
    task = ["copy", "reverse"]         # tables; a list of tables is merged at its key
    "model.pe" = ["nope", "rope"]      # (e.g. model = [{n_layer = 1}, {n_layer = 2, d_model = 64}])
    seed = [0, 1]
    [pe_options]                       # options per PE (base name), merged into model.pe_options
    learned = { max_positions = 64 }

or, instead of base/grid/pe_options, a paper protocol by name: `protocol = "li2025"` and
`profile = "smoke" | "quick" | "full"` (the configs the reproduction itself would train).

Every config is validated before anything is written: field names and types (against TrainConfig's and
ModelConfig's defaults), task names and lengths, and one dry forward pass per distinct model and length
range (this is where an APE asked beyond its table is caught, before any training). Each run trains in
`<store dir>/runs/<config hash>/` with `train(..., out_dir)`, which resumes from that directory's
checkpoint after an interruption.
"""
from __future__ import annotations

import copy
import itertools
import json
import threading
import time
import tomllib
from contextlib import contextmanager
from dataclasses import fields
from importlib import resources
from pathlib import Path

from empirics.errors import PelgError, unknown
from empirics.engine.threads import torch_threads
from empirics.engine.store import (DEFAULT_STALE_AFTER, Store, canonical_config, config_hash, git_commit, new_worker_id,
                    retire_worker_id)

SPEC_KEYS = ("name", "description", "lengths", "base", "grid", "pe_options", "protocol", "profile")
LENGTH_MODES = ("explicit", "task_protocol")
PROTOCOLS = ("li2025",)
HEARTBEAT_EVERY = 5.0
POLL = 0.5


# ------------------------------------------------------------------------------------------- spec files
@contextmanager
def _naming(where: str):
    """Prefix a PelgError raised inside with the spec it came from (once)."""
    try:
        yield
    except PelgError as e:
        if str(e).startswith("sweep spec"):
            raise
        raise PelgError(f"{where}: {str(e).splitlines()[0]}") from None


def shipped_specs() -> dict[str, Path]:
    folder = resources.files("empirics").joinpath("sweeps")
    try:
        return {p.name[:-5]: Path(str(p)) for p in folder.iterdir() if p.name.endswith(".toml")}
    except (FileNotFoundError, NotADirectoryError):
        return {}


def load_spec(spec: str | Path) -> dict:
    """Read a sweep spec: a TOML file path, or the name of a spec shipped in empirics/sweeps."""
    path = Path(spec)
    if not path.is_file():
        shipped = shipped_specs()
        if str(spec) in shipped:
            path = shipped[str(spec)]
        elif path.exists():
            raise PelgError(f"sweep spec {str(spec)!r} is not a file")
        else:
            raise PelgError(f"no sweep spec file {str(spec)!r}; shipped specs: {', '.join(sorted(shipped)) or 'none'}")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise PelgError(f"sweep spec {path.name} is malformed TOML: {e}") from None
    except UnicodeDecodeError:
        raise PelgError(f"sweep spec {path.name} is not a text (UTF-8 TOML) file") from None
    except OSError as e:
        raise PelgError(f"cannot read sweep spec {str(path)!r}: {e.strerror}") from None
    data.setdefault("name", path.name[:-5] if path.name.endswith(".toml") else path.name)
    return check_spec(data, path.name)


def check_spec(spec: dict, source: str = "spec") -> dict:
    with _naming(f"sweep spec {source}"):
        return _check_spec(spec, source)


def _check_spec(spec: dict, source: str) -> dict:
    where = f"sweep spec {source}"
    bad = [k for k in spec if k not in SPEC_KEYS and not k.startswith("_")]
    if bad:
        raise PelgError(f"{where}: unknown key {bad[0]!r}; valid: {', '.join(SPEC_KEYS)}")
    for key in ("name", "description", "lengths", "protocol", "profile"):
        if key in spec and not isinstance(spec[key], str):
            raise PelgError(f"{where}: {key!r} must be a string, got {spec[key]!r}")
    for key in ("base", "grid", "pe_options"):
        if key in spec and not isinstance(spec[key], dict):
            raise PelgError(f"{where}: {key!r} must be a table, got {spec[key]!r}")
    name = spec.get("name", "")
    if not name or any(c in name for c in "/\\\n") or len(name) > 100:
        raise PelgError(f"{where}: name must be a short string without slashes, got {name!r}")
    if spec.get("lengths", "explicit") not in LENGTH_MODES:
        raise unknown("lengths mode", spec["lengths"], LENGTH_MODES)
    if "protocol" in spec:
        if spec["protocol"] not in PROTOCOLS:
            raise unknown("sweep protocol", spec["protocol"], PROTOCOLS)
        clash = [k for k in ("base", "grid", "pe_options", "lengths") if k in spec]
        if clash:
            raise PelgError(f"{where}: 'protocol' takes its configs from the paper; remove {clash[0]!r}")
        from empirics.repro.common import PROFILES

        if spec.get("profile") not in PROFILES:
            raise unknown("profile", spec.get("profile"), PROFILES)
    elif "profile" in spec:
        raise PelgError(f"{where}: 'profile' needs 'protocol'")
    for key, values in spec.get("grid", {}).items():
        if not isinstance(values, list) or not values:
            raise PelgError(f"{where}: grid.{key} must be a non-empty list, got {values!r}")
    for pe, opts in spec.get("pe_options", {}).items():
        if not isinstance(opts, dict):
            raise PelgError(f"{where}: pe_options.{pe} must be a table, got {opts!r}")
    spec["_source"] = source
    return spec


# -------------------------------------------------------------------------------------------- expansion
def _set(d: dict, dotted: str, value) -> None:
    keys = dotted.split(".")
    for k in keys[:-1]:
        if not isinstance(d.get(k, {}), dict):
            raise PelgError(f"cannot set {dotted!r}: {k!r} is not a table")
        d = d.setdefault(k, {})
    last = keys[-1]
    if isinstance(value, dict) and isinstance(d.get(last), dict):
        d[last] = _merge(d[last], value)
    else:
        d[last] = copy.deepcopy(value)


def _merge(a: dict, b: dict) -> dict:
    out = copy.deepcopy(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def _defaults(cls) -> dict:
    from empirics.engine.store import _default

    return {f.name: _default(f) for f in fields(cls)}


def _type_name(default) -> str:
    if isinstance(default, bool):
        return "a boolean"
    if isinstance(default, int):
        return "an integer"
    if isinstance(default, float):
        return "a number"
    if isinstance(default, str):
        return "a string"
    if isinstance(default, (list, tuple)):
        return "a list"
    return "a table"


def _type_ok(value, default) -> bool:
    if default is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple)) and (not default or all(_type_ok(v, default[0]) for v in value))
    if isinstance(default, dict):
        return isinstance(value, dict)
    return True


def check_types(cfg: dict, where: str) -> None:
    """Every known field of a config dict has the type of its default (ints are fine for floats)."""
    from empirics.model import ModelConfig
    from empirics.train import TrainConfig

    for cls, d, prefix in ((TrainConfig, cfg, ""), (ModelConfig, cfg.get("model", {}), "model.")):
        if not isinstance(d, dict):
            raise PelgError(f"{where}: field 'model' must be a table, got {d!r}")
        defaults = _defaults(cls)
        for key, value in d.items():
            if key == "model" and cls is TrainConfig:
                continue
            if key in defaults and not _type_ok(value, defaults[key]):
                raise PelgError(f"{where}: field {prefix + key!r} must be {_type_name(defaults[key])}, got {value!r}")


def _protocol_configs(spec: dict) -> list[dict]:
    from empirics.repro.common import load_protocol

    if spec["protocol"] == "li2025":
        from empirics.repro.li2025 import build_configs

        return [cfg for _, cfg in build_configs(load_protocol("li2025", spec["profile"]))]
    raise unknown("sweep protocol", spec["protocol"], PROTOCOLS)  # pragma: no cover (checked in check_spec)


def expand(spec: dict) -> list[dict]:
    """The spec's configs, resolved (canonical_config) and validated, in grid order, duplicates merged."""
    where = f"sweep spec {spec.get('_source', spec.get('name'))}"
    with _naming(where):
        return _expand(spec, where)


def _expand(spec: dict, where: str) -> list[dict]:
    if "protocol" in spec:
        raw = _protocol_configs(spec)
    else:
        raw = []
        grid = spec.get("grid", {})
        for combo in itertools.product(*grid.values()):
            cfg = copy.deepcopy(spec.get("base", {}))
            for key, value in zip(grid, combo):
                _set(cfg, key, value)
            model = cfg.setdefault("model", {}) if isinstance(cfg.get("model", {}), dict) else cfg["model"]
            if isinstance(model, dict):
                from empirics.positions import parse_pe_name

                pe = model.get("pe", "nope")
                base_pe = parse_pe_name(pe)[0] if isinstance(pe, str) else None
                extra = spec.get("pe_options", {}).get(base_pe, {})
                if extra and isinstance(model.get("pe_options", {}), dict):
                    model["pe_options"] = _merge(extra, model.get("pe_options", {}))
            if spec.get("lengths") == "task_protocol" and isinstance(cfg.get("task"), str):
                from empirics.tasks.protocols import task_protocol

                p = task_protocol(cfg["task"])
                at_least_1 = lambda r: [max(1, r[0]), max(1, r[1])]  # TrainConfig lengths start at 1
                cfg.setdefault("train_lengths", at_least_1(p["train_lengths"]))
                if "eval_buckets" not in cfg:
                    lo_hi = list(cfg["train_lengths"])
                    cfg["eval_buckets"] = [lo_hi] + [at_least_1(b) for b in p["test_buckets"]
                                                     if at_least_1(b) != lo_hi]
            raw.append(cfg)
    configs, seen = [], set()
    for cfg in raw:
        check_types(cfg, where)
        cfg = canonical_config(cfg)
        h = config_hash(cfg)
        if h not in seen:
            seen.add(h)
            configs.append(cfg)
    if not configs:
        raise PelgError(f"{where}: the grid is empty")
    return configs


def dry_check(configs: list[dict]) -> None:
    """Build each distinct model once and run one forward pass at the longest length of every length range
    it will see (training and each evaluation bucket): impossible lengths, an APE asked beyond its table,
    a position scheme that cannot reach a length... raise here, before any training."""
    from empirics.train import resolve_device

    for device in sorted({d.get("device", "auto") for d in configs}):
        resolve_device(device)  # "cuda" on a machine without a GPU fails here, not in every run
    with torch_threads(1):  # tiny forward passes; starting a thread pool costs seconds here
        _dry_check(configs)


def _dry_check(configs: list[dict]) -> None:
    import numpy as np
    import torch

    from empirics.evaluate import forward, make_batch
    from empirics.tasks import get_task
    from empirics.tasks.splits import lengths_in
    from empirics.train import TrainConfig, build_model

    structural = ("task", "task_format", "layout", "model", "train_lengths", "eval_buckets")
    seen = set()
    for d in configs:
        key = json.dumps({k: d.get(k) for k in structural}, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        cfg = TrainConfig.from_dict(copy.deepcopy({**d, "device": "cpu"}))
        label = f"{cfg.task}/{cfg.model.pe}"
        try:
            task = get_task(cfg.task, format=cfg.task_format)
            model = build_model(cfg).eval()
            with torch.no_grad():
                for lo, hi in [cfg.train_lengths, *cfg.eval_buckets]:
                    longest = max(lengths_in(task, lo, hi))
                    batch = make_batch(task, np.random.default_rng(0), longest, longest, 2, "any", layout=cfg.layout)
                    forward(model, batch, np.random.default_rng(0))
        except PelgError as e:
            raise PelgError(f"config {label} (lengths {list(cfg.train_lengths)}, buckets "
                            f"{[list(b) for b in cfg.eval_buckets]}): {str(e).splitlines()[0]}") from None


# --------------------------------------------------------------------------------------------- the runs
def run_dir(store_path: Path, h: str) -> Path:
    return Path(store_path).resolve().parent / "runs" / h


def check_run_files(store_path: Path, hashes: list[str]) -> None:
    """A checkpoint left in a run directory must load (weights only) before the sweep relies on it."""
    import torch

    for h in hashes:
        for name in ("checkpoint.pt",):
            path = run_dir(store_path, h) / name
            if not path.exists():
                continue
            try:
                payload = torch.load(path, map_location="cpu", weights_only=True)
                ok = isinstance(payload, dict)
            except Exception as e:
                ok, why = False, type(e).__name__
            else:
                why = "not a checkpoint dict"
            if not ok:
                raise PelgError(f"checkpoint {str(path)!r} is corrupt or truncated ({why}); delete it to restart "
                                f"that run from scratch")


def finished_result(store_path: Path, h: str) -> dict | None:
    """The result.json of a run whose training finished but whose result never reached the store."""
    path = run_dir(store_path, h) / "result.json"
    try:
        result = json.loads(path.read_text())
        return result if config_hash(result["config"]) == h and "metrics" in result else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def varying_keys(configs: list[dict]) -> list[str]:
    """Dotted config keys whose value differs across the sweep (for short run labels)."""
    from empirics.engine.store import _flatten

    flat = []
    for c in configs:
        out: dict = {}
        _flatten("", c, out)
        flat.append(out)
    keys = list(dict.fromkeys(k for f in flat for k in f if not isinstance(f[k], dict)))
    keys = [k for k in keys if k != "model.vocab_size"  # follows the task
            and len({json.dumps(f.get(k), sort_keys=True) for f in flat}) > 1]
    if "task" in keys:  # lengths that come with each task's protocol add nothing to a label
        keys = [k for k in keys if k not in ("train_lengths", "eval_buckets")]
    return keys


def run_label(cfg: dict, keys: list[str]) -> str:
    from empirics.engine.store import _flatten

    flat: dict = {}
    _flatten("", cfg, flat)
    return " ".join(f"{k.removeprefix('model.')}={flat[k]}" for k in keys if flat.get(k) is not None) or cfg["task"]


class _Heartbeat(threading.Thread):
    def __init__(self, store_path: Path, worker: str, every: float):
        super().__init__(daemon=True)
        self.store_path, self.worker, self.every = store_path, worker, every
        self.stop = threading.Event()

    def run(self) -> None:
        store = Store(self.store_path)
        try:
            while not self.stop.wait(self.every):
                try:
                    store.heartbeat(self.worker)
                except PelgError:
                    pass  # locked for a while: try again next beat
        finally:
            store.close()


def run_sweep(spec: dict | str | Path, store_path: str | Path, executor: str = "local", workers: int = 1,
              threads: int = 1, retry_failed: bool = False, stale_after: float = DEFAULT_STALE_AFTER,
              address: str | None = None, gpus_per_run: float = 0.0, dry_run: bool = False, log=print) -> dict:
    """Run every config of the spec that the store has not finished; returns a summary dict
    {"name", "total", "done", "failed", "ran", "skipped", "seconds", "hashes"}."""
    from empirics.engine.executors import EXECUTORS, make_executor

    if executor not in EXECUTORS:
        raise unknown("executor", executor, EXECUTORS)
    for name, value in (("--workers", workers), ("--threads", threads)):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise PelgError(f"{name} must be a positive integer, got {value!r}")
    if isinstance(stale_after, bool) or not isinstance(stale_after, (int, float)) or not stale_after > 0:
        raise PelgError(f"--stale-after must be a positive number of seconds, got {stale_after!r}")
    if address and executor != "ray":
        raise PelgError("--ray-address needs --executor ray")
    if isinstance(gpus_per_run, bool) or not isinstance(gpus_per_run, (int, float)) or not 0 <= gpus_per_run <= 64:
        raise PelgError(f"--gpus-per-run must be a number >= 0, got {gpus_per_run!r}")
    if gpus_per_run and executor != "ray":
        raise PelgError("--gpus-per-run needs --executor ray (local workers share this machine's GPUs)")
    if executor == "ray":
        import importlib.util

        if importlib.util.find_spec("ray") is None:
            raise PelgError("the ray executor needs ray, which is not installed: pip install 'pelg[ray]'")
    spec = load_spec(spec) if not isinstance(spec, dict) else check_spec(dict(spec), spec.get("name", "spec"))
    configs = expand(spec)
    dry_check(configs)
    hashes = [config_hash(c) for c in configs]
    by_hash = dict(zip(hashes, configs))
    keys = varying_keys(configs)
    store_path = Path(store_path)
    name, total = spec["name"], len(configs)

    if dry_run:
        done = {}
        if store_path.is_file():
            with Store(store_path) as store:
                done = {r["hash"]: r["status"] for r in store.rows() if r["hash"] in by_hash}
        for h in hashes:
            log(f"{h[:12]}  {done.get(h, 'new'):<8}  {run_label(by_hash[h], keys)}")
        log(f"sweep {name}: {total} runs ({sum(s == 'done' for s in done.values())} done in {store_path})")
        return {"name": name, "total": total, "hashes": hashes}

    store = Store(store_path, create=True)
    worker = new_worker_id()
    beat = ex = None
    in_flight: dict = {}
    start = time.time()
    ran: list[float] = []
    try:
        before = {r["hash"]: r["status"] for r in store.rows() if r["hash"] in by_hash}
        check_run_files(store_path, [h for h in hashes if before.get(h) != "done"])
        store.register(name, [(h, by_hash[h]) for h in hashes])
        if retry_failed:
            store.retry_failed(hashes, worker)
        counts = store.counts(hashes)
        skipped, dead = counts["done"], store.dead_claims(hashes, stale_after)
        log(f"sweep {name}: {total} runs; {counts['done']} already done, {counts['failed']} failed, "
            f"{counts['running'] - dead} running elsewhere, {counts['pending'] + dead} to run"
            f"{f' ({dead} interrupted: they resume)' if dead else ''}  "
            f"[{executor}, {workers} worker(s) x {threads} thread(s); store {store_path}]")
        commit = git_commit()
        beat = _Heartbeat(store_path, worker, min(HEARTBEAT_EVERY, stale_after / 4))
        beat.start()
        ex = make_executor(executor, workers, threads, address, gpus_per_run)
        last_shown = None

        def progress(note: str) -> None:
            nonlocal last_shown
            c = store.counts(hashes)
            finished = c["done"] + c["failed"]
            elapsed = time.time() - start
            left = total - finished
            if ran and left:
                eta = f"{sum(ran) / len(ran) * left / max(1, min(workers, left)):.0f}s"
            else:
                eta = "0s" if not left else "?"
            line = (f"[{finished}/{total}] {note} | done {c['done']} failed {c['failed']} running {c['running']} "
                    f"| elapsed {elapsed:.0f}s eta {eta}")
            if line != last_shown:
                log(line)
                last_shown = line

        while True:
            while len(in_flight) < workers:
                h = store.claim(hashes, worker, stale_after)
                if h is None:
                    break
                result = finished_result(store_path, h)
                if result is not None:  # trained before an interruption; only the store write was lost
                    store.finish(h, worker, result, 0.0, threads, commit)
                    progress(f"recovered {run_label(by_hash[h], keys)} from its result.json")
                    continue
                job = {"hash": h, "config": by_hash[h], "out_dir": str(run_dir(store_path, h)), "threads": threads}
                in_flight[ex.submit(job)] = h
            if not in_flight:
                c = store.counts(hashes)
                if c["pending"] == 0 and c["running"] == 0:
                    break
                progress(f"waiting for {c['running']} run(s) claimed by another sweep")
                time.sleep(POLL)
                continue
            for key, outcome in ex.wait(POLL):
                h = in_flight.pop(key)
                label = run_label(by_hash[h], keys)
                if outcome["status"] == "done":
                    store.finish(h, worker, outcome["result"], outcome["wall_seconds"], threads, commit)
                    ran.append(outcome["wall_seconds"])
                    progress(f"done {label} ({outcome['wall_seconds']:.1f}s)")
                elif outcome["status"] == "failed":
                    store.fail(h, worker, outcome["error"], outcome.get("step"), outcome["wall_seconds"], threads,
                               commit)
                    ran.append(outcome["wall_seconds"])
                    progress(f"FAILED {label}: {outcome['error']}")
                else:  # the worker died: give the run back (its checkpoint stays) unless it keeps dying
                    row = store.get(h)
                    if row and row["attempts"] >= 3:
                        store.fail(h, worker, f"worker died 3 times: {outcome['error']}", None, None, threads, commit)
                    else:
                        store.release(h, worker, outcome["error"])
                    progress(f"lost {label}: {outcome['error']}")
        c = store.counts(hashes)
        seconds = time.time() - start
        log(f"sweep {name}: {c['done']}/{total} done, {c['failed']} failed; ran {len(ran)} here in {seconds:.1f}s")
        if c["failed"]:
            log(f"failed runs: pelg results --store {store_path} --where sweep={name} --where status=failed")
        return {"name": name, "total": total, "done": c["done"], "failed": c["failed"], "ran": len(ran),
                "skipped": skipped, "seconds": seconds, "hashes": hashes}
    finally:
        if ex is not None:
            ex.shutdown()
        if beat is not None:
            beat.stop.set()
        for h in in_flight.values():
            try:
                store.release(h, worker, "interrupted")
            except PelgError:
                pass  # the claim dies with this process; another sweep reclaims it
        retire_worker_id(worker)
        store.close()
