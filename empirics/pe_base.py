"""The base of every PE module (`empirics.positional`, `empirics.pe_bias`): the hook interface, the cached
theory tables, and position reservation, the host-side step that keeps the forward pass free of
host-device synchronisations (issue 14).

Reservation. A table of f(0..P-1) must cover every position id a batch uses. Checking that inside the
forward pass needs `int(positions.max())`, a device-to-host copy that stalls the GPU on every step and
breaks `torch.compile`'s graph. Instead the caller (`Transformer.forward`) reads the range of the position
ids on the host, where they are made (`empirics.positions` builds them on the CPU), and calls
`reserve_positions(pe, top)` once per batch; every submodule with a `reserve(size)` method then grows its
caches (or raises, e.g. the learned table, or xPos past float32's range). Table lookups check positions
themselves only when the ids are a plain CPU tensor outside `torch.compile` (no device sync there); on an
accelerator they trust the reservation (an id beyond it is torch's index error, never a silent clamp).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn

from .errors import PelgError


def vmapped(t: torch.Tensor) -> bool:
    """True when `t` is inside a torch.func transform (vmap, grad), outside torch.compile."""
    return not torch.compiler.is_compiling() and torch._C._functorch.is_functorch_wrapped_tensor(t)


def host_checks(positions: torch.Tensor) -> bool:
    """True when `positions` can be read without a device sync or a graph break: a CPU tensor, outside
    torch.compile and torch.func transforms."""
    return positions.device.type == "cpu" and not torch.compiler.is_compiling() and not vmapped(positions)


def position_range(positions: torch.Tensor) -> tuple[int, int] | None:
    """(min, max) of integer position ids as Python ints, or None if empty; one device sync when the ids
    live on an accelerator (pass CPU ids, as every pelg caller does, to avoid it). Negative ids raise."""
    if not positions.numel():
        return None
    lo, hi = torch.aminmax(positions.detach().cpu())
    lo, hi = int(lo), int(hi)
    if lo < 0:
        raise PelgError(f"negative position id {lo}")
    return lo, hi


def reserve_positions(pe: nn.Module, size: int) -> None:
    """Make position ids 0..size-1 valid for every part of `pe` that caches position-dependent values
    (any module with a `reserve(size)` method); raises PelgError where a PE cannot represent them."""
    for m in pe.modules():
        reserve = getattr(m, "reserve", None)
        if callable(reserve):
            reserve(size)


def reserve_for(pe: nn.Module, positions: torch.Tensor) -> None:
    """Reserve `pe` for a batch's position ids (B, T), read on the host. Skipped inside torch.compile and
    torch.func transforms, whose callers reserve before them (`empirics.batched`)."""
    if torch.compiler.is_compiling() or vmapped(positions):
        return
    span = position_range(positions)
    if span is not None:
        reserve_positions(pe, span[1] + 1)


class _TheoryTable(nn.Module):
    """Rows f(arange(P)) of a numpy function of integer positions, as a float32 buffer grown on reservation.

    `lookup(positions)` gathers rows for a (B, T) long tensor -> (B, T, *row_shape). `limit`: positions at or
    beyond it raise PelgError with `why` (a PE whose float32 values stop being finite there).
    """

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray], initial: int = 64, limit: int | None = None,
                 why: str = ""):
        super().__init__()
        self.fn, self.limit, self.why = fn, limit, why
        self.register_buffer("table", self._compute(min(initial, limit or initial)), persistent=False)

    def _compute(self, size: int) -> torch.Tensor:
        return torch.as_tensor(np.asarray(self.fn(np.arange(size)), dtype=np.float32))

    def reserve(self, size: int) -> None:
        """Grow the table to cover positions 0..size-1 (at least doubling, capped at `limit`)."""
        if self.limit is not None and size > self.limit:
            raise PelgError(f"position {size - 1} is out of range: {self.why}")
        if size > self.table.shape[0]:
            size = max(size, 2 * self.table.shape[0])
            size = size if self.limit is None else min(size, self.limit)
            self.table = self._compute(size).to(self.table.device)

    def lookup(self, positions: torch.Tensor) -> torch.Tensor:
        if host_checks(positions):
            span = position_range(positions)
            if span is not None:
                self.reserve(span[1] + 1)
        return self.table[positions]


class PositionalEncoding(nn.Module):
    """Base class. Subclasses set `hook` and implement the matching method. A bias PE may also define
    `score_mod(positions, scale)`: a FlexAttention score_mod that computes its bias inline for
    self-attention at `positions` (B, T); without one, `empirics.attention_backends` indexes the tensor
    `bias()` returns, so any bias PE runs on every backend."""

    hook = "none"

    def embed(self, positions: torch.Tensor) -> torch.Tensor:  # (B, T) -> (B, T, D)
        raise NotImplementedError

    def rotate(self, x: torch.Tensor, positions: torch.Tensor, role: str) -> torch.Tensor:
        """x (B, H, T, dh), positions (B, T) -> (B, H, T, dh)."""
        raise NotImplementedError

    def bias(self, q_pos: torch.Tensor, k_pos: torch.Tensor, scale: torch.Tensor | None = None) -> torch.Tensor:
        """q_pos (B, Tq), k_pos (B, Tk), optional instance scale n (B,) -> (B, H, Tq, Tk)."""
        raise NotImplementedError


class NoPE(PositionalEncoding):
    """No positional information (Kazemnejad et al. 2023): attention sees only content and the mask."""
