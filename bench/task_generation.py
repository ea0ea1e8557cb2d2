"""Benchmark: seconds to generate each task's training examples (through the held-out filter, exactly as
training and `pelg data export` draw them), at the protocol's training lengths.

Usage: python bench/task_generation.py [--n 100000] [--tasks NAME ...] [--out bench/results/task_generation.json]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from empirics.fileio import write_json
from empirics.tasks import TASKS, get_task
from empirics.tasks.protocols import task_protocol
from empirics.tasks.splits import draw
from empirics.train import environment


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--tasks", nargs="*", default=None)
    ap.add_argument("--out", type=Path, default=Path("bench/results/task_generation.json"))
    args = ap.parse_args()
    rows = []
    for name in args.tasks or list(TASKS):
        task, protocol = get_task(name), task_protocol(name)
        lo, hi = protocol["train_lengths"]
        rng = np.random.default_rng(0)
        start = time.perf_counter()
        for _ in range(args.n):
            draw(task, rng, lo, hi, "train", (lo, hi))
        seconds = time.perf_counter() - start
        rows.append({"task": name, "n": args.n, "seconds": round(seconds, 3),
                     "examples_per_second": round(args.n / seconds)})
        print(f"{name:<32} {seconds:8.2f} s  ({args.n / seconds:,.0f} examples/s)")
    write_json(args.out, {"benchmark": "task_generation", "env": environment(), "results": rows})


if __name__ == "__main__":
    main()
