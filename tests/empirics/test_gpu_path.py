"""The GPU path (issue 14): attention backends against the reference, no host syncs in the forward pass,
bf16 with float32 PE tables, xPos's float32 range, fused AdamW and torch.compile.

Every backend is compared with the reference (SDPA with one float mask, `Transformer.attention_mask`) for
every registered PE (`empirics.pe_registry.PES`, so a PE added later is covered), every position scheme,
causal and bidirectional, on padded batches: outputs at real tokens and all parameter gradients.
Tolerances (float32): outputs 1e-5 absolute, gradients 1e-4 relative + 1e-6 absolute on the CPU (the
eager backends differ from the reference by ~4e-7 and ~2e-8 here); 1e-4 / 1e-3 + 1e-5 on CUDA, whose
kernels tile the reductions differently.

On the CPU, FlexAttention runs its eager (dense) implementation; torch refuses its backward there only
at an API check (its compiled CPU kernel has none), so `cpu_flex_backward` lifts that check for these
tests: the dense implementation's gradients are exact autograd. The CUDA tests skip without a GPU and
run on one as they are (`bench/gpu_check.sh`).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch import nn

from empirics.attention_backends import AttentionPlan, choose_backend, plan_attention
from empirics.errors import PelgError
from empirics.evaluate import make_batch
from empirics.model import ModelConfig, Transformer
from empirics.pe_base import PositionalEncoding, reserve_for
from empirics.pe_registry import PES
from empirics.positional import xpos_float32_limit
from empirics.positions import SCHEMES
from empirics.tasks import get_task
from theory import encodings as E

CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not CUDA, reason="needs a CUDA device")
COPY = get_task("copy")
ARCHS = [("decoder", True), ("encoder", False)]
NAMES = [base + suffix for base in PES for suffix in ["", *(f"+{s}" for s in SCHEMES)]]


def backends_for(name: str) -> list[str]:
    """The non-reference backends a PE can use: flex always, fused without an attention bias."""
    return ["flex"] if PES[name.partition("+")[0]].hook == "bias" else ["flex", "fused"]


CASES = [(name, backend) for name in NAMES for backend in backends_for(name)]


@pytest.fixture
def cpu_flex_backward(monkeypatch):
    import torch.nn.attention.flex_attention as flex

    if not hasattr(flex, "_validate_device"):
        pytest.skip("this torch has no FlexAttention device check to lift")
    monkeypatch.setattr(flex, "_validate_device", lambda *args: None)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*flex_attention called without torch.compile.*")
        yield


def padded_batch(seed: int = 0, batch: int = 4):
    b = make_batch(COPY, np.random.default_rng(seed), 2, 8, batch)
    assert b.pad_mask is not None and b.pad_mask.any()  # the padding path is exercised
    return b


def build(name: str, attention: str, arch: str, causal: bool, seed: int = 0, d_model: int = 16, n_head: int = 2,
          **kw) -> Transformer:
    """A tiny model with weights far from the default init (std 0.3), so positions and biases matter."""
    torch.manual_seed(seed)
    model = Transformer(ModelConfig(vocab_size=len(COPY.vocab), arch=arch, causal=causal, pe=name, attention=attention,
                                    n_layer=2, n_head=n_head, d_model=d_model, d_ff=2 * d_model, **kw))
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    return model


def outputs_and_grads(model, batch, device="cpu"):
    """Outputs at every position and the gradients of a loss over the real (non-padding) tokens."""
    model = model.to(device)
    B, T = batch.inputs.shape
    positions = model.positions(B, T, batch.sep_index, np.random.default_rng(1))  # CPU ids, as in training
    b = batch.to(device)
    out = model(b.inputs, positions, b.pad_mask, b.scale)
    loss = (out[~b.pad_mask] ** 2).mean()
    grads = torch.autograd.grad(loss, list(model.parameters()), allow_unused=True)
    return out.detach(), {n: g for (n, _), g in zip(model.named_parameters(), grads)}


def assert_matches(got, ref, real, out_atol, g_rtol, g_atol):
    (out, grads), (out_ref, grads_ref) = got, ref
    torch.testing.assert_close(out[real], out_ref[real], atol=out_atol, rtol=0)
    assert grads.keys() == grads_ref.keys()
    for name in grads:
        assert (grads[name] is None) == (grads_ref[name] is None), name
        if grads[name] is not None:
            torch.testing.assert_close(grads[name], grads_ref[name], rtol=g_rtol, atol=g_atol, msg=name)


# ----------------------------------------------------------------------------- backends on the CPU
@pytest.mark.parametrize("arch,causal", ARCHS, ids=["causal", "bidirectional"])
@pytest.mark.parametrize("name,backend", CASES, ids=[f"{n}-{b}" for n, b in CASES])
def test_backend_matches_the_reference(name, backend, arch, causal, cpu_flex_backward):
    batch = padded_batch()
    ref = outputs_and_grads(build(name, "sdpa", arch, causal), batch)
    got = outputs_and_grads(build(name, backend, arch, causal), batch)
    assert_matches(got, ref, ~batch.pad_mask, out_atol=1e-5, g_rtol=1e-4, g_atol=1e-6)


def test_the_comparison_catches_a_missing_bias(cpu_flex_backward):
    """Falsification: a flex plan that drops ALiBi's bias gives other outputs than the reference."""
    batch = padded_batch()
    model = build("alibi", "flex", "decoder", True).eval()
    ref = build("alibi", "sdpa", "decoder", True).eval()
    B, T = batch.inputs.shape
    pos = model.positions(B, T)
    with torch.no_grad():
        plan = plan_attention("flex", model.pe, pos, batch.pad_mask, True, 2)
        plan.score_mod = None  # the bug
        model.attention_inputs = lambda *args: plan
        diff = (model(batch.inputs, pos, batch.pad_mask) - ref(batch.inputs, pos, batch.pad_mask))[~batch.pad_mask]
    assert float(diff.abs().max()) > 1e-2


def test_auto_picks_sdpa_on_cpu_and_fused_kernels_on_cuda():
    assert choose_backend("auto", "bias", "cpu", False) == "sdpa"
    assert choose_backend("auto", "qk", "cpu", False) == "sdpa"
    assert choose_backend("auto", "bias", "cuda", False) == "flex"
    assert choose_backend("auto", "bias", "cuda", True) == "sdpa"  # FlexAttention has no dropout
    for hook in ("none", "embedding", "qk"):
        assert choose_backend("auto", hook, "cuda", True) == "fused"
    assert choose_backend("sdpa", "bias", "cuda", False) == "sdpa"


def test_the_cpu_default_is_the_reference_float_mask():
    """The CPU keeps the path every earlier result used: the blocks receive the float mask tensor."""
    model = build("alibi", "auto", "decoder", True)
    pos = torch.arange(5)[None]
    assert isinstance(model.attention_inputs(pos, None, 5, "cpu"), torch.Tensor)
    assert isinstance(build("rope", "fused", "decoder", True).attention_inputs(pos, None, 5, "cpu"), AttentionPlan)


@pytest.mark.parametrize("kw,match", [
    (dict(pe="alibi", attention="fused"), "'fused' has no attention bias.*valid for it: auto, flex, sdpa"),
    (dict(pe="rope", attention="flex", dropout=0.1), "no attention dropout"),
    (dict(pe="rope", attention="triton"), "unknown attention 'triton'; valid: auto, flex, fused, sdpa"),
])
def test_bad_backend_choices_are_one_line_errors(kw, match):
    with pytest.raises(PelgError, match=match) as e:
        ModelConfig(vocab_size=5, **kw)
    assert "\n" not in str(e.value)


def test_flex_training_on_the_cpu_is_a_one_line_error():
    """torch has no FlexAttention backward on the CPU: say so, and name the backends that work there."""
    model = build("alibi", "flex", "decoder", True)
    batch = padded_batch()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(PelgError, match="attention 'flex' on cpu.*valid there: auto, sdpa, fused"):
            outputs_and_grads(model, batch)


# ----------------------------------------------------------------------------- no host syncs
class SyncingBias(PositionalEncoding):
    """A bias PE that reads its positions on the host in forward (the bug the tests below must catch)."""

    hook = "bias"

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(2))

    def bias(self, q_pos, k_pos, scale=None):
        top = int(q_pos.max())  # a device-to-host copy
        return self.w.view(1, -1, 1, 1) * (q_pos[:, None, :, None] - k_pos[:, None, None, :]).float() / (top + 1)


def meta_forward_backward(model: Transformer, batch, offset: int = 0):
    """Forward and backward with every tensor but the position ids on the meta device, which has no data:
    any `.item()`, `int()`, `bool()` or `.tolist()` of a device tensor raises."""
    model.to("meta")
    B, T = batch.inputs.shape
    positions = model.positions(B, T, batch.sep_index, np.random.default_rng(0)) + offset  # CPU, as in training
    pad = batch.pad_mask.to("meta")
    scale = batch.scale.to("meta")
    out = model(batch.inputs.to("meta"), positions, pad, scale)
    out.sum().backward()
    return out


@pytest.mark.parametrize("name", NAMES)
def test_forward_and_backward_make_no_host_sync(name):
    """Positions beyond every initial table (offset 100 > 64 rows) are reserved on the host first."""
    for attention in ("sdpa", *(["fused"] if "fused" in backends_for(name) else [])):
        model = build(name, attention, "decoder", True)
        out = meta_forward_backward(model, padded_batch(), offset=100)
        assert out.device.type == "meta" and out.shape[:2] == padded_batch().inputs.shape


@pytest.mark.parametrize("name", [n for n in PES if PES[n].hook == "bias"])
def test_flex_plans_make_no_host_sync(name):
    """The flex plan (score_mod, block mask) built on the meta device, and its score_mod evaluated."""
    model = build(name, "flex", "decoder", True).to("meta")
    batch = padded_batch()
    B, T = batch.inputs.shape
    positions = model.positions(B, T) + 100
    reserve_for(model.pe, positions)
    plan = plan_attention("flex", model.pe, positions.to("meta"), batch.pad_mask.to("meta"), True, 2,
                          batch.scale.to("meta"))
    idx = [torch.tensor(i, device="meta") for i in ([1, 0], [1, 0], [3, 2], [2, 2])]  # (b, h, q, kv) pairs
    scores = torch.vmap(plan.score_mod)(torch.zeros(2, device="meta"), *idx)  # as FlexAttention calls it
    assert scores.shape == (2,) and scores.device.type == "meta"


def test_a_host_sync_in_forward_is_caught(monkeypatch):
    """Falsification: the meta-device check fails on a PE that calls int() on a device tensor."""
    model = build("alibi", "sdpa", "decoder", True)
    model.pe = SyncingBias()
    with pytest.raises((RuntimeError, NotImplementedError)):
        meta_forward_backward(model, padded_batch())


@pytest.mark.parametrize("name", [n for n in PES] + ["t5+sh", "rope+random"])
def test_the_device_pass_compiles_without_graph_breaks(name):
    """torch.compile's tracer (no code generation) sees one graph: nothing in `core` reads a tensor on
    the host (a data-dependent read is a graph break)."""
    model = build(name, "sdpa", "decoder", True)
    batch = padded_batch()
    B, T = batch.inputs.shape
    positions = model.positions(B, T, batch.sep_index, np.random.default_rng(0)) + 70
    reserve_for(model.pe, positions)
    torch._dynamo.reset()
    explained = torch._dynamo.explain(model.core)(batch.inputs, positions, batch.pad_mask, batch.scale)
    assert explained.graph_break_count == 0, explained.break_reasons
    assert explained.graph_count == 1


def test_the_graph_break_check_catches_a_host_read():
    model = build("alibi", "sdpa", "decoder", True)
    model.pe = SyncingBias()
    batch = padded_batch()
    torch._dynamo.reset()
    explained = torch._dynamo.explain(model.core)(batch.inputs, model.positions(*batch.inputs.shape),
                                                  batch.pad_mask, batch.scale)
    assert explained.graph_break_count > 0


# ----------------------------------------------------------------------------- precision
@pytest.mark.parametrize("name", ["nope", "rope", "xpos", "t5", "alibi", "fire", "lbpe", "sinusoidal"])
def test_bf16_autocast_forward_is_close_to_fp32(name):
    """Loose tolerance (bf16 has 8 significant bits): 2% of the output's scale at every real token."""
    model = build(name, "sdpa", "decoder", True, d_model=32).eval()
    batch = padded_batch()
    pos = model.positions(*batch.inputs.shape, batch.sep_index)
    with torch.no_grad():
        ref = model(batch.inputs, pos, batch.pad_mask, batch.scale)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = model(batch.inputs, pos, batch.pad_mask, batch.scale)
    real = ~batch.pad_mask
    assert low.dtype == torch.bfloat16  # autocast really ran
    err = float((low.float() - ref)[real].abs().max())
    assert 0 < err < 0.02 * float(ref[real].abs().max())


@pytest.mark.parametrize("name", ["fire", "lbpe"])
def test_pe_biases_stay_fp32_under_autocast(name):
    """An MLP PE's bias comes out bf16 from autocast's Linear; the model computes it with autocast off."""
    model = build(name, "sdpa", "decoder", True)
    pos, n = torch.arange(6)[None], torch.tensor([3])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert model.pe.bias(pos, pos, n).dtype == torch.bfloat16  # what the model must avoid
        mask = model.attention_mask(pos, None, 6, "cpu", n)
        plan = plan_attention("flex", model.pe, pos, None, True, 2, n)
        score = torch.vmap(plan.score_mod)(torch.zeros(1, dtype=torch.bfloat16),
                                           *(torch.tensor([i]) for i in (0, 1, 3, 2)))
    assert mask.dtype == torch.float32 and score.dtype == torch.float32
    with torch.no_grad():
        exact = model.pe.bias(pos, pos, n)  # float32, no autocast
    torch.testing.assert_close(mask, exact + mask.new_zeros(1, 1, 6, 6).masked_fill(
        torch.ones(6, 6, dtype=torch.bool).triu(1), float("-inf")))


def test_pe_tables_and_angles_stay_fp32_under_autocast():
    model = build("xpos", "sdpa", "decoder", True)
    batch = padded_batch()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        model(batch.inputs, model.positions(*batch.inputs.shape) + 80, batch.pad_mask)
    assert model.pe.angles.table.dtype == model.pe.scales.table.dtype == torch.float32
    assert model.pe.angles.table.shape[0] > 64  # grown under autocast, still float32
    q = torch.randn(1, 2, 4, 8, dtype=torch.bfloat16)
    assert model.pe.rotate(q, torch.arange(4)[None], "key").dtype == torch.bfloat16  # cast where it is used


def test_xpos_float32_overflow_position_is_36261():
    """xPos's key scale 1/zeta_0^(p/512), zeta_0 = 0.4/1.4, is finite in float32 at 36,260, inf at 36,261
    (theory.encodings.xpos_scale, divided in float32 as the model divides)."""
    with np.errstate(over="ignore", divide="ignore"):
        key = np.float32(1.0) / np.asarray(E.xpos_scale([36_260, 36_261], 16), dtype=np.float32)  # (2, 8)
    assert np.isfinite(key[0]).all() and not np.isfinite(key[1]).all()
    assert xpos_float32_limit(16, 1.0, 0.4, 512.0) == 36_261
    assert xpos_float32_limit(16, 1.0, 0.4, 256.0) == pytest.approx(36_261 / 2, abs=1)  # scales with scale_base


def test_xpos_beyond_float32_range_is_a_one_line_error():
    model = Transformer(ModelConfig(vocab_size=5, pe="xpos", n_head=2, d_model=16, d_ff=32))
    x = torch.zeros(1, 2, dtype=torch.long)
    ok = model(x, torch.tensor([[0, 36_260]]))
    assert torch.isfinite(ok).all()
    with pytest.raises(PelgError, match=r"position 36261 is out of range: xPos's float32 key scale .* 36,261") as e:
        model(x, torch.tensor([[0, 36_261]]))
    assert "\n" not in str(e.value)


# ----------------------------------------------------------------------------- training options
def tiny_train_config(**kw):
    from empirics.runconfig import TrainConfig

    return TrainConfig(task="copy", steps=2, batch_size=8, train_lengths=(4, 4), eval_buckets=[(4, 4)], eval_samples=8,
                       model=ModelConfig(pe="alibi", n_layer=1, n_head=2, d_model=16, d_ff=32), **kw)


def test_bf16_training_runs_and_is_recorded():
    from empirics.train import train

    fp32 = train(tiny_train_config(), progress=False)
    bf16 = train(tiny_train_config(precision="bf16"), progress=False)
    assert bf16["config"]["precision"] == "bf16" and fp32["config"]["precision"] == "fp32"
    assert bf16["train_loss"]["first"] == pytest.approx(fp32["train_loss"]["first"], rel=0.02)
    assert bf16["train_loss"]["first"] != fp32["train_loss"]["first"]  # autocast changed the numbers


def test_precision_must_be_fp32_or_bf16():
    with pytest.raises(PelgError, match="unknown precision 'fp16'; valid: bf16, fp32"):
        tiny_train_config(precision="fp16")


def test_the_optimizer_is_unchanged_on_the_cpu():
    from empirics.accel import make_optimizer

    opt = make_optimizer([nn.Parameter(torch.zeros(2))], 1e-3, 0.0, torch.device("cpu"))
    assert not opt.defaults.get("fused")


@pytest.mark.slow  # torch.compile's code generation takes ~25 s on 2 CPU cores
def test_compiled_training_matches_eager():
    from empirics.train import train

    eager = train(tiny_train_config(), progress=False)
    compiled = train(tiny_train_config(), progress=False, compile=True)
    assert compiled["train_loss"]["first"] == pytest.approx(eager["train_loss"]["first"], rel=1e-5)
    assert compiled["train_loss"]["final"] == pytest.approx(eager["train_loss"]["final"], rel=1e-5)


# ----------------------------------------------------------------------------- CUDA
CUDA_NAMES = [n for n in NAMES if "+" not in n] + ["t5+sh", "alibi+random", "lbpe+sh", "rope+random"]
CUDA_CASES = [(name, backend) for name in CUDA_NAMES for backend in backends_for(name)]


@needs_cuda
@pytest.mark.parametrize("arch,causal", ARCHS, ids=["causal", "bidirectional"])
@pytest.mark.parametrize("name,backend", CUDA_CASES, ids=[f"{n}-{b}" for n, b in CUDA_CASES])
def test_cuda_backend_matches_the_reference(name, backend, arch, causal):
    """Compiled FlexAttention and SDPA's fused kernels against the float-mask reference, both on CUDA in
    float32 (TF32 off); d_head 16, the smallest FlexAttention's kernels take."""
    torch.backends.cuda.matmul.allow_tf32 = False
    batch = padded_batch(batch=8)
    ref = outputs_and_grads(build(name, "sdpa", arch, causal, d_model=64, n_head=4), batch, "cuda")
    got = outputs_and_grads(build(name, backend, arch, causal, d_model=64, n_head=4), batch, "cuda")
    assert_matches(got, ref, ~batch.pad_mask.cuda(), out_atol=1e-4, g_rtol=1e-3, g_atol=1e-5)


@needs_cuda
@pytest.mark.parametrize("name", ["nope", "rope", "sinusoidal", "alibi", "t5", "fire", "alibi+sh"])
def test_cuda_training_step_makes_no_host_sync(name):
    """Forward, backward and a fused AdamW step under torch.cuda.set_sync_debug_mode("error"), after one
    warm-up step (which compiles and grows tables); inputs are on the device, position ids on the host."""
    from empirics.accel import make_optimizer

    model = build(name, "auto", "decoder", True, d_model=64, n_head=4).cuda()
    opt = make_optimizer(model.parameters(), 1e-3, 0.0, torch.device("cuda"))
    batch = padded_batch(batch=8)
    positions = model.positions(*batch.inputs.shape, batch.sep_index)
    b = batch.to("cuda")

    def step():
        out = model(b.inputs, positions, b.pad_mask, b.scale)
        (out[~b.pad_mask] ** 2).mean().backward()  # boolean indexing syncs: replaced below
        opt.step()
        opt.zero_grad(set_to_none=True)

    step()
    real = (~b.pad_mask).float()[..., None]
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        out = model(b.inputs, positions, b.pad_mask, b.scale)
        ((out * real) ** 2).mean().backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert opt.defaults.get("fused") is True


@needs_cuda
@pytest.mark.parametrize("name", ["rope", "alibi", "fire", "xpos"])
def test_cuda_bf16_forward_is_close_to_fp32(name):
    model = build(name, "auto", "decoder", True, d_model=64, n_head=4).cuda().eval()
    batch = padded_batch(batch=8)
    pos = model.positions(*batch.inputs.shape)
    b = batch.to("cuda")
    with torch.no_grad():
        ref = model(b.inputs, pos, b.pad_mask)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            low = model(b.inputs, pos, b.pad_mask)
    real = ~b.pad_mask
    assert float((low.float() - ref)[real].abs().max()) < 0.02 * float(ref[real].abs().max())
    tables = [m.table for m in model.pe.modules() if hasattr(m, "table") and isinstance(m.table, torch.Tensor)]
    assert all(t.dtype == torch.float32 for t in tables)


@needs_cuda
def test_cuda_compiled_training_matches_eager():
    from empirics.train import train

    eager = train(tiny_train_config(device="cuda"), progress=False)
    compiled = train(tiny_train_config(device="cuda"), progress=False, compile=True)
    assert compiled["train_loss"]["final"] == pytest.approx(eager["train_loss"]["final"], rel=1e-4)
