"""Atomic file writes: a temporary file in the target directory, then a rename, so a crash or an error
never leaves a half-written result, checkpoint or figure."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .errors import PelgError


def atomic_write(path: Path, write) -> None:
    """Call `write(f)` on a binary temp file next to `path`, then rename it to `path`."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise PelgError(f"cannot write to {str(path.parent)!r}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj) -> None:
    atomic_write(path, lambda f: f.write(json.dumps(obj, indent=2, sort_keys=True).encode()))


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text.encode()))
