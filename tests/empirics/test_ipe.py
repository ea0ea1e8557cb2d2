"""IPE (Chen, Liang, Lin 2025 [reconstruction]): the torch bias equals the theory's alignment relation, it
gives the aligned read one learned logit, and a model with it trains on the aligned c25 copy."""
import numpy as np
import torch

from empirics.model import ModelConfig, Transformer
from empirics.positional import build_pe
from empirics.tasks import get_task
from empirics.tasks.base import collate as make_batch
from theory.encodings import ipe_alignment


def test_ipe_bias_equals_theory_alignment_per_example():
    pe = build_pe("ipe", 32, 2, causal=True)
    with torch.no_grad():
        pe.weight.copy_(torch.tensor([1.5, -0.5]))
    T = 12
    pos = torch.arange(T).expand(3, T)
    scale = torch.tensor([1, 3, 5])
    b = pe.bias(pos, pos, scale)  # (B, H, T, T)
    assert b.shape == (3, 2, T, T)
    for i, n in enumerate(scale.tolist()):
        ref = ipe_alignment(np.arange(T), np.arange(T), n)
        np.testing.assert_array_equal(b[i, 0].detach().numpy(), 1.5 * ref)
        np.testing.assert_array_equal(b[i, 1].detach().numpy(), -0.5 * ref)
        assert ref.sum() == n  # the <sep> and the first n - 1 target queries each have one aligned key


def test_alignment_pairs_the_query_before_target_u_with_source_u():
    task = get_task("c25.copy")
    ex = task.sample(np.random.default_rng(0), 4)
    batch = make_batch(task, [ex])
    T = batch.inputs.shape[1]
    pos = torch.arange(T)[None]
    hit = build_pe("ipe", 16, 1, causal=True).alignment(pos, pos, batch.scale)[0]
    sep = int(batch.sep_index[0])
    for u in range(1, 5):
        assert hit[sep + u - 1].nonzero().flatten().tolist() == [u]   # query predicting target u -> source u
    assert hit[:sep].sum() == 0


def test_ipe_without_a_scale_is_nope():
    pe = build_pe("ipe", 16, 2, causal=True)
    pos = torch.arange(5).expand(2, 5)
    assert torch.equal(pe.bias(pos, pos, None), torch.zeros(2, 2, 5, 5))


def test_ipe_weight_gets_a_gradient_in_a_model():
    task = get_task("c25.copy")
    rng = np.random.default_rng(1)
    batch = make_batch(task, [task.sample(rng, n) for n in (2, 3, 5)])
    model = Transformer(ModelConfig(vocab_size=len(task.vocab), pe="ipe", n_head=2, d_model=32, d_ff=64))
    T = batch.inputs.shape[1]
    logits = model(batch.inputs, torch.arange(T).expand(3, T), batch.pad_mask, batch.scale)
    logits.sum().backward()
    assert model.pe.weight.grad is not None and model.pe.weight.grad.abs().sum() > 0
