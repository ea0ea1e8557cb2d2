"""Config hashing: the canonical form of a training config and the hash that keys its run in the results
store (empirics/engine/store.py) and names its run directory.

Config hash (`config_hash`): sha256 of the canonical JSON (sorted keys, no spaces) of the resolved
config: `TrainConfig.from_dict(d).to_dict()` with every default filled in, integers in float fields
written as floats, `model.vocab_size` resolved from the task (as `train.build_model` does, so the hash of
a result's config equals the hash of the config that produced it), and `device` dropped when it is
"auto" (the same run whatever the machine picks). Every other field is kept: an explicit "cpu" or
"cuda" can change the numbers, so it is a different run; and `checkpoint_every`, which never changes the
numbers, stays in too, because a run directory is named by the hash and `train` resumes only from a
checkpoint of exactly its own config. A field added after hashes were recorded carries
`metadata={"hash": "omit_default"}` (e.g. `empirics.model.HASH_OMIT_DEFAULT`): it is left out while it
equals its default, so adding it changes no earlier run's hash.
"""
from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import MISSING, fields, is_dataclass
from functools import lru_cache

from empirics.errors import PelgError


def field_default(f):
    """A dataclass field's default value (its factory called), None when it has none."""
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return None


def _floats_as_floats(d: dict, cls) -> None:
    """In place: an int given for a float-valued field becomes a float (lr = 1 and lr = 1.0 are one run)."""
    for f in fields(cls):
        if f.name not in d:
            continue
        default, value = field_default(f), d[f.name]
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            d[f.name] = float(value)
        elif is_dataclass(default) and isinstance(value, dict):
            _floats_as_floats(value, type(default))


def _omit_new_defaults(d: dict, cls) -> None:
    """In place: drop fields marked `metadata={"hash": "omit_default"}` that equal their defaults."""
    for f in fields(cls):
        default = field_default(f)
        if f.metadata.get("hash") == "omit_default" and f.name in d and d[f.name] == default:
            del d[f.name]
        elif is_dataclass(default) and isinstance(d.get(f.name), dict):
            _omit_new_defaults(d[f.name], type(default))


@lru_cache(maxsize=256)
def _vocab_size(task: str, task_format: str, params: str = "{}") -> int | None:
    from empirics.tasks import get_task

    t = get_task(task, format=task_format, **json.loads(params))
    return len(t.vocab) if t.kind in ("tokens", "sets") else None


def canonical_config(cfg) -> dict:
    """The full resolved config dict of a TrainConfig or a (partial) config dict; validates it."""
    from empirics.train import TrainConfig

    d = copy.deepcopy(cfg.to_dict() if hasattr(cfg, "to_dict") else dict(cfg))
    if not isinstance(d.get("model", {}), dict):
        raise PelgError(f"train config field 'model' must be a table, got {d['model']!r}")
    d = TrainConfig.from_dict(d).to_dict()
    _floats_as_floats(d, TrainConfig)
    vocab = _vocab_size(d["task"], d["task_format"], json.dumps(d.get("task_params") or {}, sort_keys=True))
    if vocab is not None:
        d["model"]["vocab_size"] = vocab
    return d


def config_hash(cfg) -> str:
    """sha256 (hex) of the canonical JSON of the resolved config; "device" is left out when "auto", and
    so is every field marked hash "omit_default" while at its default."""
    from empirics.train import TrainConfig

    d = canonical_config(cfg)
    _omit_new_defaults(d, TrainConfig)
    if d.get("device") == "auto":
        del d["device"]
    text = json.dumps(d, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()

