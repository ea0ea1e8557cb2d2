"""The PE registry (empirics.pe_registry): every registration is complete and consistent with its module
and theory function; options are typed and checked; a PE registered at run time, in this file only,
trains through the same path `pelg train` uses."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

import theory.encodings as E
from empirics.cli import main
from empirics.errors import PelgError
from empirics.model import ModelConfig, Transformer
from empirics.pe_registry import HOOKS, PES, Option, PESpec, build_pe, register_pe, resolve_options
from empirics.positional import PositionalEncoding
from empirics.positions import SCHEMES, parse_pe_name, split_options


@pytest.mark.parametrize("name", list(PES))
def test_every_registration_builds_its_module_with_its_hook(name):
    spec = PES[name]
    assert spec.name == name and spec.hook in HOOKS and spec.formula and spec.source
    assert "\n" not in spec.formula
    if spec.theory is not None:  # the function the module is built from lives in theory.encodings
        assert getattr(E, spec.theory.__name__) is spec.theory
    for causal in (True, False):
        module = build_pe(name, d_model=16, n_head=2, causal=causal)
        assert isinstance(module, spec.module) and module.hook == spec.hook


def test_hooks_of_the_papers_pes():
    hooks = {name: spec.hook for name, spec in PES.items()}
    assert hooks["nope"] == "none" and hooks["rope"] == hooks["xpos"] == "qk"
    assert {hooks[n] for n in ("t5", "alibi", "kerple_log", "kerple_power", "fire", "lbpe")} == {"bias"}
    assert {hooks[n] for n in ("learned", "sinusoidal", "wavelet", "legendre")} == {"embedding"}
    assert set(SCHEMES) == {"random", "sh"}


def test_options_are_converted_from_strings_and_checked():
    assert resolve_options("t5", {"num_buckets": "16"})["num_buckets"] == 16
    assert resolve_options("legendre", {"orthonormal": "true"})["orthonormal"] is True
    assert resolve_options("rope", {"fraction": "0.25"})["fraction"] == 0.25
    assert split_options({"random_max": "256", "base": "500"}) == ({"base": "500"},
                                                                  {"random_max": 256, "sh_mode": "align"})
    bad = [("t5", {"num_buckets": "-1"}, ">= 2"), ("t5", {"num_buckets": "2.5"}, "expected int"),
           ("rope", {"layout": "split"}, "valid: half, interleaved"), ("rope", {"fraction": "0"}, "> 0"),
           ("fire", {"c": "nan"}, "finite"), ("legendre", {"orthonormal": "maybe"}, "boolean"),
           ("alibi", {"slope": "1"}, "(none)"), ("rope", {"fraction": "1.5"}, "fraction")]
    for base, opts, needle in bad:
        with pytest.raises(PelgError, match=needle.replace("(", r"\(").replace(")", r"\)")) as e:
            build_pe(base, 16, 2, True, opts)
        assert "\n" not in str(e.value)
    with pytest.raises(PelgError, match="random_max"):
        split_options({"random_max": "lots"})


def test_registering_a_taken_or_malformed_name_fails():
    spec = PES["alibi"]
    for name in ("alibi", "alibi+x", ""):
        with pytest.raises(PelgError, match="cannot register"):
            register_pe(PESpec(name, "bias", "f", "s", spec.module, spec.build))
    with pytest.raises(PelgError, match="hook"):
        register_pe(PESpec("toy_bad_hook", "logits", "f", "s", spec.module, spec.build))


# ------------------------------------------------------------------------------- a PE added at run time
def toy_decay_bias(q_pos, k_pos, rate):
    """Theory of the toy PE: logit[h, i, j] -= rate_h * |i - j| (ALiBi with learned slopes)."""
    d = np.abs(np.asarray(q_pos, float)[:, None] - np.asarray(k_pos, float)[None, :])
    return -np.asarray(rate, float)[:, None, None] * d[None]


class ToyDecay(PositionalEncoding):
    hook = "bias"

    def __init__(self, n_head: int, init: float):
        super().__init__()
        self.rate = nn.Parameter(torch.full((n_head,), init))

    def bias(self, q_pos, k_pos, scale=None):
        d = (q_pos[:, :, None] - k_pos[:, None, :]).abs().unsqueeze(1).float()  # (B, 1, Tq, Tk)
        return -self.rate.view(1, -1, 1, 1) * d  # (B, H, Tq, Tk)


@pytest.fixture
def toy_pe(monkeypatch):
    spec = PESpec("toy_decay", "bias", "logit[h,i,j] −= r_h·|i − j|, r_h learned", "this test", ToyDecay,
                  lambda ctx, o: ToyDecay(ctx.n_head, o["init"]), toy_decay_bias,
                  {"init": Option(0.5, minimum=0)})
    monkeypatch.delitem(PES, "toy_decay", raising=False)
    register_pe(spec)
    yield spec
    PES.pop("toy_decay", None)


def test_a_registered_toy_pe_matches_its_theory(toy_pe):
    model = Transformer(ModelConfig(vocab_size=5, pe="toy_decay", pe_options={"init": "0.3"}, n_head=2))
    pos = torch.arange(6).expand(1, 6)
    np.testing.assert_allclose(model.pe.bias(pos, pos)[0].detach().numpy(),
                               toy_decay_bias(np.arange(6), np.arange(6), [0.3, 0.3]), rtol=1e-6)
    assert parse_pe_name("toy_decay+sh") == ("toy_decay", "sh")


def test_a_registered_toy_pe_trains_through_pelg_train(toy_pe, tmp_path, capsys):
    code = main(["train", "--task", "copy", "--pe", "toy_decay", "--pe-opt", "init=0.2", "--steps", "40",
                 "--train-lengths", "1", "4", "--eval-samples", "16", "--quiet", "--out", str(tmp_path)])
    out = capsys.readouterr()
    assert code == 0, out.err
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["config"]["model"]["pe"] == "toy_decay"
    assert result["train_loss"]["final"] < result["train_loss"]["first"]  # gradients reach the model
    state = torch.load(tmp_path / "model.pt", weights_only=True)["state_dict"]
    rate = next(v for k, v in state.items() if k.endswith("pe.rate"))
    assert not torch.allclose(rate, torch.full_like(rate, 0.2))  # the PE's own parameter was trained
    assert main(["pes"]) == 0 and "toy_decay" in capsys.readouterr().out
