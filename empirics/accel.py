"""Speed options of a training step (issue 14): bf16 autocast, the optimizer (fused AdamW on CUDA), and
torch.compile of the model's device pass. None of them changes the CPU default: fp32, torch's default
AdamW implementation, eager.

Precision "bf16" runs the forward pass and the loss under `torch.autocast(dtype=bfloat16)`: matmuls in bf16,
parameters, optimizer state and gradients in fp32 (mixed precision, Micikevicius et al. 2018); PE tables,
rotation angles and attention biases stay fp32 (`empirics.attention_backends.fp32_region`,
`empirics.positional.Rotary.rotate`). bf16 has fp32's exponent range, so no loss scaling is needed.
"""
from __future__ import annotations

import contextlib

import torch

PRECISIONS = ("fp32", "bf16")


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """The context of a training forward pass: bf16 autocast on `device`, or nothing for fp32."""
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)


def make_optimizer(params, lr: float, weight_decay: float, device: torch.device):
    """AdamW (Loshchilov & Hutter 2019) over `params`; on CUDA its fused kernel (one launch for every
    parameter), elsewhere torch's default implementation, as before."""
    extra = {"fused": True} if device.type == "cuda" else {}
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, **extra)
