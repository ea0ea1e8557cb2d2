"""Sweep drivers' identities and the liveness of their claims on store rows (empirics/engine/store.py):
a worker id is host:pid:token; a claim is dead when its heartbeat is stale or, on this host, its process
(or, in this process, its driver) is gone."""
from __future__ import annotations

import os
import socket
import uuid

HOST = socket.gethostname()
_LIVE_TOKENS: set[str] = set()  # worker ids of drivers alive in this process


def new_worker_id() -> str:
    """host:pid:token; registered as live in this process until `retire_worker_id`."""
    token = f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    _LIVE_TOKENS.add(token)
    return token


def retire_worker_id(token: str) -> None:
    _LIVE_TOKENS.discard(token)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped) is dead
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def claim_is_dead(claimed_by: str | None, heartbeat: float | None, now: float, stale_after: float) -> bool:
    """A claim is dead if its heartbeat is older than `stale_after`, or its process (on this host) is gone."""
    if not claimed_by or heartbeat is None or now - heartbeat > stale_after:
        return True
    host, _, rest = claimed_by.partition(":")
    pid, _, _ = rest.partition(":")
    if host != HOST or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return claimed_by not in _LIVE_TOKENS
    return not _pid_alive(int(pid))
