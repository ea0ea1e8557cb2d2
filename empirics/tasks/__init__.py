"""Task registry: `get_task(name)` and `TASKS` (name -> factory)."""
from __future__ import annotations

from ..errors import unknown
from .base import Batch, Example, Task, collate
from .copying import CopyTask
from .running_sum import RunningSum

TASKS = {
    "running_mean": lambda: RunningSum("mean"),
    "running_sum": lambda: RunningSum("sum"),
    "copy": lambda: CopyTask(reverse=False),
    "reverse": lambda: CopyTask(reverse=True),
}


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise unknown("task", name, TASKS)
    return TASKS[name]()


__all__ = ["Batch", "Example", "Task", "TASKS", "collate", "get_task"]
