"""Train / evaluation splits that never overlap in distribution.

Huang et al. 2025's official code drew its in-distribution test set from the same stream as training
(huang2025.md, "known defects"). pelg holds out a fixed 1/HELDOUT_MOD of all examples, chosen by a hash
of their content: training never sees a held-out example, and evaluation at lengths inside the training
range uses only held-out examples. Outside the training range every example is new by construction.
Regression examples are real-valued and never collide, so they are not filtered.
"""
from __future__ import annotations

import hashlib

import numpy as np

from ..errors import PelgError
from .base import Example, Task

HELDOUT_MOD = 10
ROLES = ("train", "eval", "any")
MAX_TRIES = 2000


def example_key(example: Example) -> bytes:
    """A stable byte string for an example's content (source and target)."""
    return ("\x1f".join(map(str, example.source)) + "\x1e" + "\x1f".join(map(str, example.target))).encode()


def is_heldout(example: Example) -> bool:
    digest = hashlib.blake2b(example_key(example), digest_size=8).digest()
    return int.from_bytes(digest, "little") % HELDOUT_MOD == 0


def lengths_in(task: Task, lo: int, hi: int) -> list[int]:
    """The lengths in [lo, hi] the task can generate (finite datasets have gaps, languages such as
    (aa)* have no odd words): those that pass `task.check_length`, cached on the task."""
    cache = task.__dict__.setdefault("_lengths_in", {})
    if (lo, hi) not in cache:
        ok = []
        for n in range(lo, hi + 1):
            try:
                ok.append(task.check_length(n))
            except PelgError:
                pass
        if not ok:
            task.check_length(lo)  # raises with the task's own description of its valid lengths
        cache[(lo, hi)] = ok
    return cache[(lo, hi)]


def keep(example: Example, role: str, train_range: tuple[int, int] | None) -> bool:
    """Whether `example` may be used in `role` (see `draw`)."""
    if role == "any":
        return True
    if role == "train":
        return not is_heldout(example)
    inside = train_range is None or train_range[0] <= example.length <= train_range[1]
    return not inside or is_heldout(example)


def draw(task: Task, rng: np.random.Generator, lo: int, hi: int, role: str = "any",
         train_range: tuple[int, int] | None = None) -> Example:
    """One example with length uniform in [lo, hi] that is legal for `role`:
    "train" -> not held out; "eval" -> held out if its length is inside `train_range`; "any" -> anything.
    A length at which no legal example turns up is redrawn (tiny languages hold few strings per length)."""
    if role not in ROLES:
        raise PelgError(f"unknown split role {role!r}; valid: {', '.join(ROLES)}")
    filtered = task.kind != "regression" and role != "any"
    lengths = lengths_in(task, lo, hi)
    for _ in range(MAX_TRIES):
        example = task.sample(rng, int(lengths[rng.integers(len(lengths))]))
        if not filtered or keep(example, role, train_range):
            return example
    raise PelgError(f"task {task.name!r}: no {role} example in lengths {lo}..{hi} after {MAX_TRIES} draws "
                    f"(too few distinct examples to hold out 1/{HELDOUT_MOD})")
