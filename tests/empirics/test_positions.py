"""Position schemes (empirics.positions): abs, BASE+random (Ruoss et al. 2023), BASE+sh (Scale Hint)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from empirics.errors import PelgError
from empirics.evaluate import forward, make_batch
from empirics.model import ModelConfig, Transformer
from empirics.positional import PES
from empirics.positions import PositionScheme, parse_pe_name
from empirics.tasks import collate, get_task
from empirics.tasks.base import SEP, Example
from theory import encodings as E


def test_abs_positions_are_arange():
    pos = PositionScheme("abs")(3, 7)
    assert pos.shape == (3, 7)
    assert pos.tolist() == [list(range(7))] * 3


@pytest.mark.parametrize("random_max", [0, 25])
def test_random_positions_sorted_unique_in_range(random_max):
    T, B = 10, 16
    pos = PositionScheme("random", random_max=random_max)(B, T, rng=np.random.default_rng(5)).numpy()
    top = random_max or 4 * T
    assert pos.shape == (B, T)
    assert pos.min() >= 0 and pos.max() < top
    assert (np.diff(pos, axis=1) > 0).all()  # strictly increasing: sorted and unique
    assert len({tuple(r) for r in pos}) > B // 2  # rows are drawn independently
    assert not (pos == np.arange(T)).all(axis=1).all()  # not the identity
    assert pos.max() > T  # uses the extended range


def test_random_positions_seeded():
    s = PositionScheme("random", random_max=50)
    a = s(4, 8, rng=np.random.default_rng(1))
    b = s(4, 8, rng=np.random.default_rng(1))
    c = s(4, 8, rng=np.random.default_rng(2))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_random_positions_length_beyond_max_raises():
    with pytest.raises(PelgError, match="random_max"):
        PositionScheme("random", random_max=5)(1, 6, rng=np.random.default_rng(0))


def test_random_scheme_via_model_options():
    model = Transformer(ModelConfig(vocab_size=8, pe="rope+random", pe_options={"random_max": 30},
                                    n_head=2, d_model=16, d_ff=32))
    pos = model.positions(2, 9, None, np.random.default_rng(0)).numpy()
    assert pos.max() < 30 and (np.diff(pos, axis=1) > 0).all()


def test_scale_hint_hand_example():
    """<bos> a b c <sep> a b c: target k takes source k's position (align) / sits at +1 (offset)."""
    sep = torch.tensor([4])
    assert PositionScheme("sh")(1, 8, sep).tolist() == [[0, 1, 2, 3, 4, 1, 2, 3]]
    assert PositionScheme("sh", sh_mode="offset")(1, 8, sep).tolist() == [[0, 1, 2, 3, 4, 2, 3, 4]]


@pytest.mark.parametrize("mode", ["align", "offset"])
def test_scale_hint_equals_theory_per_sample(mode):
    task = get_task("copy")
    batch = make_batch(task, np.random.default_rng(3), 1, 9, 12)
    B, T = batch.inputs.shape
    # sep_index is where <sep> really is
    sep_id = task.vocab.stoi[SEP]
    for b in range(B):
        assert int(batch.inputs[b, batch.sep_index[b]]) == sep_id
    assert len(set(batch.sep_index.tolist())) > 1  # samples really differ
    pos = PositionScheme("sh", sh_mode=mode)(B, T, batch.sep_index)
    for b in range(B):
        expected = E.scale_hint_positions(T, int(batch.sep_index[b]), source_start=1, mode=mode)
        assert pos[b].tolist() == expected.tolist()


def test_scale_hint_reaches_the_model():
    """evaluate.forward builds +sh positions from the batch's own sep_index: the model's output equals a
    call with the theory positions passed explicitly, and differs from plain 0..T-1 positions."""
    task = get_task("copy")
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=len(task.vocab), pe="rope+sh", n_head=2, d_model=16, d_ff=32))
    model.eval()
    batch = collate(task, [Example(list("s1 s2 s3".split()), "s1 s2 s3".split(), 3),
                           Example(["s4"], ["s4"], 1)])
    out = forward(model, batch)
    T = batch.inputs.shape[1]
    theory_pos = torch.as_tensor(np.stack([E.scale_hint_positions(T, s, 1) for s in (4, 2)]))
    assert torch.allclose(out, model(batch.inputs, theory_pos, batch.pad_mask), atol=1e-6)
    abs_out = model(batch.inputs, torch.arange(T).expand(2, T), batch.pad_mask)
    assert (abs_out - out).abs().max() > 1e-4


def test_scale_hint_without_separator_raises():
    with pytest.raises(PelgError, match="separator"):
        PositionScheme("sh")(1, 5, None)


def test_parse_pe_name():
    assert parse_pe_name("rope") == ("rope", "abs")
    assert parse_pe_name("alibi+sh") == ("alibi", "sh")
    assert parse_pe_name("t5+random") == ("t5", "random")


@pytest.mark.parametrize("name", ["bogus", "Rope", "rope2+sh", ""])
def test_unknown_pe_name_lists_valid_names(name):
    with pytest.raises(PelgError) as err:
        parse_pe_name(name)
    msg = str(err.value)
    assert repr(name) in msg
    for base in PES:
        assert base in msg
    with pytest.raises(PelgError):
        ModelConfig(pe=name)


@pytest.mark.parametrize("name", ["rope+shh", "alibi+rand", "nope+"])
def test_unknown_scheme_lists_valid_schemes(name):
    with pytest.raises(PelgError) as err:
        parse_pe_name(name)
    msg = str(err.value)
    assert "random" in msg and "sh" in msg


def test_unknown_scheme_option_rejected():
    with pytest.raises(PelgError, match="random_max"):
        Transformer(ModelConfig(vocab_size=8, pe="rope+random", pe_options={"random_maxx": 3},
                                n_head=2, d_model=16, d_ff=32))
