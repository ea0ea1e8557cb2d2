"""Benchmark: steps to fit per (task, PE) on CPU, so that the profiles' budgets are chosen from data (issue 10).

A cell (task, PE, seed) trains the quick profiles' model (decoder, 2 layers, 4 heads, d_model 64, d_ff 256;
AdamW lr 1e-3, weight decay 0.01, batch 64, gradient clip 1) with the same step as `empirics.train.train`,
validates on held-out in-distribution examples every `--every` steps (`empirics.train.validation_batches`),
and stops at the first validation that clears the fit bar of `empirics.analysis.fit.default_bar` (exact match
>= 0.95), or at `--cap` steps. The learning rate warms up linearly over `--warmup` steps and then stays
constant, so the step at which a cell fits does not depend on the cap (a linearly decaying budget of S steps
anneals only at its end: give it a margin over these numbers); `--schedule linear` decays to 0 at the cap
instead, and then says whether a budget of exactly `--cap` steps fits. At the stop the model is scored once
more on the held-out test bucket of the training lengths (`empirics.evaluate.evaluate`, another random
stream) and `fit_record` says whether that score clears the bar too.

Training lengths: [the task protocol's minimum, --train-max] (the Huang 2025 quick profile's rule; 16 by
default). Cells run in `--workers` processes of one torch thread each.

Usage: python bench/steps_to_fit.py [--quick] [--tasks NAME ...] [--pes NAME ...] [--seeds 0 1 2] [--cap N]
                                    [--every N] [--train-max N] [--lr X] [--batch-size N] [--warmup N]
                                    [--schedule constant|linear] [--workers N] [--out bench/results/NAME.json]
--quick: one seed, cap 300 steps, validation every 25, training lengths up to 8, 2 workers (about 5 minutes
on 2 busy cores).
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

from empirics.analysis.fit import default_bar, fit_record
from empirics.engine.store import git_commit
from empirics.evaluate import batch_scores, evaluate, make_batch
from empirics.fileio import write_json
from empirics.model import ModelConfig
from empirics.tasks import get_task
from empirics.tasks.protocols import task_protocol
from empirics.train import TrainConfig, build_model, environment, lr_factor, validate, validation_batches

TASKS = ["copy", "reverse", "h25.binary_majority", "h25.sort", "h25.copy_unique", "h25.parity", "h25.tomita4"]
PES = ["nope", "learned", "sinusoidal", "rope", "alibi", "t5"]
MODEL = dict(arch="decoder", n_layer=2, n_head=4, d_model=64, d_ff=256)
OPTIM = dict(batch_size=64, lr=1e-3, weight_decay=0.01, grad_clip=1.0)
PE_OPTIONS = {"learned": {"max_positions": 256}}


def cell_config(task: str, pe: str, seed: int, cap: int, warmup: int, train_max: int, val_samples: int,
                optim: dict) -> TrainConfig:
    lo = task_protocol(task)["train_lengths"][0]
    lengths = (lo, max(lo, train_max))
    return TrainConfig(task=task, train_lengths=lengths, eval_buckets=[lengths], steps=cap, seed=seed,
                       warmup=min(1.0, warmup / cap), val_samples=val_samples,
                       eval_samples=val_samples, device="cpu", **optim,
                       model=ModelConfig(pe=pe, pe_options=PE_OPTIONS.get(pe, {}), **MODEL))


def steps_to_fit(args: tuple) -> dict:
    """Train one cell until its validation score clears the bar or the cap; the step of `empirics.train.train`."""
    task_name, pe, seed, cap, every, warmup, train_max, val_samples, optim = args
    torch.set_num_threads(1)
    cfg = cell_config(task_name, pe, seed, cap, warmup, train_max, val_samples, optim)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    task = get_task(cfg.task)
    bar = default_bar(task.kind)
    model = build_model(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg))
    val = validation_batches(task, cfg)
    lo, hi = cfg.train_lengths
    curve, fit_step, losses = [], None, []
    start = time.perf_counter()
    model.train()
    for step in range(1, cap + 1):
        batch = make_batch(task, rng, lo, hi, cfg.batch_size, "train", layout=cfg.layout)
        loss = batch_scores(model, batch, rng)[1].mean()
        if not math.isfinite(loss.item()):
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        sched.step()
        losses.append(loss.item())
        if step % every == 0 or step == cap:
            score = validate(model, val, cfg.seed, "cpu")
            curve.append([step, round(score, 4)])
            if score >= bar.threshold:
                fit_step = step
                break
    seconds = time.perf_counter() - start
    metrics = evaluate(model, task, cfg.eval_buckets, cfg.eval_samples, seed=cfg.seed, train_range=cfg.train_lengths,
                       layout=cfg.layout)
    test = fit_record({"config": cfg.to_dict(), "metrics": metrics}, bar)
    done = len(losses)
    return {"task": task_name, "pe": pe, "seed": seed, "train_lengths": list(cfg.train_lengths),
            "steps_to_fit": fit_step, "steps_done": done, "validation_curve": curve,
            "validation_final": curve[-1][1] if curve else None,
            "test_in_distribution": round(test["in_distribution"], 4), "test_fit": test["fit"],
            "loss_final": round(float(np.mean(losses[-10:])), 4) if losses else None,
            "seconds": round(seconds, 2), "steps_per_second": round(done / seconds, 2) if seconds else None}


def summarize(rows: list[dict], cap: int) -> list[dict]:
    """Per (task, PE): seeds that fit by the cap, and the median and maximum steps over the seeds that fit."""
    out = []
    for task in dict.fromkeys(r["task"] for r in rows):
        for pe in dict.fromkeys(r["pe"] for r in rows if r["task"] == task):
            cell = [r for r in rows if r["task"] == task and r["pe"] == pe]
            steps = [r["steps_to_fit"] for r in cell if r["steps_to_fit"] is not None]
            out.append({"task": task, "pe": pe, "seeds": len(cell), "fit_by_cap": len(steps), "cap": cap,
                        "median_steps": statistics.median(steps) if steps else None,
                        "max_steps": max(steps) if steps else None,
                        "test_fit": sum(r["test_fit"] for r in cell),
                        "seconds": round(sum(r["seconds"] for r in cell), 1)})
    return out


def table(summary: list[dict]) -> str:
    pes = list(dict.fromkeys(s["pe"] for s in summary))
    lines = [f"{'task':<22}" + "".join(f"{pe:>14}" for pe in pes)]
    for task in dict.fromkeys(s["task"] for s in summary):
        cells = {s["pe"]: s for s in summary if s["task"] == task}
        text = []
        for pe in pes:
            s = cells.get(pe)
            if s is None:
                text.append("-")
            elif s["median_steps"] is None:
                text.append(f">{s['cap']} (0/{s['seeds']})")
            else:
                text.append(f"{s['median_steps']:g} ({s['fit_by_cap']}/{s['seeds']})")
        lines.append(f"{task:<22}" + "".join(f"{t:>14}" for t in text))
    return "\n".join(lines)


def cpu_model() -> str | None:
    """The CPU's model name (Intel and AMD paths differ in floating point), from /proc/cpuinfo on Linux."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return None
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="one seed, cap 300, every 25, train-max 8, 2 workers (~5 minutes)")
    ap.add_argument("--tasks", nargs="*", default=TASKS)
    ap.add_argument("--pes", nargs="*", default=PES)
    ap.add_argument("--seeds", nargs="*", type=int, default=None)
    ap.add_argument("--cap", type=int, default=None, help="most steps per cell (default 3000; quick 300)")
    ap.add_argument("--every", type=int, default=None, help="steps between validations (default 50; quick 25)")
    ap.add_argument("--warmup", type=int, default=50, help="linear warmup steps")
    ap.add_argument("--schedule", choices=("constant", "linear"), default="constant",
                    help="after warmup: constant (default) or linear decay to 0 at the cap")
    ap.add_argument("--train-max", type=int, default=None, help="longest training length (default 16; quick 8)")
    ap.add_argument("--lr", type=float, default=OPTIM["lr"])
    ap.add_argument("--batch-size", type=int, default=OPTIM["batch_size"])
    ap.add_argument("--val-samples", type=int, default=256)
    ap.add_argument("--workers", type=int, default=None, help="processes (default 1; quick 2)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    seeds = args.seeds or ([0] if args.quick else [0, 1, 2])
    cap = args.cap or (300 if args.quick else 3000)
    train_max = args.train_max or (8 if args.quick else 16)
    optim = {**OPTIM, "lr": args.lr, "batch_size": args.batch_size, "schedule": args.schedule}
    every = args.every or (25 if args.quick else 50)
    workers = args.workers or (2 if args.quick else 1)
    out = args.out or Path(f"bench/results/steps_to_fit{'_quick' if args.quick else ''}.json")
    for name in args.tasks:
        get_task(name)  # unknown names fail before any training
    jobs = [(t, pe, s, cap, every, args.warmup, train_max, args.val_samples, optim)
            for t in args.tasks for pe in args.pes for s in seeds]
    start = time.perf_counter()
    rows = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for row in pool.map(steps_to_fit, jobs):
            rows.append(row)
            print(f"{row['task']:<22} {row['pe']:<11} seed {row['seed']}  fit at {row['steps_to_fit']}  "
                  f"(val {row['validation_final']}, test {row['test_in_distribution']}, {row['seconds']} s)",
                  flush=True)
    summary = summarize(rows, cap)
    print(table(summary))
    after = "constant" if args.schedule == "constant" else f"linear decay to 0 at step {cap}"
    settings = {"model": MODEL, "optimizer": {**optim, "schedule": f"linear warmup {args.warmup} steps, then {after}"},
                "pe_options": PE_OPTIONS, "train_max": train_max, "cap": cap, "every": every, "seeds": seeds,
                "val_samples": args.val_samples, "bar": "empirics.analysis.fit.default_bar (exact match >= 0.95)",
                "workers": workers, "torch_threads_per_worker": 1, "quick": args.quick}
    write_json(out, {"benchmark": "steps_to_fit", "device": "cpu", "env": environment(), "git_commit": git_commit(),
                     "cpu_count": os.cpu_count(), "cpu_model": cpu_model(),
                     "wall_seconds": round(time.perf_counter() - start, 1),
                     "settings": settings, "summary": summary, "results": rows})


if __name__ == "__main__":
    main()
