"""Batched tiny models (empirics.batched, issue 14): K seeds of one config trained as one vmapped
computation equal K separate `train` runs. Tolerances (float32, a few AdamW steps): losses 1e-5 relative,
weights 1e-4 absolute (observed: <= 2e-6 on the CPU; the batched matmuls and the common padded length
change only the reduction order). The PEs here have no parameter whose exact gradient is 0 (FIRE's and
LBPE's per-head output bias is: softmax ignores a constant per row, and AdamW turns the float noise of
such a gradient into full-size steps of either sign)."""
from __future__ import annotations

import pytest
import torch

from empirics import checkpoint
from empirics.batched import train_batched
from empirics.errors import PelgError
from empirics.model import ModelConfig
from empirics.runconfig import TrainConfig
from empirics.train import train


def config(pe: str, seed: int, device: str = "cpu", **kw) -> TrainConfig:
    return TrainConfig(**{"task": "copy", "steps": 6, "batch_size": 8, "seed": seed, "lr": 3e-3,
                          "train_lengths": (1, 6), "eval_buckets": [(1, 6)], "eval_samples": 16, "device": device,
                          "model": ModelConfig(pe=pe, n_layer=2, n_head=2, d_model=16, d_ff=32), **kw})


def separate(cfg: TrainConfig, tmp_path):
    out = tmp_path / f"seed{cfg.seed}"
    result = train(cfg, out_dir=out, progress=False)
    return result, checkpoint.load(out / "model.pt", device=cfg.device)[0]


def assert_equal_runs(batched, reference, weight_atol=1e-4):
    (res, model), (ref, ref_model) = batched, reference
    for key in ("first", "final", "min"):
        assert res["train_loss"][key] == pytest.approx(ref["train_loss"][key], rel=1e-5), key
    assert res["metrics"].keys() == ref["metrics"].keys()
    for bucket, m in ref["metrics"].items():
        assert res["metrics"][bucket]["loss"] == pytest.approx(m["loss"], rel=1e-4)
    state, ref_state = model.state_dict(), ref_model.state_dict()
    for name, value in ref_state.items():
        torch.testing.assert_close(state[name], value, atol=weight_atol, rtol=0, msg=name)


SMALL_BATCHES = {"batch_size": 2, "train_lengths": (1, 3), "eval_buckets": [(1, 3)]}  # some batches unpadded


@pytest.mark.parametrize("pe,extra", [("rope+random", {}), ("t5", {}), ("learned", {}), ("alibi", {"n_train": 40}),
                                      ("alibi", SMALL_BATCHES)],
                         ids=["rope+random", "t5", "learned", "alibi-fixed-set", "alibi-mixed-padding"])
def test_batched_models_equal_separate_runs(pe, extra, tmp_path):
    cfgs = [config(pe, seed, **extra) for seed in (0, 1)]
    out = train_batched(cfgs)
    assert [r["batched"] for r, _ in out] == [{"models": 2, "index": 0}, {"models": 2, "index": 1}]
    for (res, model), cfg in zip(out, cfgs):
        assert res["config"] == cfg.to_dict() and len(res["loss_curve"]) == cfg.steps
        assert_equal_runs((res, model), separate(cfg, tmp_path))


def test_the_comparison_catches_a_swapped_seed(tmp_path):
    """Falsification: model 0 of a batch of seeds (0, 1) is not the separate run of seed 1."""
    (res, model), _ = train_batched([config("rope", 0), config("rope", 1)])
    with pytest.raises(AssertionError):
        assert_equal_runs((res, model), separate(config("rope", 1), tmp_path))


@pytest.mark.parametrize("change,match", [
    ({"lr": 1e-2}, "'lr' differs"),
    ({"model": ModelConfig(pe="alibi", n_layer=2, n_head=2, d_model=16, d_ff=32)}, "'model' differs"),
])
def test_configs_must_differ_only_in_seed(change, match):
    with pytest.raises(PelgError, match=match):
        train_batched([config("rope", 0), config("rope", 1, **change)])


@pytest.mark.parametrize("extra,match", [({"eval_every": 2}, "eval_every"),
                                         ({"model": ModelConfig(pe="learned", d_model=16, d_ff=32),
                                           "rpos_lambda": 0.1}, "rpos_lambda")])
def test_unsupported_options_are_one_line_errors(extra, match):
    with pytest.raises(PelgError, match=f"does not support {match}"):
        train_batched([config("rope", 0, **extra), config("rope", 1, **extra)])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("pe", ["rope", "alibi", "t5"])
def test_cuda_eight_batched_models_equal_separate_runs(pe, tmp_path):
    torch.backends.cuda.matmul.allow_tf32 = False
    cfgs = [config(pe, seed, device="cuda") for seed in range(8)]
    out = train_batched(cfgs)
    for (res, model), cfg in zip(out[:3], cfgs[:3]):
        assert_equal_runs((res, model), separate(cfg, tmp_path), weight_atol=1e-3)
