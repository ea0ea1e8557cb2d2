"""The results store: one SQLite file (WAL mode) with one row per run, keyed by the hash of the run's
full resolved training config.

A row holds the config (JSON), a status (pending -> running -> done | failed), the metrics per length
bucket, the training-loss summary, the whole result dict, wall time, device, library versions, the git
commit of the code, and the claim (`claimed_by`, `heartbeat`) that lets several sweep processes share
one store without ever running a config twice: a process claims a row inside `BEGIN IMMEDIATE` (one
writer at a time), keeps its heartbeat fresh while it runs, and a row whose claimer is dead (same host
and its process gone, or no heartbeat for `stale_after` seconds) may be claimed again. An `events`
table keeps an audit trail (claim, reclaim, done, failed, release) per run. `Store(path, readonly=True)`
reads without writing (SQLite `mode=ro`, or `immutable=1` where the directory cannot be written, e.g. a
read-only filesystem). A store whose creation fails (a full disk) leaves no file behind.

Config hashing is in empirics/engine/confighash.py; flat rows and their filter in empirics/engine/rows.py;
worker ids and claim liveness in empirics/engine/workers.py; opening the file in empirics/engine/sqlfiles.py.
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from empirics.engine.rows import filter_rows, flatten_row
from empirics.engine.sqlfiles import connect, first_missing, remove_new
from empirics.engine.workers import HOST, claim_is_dead, new_worker_id, retire_worker_id  # noqa: F401 (API)
from empirics.errors import PelgError

FORMAT = "pelg-store"
VERSION = 1
STATUSES = ("pending", "running", "done", "failed")
DEFAULT_TIMEOUT = 30.0          # seconds to wait for another process's write lock (PELG_STORE_TIMEOUT)
DEFAULT_STALE_AFTER = 120.0     # seconds without a heartbeat before a claim counts as dead

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    hash TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
    metrics TEXT, train_loss TEXT, result TEXT,
    wall_seconds REAL, train_seconds REAL, device TEXT, versions TEXT, git_commit TEXT, threads INTEGER,
    error TEXT, failed_step INTEGER,
    claimed_by TEXT, heartbeat REAL, attempts INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL, started REAL, finished REAL);
CREATE TABLE IF NOT EXISTS sweep_runs (
    sweep TEXT NOT NULL, hash TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (sweep, hash));
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, hash TEXT NOT NULL, worker TEXT, event TEXT NOT NULL,
    time REAL NOT NULL, detail TEXT);
"""
COLUMNS = ("hash", "status", "config", "metrics", "train_loss", "result", "wall_seconds", "train_seconds",
           "device", "versions", "git_commit", "threads", "error", "failed_step", "claimed_by", "heartbeat",
           "attempts", "created", "started", "finished")
JSON_COLUMNS = ("config", "metrics", "train_loss", "result", "versions")


# ------------------------------------------------------------------------------------------ environment
@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of the code that runs (the repository holding this package), '+dirty' when tracked
    files differ from it; None without git or outside a repository. Never raises."""
    where = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=20)
        return head.stdout.strip() + ("+dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def pelg_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("pelg")
    except Exception:
        return None


# ------------------------------------------------------------------------------------------------ store
def _timeout() -> float:
    raw = os.environ.get("PELG_STORE_TIMEOUT")
    if raw is None:
        return DEFAULT_TIMEOUT
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise PelgError(f"PELG_STORE_TIMEOUT must be a number of seconds, got {raw!r}") from None


class Store:
    """A pelg results store. `Store(path)` opens an existing store (a PelgError if the file is missing,
    not SQLite, or not a pelg store); `Store(path, create=True)` creates it (and its directory) if absent;
    `Store(path, readonly=True)` opens an existing store for reading only."""

    def __init__(self, path: str | Path, create: bool = False, timeout: float | None = None,
                 readonly: bool = False):
        self.path = Path(path)
        self.timeout = _timeout() if timeout is None else timeout
        p = str(self.path)
        if self.path.is_dir():
            raise PelgError(f"store {p!r} is a directory; give the path of a store file (e.g. {p}/pelg.sqlite)")
        exists = self.path.exists()
        if not exists and (readonly or not create):
            raise PelgError(f"no store at {p!r} (run `pelg sweep SPEC --store {p}` first)")
        made = None
        if not exists:
            parent = self.path.parent
            made = first_missing(parent)
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise PelgError(f"cannot create the store directory {str(parent)!r}: {e.strerror}") from None
            if not os.access(parent, os.W_OK | os.X_OK):
                raise PelgError(f"cannot write to {str(parent)!r}: permission denied")
        try:
            self.db = connect(self.path, self.timeout, readonly)
            self.db.row_factory = sqlite3.Row
            try:
                self._open(create and not readonly)
            except BaseException:
                self.db.close()
                raise
        except BaseException:
            if not exists:  # e.g. a full disk: no 0-byte store is left behind
                remove_new(self.path, made)
            raise

    # -- plumbing
    @contextmanager
    def _errors(self):
        """sqlite errors as one-line PelgErrors naming the store."""
        p = str(self.path)
        try:
            yield
        except sqlite3.OperationalError as e:
            msg = str(e)
            if "locked" in msg or "busy" in msg:
                raise PelgError(f"store {p!r} is locked by another process (waited {self.timeout:g} s; "
                                f"set PELG_STORE_TIMEOUT to wait longer)") from None
            if "readonly" in msg or "unable to open" in msg or "disk I/O" in msg or "disk is full" in msg:
                raise PelgError(f"cannot write to store {p!r}: {msg}") from None
            raise PelgError(f"store {p!r}: {msg}") from None
        except sqlite3.DatabaseError as e:
            raise PelgError(f"store {p!r} is not a pelg store ({e})") from None

    @contextmanager
    def _write(self):
        """One write transaction (BEGIN IMMEDIATE takes the write lock up front)."""
        with self._errors():
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def _open(self, create: bool) -> None:
        p = str(self.path)
        with self._errors():
            tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not tables and create:
                with self._write() as db:
                    for stmt in SCHEMA.split(";"):
                        if stmt.strip():
                            db.execute(stmt)
                    db.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (FORMAT,))
                    db.execute("INSERT OR IGNORE INTO meta VALUES ('version', ?)", (str(VERSION),))
                    db.execute("INSERT OR IGNORE INTO meta VALUES ('created', ?)", (str(time.time()),))
                tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "meta" not in tables:
                raise PelgError(f"{p!r} is not a pelg store (an SQLite file without pelg's tables)")
            meta = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("format") != FORMAT:
                raise PelgError(f"{p!r} is not a pelg store (format {meta.get('format')!r})")
            if meta.get("version") != str(VERSION):
                raise PelgError(f"store {p!r} has version {meta.get('version')}; this pelg reads version {VERSION}")
            if create:
                mode = self.db.execute("PRAGMA journal_mode").fetchone()[0]
                if mode != "wal":
                    self.db.execute("PRAGMA journal_mode=WAL")

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def _event(db, h: str, worker: str | None, event: str, detail: str | None = None) -> None:
        db.execute("INSERT INTO events (hash, worker, event, time, detail) VALUES (?, ?, ?, ?, ?)",
                   (h, worker, event, time.time(), detail))

    # -- writing
    def register(self, sweep: str, runs: list[tuple[str, dict]]) -> None:
        """Add pending rows for configs not in the store yet, and record them as members of `sweep`."""
        now = time.time()
        with self._write() as db:
            for position, (h, cfg) in enumerate(runs):
                db.execute("INSERT OR IGNORE INTO runs (hash, config, status, created) VALUES (?, ?, 'pending', ?)",
                           (h, json.dumps(cfg, sort_keys=True), now))
                db.execute("INSERT OR REPLACE INTO sweep_runs (sweep, hash, position) VALUES (?, ?, ?)",
                           (sweep, h, position))

    def retry_failed(self, hashes: list[str], worker: str) -> int:
        """Failed rows among `hashes` back to pending; returns how many."""
        n = 0
        with self._write() as db:
            for h in self._statuses(db, hashes, status="failed"):
                db.execute("UPDATE runs SET status='pending', error=NULL, failed_step=NULL WHERE hash=?", (h,))
                self._event(db, h, worker, "retry")
                n += 1
        return n

    @staticmethod
    def _statuses(db, hashes: list[str], status: str | None = None) -> dict[str, sqlite3.Row]:
        out = {}
        for i in range(0, len(hashes), 500):
            chunk = hashes[i:i + 500]
            q = f"SELECT hash, status, claimed_by, heartbeat FROM runs WHERE hash IN ({','.join('?' * len(chunk))})"
            for r in db.execute(q, chunk):
                if status is None or r["status"] == status:
                    out[r["hash"]] = r
        return out

    def claim(self, hashes: list[str], worker: str, stale_after: float = DEFAULT_STALE_AFTER) -> str | None:
        """Atomically claim the first of `hashes` (in order) that is pending, or running under a dead
        claim; returns its hash, or None when there is none."""
        now = time.time()
        with self._write() as db:
            rows = self._statuses(db, hashes)
            for h in hashes:
                r = rows.get(h)
                if r is None:
                    continue
                if r["status"] == "pending":
                    event, detail = "claim", None
                elif (r["status"] == "running" and r["claimed_by"] != worker
                      and claim_is_dead(r["claimed_by"], r["heartbeat"], now, stale_after)):
                    event, detail = "reclaim", f"from {r['claimed_by']}"
                else:
                    continue
                db.execute("UPDATE runs SET status='running', claimed_by=?, heartbeat=?, started=?, "
                           "attempts=attempts+1 WHERE hash=?", (worker, now, now, h))
                self._event(db, h, worker, event, detail)
                return h
        return None

    def heartbeat(self, worker: str) -> None:
        with self._write() as db:
            db.execute("UPDATE runs SET heartbeat=? WHERE claimed_by=? AND status='running'", (time.time(), worker))

    def finish(self, h: str, worker: str, result: dict, wall_seconds: float, threads: int | None = None,
               commit: str | None = None) -> bool:
        """Store a finished run's result; False (and nothing changed) if the row was already done."""
        env = dict(result.get("env") or {})
        env["pelg"] = pelg_version()
        with self._write() as db:
            cur = db.execute(
                "UPDATE runs SET status='done', metrics=?, train_loss=?, result=?, wall_seconds=?, train_seconds=?, "
                "device=?, versions=?, git_commit=?, threads=?, error=NULL, failed_step=NULL, claimed_by=?, "
                "heartbeat=?, finished=? WHERE hash=? AND status != 'done'",
                (json.dumps(result.get("metrics"), sort_keys=True), json.dumps(result.get("train_loss"), sort_keys=True),
                 json.dumps(result, sort_keys=True), wall_seconds, result.get("train_seconds"), result.get("device"),
                 json.dumps(env, sort_keys=True), commit, threads, worker, time.time(), time.time(), h))
            self._event(db, h, worker, "done" if cur.rowcount else "duplicate")
            return bool(cur.rowcount)

    def fail(self, h: str, worker: str, error: str, step: int | None = None, wall_seconds: float | None = None,
             threads: int | None = None, commit: str | None = None) -> None:
        with self._write() as db:
            db.execute("UPDATE runs SET status='failed', error=?, failed_step=?, wall_seconds=?, threads=?, "
                       "git_commit=?, heartbeat=?, finished=? WHERE hash=? AND status != 'done'",
                       (error, step, wall_seconds, threads, commit, time.time(), time.time(), h))
            self._event(db, h, worker, "failed", error)

    def release(self, h: str, worker: str, why: str = "released") -> None:
        """A claimed run back to pending (interrupted before it finished; its checkpoint stays)."""
        with self._write() as db:
            cur = db.execute("UPDATE runs SET status='pending', claimed_by=NULL, heartbeat=NULL "
                             "WHERE hash=? AND claimed_by=? AND status='running'", (h, worker))
            if cur.rowcount:
                self._event(db, h, worker, "release", why)

    # -- reading
    def counts(self, hashes: list[str]) -> dict[str, int]:
        with self._errors():
            rows = self._statuses(self.db, hashes)
        out = dict.fromkeys(STATUSES, 0)
        for r in rows.values():
            out[r["status"]] += 1
        return out

    def dead_claims(self, hashes: list[str], stale_after: float = DEFAULT_STALE_AFTER) -> int:
        """How many of `hashes` are 'running' under a claim whose process is gone (interrupted runs)."""
        now = time.time()
        with self._errors():
            rows = self._statuses(self.db, hashes, status="running")
        return sum(claim_is_dead(r["claimed_by"], r["heartbeat"], now, stale_after) for r in rows.values())

    def get(self, h: str) -> dict | None:
        with self._errors():
            r = self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM runs WHERE hash=?", (h,)).fetchone()
        return None if r is None else _decode(r)

    def rows(self, sweep: str | None = None) -> list[dict]:
        """Every run (decoded JSON columns, plus `sweeps`: the sweeps that list it), oldest first."""
        with self._errors():
            members: dict[str, list[str]] = {}
            for r in self.db.execute("SELECT sweep, hash FROM sweep_runs ORDER BY sweep"):
                members.setdefault(r["hash"], []).append(r["sweep"])
            if sweep is None:
                q = self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM runs ORDER BY created, rowid")
            else:
                q = self.db.execute(f"SELECT {', '.join('r.' + c for c in COLUMNS)} FROM runs r JOIN sweep_runs s "
                                    f"ON s.hash = r.hash WHERE s.sweep=? ORDER BY s.position", (sweep,))
            out = []
            for r in q.fetchall():
                d = _decode(r)
                d["sweeps"] = members.get(d["hash"], [])
                out.append(d)
        return out

    def events(self, h: str | None = None) -> list[dict]:
        with self._errors():
            q = "SELECT hash, worker, event, time, detail FROM events" + (" WHERE hash=?" if h else "") + " ORDER BY id"
            return [dict(r) for r in self.db.execute(q, (h,) if h else ())]

    def flat_rows(self, where: list[str] | None = None) -> list[dict]:
        """One flat dict per run (see `flatten_row`), filtered by KEY=VALUE conditions (all must hold)."""
        rows = [flatten_row(r) for r in self.rows()]
        return filter_rows(rows, where or [])

    def loss_curve(self, run: str) -> list[tuple[int, float]] | None:
        """The training-loss curve of a run (its hash, or a unique prefix of it): (step, loss) pairs,
        subsampled by training (empirics/train.py `loss_points`); None for a run without one."""
        if not run or any(c not in "0123456789abcdef" for c in run):
            raise PelgError(f"run id {run!r} is not a config hash (hex digits)")
        with self._errors():
            found = self.db.execute("SELECT hash, result FROM runs WHERE substr(hash, 1, ?) = ?",
                                    (len(run), run)).fetchall()
        if len(found) != 1:
            raise PelgError(f"{'no' if not found else 'more than one'} run with id {run!r} in {str(self.path)!r}")
        curve = json.loads(found[0]["result"] or "{}").get("loss_curve")
        return None if curve is None else [(int(step), float(loss)) for step, loss in curve]

    def dataframe(self, where: list[str] | None = None):
        """The runs as a pandas DataFrame (one row per run, the columns of `flatten_row`)."""
        try:
            import pandas as pd
        except ImportError:
            raise PelgError("Store.dataframe needs pandas (a pelg dependency), which is missing: "
                            "pip install pandas") from None
        return pd.DataFrame(self.flat_rows(where))


def _decode(r: sqlite3.Row) -> dict:
    d = dict(r)
    for c in JSON_COLUMNS:
        if d.get(c) is not None:
            d[c] = json.loads(d[c])
    return d
