"""User-facing errors: the CLI prints them as one line and exits with code 2."""
from __future__ import annotations


class PelgError(ValueError):
    """Bad input from the user (unknown name, impossible length, malformed config, corrupt file)."""


def unknown(kind: str, value: object, valid) -> PelgError:
    """Error for an unknown name, listing the valid choices."""
    return PelgError(f"unknown {kind} {value!r}; valid: {', '.join(sorted(map(str, valid)))}")


def require_int(name: str, value, low: int = 1, high: int | None = None) -> int:
    """Return `value` if it is an integer in [low, high] (no upper bound when `high` is None), else raise a
    one-line PelgError that states the valid range."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= low and (high is None or value <= high):
        return value
    what = "a positive integer" if low == 1 else f"an integer >= {low}"
    raise PelgError(f"{name} must be {what}{'' if high is None else f' and <= {high}'}, got {value!r}")


def require_positive(name: str, value: int, maximum: int | None = None) -> int:
    """Return `value` if it is a positive integer (at most `maximum`), else raise a one-line PelgError."""
    return require_int(name, value, 1, maximum)
