"""Task registry: every task-split of the four papers by name (`TASKS`), `get_task(name, format)`.

Each family module exposes its own `TASKS` dict (name -> factory(format=..., **params)); protocols
(lengths, buckets, sample counts) are data in `protocols/*.toml` (see `protocols.task_protocol`).
"""
from __future__ import annotations

from ..errors import unknown
from .base import Batch, Example, Task, collate
from . import c25, h25_algorithmic, h25_languages, k23_algorithmic, pcfg, scan
from .copying import CopyTask
from .running_sum import RunningSum

TASKS = {
    "running_mean": lambda format="plain": _formatted(RunningSum("mean"), format),
    "running_sum": lambda format="plain": _formatted(RunningSum("sum"), format),
    "copy": lambda format="plain": _formatted(CopyTask(reverse=False), format),
    "reverse": lambda format="plain": _formatted(CopyTask(reverse=True), format),
}

FAMILIES = (k23_algorithmic, scan, pcfg, h25_algorithmic, h25_languages, c25)
for _family in FAMILIES:
    TASKS.update(_family.TASKS)


def _formatted(task: Task, format: str) -> Task:
    task.set_format(format)
    return task


def get_task(name: str, format: str = "plain", **params) -> Task:
    """Build a task by registry name; unknown names or formats raise a one-line PelgError."""
    if name not in TASKS:
        raise unknown("task", name, TASKS)
    return TASKS[name](format=format, **params)


__all__ = ["Batch", "Example", "Task", "TASKS", "collate", "get_task"]
