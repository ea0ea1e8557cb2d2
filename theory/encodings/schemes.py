"""Position re-indexing, usable with every PE (the PE takes position ids from the caller): randomized
positions (Ruoss et al. 2023) and Scale Hint (Chen, Liang, Lin 2025) [reconstruction]."""
from __future__ import annotations

import numpy as np

from ._validate import _choice, _positive_int


# ----------------------------------------------------------------------------------------------------
# position re-indexing (works with every PE: the PE takes the position ids from the caller)
# ----------------------------------------------------------------------------------------------------


def randomized_positions(rng, length, max_position) -> np.ndarray:
    """Randomized positions (Ruoss et al. 2023), int64 (length,).

    A sorted sample without replacement of ``length`` integers from range(max_position); the base PE is
    then evaluated at these positions instead of 0..length-1.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    length = _positive_int("length", length, minimum=0)
    max_position = _positive_int("max_position", max_position, minimum=0)
    if length > max_position:
        raise ValueError(f"length {length} exceeds max_position {max_position}; need length <= max_position")
    return np.sort(rng.choice(max_position, size=length, replace=False)).astype(np.int64)


def scale_hint_positions(length, sep_index, source_start=1, mode="align") -> np.ndarray:
    """Scale Hint position ids (Chen, Liang, Lin 2025) [reconstruction], int64 (length,).

    Sequence = [<bos>] source [<sep>] target...: source token k at index source_start + k, the
    separator at sep_index. Indices t <= sep_index keep position t. Target indices t > sep_index:
    * "align": position source_start + (t - sep_index - 1) (target k shares source k's position);
    * "offset": position t - n with n = sep_index - source_start source tokens (target k sits a constant
      1 after source k, whatever n is).
    sep_index >= length is allowed (a prefix without target tokens: identity positions).
    """
    length = _positive_int("length", length, minimum=0)
    source_start = _positive_int("source_start", source_start, minimum=0)
    sep_index = _positive_int("sep_index", sep_index, minimum=source_start)
    _choice("mode", mode, ("align", "offset"))
    t = np.arange(length, dtype=np.int64)
    if mode == "align":
        target = source_start + (t - sep_index - 1)
    else:
        target = t - (sep_index - source_start)
    return np.where(t <= sep_index, t, target).astype(np.int64)
