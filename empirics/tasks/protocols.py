"""Task protocols as data: `empirics/tasks/protocols/*.toml`, one table per task-split with its training
lengths, test buckets and sample counts (from each paper's protocol); a task registered in code may bring
its protocol with it (`add_protocol`, called by `empirics.tasks.register_task`)."""
from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources

from ..errors import PelgError, unknown

REQUIRED = ("train_lengths", "test_buckets", "n_train", "n_test", "source")


def _check(name: str, entry: dict, file: str) -> dict:
    missing = [k for k in REQUIRED if k not in entry]
    if missing:
        raise PelgError(f"protocol {name!r} in {file} lacks {', '.join(missing)}")
    lo, hi = entry["train_lengths"]
    if not (0 <= lo <= hi) or any(not (0 <= a <= b) for a, b in entry["test_buckets"]):
        raise PelgError(f"protocol {name!r} in {file} has an impossible length range")
    for key in ("n_train", "n_test"):
        if not (entry[key] == "all" or (isinstance(entry[key], int) and entry[key] > 0)):
            raise PelgError(f"protocol {name!r} in {file}: {key} must be a positive integer or \"all\"")
    return entry


@lru_cache(maxsize=1)
def all_protocols() -> dict[str, dict]:
    out: dict[str, dict] = {}
    for path in sorted(resources.files("empirics.tasks").joinpath("protocols").iterdir(), key=str):
        if not path.name.endswith(".toml"):
            continue
        try:
            tables = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as e:
            raise PelgError(f"task protocol file {path.name} is malformed TOML: {e}") from None
        for name, entry in tables.items():
            if name in out:
                raise PelgError(f"task protocol {name!r} is defined twice ({path.name})")
            out[name] = _check(name, entry, path.name)
    return out


_REGISTERED: dict[str, dict] = {}  # protocols given with `register_task` at run time


def add_protocol(name: str, entry: dict) -> None:
    """A protocol that comes with a task registered in code rather than in protocols/*.toml."""
    if name in all_protocols() or name in _REGISTERED:
        raise PelgError(f"task protocol {name!r} is defined twice")
    _REGISTERED[name] = _check(name, dict(entry), "register_task")


def task_protocol(name: str) -> dict:
    protocols = {**all_protocols(), **_REGISTERED}
    if name not in protocols:
        raise unknown("task protocol", name, protocols)
    return protocols[name]
