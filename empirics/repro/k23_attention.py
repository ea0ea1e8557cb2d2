"""The attention analysis of Kazemnejad et al. 2023 (Sec. 5.2) on the reproduction's saved models.

Fig. 4: on the attention task (SCAN), the per-layer distance of each PE's model to the NoPE model of the
same seed, D = min over the full H x H head product of (1/T) sum_t JSD (`empirics.analysis.attention`),
against the baseline NoPE vs NoPE trained with another seed. K23 found NoPE closest to T5 (about the
baseline) and far from APE and Rotary. Fig. 7: on addition with the full scratchpad, the histogram of
the normalized distance from each query to its most attended key.

A model that did not fit its task is not evidence: each distance records whether both of its models
fit, and the ledger entry `k23.nope_resembles_t5` decides only from distances whose models fit.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from empirics import checkpoint
from empirics.analysis import attention as A
from empirics.evaluate import make_batch
from empirics.plots.kazemnejad2023_attention import plot_attended_distance, plot_distance_to_nope
from empirics.runconfig import task_of
from .k23_protocol import model_dir

DISTANCE_FIGURE = "kazemnejad2023_attention_distance.png"
HISTOGRAM_FIGURE = "kazemnejad2023_attended_distance.png"
HISTOGRAM_EXAMPLES = 32
HISTOGRAM_BINS = 10


def _load(out_dir: Path, key: tuple):
    path = model_dir(out_dir, key)
    model, cfg = checkpoint.load(path / "model.pt")
    return model.eval(), cfg


def analyse(p: dict, out_dir: Path, rows: list[dict], log=print) -> dict:
    """{"distance": {...}, "histogram": {...}} from the saved models (empty dicts when the protocol has
    no attention study)."""
    att = p.get("attention")
    if not att:
        return {"distance": {}, "histogram": {}}
    fit = {tuple(r["key"]): bool(r["fit"]) for r in rows}
    task_name = att["task"]
    mains = sorted({k for k in fit if k[0] == "main" and k[1] == task_name}, key=lambda k: k[4])
    if not mains:
        return {"distance": {}, "histogram": {}}
    fmt = mains[0][2]
    buckets = [tuple(b) for b in att["lengths"]]
    models: dict[tuple, tuple] = {}

    def load(key):
        if key not in models:
            models[key] = _load(out_dir, key)
        return models[key]

    def distance(key_a, key_b):
        (a, cfg), (b, _) = load(key_a), load(key_b)
        d = A.model_distance(a, b, task_of(cfg), buckets, int(att["n_per_length"]), cfg.layout, seed=0)
        return {"seeds": [key_a[4], key_b[4]], "layers": d.values, "pairs": d.pairs,
                "fit": fit[key_a] and fit[key_b]}

    on_task = {(k[3], k[4]): k for k in fit if k[1] == task_name and k[2] == fmt}
    seeds = sorted({k[4] for k in mains})
    by_pe = {pe: [distance(on_task[("nope", s)], on_task[(pe, s)]) for s in seeds if (pe, s) in on_task
                  and ("nope", s) in on_task] for pe in p["pes"] if pe != "nope"}
    nope_seeds = sorted(s for pe, s in on_task if pe == "nope")
    baseline = [distance(on_task[("nope", s)], on_task[("nope", t)])
                for s, t in zip(nope_seeds, nope_seeds[1:] + nope_seeds[:1]) if s != t]
    log(f"attention distances to NoPE on {task_name}: " + ", ".join(
        f"{pe} {np.mean([np.mean(v['layers']) for v in vs]):.3f}" for pe, vs in by_pe.items() if vs))
    return {"distance": {"task": task_name, "by_pe": by_pe, "baseline": baseline},
            "histogram": _histograms(p, out_dir, fit)}


def _histograms(p: dict, out_dir: Path, fit: dict) -> dict:
    keys = sorted(k for k in fit if k[0] == "scratchpad" and k[2] == "full")
    if not keys:
        return {}
    out = {}
    for key in keys:
        if key[3] in out:
            continue  # one seed per PE (the first)
        model, cfg = _load(out_dir, key)
        task = task_of(cfg)
        lo, hi = cfg.train_lengths
        batch = make_batch(task, np.random.default_rng([0, 7]), lo, hi, HISTOGRAM_EXAMPLES, "eval",
                           tuple(cfg.train_lengths), cfg.layout)
        dist = A.attended_distance_histogram(model, batch, queries="target")
        counts, edges = np.histogram(dist, bins=HISTOGRAM_BINS, range=(0.0, 1.0))
        out[key[3]] = {"task": key[1], "counts": counts.tolist(), "edges": edges.tolist(), "fit": fit[key]}
    return out


def render_figures(attention: dict, out_dir: Path) -> list[Path]:
    paths = []
    d = attention.get("distance") or {}
    if d.get("by_pe"):
        per_pe = {pe: np.mean([v["layers"] for v in vs], axis=0).tolist() for pe, vs in d["by_pe"].items() if vs}
        base = np.mean([v["layers"] for v in d["baseline"]], axis=0).tolist() if d.get("baseline") else None
        for suffix in (".png", ".pdf"):
            path = Path(out_dir) / DISTANCE_FIGURE.replace(".png", suffix)
            plot_distance_to_nope(per_pe, base, path,
                                  title=f"distance to NoPE per layer ({d['task']}; mean over seeds)")
            paths.append(path)
    h = attention.get("histogram") or {}
    if h:
        for suffix in (".png", ".pdf"):
            path = Path(out_dir) / HISTOGRAM_FIGURE.replace(".png", suffix)
            centers = {pe: np.repeat((np.asarray(v["edges"][:-1]) + np.asarray(v["edges"][1:])) / 2, v["counts"])
                       for pe, v in h.items()}  # the recorded counts, as points at their bin centres
            plot_attended_distance(centers, path, bins=HISTOGRAM_BINS)
            paths.append(path)
    return paths
