"""Train / evaluation splits that never overlap in distribution, drawn by each task's length distribution.

Huang et al. 2025's official code drew its in-distribution test set from the same stream as training
(huang2025.md, "known defects"). pelg holds out a fixed 1/HELDOUT_MOD of all examples, chosen by a hash
of their content: training never sees a held-out example, and evaluation at lengths inside the training
range uses only held-out examples. Outside the training range every example is new by construction.
Regression examples are real-valued and never collide, so they are not filtered.

Lengths. `draw` picks the length first, by the task's length distribution (`Task.length_weights`;
uniform over the generable lengths unless the task says otherwise, e.g. SCAN uniform over commands,
PCFG SET the published productivity-split marginal), and only then rejection-samples examples *at that
length*. Redrawing the length on every rejected try (pelg before this fix) weights each length by the
fraction of its examples that are legal for the role: lengths whose tiny pools happen to be mostly
held out dominated held-out sets (the one empty string took 16-18% of the h25.parity I.I.D. set
instead of 1/49; the shortest length took 30% of h25.d2's instead of 1/25, 24% of k23.summation's
instead of 1/8; SCAN's one-action commands 16% of k23.scan's).

A length may have no legal example at all (parity has 2 strings of length 1 and neither may be held
out; a language with one word per length). Whether it has one is decided once per (task, format,
length, need) by a probe with a fixed-seed generator, so the verdict is a property of the task and can
be cached without making draws depend on what was drawn before. The probe stops at the first legal
example, after PROBE_TRIES draws, or once the pool looks exhausted: at least PROBE_MIN draws and
PROBE_SPREAD times as many draws as distinct examples seen (a pool of m equally likely examples then
hides one with probability about e^-PROBE_SPREAD). A length without a legal example is dropped for
the draw and the length re-drawn from the remaining ones, their weights renormalised; so is a length
where MAX_TRIES draws from the caller's generator find none (a pool with a tiny legal fraction). The
resulting length distribution is the intended one restricted to the lengths that have legal examples.
If no length has one, a one-line PelgError says so.
"""
from __future__ import annotations

import hashlib

import numpy as np

from ..errors import PelgError
from .base import Example, Task

HELDOUT_MOD = 10
ROLES = ("train", "eval", "any")
MAX_TRIES = 2000     # caller-generator draws at one chosen length before that length is given up
PROBE_TRIES = 1000   # fixed-seed draws that decide whether a length has a legal example at all
PROBE_MIN, PROBE_SPREAD = 32, 20   # ... stopping early once a small pool has been seen whole
PROBE_SEED = 0x5EED


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


def length_distribution(task: Task, lo: int, hi: int) -> tuple[list[int], np.ndarray | None]:
    """The generable lengths in [lo, hi] and their probabilities (None = uniform), from
    `task.length_weights`; checked and cached on the task."""
    lengths = lengths_in(task, lo, hi)
    cache = task.__dict__.setdefault("_length_probs", {})
    key = (lo, hi, task.format)
    if key not in cache:
        weights = task.length_weights(list(lengths))
        if weights is not None:
            weights = np.asarray(weights, dtype=float)
            if weights.shape != (len(lengths),) or not np.isfinite(weights).all() or (weights < 0).any() \
                    or weights.sum() <= 0:
                raise PelgError(f"task {task.name!r}: length_weights must give {len(lengths)} finite, non-negative "
                                f"weights with a positive sum for lengths {lo}..{hi}, got {weights!r}")
            weights = weights / weights.sum()
        cache[key] = weights
    return lengths, cache[key]


def keep(example: Example, role: str, train_range: tuple[int, int] | None) -> bool:
    """Whether `example` may be used in `role` (see `draw`)."""
    if role == "any":
        return True
    if role == "train":
        return not is_heldout(example)
    inside = train_range is None or train_range[0] <= example.length <= train_range[1]
    return not inside or is_heldout(example)


def _need(role: str, length: int, train_range) -> str | None:
    """What an example at `length` must be for `role`: "heldout", "kept", or None (anything goes)."""
    if role == "train":
        return "kept"
    if role == "eval" and (train_range is None or train_range[0] <= length <= train_range[1]):
        return "heldout"
    return None


def has_legal(task: Task, length: int, need: str) -> bool:
    """Whether a fixed-seed probe at `length` finds an example that is `need` ("heldout" or "kept");
    cached per (format, length, need). See the module docstring for when the probe gives up."""
    cache = task.__dict__.setdefault("_has_legal", {})
    key = (task.format, length, need)
    if key not in cache:
        prng = np.random.default_rng([PROBE_SEED, length, need == "heldout"])
        want, seen, found = need == "heldout", set(), False
        for tries in range(1, PROBE_TRIES + 1):
            example = task.sample(prng, length)
            if is_heldout(example) == want:
                found = True
                break
            seen.add(example_key(example))
            if tries >= max(PROBE_MIN, PROBE_SPREAD * len(seen)):
                break
        cache[key] = found
    return cache[key]


def _pick(rng: np.random.Generator, probs: np.ndarray | None, live: np.ndarray) -> int | None:
    """An index of a live length, by `probs` (None = uniform) restricted to the live ones."""
    if probs is None:
        if live.all():
            return int(rng.integers(len(live)))
        idx = np.flatnonzero(live)
        return int(idx[rng.integers(len(idx))]) if len(idx) else None
    p = np.where(live, probs, 0.0)
    if p.sum() <= 0:
        return None
    cdf = np.cumsum(p)
    i = int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))
    return min(i, int(np.flatnonzero(p)[-1]))  # guard against float round-off at the top


def draw(task: Task, rng: np.random.Generator, lo: int, hi: int, role: str = "any",
         train_range: tuple[int, int] | None = None) -> Example:
    """One example with its length drawn from the task's length distribution on [lo, hi] and legal for
    `role`: "train" -> not held out; "eval" -> held out if its length is inside `train_range`;
    "any" -> anything. The length is drawn once and examples are rejection-sampled at that length; a
    length without a legal example is dropped and the length re-drawn (module docstring)."""
    if role not in ROLES:
        raise PelgError(f"unknown split role {role!r}; valid: {', '.join(ROLES)}")
    filtered = task.kind != "regression" and role != "any"
    lengths, probs = length_distribution(task, lo, hi)
    live = np.ones(len(lengths), dtype=bool)
    while (i := _pick(rng, probs, live)) is not None:
        length = int(lengths[i])
        need = _need(role, length, train_range) if filtered else None
        if need is None:
            return task.sample(rng, length)
        if has_legal(task, length, need):
            for _ in range(MAX_TRIES):
                example = task.sample(rng, length)
                if keep(example, role, train_range):
                    return example
        live[i] = False
    raise PelgError(f"task {task.name!r}: no {role} example in lengths {lo}..{hi} (too few distinct examples to "
                    f"hold out 1/{HELDOUT_MOD})")
