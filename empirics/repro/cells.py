"""Per-(task, PE) cells, shared by the reproductions that score trained models against a theory's
prediction (Huang 2025: C-RASP; Chen 2025: SRC and LRC).

A cell is a (task, PE) pair trained over seeds. The protocol (TOML, `empirics/repro/protocols/`) gives
`tasks`, `pes`, `seeds`, `k_success`, `[model]`, `[train]`, optional per-task `[task_model]` /
`[task_train]` and per-PE `[pe_options]` / `[pe_train]`, and the fit bar `[fit]`. Seeds run in order
until k fit (in parallel rounds); a cell is decided only when k of its seeds fit in distribution
(`empirics.analysis.fit`), else `undecided (j of n fit)`. A decided cell has, per length bucket, the mean
over its first k fit seeds and a 95% t-interval (`empirics.analysis.stats.mean_interval`), and an
observed verdict by `observed_verdict`.
"""
from __future__ import annotations

from typing import Callable

from empirics.analysis.fit import bar_from_protocol, cell_status, fit_record
from empirics.analysis.selection import select_seeds
from empirics.analysis.stats import mean_interval

from ..errors import PelgError
from ..evaluate import bucket_label
from ..tasks import get_task
from empirics.analysis.lg_verdict import GENERALIZES_AT, observed_verdict  # noqa: F401  (re-exported)
from .common import run_many

def build_configs(p: dict, lengths: Callable[[dict, str], tuple[list[int], list[list[int]]]],
                  skip: Callable[[str, str], bool] = lambda task, pe: False) -> list[tuple[tuple, dict]]:
    """One TrainConfig dict per (task, PE, seed): the protocol's `[model]` and `[train]`, then the task's
    `[task_model]` / `[task_train]` entries, then the PE's `[pe_options]` / `[pe_train]` entries.
    `lengths(p, task)` gives (train lengths, eval buckets); `skip(task, pe)` drops a cell."""
    for table in ("task_model", "task_train", "task_train_max"):
        stray = sorted(set(p.get(table, {})) - set(p["tasks"]))
        if stray:
            raise PelgError(f"[{table}] names {stray[0]!r}, which is not among the protocol's tasks")
    out = []
    for task in p["tasks"]:
        train, buckets = lengths(p, task)
        for pe in p["pes"]:
            if skip(task, pe):
                continue
            model = {**p["model"], **p.get("task_model", {}).get(task, {}), "pe": pe,
                     "pe_options": dict(p.get("pe_options", {}).get(pe, {}))}
            extra = {**p.get("task_train", {}).get(task, {}), **p.get("pe_train", {}).get(pe, {})}
            for seed in p["seeds"]:
                cfg = {"task": task, "model": model, "seed": seed, "train_lengths": train,
                       "eval_buckets": buckets, "eval_samples": p["eval_samples"], **p["train"], **extra}
                out.append(((task, pe, seed), cfg))
    return out


def fit_bar(p: dict, task: str):
    return bar_from_protocol(get_task(task).kind, p)


def run_fits(p: dict, keys, results) -> list[dict]:
    """Each run's fit record (in-distribution score against the protocol's bar)."""
    return [fit_record(r, fit_bar(p, key[0])) for key, r in zip(keys, results)]


def run_rounds(p: dict, configs: list[tuple[tuple, dict]], workers: int, device: str, log=print,
               store=None) -> tuple[list, list]:
    """Seeds in order until k fit, in rounds: each round starts, for every (task, PE) still short of k fit
    seeds, as many untried seeds as it is short, all in parallel (the longest configured runs first, so
    that the workers finish together). A cell whose untried seeds can no longer make up k fits is not run
    further: it stays undecided whatever they would give. With `store`, runs go through it (`run_many`)."""
    cfg = dict(configs)
    cells = list(dict.fromkeys((t, pe) for t, pe, _ in cfg))
    seeds_of = {cell: [s for (t, pe, s) in cfg if (t, pe) == cell] for cell in cells}
    tried = {cell: 0 for cell in cells}
    wins = {cell: 0 for cell in cells}
    keys, results = [], []
    k = int(p["k_success"])
    while True:
        batch = []
        for cell in cells:
            seeds = seeds_of[cell]
            if wins[cell] + len(seeds) - tried[cell] < k:
                continue
            new = seeds[tried[cell]: tried[cell] + max(0, k - wins[cell])]
            tried[cell] += len(new)
            batch += [(*cell, s) for s in new]
        if not batch:
            break
        batch.sort(key=lambda key: -cfg[key]["steps"])
        log(f"{p['paper']} {p['profile']}: round of {len(batch)} runs")
        out = run_many([cfg[key] for key in batch], workers, device=device, log=log, store=store)
        for key, fit in zip(batch, run_fits(p, batch, out)):
            wins[key[:2]] += fit["fit"]
        keys += batch
        results += out
    return keys, results


def interval(values: list[float]) -> dict | None:
    """{"mean", "lo", "hi", "n"} with a 95% t-interval (lo, hi None for one value); None for no values."""
    if not values:
        return None
    iv = mean_interval(values)
    finite = iv.n >= 2
    return {"mean": iv.mean, "lo": iv.lo if finite else None, "hi": iv.hi if finite else None, "n": iv.n}


def group(p: dict, keys, results, fits) -> list[tuple[str, str, dict]]:
    """(task, PE, {seed: (result, fit)}) per cell, in the protocol's order of tasks and PEs."""
    by: dict = {}
    for (task, pe, seed), res, fit in zip(keys, results, fits):
        by.setdefault(task, {}).setdefault(pe, {})[seed] = (res, fit)
    tasks = [t for t in p.get("tasks", []) if t in by] + [t for t in by if t not in p.get("tasks", [])]
    out = []
    for task in tasks:
        pes = by[task]
        for pe in [x for x in p.get("pes", []) if x in pes] + [x for x in pes if x not in p.get("pes", [])]:
            out.append((task, pe, pes[pe]))
    return out


def cell_stats(p: dict, runs: dict) -> dict:
    """A cell's bins (labels; `lg_bins` those above the training lengths), every tried seed's
    in-distribution score and fit flag, the fit seeds counted (the first k), per bin their values and mean
    with a 95% interval, and the status ("decided" or "undecided (j of n fit)")."""
    k = int(p["k_success"])
    order = [s for s in p["seeds"] if s in runs]
    sel = select_seeds(lambda s: runs[s], order, k, success=lambda rf: rf[1]["fit"])
    decided, status = cell_status([runs[s][1]["fit"] for s in order], k)
    first = runs[order[0]][0]["config"]
    buckets = [tuple(b) for b in first["eval_buckets"]]
    labels = [bucket_label(*b) for b in buckets]
    lg = [bucket_label(*b) for b in buckets if b[0] > first["train_lengths"][1]]
    values = {lab: [r["metrics"][lab]["metric"] for r, _ in sel.results] if decided else [] for lab in labels}
    stats = {lab: interval(v) for lab, v in values.items()}
    return {"bins": labels, "lg_bins": lg, "values": values, "stats": stats,
            "mean": {b: (s["mean"] if s else None) for b, s in stats.items()},
            "seeds_tried": order, "fit_seeds": [s for s in order if runs[s][1]["fit"]],
            "seeds": sel.seeds, "dropped": sel.dropped, "decided": decided, "status": status,
            "in_distribution_by_seed": {str(s): round(runs[s][1]["in_distribution"], 4) for s in order},
            "observed": observed_verdict([stats[b]["mean"] for b in lg]) if decided and lg else status}


def agreement(cells: list[dict], key: str = "agree", decides: bool = True) -> dict:
    """Agreement over decided cells only (cells whose `key` is None are not counted), with how many."""
    decided = [c for c in cells if c["decided"]]
    scored = [c for c in decided if c.get(key) is not None]
    return {"cells": len(cells), "decided": len(decided), "undecided": len(cells) - len(decided),
            "cell_fit_rate": len(decided) / len(cells) if cells else 0.0, "decides": decides,
            "scored": len(scored), "agree": sum(bool(c[key]) for c in scored) if decides else None}


def pct(x) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def cell_text(stat: dict | None) -> str:
    """mean [95% interval] in %, the interval clipped to [0, 100]."""
    if stat is None:
        return "—"
    if stat["lo"] is None:
        return f"{pct(stat['mean'])} (n = 1)"
    return f"{pct(stat['mean'])} [{pct(max(0.0, stat['lo']))}, {pct(min(1.0, stat['hi']))}]"
