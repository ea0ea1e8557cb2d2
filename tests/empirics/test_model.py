"""The Transformer (empirics.model): causal masking for every PE, bidirectional encoders, padding,
ModelConfig validation, and K23's T5-block options (Raffel et al. 2020 init, no linear biases, output
scale) with the defaults leaving every earlier model unchanged."""
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
                                                 ("activation", "tanh", "gelu"),
                                                 ("init", "xavier", "t5"), ("output_scale", "sqrt_d", "rsqrt_d")])
def test_model_config_rejects_unknown_choices(field, value, valid):
    with pytest.raises(PelgError) as err:
        ModelConfig(**{field: value})
    assert value in str(err.value) and valid in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("value", ["no", 0, None])
def test_model_config_rejects_a_non_boolean_linear_bias(value):
    with pytest.raises(PelgError, match="linear_bias must be true or false") as err:
        ModelConfig(linear_bias=value)
    assert "\n" not in str(err.value)


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


# ----------------------------------------------------------------------------- K23's T5 blocks
# Fingerprints of default models (torch.manual_seed(7), SMALL, vocab 12) recorded before the T5 options
# existed: parameter count, sum of squared parameters, sum of the logits and three logits at the last
# position on a fixed input. The defaults must keep every earlier model (and so every result) as it was.
BEFORE = {"nope": (27, 81.6660939431, 2.7249355227, [0.1084375605, 0.0004474318, -0.0551993065]),
          "t5": (28, 81.6905706151, 4.9151768438, [-0.1344920397, 0.0517225489, -0.1001084745]),
          "sinusoidal": (27, 81.6660939431, 3.4236027714, [0.0955676287, -0.0030851949, 0.0066692191]),
          "learned": (28, 88.2260029895, 1.583506775, [0.0489041768, 0.0587838367, -0.0283032879]),
          "fire": (31, 81.6725682611, 4.1770065915, [0.1623318642, 0.1029870957, 0.0122482562])}


def fingerprint(model: Transformer):
    x = torch.arange(10).remainder(8).add(4)[None]
    with torch.no_grad():
        out = model.eval()(x, positions(1, 10)).double()
        squares = sum(float(p.double().pow(2).sum()) for p in model.parameters())
    return len(list(model.parameters())), squares, float(out.sum()), out[0, -1, :3].tolist()


@pytest.mark.parametrize("pe", list(BEFORE))
def test_default_options_give_the_models_of_before(pe):
    torch.manual_seed(7)
    n, squares, total, last = fingerprint(Transformer(ModelConfig(vocab_size=12, pe=pe, **SMALL)))
    n0, squares0, total0, last0 = BEFORE[pe]
    assert n == n0
    assert squares == pytest.approx(squares0, rel=1e-6) and total == pytest.approx(total0, rel=1e-5, abs=1e-6)
    assert last == pytest.approx(last0, rel=1e-5, abs=1e-6)
    # ... and the fingerprint tells models apart: T5's init under the same seed is another model
    torch.manual_seed(7)
    assert fingerprint(Transformer(ModelConfig(vocab_size=12, pe=pe, init="t5", **SMALL)))[2] != \
        pytest.approx(total0, rel=1e-3)


T5_SHAPE = dict(n_layer=2, n_head=8, d_model=128, d_ff=512)


def t5_stds(cfg: ModelConfig) -> dict[str, float]:
    """The standard deviations of T5's init (HF T5PreTrainedModel._init_weights, factor 1)."""
    d, h, dh = cfg.d_model, cfg.n_head, cfg.d_model // cfg.n_head
    return {"embed": 1.0, "head": 1.0, "q": (d * dh) ** -0.5, "k": d ** -0.5, "v": d ** -0.5,
            "o": (h * dh) ** -0.5, "mlp_in": d ** -0.5, "mlp_out": cfg.d_ff ** -0.5, "t5_table": d ** -0.5}


def weights(model: Transformer) -> dict[str, torch.Tensor]:
    d = model.cfg.d_model
    groups = {"embed": [model.embed.weight], "head": [model.head.weight], "t5_table": [model.pe.table.weight]}
    for b in model.blocks:
        for name, w in zip("qkv", b.attn.qkv.weight.detach().split(d)):
            groups.setdefault(name, []).append(w)
        groups.setdefault("o", []).append(b.attn.out.weight)
        groups.setdefault("mlp_in", []).append(b.mlp[0].weight)
        groups.setdefault("mlp_out", []).append(b.mlp[2].weight)
    return {k: torch.cat([w.detach().flatten() for w in ws]) for k, ws in groups.items()}


def test_t5_init_stds_match_the_formulas():
    cfg = ModelConfig(vocab_size=200, pe="t5", init="t5", tie_embeddings=False, **T5_SHAPE)
    torch.manual_seed(0)
    model = Transformer(cfg)
    want = t5_stds(cfg)
    for name, w in weights(model).items():  # >= 512 samples each (the bias table: 32 x 8 x ... = 256)
        tol = 0.2 if name == "t5_table" else 0.06
        assert float(w.std()) == pytest.approx(want[name], rel=tol), name
        assert abs(float(w.mean())) < 4 * want[name] / w.numel() ** 0.5, name
    for name, p in model.named_parameters():
        if name.endswith("bias"):
            assert torch.all(p == 0), name
        if "ln" in name and name.endswith("weight"):
            assert torch.all(p == 1), name
    # the check can fail: GPT-2's init (0.02 everywhere) misses the formulas
    torch.manual_seed(0)
    gpt2 = weights(Transformer(ModelConfig(vocab_size=200, pe="t5", tie_embeddings=False, **T5_SHAPE)))
    assert sum(float(w.std()) == pytest.approx(want[k], rel=0.06) for k, w in gpt2.items()) == 0


def test_t5_init_with_tied_embeddings_ties_a_unit_std_head():
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=200, init="t5", **T5_SHAPE))
    assert model.head.weight is model.embed.weight
    assert float(model.embed.weight.detach().std()) == pytest.approx(1.0, rel=0.06)


def test_no_linear_bias_leaves_no_bias_in_the_blocks():
    model = Transformer(ModelConfig(vocab_size=12, norm="rmsnorm", linear_bias=False, **SMALL))
    assert not [n for n, _ in model.blocks.named_parameters() if "bias" in n]
    with_ln = Transformer(ModelConfig(vocab_size=12, linear_bias=False, **SMALL))
    linears = [m for m in with_ln.blocks.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 4 * SMALL["n_layer"] and all(m.bias is None for m in linears)
    # the default keeps them (so the check above can fail)
    default = Transformer(ModelConfig(vocab_size=12, norm="rmsnorm", **SMALL))
    assert len([n for n, _ in default.blocks.named_parameters() if "bias" in n]) == 4 * SMALL["n_layer"]


def test_output_scale_multiplies_the_final_hidden_state_by_rsqrt_d():
    torch.manual_seed(3)
    scaled = Transformer(ModelConfig(vocab_size=12, output_scale="rsqrt_d", init="t5", **SMALL)).eval()
    plain = Transformer(ModelConfig(vocab_size=12, init="t5", **SMALL)).eval()
    plain.load_state_dict(scaled.state_dict())
    hidden = []
    scaled.ln_f.register_forward_hook(lambda m, i, o: hidden.append(o))
    x = torch.randint(0, 12, (2, 7), generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        out, ref = scaled(x, positions(2, 7)), plain(x, positions(2, 7))
        manual = (hidden[0] * SMALL["d_model"] ** -0.5) @ scaled.embed.weight.T  # tied head, no bias
    torch.testing.assert_close(out, manual, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(out, ref * SMALL["d_model"] ** -0.5, rtol=1e-5, atol=1e-6)
    assert (out - ref).abs().max() > 1e-2  # the scale is visible


@pytest.mark.parametrize("pe", ["sinusoidal", "wavelet", "legendre"])
def test_token_scaled_tables_follow_the_token_init(pe):
    """scale="token" matches the token rows' init: RMS row norm token_std * sqrt(d) (0.02 or T5's 1)."""
    d = 32
    for init, std in (("gpt2", 0.02), ("t5", 1.0)):
        model = Transformer(ModelConfig(vocab_size=12, pe=pe, init=init, n_layer=1, n_head=2, d_model=d, d_ff=64))
        ref = np.arange(65)  # 0..n_max, the range wavelet and Legendre are scaled over (any for sinusoidal)
        rows = model.pe.embed(torch.as_tensor(ref)[None])[0].double()
        assert float(rows.pow(2).sum(1).mean().sqrt()) == pytest.approx(std * d ** 0.5, rel=1e-4), init
        assert model.cfg.token_init_std == std
        assert float(model.embed.weight.detach().std()) == pytest.approx(std, rel=0.1)


def test_new_model_fields_change_no_config_hash_at_their_defaults():
    """Config hashes leave out fields marked hash "omit_default" while at their defaults, so every earlier
    run keeps its hash (tests/test_layout.py checks recorded ones); other values change the hash."""
    import hashlib
    import json
    from dataclasses import fields

    from empirics.engine.confighash import canonical_config, config_hash, field_default
    from empirics.runconfig import TrainConfig

    cfg = TrainConfig(task="copy", steps=5)
    full = canonical_config(cfg)
    assert {"linear_bias", "init", "output_scale"} <= set(full["model"])  # result.json keeps them
    old = {k: v for k, v in full.items() if k != "device"}
    new_fields = ("linear_bias", "init", "output_scale", "attention")
    old["model"] = {k: v for k, v in full["model"].items() if k not in new_fields}
    for f in fields(TrainConfig):  # other fields marked alike (e.g. data options)
        if f.metadata.get("hash") == "omit_default" and old.get(f.name) == field_default(f):
            del old[f.name]
    text = json.dumps(old, sort_keys=True, separators=(",", ":"))
    assert config_hash(cfg) == hashlib.sha256(text.encode()).hexdigest()
    hashes = {config_hash(TrainConfig(task="copy", steps=5, model=ModelConfig(**kw)))
              for kw in ({}, {"linear_bias": False}, {"init": "t5"}, {"output_scale": "rsqrt_d"})}
    assert len(hashes) == 4
