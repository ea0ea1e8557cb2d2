"""The identity-aligned PE (IPE) of Chen, Liang, Lin 2025 [reconstruction], the torch side of
`theory.encodings.ipe_alignment` (registered in `empirics.positional` as "ipe").

An attention-logit bias b_h(i, j) = w_h * [j = i - n, 1 <= j <= n], n the instance scale (source tokens,
from the batch): the query that predicts target token u reads source token u through one learned weight
per head; every other pair shares one value (0: a constant per row that softmax ignores). w starts at 0, so
an untrained IPE model is a NoPE model. Without a scale (a task with no separator) nothing is aligned.
"""
from __future__ import annotations

import torch
from torch import nn

from .pe_base import PositionalEncoding


class IPE(PositionalEncoding):
    """Bias hook; `weight` (H,) is the aligned pair's logit."""

    hook = "bias"

    def __init__(self, n_head: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_head))

    @staticmethod
    def alignment(q_pos: torch.Tensor, k_pos: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        """q_pos (B, Tq), k_pos (B, Tk), scale (B,) -> (B, Tq, Tk) bool: j = i - n and 1 <= j <= n."""
        n = scale.view(-1, 1, 1)
        j = k_pos[:, None, :]                                        # (B, 1, Tk)
        return (j == q_pos[:, :, None] - n) & (j >= 1) & (j <= n)    # (B, Tq, Tk)

    def bias(self, q_pos, k_pos, scale=None):
        """-> (B, H, Tq, Tk); all zeros without a scale (no separator: nothing is aligned)."""
        if scale is None:
            return self.weight.new_zeros((q_pos.shape[0], self.weight.shape[0], q_pos.shape[1], k_pos.shape[1]))
        hit = self.alignment(q_pos, k_pos, scale)[:, None].to(self.weight.dtype)  # (B, 1, Tq, Tk)
        return self.weight.view(1, -1, 1, 1) * hit                                  # (B, H, Tq, Tk)
