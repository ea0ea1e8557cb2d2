"""pelg theory: the four papers' claims on positional encodings and length generalization as exact
mathematics, checked numerically. Pure numpy / scipy / sympy / pywavelets; never imports torch or
`empirics` (empirics builds on theory, not the other way round).

`theory.encodings` is the single source of truth for every positional-encoding formula. Each paper's theory
and its ledger entries live in a subpackage: `li2025`, `huang2025`, `chen2025`, `kazemnejad2023`.
"""

from theory.encodings import (
    PositionOutOfRange,
    alibi_bias,
    alibi_slopes,
    fire_bias,
    kerple_bias,
    learned_table_lookup,
    legendre_table,
    randomized_positions,
    rope_angles,
    rope_inverse_frequencies,
    rope_rotary_dims,
    rope_rotate,
    scale_hint_positions,
    sinusoidal_table,
    t5_bias,
    t5_relative_bucket,
    wavelet_feature_index,
    wavelet_table,
    xpos_rotate,
    xpos_scale,
)

__all__ = [
    "PositionOutOfRange",
    "alibi_bias",
    "alibi_slopes",
    "fire_bias",
    "kerple_bias",
    "learned_table_lookup",
    "legendre_table",
    "randomized_positions",
    "rope_angles",
    "rope_inverse_frequencies",
    "rope_rotary_dims",
    "rope_rotate",
    "scale_hint_positions",
    "sinusoidal_table",
    "t5_bias",
    "t5_relative_bucket",
    "wavelet_feature_index",
    "wavelet_table",
    "xpos_rotate",
    "xpos_scale",
]
