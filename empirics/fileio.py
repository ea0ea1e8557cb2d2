"""Atomic file writes: a temporary file in the target directory, then a rename, so a crash or an error
never leaves a half-written result, checkpoint or figure. A failed write (a full disk included) is one
PelgError naming the path; its temporary file and the directories it created are removed."""
from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import PelgError


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _open(fd: int):
    """The temp file's object (a seam: tests make it fail as a full disk would)."""
    return os.fdopen(fd, "wb")


def write_error(path: Path, e: OSError) -> PelgError:
    """The one-line error for an OSError while writing `path`."""
    if e.errno == errno.ENOSPC:
        return PelgError(f"no space left on device writing {str(path)!r}")
    return PelgError(f"cannot write {str(path)!r}: {e.strerror or e}")


def _missing_dirs(directory: Path) -> list[Path]:
    """The ancestors of `directory` (itself included) that do not exist yet, deepest first."""
    out = []
    while not directory.exists() and directory != directory.parent:
        out.append(directory)
        directory = directory.parent
    return out


class _Hashing:
    """A binary file that keeps the sha256 of what is written through it."""

    def __init__(self, f):
        self.f, self.sha256 = f, hashlib.sha256()

    def write(self, data) -> int:
        self.sha256.update(data)
        return self.f.write(data)

    def flush(self) -> None:
        self.f.flush()

    def fileno(self) -> int:
        return self.f.fileno()


def atomic_write(path: Path, write, verify: bool = False) -> None:
    """Call `write(f)` on a binary temp file next to `path`, then rename it to `path`. With `verify`, the
    temp file is read back first, and the previous file is kept unless it holds exactly the bytes written
    (a checkpoint is replaced only by a good one)."""
    path = Path(path)
    created = _missing_dirs(path.parent)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        _remove_empty(created)
        if e.errno == errno.ENOSPC:
            raise write_error(path, e) from None
        raise PelgError(f"cannot write to {str(path.parent)!r}: {e.strerror}") from None
    try:
        with _open(fd) as f:
            os.fchmod(f.fileno(), 0o666 & ~_umask())  # mkstemp makes 0600: the mode open() would give
            sink = _Hashing(f) if verify else f
            write(sink)
        if verify and hashlib.sha256(Path(tmp).read_bytes()).digest() != sink.sha256.digest():
            raise PelgError(f"writing {str(path)!r}: the bytes read back differ from those written; "
                            f"the previous file is kept")
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        _remove_empty(created)
        if isinstance(e, OSError) and e.errno is not None:
            raise write_error(path, e) from None
        raise


def _remove_empty(dirs: list[Path]) -> None:
    for d in dirs:  # deepest first
        try:
            d.rmdir()
        except OSError:
            return


def write_json(path: Path, obj) -> None:
    atomic_write(path, lambda f: f.write(json.dumps(obj, indent=2, sort_keys=True).encode()))


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text.encode()))


_RECORD_OVERRIDES: dict[str, Path] = {}


def recorded_result(name: str) -> Path:
    """empirics/repro/results/<name>: a reproduction's recorded summary that ledger entries read (the path is
    anchored at this file, so reading it neither imports the reproductions nor depends on sys.path); inside
    `recorded_results_from`, the file given there instead."""
    if name in _RECORD_OVERRIDES:
        return _RECORD_OVERRIDES[name]
    return Path(__file__).resolve().parent / "repro" / "results" / name


@contextmanager
def recorded_results_from(paths: dict[str, Path]):
    """Within the block, `recorded_result(name)` is `paths[name]` for the names given: `pelg repro all` and
    `pelg claims --rerun` point the ledger at the summaries of the runs they have just made, not at the
    committed records."""
    saved = dict(_RECORD_OVERRIDES)
    _RECORD_OVERRIDES.update({name: Path(path) for name, path in paths.items()})
    try:
        yield
    finally:
        _RECORD_OVERRIDES.clear()
        _RECORD_OVERRIDES.update(saved)
