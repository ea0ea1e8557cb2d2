"""Held-out in-distribution evaluation: training and in-range evaluation never share an example."""
import numpy as np
import pytest

from empirics.errors import PelgError
from empirics.tasks import get_task
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
