"""Argument checks shared by the PE formulas: one-line ValueErrors naming the bad value and the valid
choices (see `theory.encodings`)."""
from __future__ import annotations

import math

import numpy as np

LAYOUTS = ("half", "interleaved")


class PositionOutOfRange(ValueError):
    """A learned table was asked for a position it has no row for (never clamped silently)."""


# ----------------------------------------------------------------------------------------------------
# input validation helpers
# ----------------------------------------------------------------------------------------------------


def _choice(name: str, value, valid) -> str:
    if value not in valid:
        raise ValueError(f"unknown {name} {value!r}; valid: {', '.join(map(repr, valid))}")
    return value


def _positive_int(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _positive_real(name: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive real number, got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a positive real number, got {value!r}")
    return v


def _positions(positions, name: str = "positions", integer: bool = False) -> np.ndarray:
    """1-D positions as int64 (integer=True; integral values required) or float64 (finite values)."""
    arr = np.asarray(positions)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"{name} must hold integers or reals, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr[~np.isfinite(arr)][0]!r}")
    if integer:
        if np.issubdtype(arr.dtype, np.floating):
            bad = arr != np.round(arr)
            if np.any(bad):
                raise ValueError(f"{name} must be integers, got {arr[bad][0]!r}")
        return arr.astype(np.int64)
    return arr.astype(np.float64)


def _per_head(name: str, value, n_heads: int | None = None) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array (one value per head), got shape {arr.shape}")
    if n_heads is not None and arr.size != n_heads:
        raise ValueError(f"{name} must have {n_heads} entries (one per head), got {arr.size}")
    return arr


def _offsets(q_pos, k_pos) -> np.ndarray:
    """(Lq, Lk) matrix of i - j (query minus key), float64."""
    q = _positions(q_pos, "q_pos")
    k = _positions(k_pos, "k_pos")
    return q[:, None] - k[None, :]
