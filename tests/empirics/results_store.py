"""A results store built from synthetic rows (no training), for the results, plot and robustness tests:
`synthetic_store(path, metrics)` writes one finished run per (task, pe, seed) with the given per-bucket
metrics, a loss curve, and optionally pending or failed runs."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from empirics.engine.store import Store, new_worker_id, retire_worker_id

BUCKETS = ["1-8", "9-10", "11-12", "13-16"]  # lexicographic order would be 1-8, 11-12, 13-16, 9-10


def run_hash(cfg: dict) -> str:
    return hashlib.sha256(json.dumps(cfg, sort_keys=True).encode()).hexdigest()


def config(task: str, pe: str, seed: int, **extra) -> dict:
    return {"task": task, "seed": seed, "steps": 10, "train_lengths": [1, 8],
            "eval_buckets": [[1, 8], [9, 10], [11, 12], [13, 16]], "model": {"pe": pe, "d_model": 16}, **extra}


def result(cfg: dict, values: dict[str, float], metric_name: str = "exact_match", curve=None) -> dict:
    return {"config": cfg, "metric_name": metric_name, "task_kind": "regression" if metric_name == "mse" else "token",
            "metrics": {b: {"metric": v, "loss": 1.0 - v / 2, "n": 8} for b, v in values.items()},
            "train_loss": {"first": 3.0, "final": 1.0, "min": 0.9}, "device": "cpu", "env": {},
            "loss_curve": curve if curve is not None else [[1, 3.0], [5, 2.0], [10, 1.0 + cfg["seed"] / 10]]}


def synthetic_store(path: Path, runs: list[tuple[dict, dict]], pending: list[dict] = (),
                    failed: list[tuple[dict, str]] = ()) -> Path:
    """runs: (config, result) pairs, stored as done; pending configs; failed (config, error) pairs."""
    me = new_worker_id()
    with Store(path, create=True) as s:
        every = [c for c, _ in runs] + list(pending) + [c for c, _ in failed]
        s.register("synthetic", [(run_hash(c), c) for c in every])
        for c, r in runs:
            s.claim([run_hash(c)], me)
            s.finish(run_hash(c), me, r, 1.0)
        for c, error in failed:
            s.claim([run_hash(c)], me)
            s.fail(run_hash(c), me, error)
    retire_worker_id(me)
    return Path(path)


def copy_store(path: Path) -> Path:
    """Two PEs x three seeds on copy, exact match per bucket (rope's means 1, 0.5, 0.25, 0; nope's 1, 0, 0, 0),
    and one pending run (alibi)."""
    rope = {0: [1.0, 0.4, 0.2, 0.0], 1: [1.0, 0.5, 0.25, 0.0], 2: [1.0, 0.6, 0.3, 0.0]}
    runs = []
    for seed, values in rope.items():
        c = config("copy", "rope", seed)
        runs.append((c, result(c, dict(zip(BUCKETS, values)))))
    for seed in range(3):
        c = config("copy", "nope", seed)
        runs.append((c, result(c, dict(zip(BUCKETS, [1.0, 0.0, 0.0, 0.0])))))
    return synthetic_store(path, runs, pending=[config("copy", "alibi", 0)])
