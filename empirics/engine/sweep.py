"""Sweeps: `run_sweep` expands a spec (empirics/engine/spec.py), runs the configs the store does not have
yet on a local process pool or Ray, and records every result in the store (empirics/engine/store.py).

Each run trains in `<store dir>/runs/<config hash>/` with `train(..., out_dir)`, which resumes from that
directory's checkpoint after an interruption. Several sweeps may share one store: each claims runs
atomically and keeps a heartbeat while they train. A run counts as done only once its model.pt loads. A
run stopped by a full disk is given back (not failed): the sweep stops claiming and reports it, and the
next sweep runs it (also runs recorded as failed for a full disk before this rule).
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from empirics.errors import PelgError, require_positive, unknown
from empirics.engine.confighash import config_hash
from empirics.engine.executors import disk_full
from empirics.engine.rows import flatten
from empirics.engine.spec import check_spec, dry_check, expand, load_spec
from empirics.engine.store import DEFAULT_STALE_AFTER, Store, git_commit, new_worker_id, retire_worker_id

HEARTBEAT_EVERY = 5.0
POLL = 0.5


# --------------------------------------------------------------------------------------------- the runs
def run_dir(store_path: Path, h: str) -> Path:
    return Path(store_path).resolve().parent / "runs" / h


def check_run_files(store_path: Path, hashes: list[str]) -> None:
    """A checkpoint left in a run directory must load (weights only) before the sweep relies on it."""
    import torch

    for h in hashes:
        for name in ("checkpoint.pt",):
            path = run_dir(store_path, h) / name
            if not path.exists():
                continue
            try:
                payload = torch.load(path, map_location="cpu", weights_only=True)
                ok = isinstance(payload, dict)
            except Exception as e:
                ok, why = False, type(e).__name__
            else:
                why = "not a checkpoint dict"
            if not ok:
                raise PelgError(f"checkpoint {str(path)!r} is corrupt or truncated ({why}); delete it to restart "
                                f"that run from scratch")


def finished_result(store_path: Path, h: str) -> dict | None:
    """The result.json of a run whose training finished but whose result never reached the store, if its
    model.pt loads too (else None: the run trains again)."""
    from empirics import checkpoint

    path = run_dir(store_path, h) / "result.json"
    try:
        result = json.loads(path.read_text())
        if config_hash(result["config"]) != h or "metrics" not in result:
            return None
        checkpoint.load(path.parent / "model.pt")
        return result
    except (OSError, ValueError, KeyError, TypeError):  # PelgError (model.pt corrupt or absent) is a ValueError
        return None


def varying_keys(configs: list[dict]) -> list[str]:
    """Dotted config keys whose value differs across the sweep (for short run labels)."""
    flat = []
    for c in configs:
        out: dict = {}
        flatten("", c, out)
        flat.append(out)
    keys = list(dict.fromkeys(k for f in flat for k in f if not isinstance(f[k], dict)))
    keys = [k for k in keys if k != "model.vocab_size"  # follows the task
            and len({json.dumps(f.get(k), sort_keys=True) for f in flat}) > 1]
    if "task" in keys:  # lengths that come with each task's protocol add nothing to a label
        keys = [k for k in keys if k not in ("train_lengths", "eval_buckets")]
    return keys


def run_label(cfg: dict, keys: list[str]) -> str:
    flat: dict = {}
    flatten("", cfg, flat)
    return " ".join(f"{k.removeprefix('model.')}={flat[k]}" for k in keys if flat.get(k) is not None) or cfg["task"]


class _Heartbeat(threading.Thread):
    def __init__(self, store_path: Path, worker: str, every: float):
        super().__init__(daemon=True)
        self.store_path, self.worker, self.every = store_path, worker, every
        self.stop = threading.Event()

    def run(self) -> None:
        store = Store(self.store_path)
        try:
            while not self.stop.wait(self.every):
                try:
                    store.heartbeat(self.worker)
                except PelgError:
                    pass  # locked for a while: try again next beat
        finally:
            store.close()


def run_sweep(spec: dict | str | Path, store_path: str | Path, executor: str = "local", workers: int = 1,
              threads: int = 1, retry_failed: bool = False, stale_after: float = DEFAULT_STALE_AFTER,
              address: str | None = None, gpus_per_run: float = 0.0, dry_run: bool = False, log=print) -> dict:
    """Run every config of the spec that the store has not finished; returns a summary dict
    {"name", "total", "done", "failed", "ran", "skipped", "seconds", "hashes", "failed_runs" (hash, label,
    error per failed run), "disk_full" (runs given back because the disk was full)}."""
    from empirics.engine.executors import EXECUTORS, make_executor

    if executor not in EXECUTORS:
        raise unknown("executor", executor, EXECUTORS)
    require_positive("--workers", workers)
    require_positive("--threads", threads)
    if isinstance(stale_after, bool) or not isinstance(stale_after, (int, float)) or not stale_after > 0:
        raise PelgError(f"--stale-after must be a positive number of seconds, got {stale_after!r}")
    if address and executor != "ray":
        raise PelgError("--ray-address needs --executor ray")
    if isinstance(gpus_per_run, bool) or not isinstance(gpus_per_run, (int, float)) or not 0 <= gpus_per_run <= 64:
        raise PelgError(f"--gpus-per-run must be a number >= 0, got {gpus_per_run!r}")
    if gpus_per_run and executor != "ray":
        raise PelgError("--gpus-per-run needs --executor ray (local workers share this machine's GPUs)")
    if executor == "ray":
        import importlib.util

        if importlib.util.find_spec("ray") is None:
            raise PelgError("the ray executor needs ray, which is not installed: pip install 'pelg[ray]'")
    spec = load_spec(spec) if not isinstance(spec, dict) else check_spec(dict(spec), spec.get("name", "spec"))
    configs = expand(spec)
    dry_check(configs)
    hashes = [config_hash(c) for c in configs]
    by_hash = dict(zip(hashes, configs))
    keys = varying_keys(configs)
    store_path = Path(store_path)
    name, total = spec["name"], len(configs)

    if dry_run:
        done = {}
        if store_path.is_file():
            with Store(store_path, readonly=True) as store:
                done = {r["hash"]: r["status"] for r in store.rows() if r["hash"] in by_hash}
        for h in hashes:
            log(f"{h[:12]}  {done.get(h, 'new'):<8}  {run_label(by_hash[h], keys)}")
        log(f"sweep {name}: {total} runs ({sum(s == 'done' for s in done.values())} done in {store_path})")
        return {"name": name, "total": total, "hashes": hashes}

    store = Store(store_path, create=True)
    worker = new_worker_id()
    beat = ex = None
    in_flight: dict = {}
    start = time.time()
    ran: list[float] = []
    try:
        before = {r["hash"]: r["status"] for r in store.rows() if r["hash"] in by_hash}
        check_run_files(store_path, [h for h in hashes if before.get(h) != "done"])
        store.register(name, [(h, by_hash[h]) for h in hashes])
        full_before = [r["hash"] for r in store.rows() if r["hash"] in by_hash and r["status"] == "failed"
                       and disk_full(r["error"])]
        store.retry_failed(hashes if retry_failed else full_before, worker)
        counts = store.counts(hashes)
        skipped, dead = counts["done"], store.dead_claims(hashes, stale_after)
        log(f"sweep {name}: {total} runs; {counts['done']} already done, {counts['failed']} failed, "
            f"{counts['running'] - dead} running elsewhere, {counts['pending'] + dead} to run"
            f"{f' ({dead} interrupted: they resume)' if dead else ''}  "
            f"[{executor}, {workers} worker(s) x {threads} thread(s); store {store_path}]")
        commit = git_commit()
        beat = _Heartbeat(store_path, worker, min(HEARTBEAT_EVERY, stale_after / 4))
        beat.start()
        ex = make_executor(executor, workers, threads, address, gpus_per_run)
        last_shown = None
        given_back: dict[str, str] = {}  # runs stopped by a full disk: not claimed again in this sweep

        def progress(note: str) -> None:
            nonlocal last_shown
            c = store.counts(hashes)
            finished = c["done"] + c["failed"]
            elapsed = time.time() - start
            left = total - finished
            if ran and left:
                eta = f"{sum(ran) / len(ran) * left / max(1, min(workers, left)):.0f}s"
            else:
                eta = "0s" if not left else "?"
            line = (f"[{finished}/{total}] {note} | done {c['done']} failed {c['failed']} running {c['running']} "
                    f"| elapsed {elapsed:.0f}s eta {eta}")
            if line != last_shown:
                log(line)
                last_shown = line

        while True:
            while len(in_flight) < workers and not given_back:
                h = store.claim(hashes, worker, stale_after)
                if h is None:
                    break
                result = finished_result(store_path, h)
                if result is not None:  # trained before an interruption; only the store write was lost
                    store.finish(h, worker, result, 0.0, threads, commit)
                    progress(f"recovered {run_label(by_hash[h], keys)} from its result.json")
                    continue
                job = {"hash": h, "config": by_hash[h], "out_dir": str(run_dir(store_path, h)), "threads": threads}
                in_flight[ex.submit(job)] = h
            if not in_flight:
                c = store.counts(hashes)
                if given_back or (c["pending"] == 0 and c["running"] == 0):
                    break
                progress(f"waiting for {c['running']} run(s) claimed by another sweep")
                time.sleep(POLL)
                continue
            for key, outcome in ex.wait(POLL):
                h = in_flight.pop(key)
                label = run_label(by_hash[h], keys)
                if outcome["status"] == "done":
                    store.finish(h, worker, outcome["result"], outcome["wall_seconds"], threads, commit)
                    ran.append(outcome["wall_seconds"])
                    progress(f"done {label} ({outcome['wall_seconds']:.1f}s)")
                elif outcome["status"] == "failed":
                    store.fail(h, worker, outcome["error"], outcome.get("step"), outcome["wall_seconds"], threads,
                               commit)
                    ran.append(outcome["wall_seconds"])
                    progress(f"FAILED {label}: {outcome['error']}")
                elif outcome["status"] == "disk_full":  # no fault of the run: it runs next time
                    given_back[h] = outcome["error"]
                    try:
                        store.release(h, worker, outcome["error"])
                    except PelgError:
                        pass  # the store's disk is full too: the claim dies with this process, then is reclaimed
                    progress(f"STOPPED {label}: {outcome['error']} (it runs again next time)")
                else:  # the worker died: give the run back (its checkpoint stays) unless it keeps dying
                    row = store.get(h)
                    if row and row["attempts"] >= 3:
                        store.fail(h, worker, f"worker died 3 times: {outcome['error']}", None, None, threads, commit)
                    else:
                        store.release(h, worker, outcome["error"])
                    progress(f"lost {label}: {outcome['error']}")
        c = store.counts(hashes)
        seconds = time.time() - start
        log(f"sweep {name}: {c['done']}/{total} done, {c['failed']} failed; ran {len(ran)} here in {seconds:.1f}s")
        if c["failed"]:
            log(f"failed runs: pelg results --store {store_path} --where sweep={name} --where status=failed")
        failed_runs = [(r["hash"], run_label(by_hash[r["hash"]], keys), r["error"]) for r in store.rows(name)
                       if r["hash"] in by_hash and r["status"] == "failed"]
        if given_back:
            log(f"{len(given_back)} run(s) stopped because the disk is full; free space and run the sweep again")
        return {"name": name, "total": total, "done": c["done"], "failed": c["failed"], "ran": len(ran),
                "skipped": skipped, "seconds": seconds, "hashes": hashes, "failed_runs": failed_runs,
                "disk_full": sorted(given_back)}
    finally:
        if ex is not None:
            ex.shutdown()
        if beat is not None:
            beat.stop.set()
        for h in in_flight.values():
            try:
                store.release(h, worker, "interrupted")
            except PelgError:
                pass  # the claim dies with this process; another sweep reclaims it
        retire_worker_id(worker)
        store.close()
