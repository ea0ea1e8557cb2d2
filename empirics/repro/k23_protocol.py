"""Kazemnejad et al. 2023 protocol helpers shared by the reproduction, its report and its attention
analysis: K23's seeds, each task-split's lengths under a profile, and where a run keeps its model."""
from __future__ import annotations

from pathlib import Path

from empirics.errors import PelgError
from empirics.tasks.protocols import task_protocol

K23_SEEDS = (256788, 234054, 146317)


def seeds_for(p: dict, task: str, n_seeds: int | None = None) -> list[int]:
    """K23's seeds in order: the profile's `seeds`, or `[task_seeds]`'s count for the task, or `n_seeds`
    (the CLI's --seeds) for every task."""
    if n_seeds is not None:
        if not 1 <= n_seeds <= len(K23_SEEDS):
            raise PelgError(f"--seeds {n_seeds} is impossible: K23 ran {len(K23_SEEDS)} seeds; valid: 1..{len(K23_SEEDS)}")
        return list(K23_SEEDS[:n_seeds])
    count = p.get("task_seeds", {}).get(task)
    return list(K23_SEEDS[:int(count)]) if count else list(p["seeds"])


def lengths(p: dict, task: str) -> tuple[list[int], list[list[int]]]:
    """(train lengths, test buckets): the profile's `[task_lengths]` entry, or the task's K23 protocol."""
    entry = p.get("task_lengths", {}).get(task)
    if entry:
        return list(entry["train"]), [list(b) for b in entry["test"]]
    proto = task_protocol(task)
    return list(proto["train_lengths"]), [list(b) for b in proto["test_buckets"]]


def model_dir(out_dir: Path, key: tuple) -> Path:
    return Path(out_dir) / "models" / "_".join(str(k).replace("/", "-") for k in key)


