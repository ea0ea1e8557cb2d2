"""Bad input to the training configuration and the task registry: one-line PelgErrors naming the bad
value (and the valid choices where there are choices)."""
from __future__ import annotations

import pytest

from empirics.errors import PelgError
from empirics.model import ModelConfig
from empirics.tasks import get_task
from empirics.train import TrainConfig, build_model, resolve_device


def test_valid_config_builds():
    cfg = TrainConfig(steps=1, train_lengths=(1, 1), eval_buckets=[(2, 2)])
    assert cfg.train_lengths == (1, 1) and cfg.eval_buckets == [(2, 2)]


@pytest.mark.parametrize("field, value", [("steps", 0), ("steps", -5), ("batch_size", 0), ("eval_samples", 0),
                                          ("steps", 2.5)])
def test_non_positive_counts_raise(field, value):
    with pytest.raises(PelgError, match=field):
        TrainConfig(**{field: value})


@pytest.mark.parametrize("lengths", [(-1, 5), (-3, -1), (5, 3), (2, 1)])
def test_impossible_train_lengths_raise(lengths):
    with pytest.raises(PelgError, match=r"length range"):
        TrainConfig(train_lengths=lengths)


@pytest.mark.parametrize("bucket", [(7, 6), (-2, 3)])
def test_impossible_eval_buckets_raise(bucket):
    with pytest.raises(PelgError, match=r"length range"):
        TrainConfig(eval_buckets=[(1, 10), bucket])


def test_unknown_schedule_raises_with_choices():
    with pytest.raises(PelgError) as err:
        TrainConfig(schedule="cosine")
    msg = str(err.value)
    assert "cosine" in msg and all(s in msg for s in ("linear", "poly", "constant"))


def test_unknown_device_raises_with_choices():
    with pytest.raises(PelgError) as err:
        TrainConfig(device="tpu")
    msg = str(err.value)
    assert "tpu" in msg and all(s in msg for s in ("auto", "cpu", "cuda"))
    assert str(resolve_device("cpu")) == "cpu"


def test_unknown_train_config_field_raises():
    with pytest.raises(PelgError, match="step"):
        TrainConfig.from_dict({"step": 10})


def test_unknown_task_raises_with_choices():
    with pytest.raises(PelgError) as err:
        get_task("addition_with_typo")
    msg = str(err.value)
    assert "addition_with_typo" in msg and "copy" in msg and "running_mean" in msg
    with pytest.raises(PelgError, match="addition_with_typo"):
        build_model(TrainConfig(task="addition_with_typo", steps=1))


def test_task_and_architecture_mismatch_raises():
    with pytest.raises(PelgError, match="decoder"):
        build_model(TrainConfig(task="copy", model=ModelConfig(arch="encoder"), steps=1))
    with pytest.raises(PelgError, match="vocab_size"):
        build_model(TrainConfig(task="running_mean", model=ModelConfig(vocab_size=10), steps=1))


def test_bad_model_inside_train_config_raises():
    with pytest.raises(PelgError, match="bogus"):
        TrainConfig(model={"pe": "bogus"})


def test_length_zero_is_decided_by_the_task():
    """Length 0 exists for some tasks (Huang et al.'s parity trains on 0..50), not for others."""
    from empirics.train import resolve

    with pytest.raises(PelgError, match="needs an integer length .* >= 1, got 0"):
        resolve(TrainConfig(task="copy", train_lengths=(0, 5), eval_buckets=[(1, 5)]))
    with pytest.raises(PelgError, match="got 0"):
        resolve(TrainConfig(task="copy", train_lengths=(1, 5), eval_buckets=[(0, 4)]))
    assert resolve(TrainConfig(task="h25.parity", train_lengths=(0, 50), eval_buckets=[(0, 50)]))
