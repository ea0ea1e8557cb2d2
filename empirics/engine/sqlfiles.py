"""Opening SQLite files for the results store (empirics/engine/store.py): read-write, or read-only
(`mode=ro`, falling back to `immutable=1` where SQLite cannot make its side files: a read-only directory
or filesystem, where nobody else can be writing either), and undoing a creation that failed (a full
disk must not leave a 0-byte store, nor the folders made for it)."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from empirics.errors import PelgError


def connect(path: Path, timeout: float, readonly: bool = False) -> sqlite3.Connection:
    p = str(path)
    try:
        if not readonly:
            return sqlite3.connect(p, timeout=timeout, isolation_level=None)
        uri = "file:" + quote(str(Path(path).resolve()))
        db = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=timeout, isolation_level=None)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError:
            db.close()
            return sqlite3.connect(uri + "?immutable=1", uri=True, timeout=timeout, isolation_level=None)
    except sqlite3.Error as e:
        raise PelgError(f"cannot open store {p!r}: {e}") from None


def first_missing(folder: Path) -> Path | None:
    """The outermost folder on the way to `folder` that does not exist yet (what mkdir -p would create)."""
    missing = None
    for f in [folder, *folder.parents]:
        if f.exists():
            break
        missing = f
    return missing


def remove_new(path: Path, made: Path | None) -> None:
    """Undo a store creation that failed: the file with SQLite's side files, and the (empty) folders made
    for it. Only a 0-byte file goes: a store that another process created meanwhile has pages and stays."""
    try:
        if path.stat().st_size:
            return
    except OSError:
        pass
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    if made is not None:
        for f in [path.parent, *path.parent.parents]:
            try:
                f.rmdir()
            except OSError:
                break
            if f == made:
                break
