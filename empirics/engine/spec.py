"""Sweep specs: a TOML spec is read (`load_spec`), checked (`check_spec`) and expanded to a list of resolved,
validated training configs (`expand`, `dry_check`); empirics/engine/sweep.py runs them.

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

or, instead of base/grid/pe_options, a registered protocol by name (empirics/engine/protocols.py; the
reproductions register theirs): `protocol = "li2025"` and `profile = "smoke" | "quick" | "full"` (the
configs the reproduction itself would train).

Every config is validated before anything is written: field names and types (against TrainConfig's and
ModelConfig's defaults), task names and lengths, and one dry forward pass per distinct model and length
range (this is where an APE asked beyond its table is caught, before any training).
"""
from __future__ import annotations

import copy
import itertools
import json
import tomllib
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path

from empirics.errors import PelgError, unknown
from empirics.engine.confighash import canonical_config, config_hash, field_default
from empirics.engine.protocols import get_protocol
from empirics.engine.threads import torch_threads

SPEC_KEYS = ("name", "description", "lengths", "base", "grid", "pe_options", "protocol", "profile")
LENGTH_MODES = ("explicit", "task_protocol")


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
    folder = Path(__file__).resolve().parent.parent / "sweeps"   # empirics/sweeps
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
        protocol = get_protocol(spec["protocol"])
        clash = [k for k in ("base", "grid", "pe_options", "lengths") if k in spec]
        if clash:
            raise PelgError(f"{where}: 'protocol' takes its configs from the paper; remove {clash[0]!r}")
        if spec.get("profile") not in protocol.profiles:
            raise unknown("profile", spec.get("profile"), protocol.profiles)
    elif "profile" in spec:
        raise PelgError(f"{where}: 'profile' needs 'protocol'")
    elif not spec.get("base") and not spec.get("grid"):  # else it would train one all-default run
        raise PelgError(f"{where} is empty: give a [base] table and a [grid] of lists, or protocol = NAME "
                        f"(shipped specs: {', '.join(sorted(shipped_specs())) or 'none'})")
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
    return {f.name: field_default(f) for f in fields(cls)}


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


WORD_VALUES = {"n_train": ("all",)}   # fields whose type is their default's, or one of these words


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
            if key in defaults and not _type_ok(value, defaults[key]) and value not in WORD_VALUES.get(key, ()):
                raise PelgError(f"{where}: field {prefix + key!r} must be {_type_name(defaults[key])}, got {value!r}")


def expand(spec: dict) -> list[dict]:
    """The spec's configs, resolved (canonical_config) and validated, in grid order, duplicates merged."""
    where = f"sweep spec {spec.get('_source', spec.get('name'))}"
    with _naming(where):
        return _expand(spec, where)


def _expand(spec: dict, where: str) -> list[dict]:
    if "protocol" in spec:
        raw = get_protocol(spec["protocol"]).configs(spec["profile"])
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
    from empirics.runconfig import task_of
    from empirics.tasks.splits import lengths_in
    from empirics.train import TrainConfig, build_model

    structural = ("task", "task_format", "task_params", "layout", "model", "train_lengths", "eval_buckets")
    seen = set()
    for d in configs:
        key = json.dumps({k: d.get(k) for k in structural}, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        cfg = TrainConfig.from_dict(copy.deepcopy({**d, "device": "cpu"}))
        label = f"{cfg.task}/{cfg.model.pe}"
        try:
            task = task_of(cfg)
            model = build_model(cfg).eval()
            with torch.no_grad():
                for lo, hi in [cfg.train_lengths, *cfg.eval_buckets]:
                    longest = max(lengths_in(task, lo, hi))
                    batch = make_batch(task, np.random.default_rng(0), longest, longest, 2, "any", layout=cfg.layout)
                    forward(model, batch, np.random.default_rng(0))
        except PelgError as e:
            raise PelgError(f"config {label} (lengths {list(cfg.train_lengths)}, buckets "
                            f"{[list(b) for b in cfg.eval_buckets]}): {str(e).splitlines()[0]}") from None
