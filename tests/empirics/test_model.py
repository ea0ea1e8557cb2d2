"""The Transformer (empirics.model): causal masking for every PE, bidirectional encoders, padding,
and ModelConfig validation."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from empirics.errors import PelgError
from empirics.evaluate import forward
from empirics.model import ModelConfig, Transformer
from empirics.positional import PES
from empirics.tasks import collate, get_task

SMALL = dict(n_layer=2, n_head=2, d_model=16, d_ff=32)
T = 10


def randomized(model: Transformer, seed: int = 0) -> Transformer:
    """Weights far from the small default init, so position/content effects are large and visible."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    return model.eval()


def token_model(pe: str, seed: int = 0, **kw) -> Transformer:
    torch.manual_seed(seed)
    return randomized(Transformer(ModelConfig(vocab_size=12, pe=pe, **{**SMALL, **kw})), seed)


def regression_model(pe: str, causal: bool, seed: int = 0) -> Transformer:
    torch.manual_seed(seed)
    return randomized(Transformer(ModelConfig(vocab_size=0, arch="encoder", causal=causal, pe=pe, **SMALL)), seed)


def positions(batch: int = 1, length: int = T) -> torch.Tensor:
    return torch.arange(length).expand(batch, length)


# ----------------------------------------------------------------------------- causal masking
@pytest.mark.parametrize("pe", list(PES))
def test_decoder_future_token_changes_no_earlier_output(pe):
    model = token_model(pe)
    x = torch.randint(4, 12, (2, T), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        base = model(x, positions(2))
        for t in (3, 7, T - 1):
            y = x.clone()
            y[:, t] = (y[:, t] - 4 + 1) % 8 + 4  # a different real token
            out = model(y, positions(2))
            torch.testing.assert_close(out[:, :t], base[:, :t], rtol=0, atol=1e-6)
            assert (out[:, t] - base[:, t]).abs().max() > 1e-3  # the change is visible where it happens


@pytest.mark.parametrize("pe", list(PES))
def test_causal_encoder_future_input_changes_no_earlier_output(pe):
    model = regression_model(pe, causal=True)
    x = torch.rand(2, T, generator=torch.Generator().manual_seed(2)) * 2 - 1
    with torch.no_grad():
        base = model(x, positions(2))
        for t in (2, 6):
            y = x.clone()
            y[:, t] += 1.5
            out = model(y, positions(2))
            torch.testing.assert_close(out[:, :t], base[:, :t], rtol=0, atol=1e-6)
            assert (out[:, t] - base[:, t]).abs().max() > 1e-3


@pytest.mark.parametrize("pe", list(PES))
def test_bidirectional_encoder_earlier_outputs_do_change(pe):
    """Without the causal mask a later input must reach earlier outputs (so the tests above can fail)."""
    model = regression_model(pe, causal=False)
    x = torch.rand(2, T, generator=torch.Generator().manual_seed(3)) * 2 - 1
    y = x.clone()
    y[:, 7] += 1.5
    with torch.no_grad():
        diff = (model(y, positions(2)) - model(x, positions(2)))[:, :7].abs()
    assert diff.min() > 1e-6  # every earlier output moved
    assert diff.max() > 1e-3


def test_causal_flag_changes_the_bias_pes():
    """Encoders built causal / bidirectional differ for a symmetric-vs-causal PE (alibi)."""
    x = torch.rand(1, T, generator=torch.Generator().manual_seed(4))
    a, b = regression_model("alibi", causal=True), regression_model("alibi", causal=False)
    with torch.no_grad():
        assert (a(x, positions()) - b(x, positions()))[:, :-1].abs().max() > 1e-3


# ----------------------------------------------------------------------------- padding
PADDING_PES = list(PES) + ["rope+sh", "alibi+sh", "t5+sh", "learned+sh"]


@pytest.mark.parametrize("pe", PADDING_PES)
def test_right_padding_matches_unpadded_examples(pe):
    task = get_task("copy")
    torch.manual_seed(0)
    model = randomized(Transformer(ModelConfig(vocab_size=len(task.vocab), pe=pe, **SMALL)))
    rng = np.random.default_rng(0)
    examples = [task.sample(rng, n) for n in (6, 2, 4, 1)]
    batch = collate(task, examples)
    assert batch.pad_mask is not None and batch.pad_mask.sum() > 0
    with torch.no_grad():
        padded = forward(model, batch)  # (B, T, V)
        for b, ex in enumerate(examples):
            single = collate(task, [ex])
            assert single.pad_mask is None
            n = single.inputs.shape[1]
            assert torch.equal(batch.inputs[b, :n], single.inputs[0])
            assert not batch.pad_mask[b, :n].any()
            alone = forward(model, single)[0]
            torch.testing.assert_close(padded[b, :n], alone, rtol=0, atol=1e-5)


def test_padding_comparison_can_fail():
    """Guard for the padding test: the same tokens with another example's Scale Hint positions give
    different outputs, so a scheme that mixed up per-sample separators would be caught."""
    task = get_task("copy")
    torch.manual_seed(0)
    model = randomized(Transformer(ModelConfig(vocab_size=len(task.vocab), pe="rope+sh", **SMALL)))
    single = collate(task, [task.sample(np.random.default_rng(1), 4)])
    n = single.inputs.shape[1]
    with torch.no_grad():
        a = model(single.inputs, model.positions(1, n, single.sep_index))
        b = model(single.inputs, model.positions(1, n, single.sep_index - 2))
    assert (a - b).abs().max() > 1e-3


# ----------------------------------------------------------------------------- options and config
@pytest.mark.parametrize("options", [dict(norm="rmsnorm"), dict(activation="relu"), dict(score_scaling=False),
                                     dict(tie_embeddings=False)])
def test_architecture_options_build_and_run(options):
    model = token_model("rope", **options)
    out = model(torch.randint(0, 12, (2, 5)), positions(2, 5))
    assert out.shape == (2, 5, 12) and torch.isfinite(out).all()


def test_tied_embeddings_share_the_weight():
    tied = Transformer(ModelConfig(vocab_size=12, **SMALL))
    untied = Transformer(ModelConfig(vocab_size=12, tie_embeddings=False, **SMALL))
    assert tied.head.weight is tied.embed.weight
    assert untied.head.weight is not untied.embed.weight


def test_score_scaling_changes_outputs():
    x = torch.randint(0, 12, (1, 6), generator=torch.Generator().manual_seed(0))
    a, b = token_model("nope", score_scaling=True), token_model("nope", score_scaling=False)
    with torch.no_grad():
        assert (a(x, positions(1, 6)) - b(x, positions(1, 6))).abs().max() > 1e-4


@pytest.mark.parametrize("pe", list(PES))
def test_one_training_step_gives_finite_gradients(pe):
    task = get_task("copy")
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=len(task.vocab), pe=pe, **SMALL))
    batch = collate(task, [task.sample(np.random.default_rng(0), n) for n in (3, 5)])
    out = forward(model, batch)
    loss = torch.nn.functional.cross_entropy(out.transpose(1, 2), batch.labels)
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    pe_grads = [p.grad for p in model.pe.parameters()]
    assert all(g.abs().max() > 0 for g in pe_grads)  # learned PE parameters get a signal


@pytest.mark.parametrize("field, value, valid", [("arch", "encoder-decoder", "decoder"),
                                                 ("norm", "batchnorm", "rmsnorm"),
                                                 ("activation", "tanh", "gelu")])
def test_model_config_rejects_unknown_choices(field, value, valid):
    with pytest.raises(PelgError) as err:
        ModelConfig(**{field: value})
    assert value in str(err.value) and valid in str(err.value)


@pytest.mark.parametrize("d_model, n_head", [(30, 4), (64, 3)])
def test_model_config_rejects_indivisible_heads(d_model, n_head):
    with pytest.raises(PelgError, match=str(d_model)):
        ModelConfig(d_model=d_model, n_head=n_head)


@pytest.mark.parametrize("field", ["n_head", "n_layer", "d_model", "d_ff"])
@pytest.mark.parametrize("value", [0, -2])
def test_model_config_rejects_non_positive_sizes(field, value):
    with pytest.raises(PelgError, match=field):
        ModelConfig(**{field: value})


def test_model_config_rejects_bidirectional_decoder_and_unknown_fields():
    with pytest.raises(PelgError, match="causal"):
        ModelConfig(arch="decoder", causal=False)
    ModelConfig(arch="encoder", causal=False)  # fine
    with pytest.raises(PelgError, match="n_heads"):
        ModelConfig.from_dict({"n_heads": 2})


def test_model_config_dict_round_trip():
    cfg = ModelConfig(vocab_size=7, pe="alibi+sh", pe_options={"sh_mode": "offset"}, **SMALL)
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
