"""Held-out in-distribution evaluation: training and in-range evaluation never share an example; filtered
draws keep the task's length distribution (empirics/tasks/splits.py)."""
from collections import Counter

import numpy as np
import pytest

from empirics.errors import PelgError
from empirics.tasks import get_task
from empirics.tasks.base import Example, Task
from empirics.tasks.splits import HELDOUT_MOD, draw, example_key, is_heldout


def test_train_and_iid_eval_are_disjoint_and_eval_is_heldout():
    task = get_task("copy")
    rng = np.random.default_rng(0)
    train = {example_key(draw(task, rng, 1, 3, "train")) for _ in range(3000)}
    evals = [draw(task, rng, 1, 3, "eval", train_range=(1, 3)) for _ in range(300)]
    assert all(is_heldout(e) for e in evals)
    assert not train & {example_key(e) for e in evals}
    # the filter is not vacuous: unfiltered draws do hit held-out examples at about 1/HELDOUT_MOD
    anyd = [draw(task, rng, 8, 10, "any") for _ in range(3000)]  # large space: the rate is the hash's
    rate = np.mean([is_heldout(e) for e in anyd])
    assert abs(rate - 1 / HELDOUT_MOD) < 0.03


def test_eval_outside_the_training_range_is_not_filtered():
    task = get_task("copy")
    rng = np.random.default_rng(1)
    evals = [draw(task, rng, 11, 20, "eval", train_range=(1, 10)) for _ in range(500)]
    assert np.mean([is_heldout(e) for e in evals]) < 0.5  # about 1/10, not all


def test_bad_role_is_rejected():
    with pytest.raises(PelgError, match="unknown split role 'test'; valid: train, eval, any"):
        draw(get_task("copy"), np.random.default_rng(0), 1, 2, "test")


# ---- the length distribution of filtered draws (the length is drawn once, then examples at it) ----------

class Pools(Task):
    """Toy task: the examples at length n are the pools[n] words "<salt>n.k" (k < pools[n]), each
    repeated n times, so which of them are held out can be enumerated."""

    name = "toy.pools"

    def __init__(self, pools: dict[int, int], weights: dict[int, float] | None = None, salt: str = ""):
        self.pools, self.weights, self.salt = pools, weights, salt
        self.min_length, self.max_length = min(pools), max(pools)

    def example(self, n: int, k: int) -> Example:
        return Example([f"{self.salt}{n}.{k}"] * n, [str(n)], n)

    def sample(self, rng, length):
        return self.example(length, int(rng.integers(self.pools[length])))

    def oracle(self, example):
        return [str(example.length)]

    def length_weights(self, lengths):
        return None if self.weights is None else np.array([self.weights[n] for n in lengths])

    def heldout(self, n: int) -> int:
        return sum(is_heldout(self.example(n, k)) for k in range(self.pools[n]))


def _salted(pools, want, weights=None) -> Pools:
    """The first salt whose held-out counts per length are `want` (found by enumeration)."""
    for i in range(10_000):
        task = Pools(pools, weights, salt=f"s{i}.")
        if all(task.heldout(n) == h for n, h in want.items()):
            return task
    raise AssertionError("no salt found")


def _shares(examples) -> dict[int, float]:
    counts = Counter(e.length for e in examples)
    return {n: c / len(examples) for n, c in sorted(counts.items())}


# Length 1: 2 examples, 1 held out (50%, five times the 10% of a large pool); length 2: 3 examples,
# none held out (no eval example exists); lengths 3, 4: 500 examples, about 10% held out.
POOLS = {1: 2, 2: 3, 3: 500, 4: 500}
WANT = {1: 1, 2: 0}


def test_eval_lengths_are_not_inflated_by_a_tiny_mostly_heldout_pool():
    """The old sampler redrew the length on every rejected try, so a length's share was proportional
    to its held-out fraction: length 1 would take 0.5 / (0.5 + 0.1 + 0.1) = 71% of the eval draws."""
    task = _salted(POOLS, WANT)
    evals = [draw(task, np.random.default_rng(s), 1, 4, "eval", (1, 4)) for s in range(3000)]
    assert all(is_heldout(e) for e in evals)
    shares = _shares(evals)
    assert 2 not in shares                                          # no legal example: dropped
    assert all(abs(shares[n] - 1 / 3) < 0.04 for n in (1, 3, 4)), shares   # sd 0.009


def test_draws_follow_length_weights_renormalised_over_lengths_with_legal_examples():
    task = _salted(POOLS, WANT, weights={1: 1.0, 2: 5.0, 3: 2.0, 4: 2.0})
    rng = np.random.default_rng(0)
    evals = _shares([draw(task, rng, 1, 4, "eval", (1, 4)) for _ in range(4000)])
    for n, p in {1: 0.2, 3: 0.4, 4: 0.4}.items():                  # length 2 (weight 5) has no eval example
        assert abs(evals[n] - p) < 0.035, evals
    train = _shares([draw(task, rng, 1, 4, "train") for _ in range(4000)])
    for n, p in {1: 0.1, 2: 0.5, 3: 0.2, 4: 0.2}.items():          # every length has a training example
        assert abs(train[n] - p) < 0.035, train
    anyd = _shares([draw(task, rng, 2, 4, "any") for _ in range(4000)])
    assert abs(anyd[2] - 5 / 9) < 0.035, anyd


def test_h25_parity_empty_string_keeps_its_share_of_the_iid_set():
    """h25.parity trains on 0..50 bits. The one empty string is held out, every length >= 3 has held-out
    strings, lengths 1 and 2 (2 and 4 strings) have none. Before the fix the empty string was 16-18% of
    the I.I.D. set; now it is 1/49 of it, like every other length that has a held-out string."""
    task = get_task("h25.parity")
    rng = np.random.default_rng(0)
    evals = _shares([draw(task, rng, 0, 50, "eval", (0, 50)) for _ in range(5000)])
    assert 1 not in evals and 2 not in evals and len(evals) == 49
    assert abs(evals[0] - 1 / 49) < 0.01, evals[0]                  # sd 0.002
    assert max(evals.values()) < 2.5 / 49


def test_draws_are_deterministic_whatever_the_caches_hold():
    used = _salted(POOLS, WANT)
    for s in range(50):                                             # fills the probe caches
        draw(used, np.random.default_rng(s), 1, 4, "eval", (1, 4))
    fresh = _salted(POOLS, WANT)
    a = [draw(used, np.random.default_rng(7), 1, 4, "eval", (1, 4)) for _ in range(20)]
    b = [draw(fresh, np.random.default_rng(7), 1, 4, "eval", (1, 4)) for _ in range(20)]
    assert a == b


def test_no_legal_example_at_all_is_one_line_error():
    task = _salted({1: 2, 2: 3}, {1: 0, 2: 0})
    with pytest.raises(PelgError, match=r"^task 'toy.pools': no eval example in lengths 1..2 \(too few") as err:
        draw(task, np.random.default_rng(0), 1, 2, "eval", (1, 2))
    assert "\n" not in str(err.value)


def test_bad_length_weights_are_rejected():
    task = Pools({1: 5, 2: 5}, weights={1: -1.0, 2: 1.0})
    with pytest.raises(PelgError, match="length_weights must give 2 finite, non-negative weights"):
        draw(task, np.random.default_rng(0), 1, 2)
