"""User-facing errors: the CLI prints them as one line and exits with code 2."""


class PelgError(ValueError):
    """Bad input from the user (unknown name, impossible length, malformed config, corrupt file)."""


def unknown(kind: str, value: object, valid) -> PelgError:
    """Error for an unknown name, listing the valid choices."""
    return PelgError(f"unknown {kind} {value!r}; valid: {', '.join(sorted(map(str, valid)))}")


def require_positive(name: str, value: int) -> int:
    """Return `value` if it is a positive integer, else raise a one-line PelgError."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise PelgError(f"{name} must be a positive integer, got {value!r}")
    return value
