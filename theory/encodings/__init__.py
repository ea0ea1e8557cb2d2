"""Every positional encoding (PE) as mathematics: the single source of truth for PE formulas.

numpy / pywavelets only (never torch). The torch modules in `empirics.positional` are built from these
functions and tested against them, so the signatures are a contract. One module per kind of PE:
`absolute` (embedding tables), `relative` (attention biases), `rotary` (q/k rotations), `schemes`
(position re-indexing); `theory.encodings` is the one import point for all of them.

Conventions
-----------
* Positions are 1-D array-likes. Integer positions are the norm; real positions are accepted where the
  formula is defined for them (sinusoidal, RoPE, xPos, ALiBi, KERPLE, FIRE, wavelet, Legendre).
* Every result is a float64 numpy array unless stated otherwise.
* Attention biases have shape (H, Lq, Lk): entry [h, a, b] is the bias of head h for the query at
  position ``q_pos[a]`` and the key at position ``k_pos[b]``. Below, i = q_pos[a] and j = k_pos[b].
* Bad arguments raise ``ValueError`` with a one-line message naming the bad value and the valid choices.

Provenance labels follow /work/shared/papers/README.md: formulas of the original papers are cited by
author and year; our own definitions where a paper's full text is unavailable are marked
**[reconstruction]** (wavelet and Legendre PEs of Li 2025, Scale Hint of Chen, Liang, Lin 2025).
"""
from __future__ import annotations

from ._validate import LAYOUTS, PositionOutOfRange
from .absolute import (learned_table_lookup, legendre_table, psi_samples, sinusoidal_table, wavelet_feature_index,
                       wavelet_support_width, wavelet_table)
from .relative import (alibi_bias, alibi_slopes, fire_bias, ipe_alignment, kerple_bias, lbpe_features, t5_bias,
                       t5_relative_bucket)
from .rotary import rope_angles, rope_inverse_frequencies, rope_rotary_dims, rope_rotate, xpos_rotate, xpos_scale
from .schemes import randomized_positions, scale_hint_positions

__all__ = [
    "LAYOUTS",
    "PositionOutOfRange",
    "learned_table_lookup",
    "legendre_table",
    "psi_samples",
    "sinusoidal_table",
    "wavelet_feature_index",
    "wavelet_support_width",
    "wavelet_table",
    "alibi_bias",
    "alibi_slopes",
    "fire_bias",
    "ipe_alignment",
    "kerple_bias",
    "lbpe_features",
    "t5_bias",
    "t5_relative_bucket",
    "rope_angles",
    "rope_inverse_frequencies",
    "rope_rotary_dims",
    "rope_rotate",
    "xpos_rotate",
    "xpos_scale",
    "randomized_positions",
    "scale_hint_positions",
]
