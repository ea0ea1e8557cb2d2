"""Executors: where a sweep's runs train. Each takes jobs (a config, its run directory, torch threads)
and hands back outcomes; only the sweep driver writes the store.

- `InlineExecutor`: one run at a time in the driver's own process (`--workers 1`).
- `PoolExecutor`: N spawned worker processes on this machine. A worker exits as soon as its driver is
  gone (it polls its parent), so a killed sweep leaves no orphan training into a run directory.
- `RayExecutor`: Ray tasks (extra `pelg[ray]`) on a local Ray cluster started for the sweep, or on an
  existing cluster by address. Workers return the result dict to the driver. Run directories are paths on
  the worker's machine: resuming an interrupted run from its checkpoint needs a filesystem shared with
  the driver; without one the run restarts from scratch (same result on CPU, more time).

An outcome is {"status": "done", "result", "wall_seconds"} or {"status": "failed", "error", "step",
"wall_seconds"} from `run_job`; {"status": "disk_full", "error"} when the run stopped because the disk (or
quota) was full, which is no fault of the run (the driver gives it back to run another time); or
{"status": "lost", "error"} when the worker itself died (the driver then releases the run for another
attempt). A run is "done" only once its model.pt loads (empirics/checkpoint.py `load`).
"""
from __future__ import annotations

import errno
import os
import threading
import time
import traceback

from empirics.errors import PelgError, unknown
from empirics.engine.threads import torch_threads

EXECUTORS = ("local", "ray")


DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
DISK_FULL_TEXT = ("no space left on device", "disk quota exceeded", "database or disk is full")


def disk_full(e: BaseException | str | None) -> bool:
    """Whether an exception (or its causes), or a recorded error text, says the disk or quota was full."""
    seen = 0
    while isinstance(e, BaseException) and seen < 10:
        if isinstance(e, OSError) and e.errno in DISK_FULL_ERRNOS:
            return True
        if any(t in str(e).lower() for t in DISK_FULL_TEXT):
            return True
        e, seen = e.__cause__ or e.__context__, seen + 1
    return isinstance(e, str) and any(t in e.lower() for t in DISK_FULL_TEXT)


def run_job(job: dict) -> dict:
    """Train one run: job = {"hash", "config" (TrainConfig dict), "out_dir", "threads"}; then check that
    its model.pt loads."""
    from pathlib import Path

    from empirics import checkpoint
    from empirics import train as training

    start = time.time()
    try:
        cfg = training.TrainConfig.from_dict(job["config"])
        with torch_threads(job.get("threads")):   # the caller's setting comes back (inline executor)
            result = training.train(cfg, out_dir=job["out_dir"], progress=False)
            if job.get("out_dir"):   # a run kept on disk: its model.pt must load
                checkpoint.load(Path(job["out_dir"]) / training.MODEL)
    except Exception as e:
        if disk_full(e):
            return {"hash": job["hash"], "status": "disk_full", "error": f"disk full: {_one_line(e)}",
                    "wall_seconds": time.time() - start}
        return _failed(job, e, start)
    return {"hash": job["hash"], "status": "done", "result": result, "wall_seconds": time.time() - start}


def _failed(job: dict, e: Exception, start: float) -> dict:
    if isinstance(e, PelgError):  # RunFailed (NaN/Inf loss, with its step) or a run-time bad input
        return {"hash": job["hash"], "status": "failed", "error": _one_line(e), "step": getattr(e, "step", None),
                "wall_seconds": time.time() - start}
    where = traceback.extract_tb(e.__traceback__)[-1]  # a bug: record it with where it happened, keep going
    return {"hash": job["hash"], "status": "failed", "step": None, "wall_seconds": time.time() - start,
            "error": f"{type(e).__name__}: {_one_line(e)} ({os.path.basename(where.filename)}:{where.lineno})"}


def _one_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


class InlineExecutor:
    """Runs each job in this process when `wait` is called."""

    def __init__(self, threads: int = 1):
        self.threads = threads
        self.jobs: dict[int, dict] = {}
        self._next = 0

    def submit(self, job: dict) -> int:
        self._next += 1
        self.jobs[self._next] = job
        return self._next

    def wait(self, timeout: float) -> list[tuple[int, dict]]:
        if not self.jobs:
            time.sleep(timeout)
            return []
        key = next(iter(self.jobs))
        outcome = run_job(self.jobs[key])
        del self.jobs[key]
        return [(key, outcome)]

    def shutdown(self) -> None:
        self.jobs.clear()


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(3)
        time.sleep(0.2)


def _init_worker(parent: int, threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


class PoolExecutor:
    """`workers` spawned processes (spawn, not fork: each worker imports torch fresh)."""

    def __init__(self, workers: int, threads: int = 1):
        self.workers, self.threads = workers, threads
        self.futures: dict = {}
        self._next = 0
        self.pool = self._new_pool()

    def _new_pool(self):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                                   initargs=(os.getpid(), self.threads))

    def submit(self, job: dict) -> int:
        self._next += 1
        self.futures[self._next] = self.pool.submit(run_job, job)
        return self._next

    def wait(self, timeout: float) -> list[tuple[int, dict]]:
        from concurrent.futures import FIRST_COMPLETED
        from concurrent.futures import wait as wait_futures
        from concurrent.futures.process import BrokenProcessPool

        if not self.futures:
            time.sleep(timeout)
            return []
        done, _ = wait_futures(list(self.futures.values()), timeout=timeout, return_when=FIRST_COMPLETED)
        out, broken = [], False
        for key, fut in list(self.futures.items()):
            if fut not in done:
                continue
            del self.futures[key]
            try:
                out.append((key, fut.result()))
            except BrokenProcessPool:
                broken = True
                out.append((key, {"status": "lost", "error": "a worker process died (killed or out of memory)"}))
            except Exception as e:
                out.append((key, {"status": "lost", "error": f"{type(e).__name__}: {_one_line(e)}"}))
        if broken:  # every other in-flight job died with the pool
            for key in list(self.futures):
                out.append((key, {"status": "lost", "error": "the worker pool broke"}))
            self.futures.clear()
            self._kill()
            self.pool = self._new_pool()
        return out

    def _kill(self) -> None:
        procs = list((getattr(self.pool, "_processes", None) or {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            if p.is_alive():
                p.kill()
        for p in procs:
            p.join(timeout=5)

    def shutdown(self) -> None:
        if self.futures:  # interrupted: stop the runs now (their checkpoints stay)
            self._kill()
        else:
            self.pool.shutdown(wait=True)
        self.futures.clear()


class RayExecutor:
    """Ray tasks, one CPU each (or one GPU each with `gpus_per_run`); a local cluster with `workers` CPUs
    unless `address` names an existing cluster ("auto" = the one `ray start` made on this machine)."""

    def __init__(self, workers: int, threads: int = 1, address: str | None = None, gpus_per_run: float = 0):
        try:
            import ray
        except ImportError:
            raise PelgError("the ray executor needs ray, which is not installed: pip install 'pelg[ray]'") from None
        self.ray = ray
        self.started = False
        if not ray.is_initialized():
            kwargs = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
            try:
                if address:
                    ray.init(address=address, **kwargs)
                else:
                    ray.init(num_cpus=workers, num_gpus=None if gpus_per_run else 0, **kwargs)
            except ConnectionError as e:
                raise PelgError(f"cannot connect to the Ray cluster at {address!r}: {_one_line(e)}") from None
            self.started = True
        self.remote = ray.remote(num_cpus=1, num_gpus=gpus_per_run, max_retries=0)(run_job)
        self.threads = threads
        self.refs: dict = {}
        self._next = 0

    def submit(self, job: dict) -> int:
        self._next += 1
        self.refs[self._next] = self.remote.remote({**job, "threads": self.threads})
        return self._next

    def wait(self, timeout: float) -> list[tuple[int, dict]]:
        if not self.refs:
            time.sleep(timeout)
            return []
        ready, _ = self.ray.wait(list(self.refs.values()), num_returns=1, timeout=timeout)
        out = []
        for key, ref in list(self.refs.items()):
            if ref in ready:
                del self.refs[key]
                try:
                    out.append((key, self.ray.get(ref)))
                except Exception as e:  # worker crashed (run_job itself never raises)
                    out.append((key, {"status": "lost", "error": f"{type(e).__name__}: {_one_line(e)}"}))
        return out

    def shutdown(self) -> None:
        for ref in self.refs.values():
            try:
                self.ray.cancel(ref, force=True)
            except Exception:
                pass
        self.refs.clear()
        if self.started:
            self.ray.shutdown()


def make_executor(name: str, workers: int, threads: int = 1, address: str | None = None, gpus_per_run: float = 0):
    if name not in EXECUTORS:
        raise unknown("executor", name, EXECUTORS)
    if name == "ray":
        return RayExecutor(workers, threads, address, gpus_per_run)
    if address:
        raise PelgError("--ray-address needs --executor ray")
    return InlineExecutor(threads) if workers == 1 else PoolExecutor(workers, threads)
