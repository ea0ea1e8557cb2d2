"""Where training examples come from: a fresh stream (pelg's default), a fixed training set drawn once
(Kazemnejad et al. 2023's protocol), or an exported dataset directory (`pelg data export`).

K23 (kazemnejad2023.md, "Protocol") generated N_train = 100K examples per task-split once, with an equal
count per length bin, and trained for many epochs over them; the data were the same for every seed (the
seed set model initialisation and data order). `fixed_train_set` does that: `n_train` examples with
equal counts per valid length (or the task's own length distribution when it has one, `Task.length_weights`:
SCAN's split is its set of commands), drawn from `data_seed`, never a held-out example (tasks.splits).
`n_train = "all"` takes a finite task's whole training pool (SCAN: every command of the split that is not
held out).

Batches over a fixed set are stateless in the step: the example at global position p = step * B + i is
`perm_e[p mod N]` with e = p div N and perm_e a permutation drawn from (seed, epoch e). A resumed run
therefore sees exactly the batches an uninterrupted run sees.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .errors import PelgError
from .tasks.base import Batch, Example, Task, collate
from .tasks.splits import draw, keep, length_distribution

TRAIN_SET_STREAM = 271828   # fixed training set: np.random.default_rng([data_seed, TRAIN_SET_STREAM])
EPOCH_STREAM = 314159       # epoch e's order: np.random.default_rng([seed, EPOCH_STREAM, e])


def length_counts(task: Task, lo: int, hi: int, n: int) -> tuple[list[int], list[int]]:
    """(lengths, how many of n examples each gets): equal counts over the lengths the task can generate
    in [lo, hi] (the first n mod k lengths one more), or counts proportional to the task's length
    distribution (`tasks.splits.length_distribution`), rounded by largest remainders (they sum to n)."""
    lengths, weights = length_distribution(task, lo, hi)
    if weights is None:
        base, extra = divmod(n, len(lengths))
        return lengths, [base + (i < extra) for i in range(len(lengths))]
    w = np.asarray(weights, dtype=float)
    raw = n * w / w.sum()
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    return lengths, counts.tolist()


def fixed_train_set(task: Task, train_lengths: tuple[int, int], n: int | str, data_seed: int) -> list[Example]:
    """The fixed training set of K23's protocol (module docstring); deterministic in its arguments."""
    lo, hi = train_lengths
    if n == "all":
        if not hasattr(task, "all_examples"):
            raise PelgError(f"n_train 'all' needs a task with a finite pool (such as k23.scan); task "
                            f"{task.name!r} generates examples: give a number")
        pool = [e for e in task.all_examples(lo, hi) if keep(e, "train", None)]
        if not pool:
            raise PelgError(f"task {task.name!r} has no training example in lengths {lo}..{hi}")
        return pool
    rng = np.random.default_rng([data_seed, TRAIN_SET_STREAM])
    return [draw(task, rng, length, length, "train") for length, c in zip(*length_counts(task, lo, hi, n))
            for _ in range(c)]


def _words(value) -> list[str]:
    return value.split() if isinstance(value, str) else list(value)


def load_dataset(directory: str | Path, task: Task, task_name: str, task_format: str) -> list[Example]:
    """The train split of a dataset exported by `pelg data export` (manifest.json + train.jsonl), checked
    against its manifest hash and task; token rows are space-separated words."""
    from .datasets import read_manifest, read_split

    directory = Path(directory)
    manifest = read_manifest(directory)
    if (manifest["task"], manifest["format"]) != (task_name, task_format):
        raise PelgError(f"dataset {str(directory)!r} is task {manifest['task']!r} format {manifest['format']!r}; "
                        f"the run is task {task_name!r} format {task_format!r}")
    info = manifest["splits"].get("train")
    if info is None:
        raise PelgError(f"dataset {str(directory)!r} has no train split (has: {', '.join(manifest['splits']) or 'none'}); "
                        f"export it with `pelg data export {task_name} --split train --out {directory}`")
    path, text = read_split(directory, "train", info)  # inside the directory, UTF-8, hash checked
    examples = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            row = json.loads(line)
            if task.kind == "regression":
                examples.append(Example(np.asarray(row["source"], float), np.asarray(row["target"], float),
                                        int(row["length"])))
            elif task.kind == "sets":
                examples.append(Example(_words(row["source"]), [list(s) for s in row["target"]], int(row["length"])))
            else:
                examples.append(Example(_words(row["source"]), _words(row["target"]), int(row["length"])))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise PelgError(f"{str(path)!r} line {number} is not a pelg example row") from None
    if not examples:
        raise PelgError(f"{str(path)!r} has no examples")
    return examples


class FixedBatches:
    """Epochs over a fixed list of examples, shuffled per epoch; `batch(step)` is stateless in `step`."""

    def __init__(self, task: Task, examples: list[Example], batch_size: int, seed: int, layout: str):
        if task.kind == "regression" and len({len(e.source) for e in examples}) > 1:
            raise PelgError("a fixed regression training set must have one sequence length (batches share it)")
        self.task, self.examples, self.batch_size, self.seed, self.layout = task, examples, batch_size, seed, layout
        self._orders: dict[int, np.ndarray] = {}

    def _order(self, epoch: int) -> np.ndarray:
        if epoch not in self._orders:  # keep two epochs: a batch may straddle their boundary
            self._orders = {e: o for e, o in self._orders.items() if e == epoch - 1}
            self._orders[epoch] = np.random.default_rng([self.seed, EPOCH_STREAM, epoch]).permutation(
                len(self.examples))
        return self._orders[epoch]

    def batch(self, step: int) -> Batch:
        n = len(self.examples)
        picks = []
        for p in range(step * self.batch_size, (step + 1) * self.batch_size):
            picks.append(self.examples[int(self._order(p // n)[p % n])])
        return collate(self.task, picks, self.layout)

    def lengths(self) -> list[int]:
        return [e.length for e in self.examples]
