"""Fixed training sets (K23's protocol: drawn once, equal counts per length, reused across epochs) and
training on an exported dataset (`pelg train --dataset DIR`)."""
import json
from collections import Counter

import numpy as np
import pytest

from empirics import datasets
from empirics.errors import PelgError
from empirics.tasks import get_task
from empirics.tasks.splits import is_heldout
from empirics.train import TrainConfig, train
from empirics.trainsets import FixedBatches, fixed_train_set, length_counts


def test_fixed_set_has_equal_counts_per_length_and_no_heldout_example():
    task = get_task("k23.copy_cmc")
    examples = fixed_train_set(task, (1, 8), 803, data_seed=0)
    counts = Counter(e.length for e in examples)
    assert sorted(counts) == list(range(1, 9)) and set(counts.values()) == {100, 101} and len(examples) == 803
    assert not any(is_heldout(e) for e in examples)
    again = fixed_train_set(task, (1, 8), 803, data_seed=0)
    assert [e.source for e in again] == [e.source for e in examples]
    other = fixed_train_set(task, (1, 8), 803, data_seed=1)
    assert [e.source for e in other] != [e.source for e in examples]


def test_weighted_lengths_follow_the_task_and_sum_to_n():
    scan = get_task("k23.scan")
    valid, counts = length_counts(scan, 1, 25, 1000)
    assert sum(counts) == 1000 and counts[valid.index(2)] < counts[valid.index(12)]
    pool = fixed_train_set(scan, (1, 25), "all", data_seed=0)
    assert 15_000 < len(pool) < 17_774 and not any(is_heldout(e) for e in pool)
    with pytest.raises(PelgError, match="n_train 'all' needs a task with a finite pool"):
        fixed_train_set(get_task("k23.parity"), (1, 8), "all", 0)


def test_batches_are_stateless_in_the_step_and_cover_each_epoch():
    task = get_task("k23.parity")
    examples = fixed_train_set(task, (1, 8), 40, 0)
    fb = FixedBatches(task, examples, batch_size=8, seed=3, layout="k23")
    first = [fb.batch(s).inputs for s in range(5)]          # one epoch = 5 batches
    assert all(np.array_equal(fb.batch(2).inputs, first[2]) for _ in range(2))
    fresh = FixedBatches(task, examples, batch_size=8, seed=3, layout="k23")
    assert np.array_equal(fresh.batch(4).inputs, first[4])   # no hidden state: any step, any order
    seen = Counter()
    for s in range(5):
        order = fb._order(0)[s * 8:(s + 1) * 8]
        seen.update(order.tolist())
    assert sorted(seen) == list(range(40)) and set(seen.values()) == {1}


def _cfg(**kw):
    return TrainConfig(**{"task": "k23.parity", "layout": "k23", "train_lengths": (1, 6), "eval_buckets": [(1, 6)],
                          "steps": 6, "batch_size": 8, "eval_samples": 16,
                          "model": {"n_layer": 1, "n_head": 1, "d_model": 16, "d_ff": 16}, **kw})


def test_training_on_a_fixed_set_resumes_identically(tmp_path, monkeypatch):
    """Interrupted after the step-3 checkpoint and resumed, a fixed-set run repeats the straight run's batches
    (the batch of a step depends on the step only), so its loss curve and metrics are the same."""
    import empirics.train as T

    straight = train(_cfg(n_train=50, steps=6, checkpoint_every=3), tmp_path / "straight", progress=False)
    real, calls = T.torch.nn.utils.clip_grad_norm_, {"n": 0}

    def interrupt_at_step_5(*a, **k):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(T.torch.nn.utils, "clip_grad_norm_", interrupt_at_step_5)
    with pytest.raises(KeyboardInterrupt):
        train(_cfg(n_train=50, steps=6, checkpoint_every=3), tmp_path / "resumed", progress=False)
    monkeypatch.setattr(T.torch.nn.utils, "clip_grad_norm_", real)
    resumed = train(_cfg(n_train=50, steps=6, checkpoint_every=3), tmp_path / "resumed", progress=False)
    assert resumed["resumed_at"] == [3] and straight["train_examples"] == 50
    assert resumed["train_loss"] == straight["train_loss"] and resumed["metrics"] == straight["metrics"]


def test_train_on_an_exported_dataset(tmp_path):
    datasets.export("k23.parity", "train", tmp_path / "d", n=30)
    r = train(_cfg(dataset=str(tmp_path / "d"), train_lengths=(1, 8), eval_buckets=[(1, 8)]), progress=False)
    rows = (tmp_path / "d" / "train.jsonl").read_text().splitlines()
    assert r["train_examples"] == len(rows) and r["config"]["dataset"] == str(tmp_path / "d")
    with pytest.raises(PelgError, match="outside train_lengths"):
        train(_cfg(dataset=str(tmp_path / "d"), train_lengths=(1, 3), eval_buckets=[(1, 3)]), progress=False)
    with pytest.raises(PelgError, match="is task 'k23.parity'"):
        train(_cfg(task="k23.summation", dataset=str(tmp_path / "d"), train_lengths=(1, 8), eval_buckets=[(1, 8)]),
              progress=False)
    (tmp_path / "d" / "train.jsonl").write_text("\n".join(rows[:-1]) + "\n")
    with pytest.raises(PelgError, match="does not match its manifest hash"):
        train(_cfg(dataset=str(tmp_path / "d"), train_lengths=(1, 8), eval_buckets=[(1, 8)]), progress=False)
    datasets.export("k23.parity", "iid_test", tmp_path / "e", n=5)
    with pytest.raises(PelgError, match="has no train split"):
        train(_cfg(dataset=str(tmp_path / "e"), train_lengths=(1, 8), eval_buckets=[(1, 8)]), progress=False)


@pytest.mark.parametrize("kw, message", [
    ({"n_train": -1}, "n_train must be an integer >= 0"), ({"n_train": "lots"}, "n_train must be"),
    ({"data_seed": -2}, "data_seed must be"), ({"n_train": 5, "dataset": "x"}, "not both")])
def test_bad_data_options(kw, message):
    with pytest.raises(PelgError, match=message):
        _cfg(**kw)
