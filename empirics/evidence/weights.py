"""Adapter: a pelg `Transformer` -> the numpy weight dict of `theory.li2025.numpy_transformer` (float64), plus the
positional pieces the numpy forward takes as arguments (embedding rows, attention bias, RoPE spec),
computed by the `theory.encodings` functions from the model's own PE parameters.

`theory` never sees torch: everything leaves this module as numpy arrays. The numpy forward
(`theory.li2025.numpy_transformer.network_forward`) equals the torch forward on the same weights (tested in
tests/empirics/test_capacity_models.py).
"""
from __future__ import annotations

import copy

import numpy as np
import torch

from theory import encodings as E

from empirics.errors import PelgError
from empirics.model import Transformer
from empirics.positional import (ALiBi, Fire, Kerple, LearnedEmbedding, NoPE, Rotary, T5Bias, TableEmbedding,
                         resolve_options)
from empirics.positions import parse_pe_name, split_options

SUPPORTED_PES = ("nope", "learned", "sinusoidal", "wavelet", "legendre", "alibi", "t5", "kerple_log",
                 "kerple_power", "fire", "rope")


def as_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().double().numpy().copy()


def _norm_dict(module) -> dict:
    eps = getattr(module, "eps", None)
    if eps is None:  # nn.RMSNorm(eps=None) uses the dtype's machine epsilon (float32 models)
        eps = float(torch.finfo(torch.float32).eps)
    bias = getattr(module, "bias", None)
    return {"weight": as_numpy(module.weight), "bias": None if bias is None else as_numpy(bias), "eps": float(eps)}


def _check_supported(model: Transformer) -> tuple[str, dict]:
    base, scheme = parse_pe_name(model.cfg.pe)
    if scheme != "abs":
        raise PelgError(f"the capacity adapter supports default positions only, got PE {model.cfg.pe!r}")
    if base not in SUPPORTED_PES:
        raise PelgError(f"the capacity adapter does not support PE {base!r} (xPos scales are not "
                        f"norm-preserving); valid: {', '.join(SUPPORTED_PES)}")
    return base, resolve_options(base, split_options(model.cfg.pe_options)[0])


def network_weights(model: Transformer) -> dict:
    """The `theory.li2025.numpy_transformer` weight dict of a pelg Transformer (see that module's docstring)."""
    base, opts = _check_supported(model)
    cfg = model.cfg
    d, H = cfg.d_model, cfg.n_head
    blocks = []
    for b in model.blocks:
        W, bias = as_numpy(b.attn.qkv.weight), as_numpy(b.attn.qkv.bias)
        blocks.append({
            "ln1": _norm_dict(b.ln1), "ln2": _norm_dict(b.ln2),
            "W_q": W[:d], "W_k": W[d:2 * d], "W_v": W[2 * d:], "b_q": bias[:d], "b_k": bias[d:2 * d],
            "b_v": bias[2 * d:], "W_o": as_numpy(b.attn.out.weight), "b_o": as_numpy(b.attn.out.bias),
            "W1": as_numpy(b.mlp[0].weight), "b1": as_numpy(b.mlp[0].bias), "W2": as_numpy(b.mlp[2].weight),
            "b2": as_numpy(b.mlp[2].bias)})
    rope = ({"base": opts["base"], "fraction": opts["fraction"], "layout": opts["layout"]}
            if base == "rope" else None)
    return {"n_head": H, "scale": 1.0 / np.sqrt(d // H) if cfg.score_scaling else 1.0, "causal": cfg.causal,
            "norm": cfg.norm, "activation": cfg.activation, "rope": rope, "blocks": blocks,
            "ln_f": _norm_dict(model.ln_f), "W_head": as_numpy(model.head.weight),
            "b_head": None if model.head.bias is None else as_numpy(model.head.bias)}


def pe_rows(model: Transformer, positions) -> np.ndarray:
    """(n, d) rows added to the token embedding at `positions` (zeros for PEs that act elsewhere),
    from the theory.encodings formula (learned: the model's table via learned_table_lookup)."""
    base, o = _check_supported(model)
    p = np.asarray(positions)
    d = model.cfg.d_model
    if base == "sinusoidal":  # fixed tables times the module's one constant `scale` (positional.table_scale)
        return model.pe.scale * E.sinusoidal_table(p, d, base=o["base"], layout=o["layout"])
    if base == "wavelet":
        return model.pe.scale * E.wavelet_table(p, d, o["n_max"], wavelet=o["wavelet"], normalize=o["normalize"])
    if base == "legendre":
        return model.pe.scale * E.legendre_table(p, d, o["n_max"], beyond=o["beyond"], orthonormal=o["orthonormal"])
    if base == "learned":
        return E.learned_table_lookup(as_numpy(model.pe.weight), p)
    return np.zeros((p.size, d))


def attention_bias(model: Transformer, positions) -> np.ndarray | None:
    """(H, n, n) additive logit bias of a bias-hook PE at `positions` (None for other PEs), from the
    theory.encodings formula with the model's parameters. The causal mask is added by the forward."""
    base, o = _check_supported(model)
    p = np.asarray(positions)
    pe, symmetric = model.pe, not model.cfg.causal
    if isinstance(pe, ALiBi):
        return E.alibi_bias(p, p, as_numpy(pe.slopes), symmetric=symmetric)
    if isinstance(pe, T5Bias):
        return E.t5_bias(p, p, as_numpy(pe.table.weight), bidirectional=symmetric, num_buckets=pe.num_buckets,
                         max_distance=pe.max_distance)
    if isinstance(pe, Kerple):
        r1, r2 = (as_numpy(c) for c in pe.coefficients())
        return E.kerple_bias(p, p, r1, r2, kind=pe.kind, symmetric=symmetric)
    if isinstance(pe, Fire):
        l1, l2 = pe.mlp[0], pe.mlp[2]
        return E.fire_bias(p, p, as_numpy(l1.weight), as_numpy(l1.bias), as_numpy(l2.weight), as_numpy(l2.bias),
                           c=pe.c, L=pe.L, symmetric=symmetric)
    assert isinstance(pe, (NoPE, TableEmbedding, LearnedEmbedding, Rotary)), type(pe)
    return None


def input_embedding(model: Transformer, inputs, positions) -> np.ndarray:
    """z^(0) (..., n, d) for raw inputs (floats for regression, token ids otherwise) at `positions`."""
    x = np.asarray(inputs)
    if model.regression:
        w, b = as_numpy(model.embed.weight)[:, 0], as_numpy(model.embed.bias)
        z = x[..., None].astype(np.float64) * w + b
    else:
        z = as_numpy(model.embed.weight)[x]
    return z + pe_rows(model, positions)


def embedding_parameters(model: Transformer) -> dict:
    """Regression: {"w", "b"} of the Linear(1, d) embedding; token models: {"E": (V, d)}."""
    if model.regression:
        return {"w": as_numpy(model.embed.weight)[:, 0], "b": as_numpy(model.embed.bias)}
    return {"E": as_numpy(model.embed.weight)}


def torch_network_fn(model: Transformer, positions):
    """z^(0) (B, n, d) float64 tensor -> model output, running the model's own blocks (for autograd
    measurements of the Jacobian), on a float64 copy of the model (the model itself is untouched)."""
    n = len(positions)
    pos = torch.as_tensor(np.asarray(positions), dtype=torch.long)[None]
    with torch.no_grad():  # the bias in the model's own dtype (some PEs compute it in float32)
        mask = model.attention_mask(pos, None, n, "cpu")
    mask = None if mask is None else mask.double()
    model = copy.deepcopy(model).double().eval()

    def fn(z: torch.Tensor) -> torch.Tensor:
        x = z
        p = pos.expand(z.shape[0], n)
        for block in model.blocks:
            x = block(x, mask, model.pe, p)
        out = model.head(model.ln_f(x))
        return out.squeeze(-1) if model.regression else out

    return fn
