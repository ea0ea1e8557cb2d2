"""torch's intra-op thread count as a scoped setting: library code that needs a count sets it for the
duration of its work and gives the caller's setting back (results depend on it: a run with 1 thread and
one with 2 differ in the last bits)."""
from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def torch_threads(n: int | None = 1):
    """Run with n intra-op threads (None: leave as is), then restore the caller's setting."""
    import torch

    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)
