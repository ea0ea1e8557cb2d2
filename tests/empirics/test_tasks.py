"""Tasks (empirics.tasks): generators checked by their oracles and by independent recomputation,
the collate layout, and seeding."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from empirics.errors import PelgError
from empirics.evaluate import make_batch
from empirics.tasks import TASKS, Example, collate, get_task
from empirics.tasks.base import BOS, EOS, IGNORE, PAD, SEP

ALL = ["copy", "reverse", "running_mean", "running_sum"]


def test_registry_has_the_four_tasks():
    assert set(ALL) <= set(TASKS)
    for name in ALL:
        assert get_task(name).name == name


@pytest.mark.parametrize("name", ALL)
def test_oracle_verifies_generated_examples(name):
    task = get_task(name)
    rng = np.random.default_rng(0)
    for length in list(range(1, 13)) + [40]:
        for _ in range(5):
            ex = task.sample(rng, length)
            assert ex.length == length and len(ex.source) == length
            assert task.verify(ex)


@pytest.mark.parametrize("name", ALL)
def test_oracle_rejects_a_wrong_target(name):
    task = get_task(name)
    ex = task.sample(np.random.default_rng(1), 6)
    if task.kind == "regression":
        bad = ex.target.copy()
        bad[3] += 1e-6
    else:
        bad = list(ex.target)
        bad[2] = next(s for s in task.symbols if s != bad[2])
    assert not task.verify(Example(ex.source, bad, ex.length))


def test_copy_and_reverse_targets_independently():
    rng = np.random.default_rng(2)
    copy, rev = get_task("copy"), get_task("reverse")
    for length in (1, 2, 7):
        ex = copy.sample(rng, length)
        assert ex.target == ex.source
        ex = rev.sample(rng, length)
        assert ex.target == list(reversed(ex.source))
        assert set(ex.source) <= set(rev.symbols)
    # tokens vary (not a constant sequence generator)
    assert len(set(copy.sample(rng, 50).source)) > 5


@pytest.mark.parametrize("name", ["running_mean", "running_sum"])
def test_running_targets_independently(name):
    task = get_task(name)
    ex = task.sample(np.random.default_rng(3), 25)
    x = np.asarray(ex.source)
    assert x.min() >= -1 and x.max() <= 1 and x.std() > 0.2
    for t in range(1, 26):
        s = math.fsum(x[:t])
        assert ex.target[t - 1] == pytest.approx(s / t if name == "running_mean" else s, abs=1e-12)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("length", [0, -3])
def test_impossible_length_raises(name, length):
    with pytest.raises(PelgError, match=str(length)):
        get_task(name).sample(np.random.default_rng(0), length)


def test_collate_layout_hand_built():
    """<bos> source <sep> target <eos>, shifted by one for next-token labels, right padding."""
    task = get_task("reverse")
    s = task.vocab.stoi
    a, b, c, d = "s1", "s2", "s3", "s9"
    batch = collate(task, [Example([a, b, c], [c, b, a], 3), Example([d], [d], 1)])
    full0 = [s[BOS], s[a], s[b], s[c], s[SEP], s[c], s[b], s[a], s[EOS]]
    full1 = [s[BOS], s[d], s[SEP], s[d], s[EOS]]
    pad, ign = s[PAD], IGNORE
    assert pad == 0
    assert batch.inputs.tolist() == [full0[:-1], full1[:-1] + [pad] * 4]
    assert batch.labels.tolist() == [[ign, ign, ign, ign, s[c], s[b], s[a], s[EOS]],
                                     [ign, ign, s[d], s[EOS], ign, ign, ign, ign]]
    assert batch.pad_mask.tolist() == [[False] * 8, [False] * 4 + [True] * 4]
    assert batch.sep_index.tolist() == [4, 2]
    assert batch.lengths == [3, 1]
    assert batch.inputs.dtype == torch.long and batch.labels.dtype == torch.long


def test_collate_labels_cover_exactly_target_and_eos():
    task = get_task("copy")
    rng = np.random.default_rng(4)
    examples = [task.sample(rng, n) for n in (1, 5, 3, 8)]
    batch = collate(task, examples)
    v = task.vocab
    for row, ex in enumerate(examples):
        labelled = batch.labels[row][batch.labels[row] != IGNORE].tolist()
        assert v.decode(labelled) == [*ex.target, EOS]
        sep = int(batch.sep_index[row])
        assert v.itos[int(batch.inputs[row, sep])] == SEP
        # the label at position t is the next input token (teacher forcing)
        n = len(ex.source) * 2 + 2
        assert batch.labels[row, sep:n - 1].tolist() == batch.inputs[row, sep + 1:n].tolist()


def test_collate_without_padding_has_no_mask():
    task = get_task("copy")
    rng = np.random.default_rng(5)
    batch = collate(task, [task.sample(rng, 4) for _ in range(3)])
    assert batch.pad_mask is None


def test_collate_regression():
    task = get_task("running_sum")
    rng = np.random.default_rng(6)
    examples = [task.sample(rng, 5) for _ in range(3)]
    batch = collate(task, examples)
    assert batch.inputs.shape == batch.labels.shape == (3, 5)
    np.testing.assert_allclose(batch.inputs.numpy(), np.stack([e.source for e in examples]), atol=1e-7)
    np.testing.assert_allclose(batch.labels.numpy(), np.stack([e.target for e in examples]), atol=1e-6)
    assert batch.pad_mask is None
    with pytest.raises(PelgError):
        collate(task, [task.sample(rng, 5), task.sample(rng, 6)])


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_data_different_seed_different_data(name):
    task = get_task(name)

    def data(seed):
        b = make_batch(task, np.random.default_rng(seed), 2, 9, 16)
        return b.inputs, b.labels

    x0, y0 = data(0)
    x0b, y0b = data(0)
    x1, y1 = data(1)
    assert torch.equal(x0, x0b) and torch.equal(y0, y0b)
    assert x0.shape != x1.shape or not torch.equal(x0, x1)


def test_make_batch_lengths_in_range():
    task = get_task("copy")
    batch = make_batch(task, np.random.default_rng(7), 3, 6, 200)
    assert min(batch.lengths) == 3 and max(batch.lengths) == 6


def test_unknown_task_lists_valid_names():
    with pytest.raises(PelgError) as err:
        get_task("copyy")
    for name in ALL:
        assert name in str(err.value)
