"""Shared pieces of the table-driven bad-input tests (test_bad_inputs_table.py, test_bad_inputs_engine.py):
a snapshot of every file under a directory, a directory this process cannot write, and the assertion that a
CLI call failed with exit 2 and one `pelg: error:` line, no traceback."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path


def snapshot(root: Path) -> dict:
    """Every file under root (but SQLite's -wal/-shm side files) with a hash of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.name.endswith(("-wal", "-shm"))}


def unwritable_dir(tmp_path: Path) -> Path | None:
    """A directory this process cannot write into (chmod for users; a path under /sys for root)."""
    ro = tmp_path / "readonly"
    ro.mkdir()
    ro.chmod(0o555)
    if not os.access(ro, os.W_OK):
        return ro
    candidate = Path("/sys/pelg-test-not-writable")
    try:
        candidate.mkdir()
    except OSError:
        return candidate
    candidate.rmdir()
    return None


def error_line(code: int, captured) -> str:
    """The one stderr line of a CLI call that must fail with exit 2 (`captured`: capsys.readouterr())."""
    lines = captured.err.strip().splitlines()
    assert code == 2, (captured.out, captured.err)
    assert len(lines) == 1 and lines[0].startswith("pelg: error: "), captured.err
    assert "Traceback" not in captured.err + captured.out
    return lines[0]
