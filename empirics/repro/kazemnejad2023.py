"""Reproduction of Kazemnejad et al. 2023 (NeurIPS 2023, arXiv 2305.19466): NoPE against T5's relative
bias, ALiBi, Rotary and the sinusoidal APE on 17 task-splits (kazemnejad2023.md).

The protocol is data (`protocols/kazemnejad2023_<profile>.toml`): K23's T5-style decoder (no Linear
biases, no score scaling, pre-RMSNorm, ReLU, tied embeddings with the output scaled by d_model^-0.5, T5
initialisation), the PEs as K23 ran them (T5: 32 buckets, max distance 128, one table for all layers;
ALiBi with Press et al.'s slopes; Rotary GPT-J style on 25% of each head; sinusoidal APE), a fixed
training set per task-split (`empirics.trainsets`), validation every K steps with the best checkpoint
kept (and, at small budgets, an early stop at 100%), K23's seeds, and exact match by teacher-forced
argmax (equal to greedy decoding; tests/empirics/test_greedy_equals_teacher_forced.py).

Outputs (all under the fit gates of issue 10): MRR per PE (Fig. 1) by K23's rule over all runs and over
units where every PE fit; MRR per task category (Fig. 2); OOD accuracy per task-split and PE next to the
published table; accuracy against length per task; the scratchpad table; the attention analysis
(`empirics.repro.k23_attention`). Importing this module registers the protocol for sweep specs
(`protocol = "kazemnejad2023"`).
"""
from __future__ import annotations

import time
from pathlib import Path

from empirics.analysis.fit import bar_from_protocol, fit_record
from empirics.analysis.selection import ood_accuracy
from empirics.engine.protocols import register_protocol
from empirics.errors import PelgError
from empirics.evidence import k23_results as K
from empirics.fileio import write_json, write_text
from empirics.tasks import get_task
from . import k23_report
from .k23_protocol import K23_SEEDS, lengths, model_dir, seeds_for  # noqa: F401 (K23_SEEDS: API)
from .common import (PAPER_REPRO, PROFILES, check_publishable, fit_rate, load_protocol, publish_figures, replace_block,
                     run_many, run_rows, wall_seconds)

PAPER = "kazemnejad2023"
BLOCK = "kazemnejad2023-table"
RECORD = "kazemnejad2023_quick.json"


def _config(p: dict, task: str, fmt: str, pe: str, seed: int, study: str = "main") -> dict:
    entry = p.get("scratchpad", {}).get("lengths", {}).get(task) if study == "scratchpad" else None
    train, test = (list(entry["train"]), [list(b) for b in entry["test"]]) if entry else lengths(p, task)
    model = {**p["model"], "pe": pe, "pe_options": dict(p.get("pe_options", {}).get(pe, {}))}
    params = dict(p.get("task_params", {}).get(task, {}))
    return {"task": task, "task_format": fmt, "task_params": params, "model": model, "seed": seed, "train_lengths": train,
            "eval_buckets": [train, *test], "eval_samples": p["eval_samples"], **p["train"],
            **p.get("task_train", {}).get(task, {}),
            **(p.get("scratchpad", {}).get("train", {}) if study == "scratchpad" else {})}


def build_configs(p: dict, n_seeds: int | None = None) -> list[tuple[tuple, dict]]:
    """(key, TrainConfig dict) per run; key = (study, task, format, PE, seed). Studies: "main" (17
    task-splits x 5 PEs), "scratchpad" (its tasks in its formats; "plain" is the main run) and
    "attention" (NoPE on the attention task with the baseline seed, when the main study lacks it)."""
    unknown_tasks = [t for t in [*p["tasks"], *p.get("scratchpad", {}).get("tasks", [])] if t not in K.TASKS]
    if unknown_tasks:
        raise PelgError(f"task {unknown_tasks[0]!r} is not a K23 task-split; valid: {', '.join(K.TASKS)}")
    for table in ("task_lengths", "task_train", "task_seeds", "task_format", "task_params"):
        stray = sorted(set(p.get(table, {})) - set(p["tasks"]))
        if stray:
            raise PelgError(f"[{table}] names {stray[0]!r}, which is not among the protocol's tasks")
    out = []
    for task in p["tasks"]:
        fmt = p.get("task_format", {}).get(task, "plain")
        for pe in p["pes"]:
            out += [(("main", task, fmt, pe, s), _config(p, task, fmt, pe, s)) for s in seeds_for(p, task, n_seeds)]
    pad = p.get("scratchpad", {})
    for task in pad.get("tasks", []):
        for fmt in pad.get("formats", []):
            if fmt not in get_task(task).formats:
                continue  # sort and LEGO never carry a variable update (k23_scratchpad): no such format
            for pe in p["pes"]:
                out += [(("scratchpad", task, fmt, pe, s), _config(p, task, fmt, pe, s, "scratchpad"))
                        for s in seeds_for(p, task, n_seeds)]
    att = p.get("attention")
    if att:
        task, seed = att["task"], int(att["baseline_seed"])
        fmt = p.get("task_format", {}).get(task, "plain")
        if seed not in seeds_for(p, task, n_seeds):
            out.append((("attention", task, fmt, "nope", seed), _config(p, task, fmt, "nope", seed)))
    return out


def sweep_configs(profile: str) -> list[dict]:
    """The TrainConfig dicts of a profile, for sweep specs `protocol = "kazemnejad2023"`."""
    return [cfg for _, cfg in build_configs(load_protocol(PAPER, profile))]


register_protocol(PAPER, sweep_configs, PROFILES)


def saved(p: dict, key: tuple) -> bool:
    """Whether a run keeps its model (for the attention analysis): every run on the attention task, and
    the scratchpad study's "full" runs (Fig. 7)."""
    study, task, fmt = key[:3]
    att = p.get("attention") or {}
    return task == att.get("task") or (study == "scratchpad" and fmt == "full")


def fits(p: dict, keys, results) -> list[dict]:
    bar = bar_from_protocol("tokens", p)
    return [fit_record(r, bar) for r in results]


def record_rows(keys, results, run_fits) -> list[dict]:
    """run_rows plus each run's overall OOD accuracy (K23's score: all buckets above the training
    lengths, weighted by examples) and training lengths."""
    rows = run_rows(keys, results, run_fits)
    for row, r in zip(rows, results):
        row["ood"] = ood_accuracy(r)
        row["train_lengths"] = r["config"]["train_lengths"]
        row["steps_done"] = r["steps_done"]
    return rows


def analyse(p: dict, rows: list[dict]) -> dict:
    """Every table and verdict of the reproduction from its rows (k23_results)."""
    k = int(p.get("min_fit_seeds", 1))
    cell_map = K.cells(rows, k)
    mrr = K.mrr_summary(rows, p["pes"])
    by_category = {c: K.mrr_summary(rows, p["pes"], tasks) for c, tasks in K.CATEGORIES.items()}
    scratch = K.scratchpad_cells(rows, k)
    return {"cells": cell_map, "mrr": mrr, "mrr_by_category": by_category,
            "ranking": K.ranking_verdict(mrr),
            "success": K.success_checks(cell_map), "scratchpad": scratch,
            "scratchpad_verdict": K.scratchpad_verdict(scratch)}


def run(profile: str, out_dir: Path, workers: int | None = None, device: str = "auto", publish: bool = False,
        log=print, seeds: int | None = None, store: Path | None = None) -> dict:
    """Run the protocol; write results.json, summary.json, table.md and the figures into out_dir; with
    `publish`, also the table block of ./paper_repro.md, ./figures/ and (quick) the recorded summary
    that the `k23.*` ledger entries read."""
    p = load_protocol(PAPER, profile)
    if publish:
        check_publishable(BLOCK)
    out_dir = Path(out_dir)
    keys, configs = zip(*build_configs(p, seeds))
    dirs = [str(model_dir(out_dir, k)) if saved(p, k) else None for k in keys]
    log(f"{PAPER} {profile}: {len(configs)} runs -> {out_dir}")
    start = time.time()
    results = run_many(list(configs), workers or p.get("workers", 1), device=device, log=log, out_dirs=dirs,
                       store=store)
    run_fits = fits(p, keys, results)
    rows = record_rows(keys, results, run_fits)
    analysis = analyse(p, rows)
    from . import k23_attention
    attention = k23_attention.analyse(p, out_dir, rows, log=log)
    wall = round(wall_seconds(start, results, store), 1)
    rate = fit_rate(run_fits)
    record = {"protocol": p, "runs": rows, "analysis": analysis, "attention": attention, "fit_rate": rate,
              "wall_seconds": wall, "seeds_override": seeds}
    table = k23_report.render_markdown(p, record)
    write_json(out_dir / "results.json", [{"key": list(k), **r} for k, r in zip(keys, results)])
    write_json(out_dir / "summary.json", record)
    write_text(out_dir / "table.md", table + "\n")
    figures = k23_report.render_figures(p, record, out_dir) + k23_attention.render_figures(attention, out_dir)
    if publish:
        write_text(PAPER_REPRO, replace_block(PAPER_REPRO.read_text(), BLOCK, table))
        publish_figures(out_dir, [f.name for f in figures])
        if profile == "quick" and seeds is None:
            write_json(Path("empirics/repro/results") / RECORD, record)
    log(table)
    return {"record": record, "table": table, "out_dir": str(out_dir), "figures": [str(f) for f in figures]}
