"""One attention interface, three kernels behind it (issue 14; nanochat's flash_attention.py is the model).

- "sdpa":  `scaled_dot_product_attention` with one float mask = PE bias + causal -inf + key-padding -inf
           (`Transformer.attention_mask`). The reference, and the CPU path: every earlier result used it.
- "flex":  FlexAttention (`torch.nn.attention.flex_attention`): the PE bias as a `score_mod`, causality and
           padding as a block mask, so no (B, H, T, T) float mask is built. A bias PE with its own
           `score_mod(positions, scale)` (ALiBi, T5) computes the bias inline; any other bias PE (KERPLE,
           FIRE, LBPE, IPE, one registered at run time) has its `bias()` tensor indexed, so every bias PE and
           every position scheme (+sh, +random) runs. Compiled on CUDA; eager elsewhere (torch warns: the
           eager path materialises the scores, and torch has no CPU backward for it).
- "fused": SDPA with no float mask, for PEs without a bias (NoPE, RoPE, xPos, the additive PEs):
           `is_causal=True` without padding (the flash kernel on CUDA), a boolean keep-mask with padding.
"auto" (ModelConfig.attention's default) picks "sdpa" off CUDA, and on CUDA "flex" for bias PEs (or "sdpa"
when attention dropout is active: FlexAttention has none) and "fused" otherwise.

Precision: PE biases are computed in float32 with autocast off (`fp32_region`) and meet the scores only
inside the kernel (bf16 scores under autocast are upcast by the addition).
"""
from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from .errors import PelgError
from .pe_base import vmapped

BACKENDS = ("auto", "sdpa", "flex", "fused")


def choose_backend(name: str, hook: str, device_type: str, dropout_active: bool) -> str:
    """The backend a forward pass uses: `name` unless it is "auto" (see the module docstring)."""
    if name != "auto":
        return name
    if device_type != "cuda":
        return "sdpa"
    if hook == "bias":
        return "sdpa" if dropout_active else "flex"
    return "fused"


def check_backend(name: str, hook: str, pe: str, dropout: float) -> None:
    """Config-time check of an explicit backend against the PE's hook and the dropout rate."""
    if name == "fused" and hook == "bias":
        raise PelgError(f"attention 'fused' has no attention bias, and PE {pe!r} adds one; valid for it: "
                        f"auto, flex, sdpa")
    if name == "flex" and dropout > 0:
        raise PelgError(f"attention 'flex' has no attention dropout (dropout {dropout}); valid: auto, fused, sdpa")


def fp32_region(device) -> contextlib.AbstractContextManager:
    """Autocast off on `device` (PE tables, angles and biases stay float32 under bf16 autocast)."""
    kind = torch.device(device).type
    if kind in ("cuda", "cpu") and torch.is_autocast_enabled(kind):
        return torch.autocast(kind, enabled=False)
    return contextlib.nullcontext()


@dataclass
class AttentionPlan:
    """What every layer's attention reads for one batch (built once per forward pass)."""

    backend: str                       # "flex" | "fused"
    mask: torch.Tensor | None = None   # fused: bool keep-mask (B, 1, 1 or T, T), None without padding
    is_causal: bool = False            # fused: SDPA's own causal mask
    score_mod: Callable | None = None  # flex
    block_mask: object | None = None   # flex: a BlockMask, None = every key


def plan_attention(backend: str, pe, positions: torch.Tensor, pad_mask: torch.Tensor | None, causal: bool,
                   n_head: int, scale: torch.Tensor | None = None) -> AttentionPlan:
    """The plan of a "flex" or "fused" forward: positions (B, T), pad_mask (B, T) True at padding."""
    B, T = positions.shape
    if backend == "fused":
        if pe.hook == "bias":
            raise PelgError("attention 'fused' cannot add an attention bias; use 'flex' or 'sdpa'")
        if pad_mask is None:
            return AttentionPlan("fused", is_causal=causal)
        keep = ~pad_mask[:, None, None, :]  # (B, 1, 1, T) key is real
        if causal:
            keep = keep & torch.ones(T, T, dtype=torch.bool, device=positions.device).tril()  # (B, 1, T, T)
        return AttentionPlan("fused", mask=keep)
    if backend != "flex":
        raise PelgError(f"no attention plan for backend {backend!r}; valid: flex, fused")
    score_mod = None
    if pe.hook == "bias":
        with fp32_region(positions.device):
            own = getattr(pe, "score_mod", None)
            score_mod = own(positions, scale) if callable(own) else _indexed(pe.bias(positions, positions, scale),
                                                                              B, n_head)
    return AttentionPlan("flex", score_mod=score_mod, block_mask=_block_mask(pad_mask, causal, B, T, positions.device))


def _indexed(bias: torch.Tensor, B: int, H: int) -> Callable:
    """score_mod adding a precomputed bias (B or 1, H or 1, T, T), made dense (FIRE's and LBPE's are
    permuted views) so the kernel's gradient scatter into the captured bias sees one plain layout."""
    bias = bias.expand(B, H, *bias.shape[-2:]).contiguous()

    def mod(score, b, h, q, kv):
        return score + bias[b, h, q, kv]
    return mod


def _block_mask(pad_mask, causal: bool, B: int, T: int, device):
    from torch.nn.attention.flex_attention import create_block_mask

    if pad_mask is None:
        if not causal:
            return None
        if torch.compiler.is_compiling():
            return create_block_mask(_causal, None, None, T, T, device=device)
        return _causal_block_mask(T, str(device))
    keep = ~pad_mask  # (B, T) key is real

    def mod(b, h, q, kv):
        return keep[b, kv] & (q >= kv) if causal else keep[b, kv]
    return create_block_mask(mod, B, None, T, T, device=device)


def _causal(b, h, q, kv):
    return q >= kv


@functools.lru_cache(maxsize=64)
def _causal_block_mask(T: int, device: str):
    from torch.nn.attention.flex_attention import create_block_mask

    return create_block_mask(_causal, None, None, T, T, device=device)


@functools.lru_cache(maxsize=1)
def _compiled_flex():
    """torch.compile(flex_attention), with room for one graph per PE formula, mask kind and shape regime:
    past dynamo's recompile limit (8 by default) a process that trains many PEs (a sweep worker, `pelg
    bench`) would silently fall back to the eager, materialising implementation."""
    from torch.nn.attention.flex_attention import flex_attention

    config = torch._dynamo.config
    name = "recompile_limit" if hasattr(config, "recompile_limit") else "cache_size_limit"  # older torch
    setattr(config, name, max(getattr(config, name), 64))
    return torch.compile(flex_attention)


def attend(q, k, v, mask, scale: float | None, dropout_p: float) -> torch.Tensor:
    """q, k, v (B, H, T, dh) -> (B, H, T, dh). `mask`: the reference float mask or None ("sdpa"), or an
    AttentionPlan."""
    if not isinstance(mask, AttentionPlan):
        if mask is not None and vmapped(q):
            return _math_attention(q, k, v, mask, scale, dropout_p)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale, dropout_p=dropout_p)
    if mask.backend == "fused":
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask.mask, is_causal=mask.is_causal, scale=scale,
                                              dropout_p=dropout_p)
    if dropout_p > 0:
        raise PelgError("attention 'flex' has no attention dropout; use 'sdpa' (or 'auto') for dropout > 0")
    from torch.nn.attention.flex_attention import flex_attention

    fn = _compiled_flex() if q.device.type == "cuda" and not torch.compiler.is_compiling() else flex_attention
    try:
        return fn(q, k, v, score_mod=mask.score_mod, block_mask=mask.block_mask, scale=scale)
    except NotImplementedError as e:  # e.g. torch has no FlexAttention backward on CPU
        raise PelgError(f"attention 'flex' on {q.device.type}: {str(e).splitlines()[0]} "
                        f"(valid there: auto, sdpa, fused)") from None


def _math_attention(q, k, v, mask, scale: float | None, dropout_p: float) -> torch.Tensor:
    """SDPA's formula written out, for a float mask under torch.func.vmap (`empirics.batched`), where
    torch's fused CPU kernel takes no gradient for a learned bias: softmax(q k^T * scale + mask) v."""
    scale = q.shape[-1] ** -0.5 if scale is None else scale
    probs = torch.softmax(q @ k.transpose(-1, -2) * scale + mask, dim=-1)  # (B, H, T, T)
    return F.dropout(probs, dropout_p) @ v if dropout_p > 0 else probs @ v
