"""Task registry: every task-split by name (`TASKS`), `get_task(name, format)`, `register_task`.

One registration per task-split: an entry `name -> factory(format=..., **params)` in its family module's
`TASKS` dict (collected below), or a `register_task(name, factory, protocol)` call for a task added
elsewhere. Protocols (lengths, buckets, sample counts) are data: `protocols/*.toml` for the papers' tasks
(see `protocols.task_protocol`), or the `protocol` given to `register_task`. `pelg tasks`, `pelg data`,
training, sweeps and the generic task tests read `TASKS`.
"""
from __future__ import annotations

from typing import Callable

from ..errors import PelgError, unknown
from .base import Batch, Example, Task, collate
from . import c25, h25_algorithmic, h25_languages, k23_algorithmic, pcfg, scan
from .copying import CopyTask
from .protocols import add_protocol
from .running_sum import RunningSum

TASKS: dict[str, Callable[..., Task]] = {}


def register_task(name: str, factory: Callable[..., Task], protocol: dict | None = None) -> None:
    """Add a task-split. `factory(format="plain", **params)` builds it; `protocol` (train_lengths,
    test_buckets, n_train, n_test, source) is needed unless protocols/*.toml already has `name`."""
    if not name or name in TASKS:
        raise PelgError(f"cannot register task {name!r}: the name is empty or taken")
    if protocol is not None:
        add_protocol(name, protocol)
    TASKS[name] = factory


def _formatted(task: Task, format: str) -> Task:
    task.set_format(format)
    return task


for _name, _factory in {
    "running_mean": lambda format="plain": _formatted(RunningSum("mean"), format),
    "running_sum": lambda format="plain": _formatted(RunningSum("sum"), format),
    "copy": lambda format="plain": _formatted(CopyTask(reverse=False), format),
    "reverse": lambda format="plain": _formatted(CopyTask(reverse=True), format),
}.items():
    register_task(_name, _factory)
FAMILIES = (k23_algorithmic, scan, pcfg, h25_algorithmic, h25_languages, c25)
for _family in FAMILIES:
    for _name, _factory in _family.TASKS.items():
        register_task(_name, _factory)


def get_task(name: str, format: str = "plain", **params) -> Task:
    """Build a task by registry name; unknown names or formats raise a one-line PelgError."""
    if name not in TASKS:
        raise unknown("task", name, TASKS)
    return TASKS[name](format=format, **params)


__all__ = ["Batch", "Example", "Task", "TASKS", "collate", "get_task", "register_task"]
