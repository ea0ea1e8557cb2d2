"""LBPE (Chen et al. 2025, reconstruction): features equal the theory function; the bias is the MLP of
them; the instance scale reaches the bias through the batch."""
import numpy as np
import torch

from empirics.evaluate import forward, make_batch
from empirics.model import ModelConfig, Transformer
from empirics.positional import LBPE, build_pe
from empirics.tasks import get_task
from theory.encodings import lbpe_features


def test_features_and_bias_match_theory():
    torch.manual_seed(0)
    pe = build_pe("lbpe", 32, 2, causal=True).double()
    q = torch.tensor([[0, 1, 2, 3, 4], [3, 4, 5, 6, 7]])
    scale = torch.tensor([2, 5])
    feats = LBPE.features(q, q, scale).double()
    for b in range(2):
        np.testing.assert_allclose(feats[b].numpy(), lbpe_features(q[b].numpy(), q[b].numpy(), int(scale[b])),
                                   atol=1e-6)
    bias = pe.bias(q, q, scale)
    expected = pe.mlp(feats).permute(0, 3, 1, 2)
    torch.testing.assert_close(bias, expected)
    assert not torch.allclose(pe.bias(q, q, scale + 3), bias)  # the scale matters


def test_batch_scale_is_the_source_length_and_reaches_the_model():
    task = get_task("c25.copy")
    batch = make_batch(task, np.random.default_rng(0), 3, 7, 8)
    assert batch.scale.min() >= 3 and batch.scale.max() <= 7
    assert batch.scale.tolist() == (batch.sep_index - 1).tolist()  # default layout: <bos> src <sep>
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=len(task.vocab), pe="lbpe", n_head=2, d_model=32, d_ff=64))
    out = forward(model, batch)
    batch.scale = batch.scale + 5
    assert not torch.allclose(forward(model, batch), out)
