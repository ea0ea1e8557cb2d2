"""Reproduction of Huang et al. 2025 (ICLR 2025, arXiv 2410.02140): trained Transformers against the C-RASP
predictions, per (task, PE).

Protocol (huang2025.md, "Protocol [code]"): decoder-only Transformer, `<bos> x <sep> y <eos>`, loss and
accuracy on y and `<eos>` only, whole-sequence exact match (teacher-forced argmax); training lengths from the
task protocol (empirics/tasks/protocols/h25.toml), test bins above them; the position-offset trick for
learned APE; Scale Hint only on tasks with a separator (not the formal languages); AdamW with weight decay
and linear decay; training stops early once the held-out validation set is 100% right.

Fit gate (empirics.analysis.fit): a run is evidence only when it fits in distribution, at the paper's own bar
(the protocol's `[fit]` table: 100% exact match on held-out in-distribution examples). Seeds run in order
until k fit, in parallel rounds; a (task, PE) cell is decided only when k of its seeds fit, otherwise it is
`undecided (j of n fit)` in the table, the figure and the scorecard. Per decided cell: the mean over the fit
seeds and a 95% t-interval per bin (empirics.analysis.stats.mean_interval).

Deviations, stated in every table: one fixed model per profile instead of the paper's hyperparameter
sweep (empirics.analysis.selection.select_config implements the rule; the sweep is a `pelg sweep` away), and
in the smoke and quick profiles shorter lengths (train up to `train_max`, bins of the same width above it)
and fewer steps. Per-task settings (learning rate, width, steps, warmup) are data in the protocol
(`[task_train]`, `[task_model]`). Quick runs on two CPU cores; full is the paper's lengths and step
budget, meant for a GPU.

Predicted vs observed: the C-RASP prediction of theory.huang2025.predictions for the PE's theory class
(learned -> APE, nope -> NoPE, rope -> RPE, rope+sh -> SH; the last two are pelg's mapping, see
paper_repro.md) against the observed verdict of `observed_verdict` (the rule is stated and justified there).
"""
from __future__ import annotations

import time
from pathlib import Path

from theory.huang2025.predictions import predictions

from ..errors import PelgError
from empirics.analysis.fit import bar_from_protocol
from empirics.plots.huang2025 import accuracy_by_bin
from ..tasks import get_task
from ..tasks.protocols import task_protocol
from . import cells
from .cells import GENERALIZES_AT, cell_text as _cell, fit_bar, observed_verdict, pct as _pct, run_fits  # noqa: F401
from .common import (FIGURE_SUFFIXES, check_publishable, fit_rate, load_protocol, markdown_table, run_rows,
                     save_outputs, wall_seconds)

PAPER = "huang2025"
FIGURE = "huang2025_accuracy_by_bin.png"
THEORY_PE = {"learned": "ape", "nope": "nope", "rope": "rpe", "rope+sh": "sh"}

# huang2025.md, "Published results" [code: the plotting data file, mean of 5 runs; bins 0/1/2 = in-distribution,
# first and second length-generalization bin, %]. "learned+rpos" is APE trained with the R_pos regularizer.
PUBLISHED = {
    "h25.binary_majority": {"learned": (100, 100, 100), "nope": (100, 100, 100), "learned+rpos": (100, 100, 99.9)},
    "h25.majority": {"learned": (100, 99.6, 97.8), "nope": (100, 99.9, 98.5), "learned+rpos": (100, 99.9, 99.0)},
    "h25.binary_majority_interleave": {"learned": (100, 96.8, 84.7), "nope": (96.2, 68.8, 39.5),
                                       "learned+rpos": (100, 97.3, 86.2)},
    "h25.sort": {"learned": (100, 100, 99.4), "nope": (100, 99.8, 80.6), "learned+rpos": (100, 100, 99.6)},
    "h25.copy_unique": {"learned": (100, 99.9, 98.7), "nope": (100, 18.0, 0), "learned+rpos": (100, 99.8, 99.3)},
    "h25.copy_repeat": {"learned": (100, 25.6, 0), "nope": (100, 28.0, 0), "learned+rpos": (100, 25.1, 0)},
    "h25.parity": {"learned": (100, 83.0, 62.1), "nope": (97.5, 74.5, 63.3), "learned+rpos": (100, 83.4, 64.2)},
    "h25.addition": {"learned": (99.7, 26.8, 0), "nope": (99.5, 27.7, 0), "learned+rpos": (99.8, 25.8, 0)},
    **{f"h25.{d}": {"learned": (100, 100, 100), "nope": (100, 100, 100)} for d in ("d2", "d3", "d4", "d12")},
    "h25.tomita1": {"learned": (100, 100, 100), "nope": (100, 100, 100)},
    "h25.tomita2": {"learned": (100, 100, 100), "nope": (100, 100, 100)},
    "h25.tomita4": {"learned": (100, 85.4, 84.4), "nope": (100, 16.45, 0)},
    "h25.tomita7": {"learned": (100, 94.2, 93.2), "nope": (100, 87.5, 76.2)},
    "h25.aa_bb_cc_dd_ee": {"learned": (100, 100, 100), "nope": (100, 100, 100)},
    "h25.ab_d_bc": {"learned": (100, 99.8, 98.5), "nope": (100, 99.8, 98.5)},
    "h25.z012_02": {"learned": (99.7, 24.4, 1.2), "nope": (18.2, 11.2, 0)},
    "h25.aa_star": {"learned": (100, 100, 100), "nope": (100, 0, 0)},
    "h25.aaaa_star": {"learned": (100, 92.3, 86.7), "nope": (100, 0, 0)},
    "h25.abab_star": {"learned": (100, 89.4, 82.3), "nope": (100, 0, 0)},
    "h25.tomita3": {"learned": (60.45, 7.7, 0), "nope": (21.1, 0, 0)},
    "h25.tomita5": {"learned": (54.4, 0, 0), "nope": (7.1, 0, 0)},
    "h25.tomita6": {"learned": (59.6, 0, 0), "nope": (2.4, 0, 0)},
}
# the paper's own labels (huang2025.md, "Pred" = APE / NoPE; the paper reports every one as borne out);
# APE + R_pos carries the APE label.
_YES_NO = {
    "h25.binary_majority": "yy", "h25.majority": "yy", "h25.binary_majority_interleave": "yn", "h25.sort": "yy",
    "h25.copy_unique": "yn", "h25.copy_repeat": "nn", "h25.parity": "nn", "h25.addition": "nn",
    "h25.d2": "yy", "h25.d3": "yy", "h25.d4": "yy", "h25.d12": "yy", "h25.tomita1": "yy", "h25.tomita2": "yy",
    "h25.tomita4": "yn", "h25.tomita7": "yy", "h25.aa_bb_cc_dd_ee": "yy", "h25.ab_d_bc": "yy",
    "h25.z012_02": "nn", "h25.aa_star": "yn", "h25.aaaa_star": "yn", "h25.abab_star": "yn",
    "h25.tomita3": "nn", "h25.tomita5": "nn", "h25.tomita6": "nn"}
PAPER_LABELS = {task: {pe: ("generalizes" if yn[0 if pe != "nope" else 1] == "y" else "fails")
                       for pe in PUBLISHED[task]} for task, yn in _YES_NO.items()}

def published_cells() -> list[tuple[str, str, tuple, str]]:
    """(task, PE, published accuracies in %, the paper's label) for every published cell."""
    return [(task, pe, acc, PAPER_LABELS[task][pe]) for task, by_pe in PUBLISHED.items() for pe, acc in by_pe.items()]


def published_gap() -> dict:
    """The lowest length-generalization bin (%) of the paper's 'generalizes' cells and of its 'fails'
    cells: the room an observed-verdict threshold has (see `observed_verdict`)."""
    low = {"generalizes": [], "fails": []}
    for task, pe, acc, label in published_cells():
        low[label].append((min(acc[1:]), task, pe))
    pos, neg = min(low["generalizes"]), max(low["fails"])
    return {"lowest_generalizes": pos, "highest_fails": neg, "cells": len(published_cells())}


def mislabelled_by(rule) -> list[tuple[str, str]]:
    """The published cells whose paper label `rule(accuracies as fractions [in-dist, bin 1, bin 2])` misses."""
    return [(task, pe) for task, pe, acc, label in published_cells() if rule([a / 100 for a in acc]) != label]


def lengths(p: dict, task: str) -> tuple[list[int], list[list[int]]]:
    """(train lengths, test buckets) of a task: the task protocol, or with `train_max` the protocol's
    minimum up to train_max and `n_bins` bins of width train_max above it."""
    proto = task_protocol(task)
    top = p.get("task_train_max", {}).get(task, p.get("train_max"))
    if not top:
        return list(proto["train_lengths"]), [list(b) for b in proto["test_buckets"]]
    lo, top = proto["train_lengths"][0], int(top)
    if top < lo:
        raise PelgError(f"train_max {top} is below the minimum length {lo} of {task}")
    bins = [[top * k + 1, top * (k + 1)] for k in range(1, int(p.get("n_bins", 2)) + 1)]
    return [lo, top], [[lo, top], *bins]


def build_configs(p: dict) -> list[tuple[tuple[str, str, int], dict]]:
    """One TrainConfig dict per (task, PE, seed) (`cells.build_configs`); no `+sh` cell on the formal
    languages (no separator to hint from; C-RASP: h is the identity there, SH = RPE)."""
    unknown_pes = [pe for pe in p["pes"] if pe not in THEORY_PE]
    if unknown_pes:
        raise PelgError(f"PE {unknown_pes[0]!r} has no C-RASP class here; valid: {', '.join(THEORY_PE)}")
    return cells.build_configs(p, lengths, skip=lambda task, pe: pe.endswith("+sh") and get_task(task).kind == "sets")


def run_rounds(p: dict, workers: int, device: str, log=print, store: Path | None = None) -> tuple[list, list]:
    """Seeds in order until k fit, as the paper does, in parallel rounds (`cells.run_rounds`)."""
    return cells.run_rounds(p, build_configs(p), workers, device, log, store=store)


def predicted() -> dict[tuple[str, str], dict]:
    """{(task, theory PE): C-RASP prediction record} (the paper's labels for APE / NoPE)."""
    return {(r["task"], r["pe"]): r for r in predictions()}


def summarize(p: dict, keys, results, fits: list[dict] | None = None) -> dict:
    """{task: {pe: cell}}: `cells.cell_stats` plus the C-RASP prediction and whether it agrees with the
    observed verdict (None when undecided, or when the profile does not decide)."""
    fits = fits if fits is not None else run_fits(p, keys, results)
    preds = predicted()
    decides = bool(p.get("decides", True))
    summary: dict = {}
    for task, pe, runs in cells.group(p, keys, results, fits):
        c = cells.cell_stats(p, runs)
        pred = preds[(task, THEORY_PE[pe])]
        summary.setdefault(task, {})[pe] = {
            **c, "predicted": pred["prediction"], "prediction_basis": pred["basis"],
            "agree": c["observed"] == pred["prediction"] if c["decided"] and decides else None}
    return summary


def scorecard(summary: dict, decides: bool = True) -> dict:
    """Agreement over decided cells only, with how many cells were decided."""
    return cells.agreement([c for pes in summary.values() for c in pes.values()], decides=decides)


def _settings(p: dict) -> str:
    t, m = p["train"], p["model"]
    text = (f"{t['steps']} steps (early stop at 100% on {t.get('val_samples', 256)} held-out validation "
            f"examples, checked every {t['eval_every']} steps)" if t.get("early_stop") else f"{t['steps']} steps")
    text += (f", batch {t['batch_size']}, lr {t['lr']:g}, warmup {t['warmup']:g}, model {m['n_layer']} layers / "
             f"{m['n_head']} heads / d {m['d_model']}")
    per_task = []
    for task in p.get("tasks", []):
        over = {**({"train_max": p["task_train_max"][task]} if task in p.get("task_train_max", {}) else {}),
                **p.get("task_train", {}).get(task, {}), **p.get("task_model", {}).get(task, {})}
        if over:
            per_task.append(f"{task.split('.', 1)[1]}: " + ", ".join(f"{a} {b:g}" if isinstance(b, (int, float))
                                                                   else f"{a} {b}" for a, b in over.items()))
    if per_task:
        text += "; per task: " + "; ".join(per_task)
    return text


def rule_text() -> str:
    g = published_gap()
    pos, neg = g["lowest_generalizes"], g["highest_fails"]
    old = mislabelled_by(lambda a: "generalizes" if a[1] >= 0.9 else "fails")
    return (f"Observed verdict: 'generalizes' when the mean exact match over the fit seeds is at least "
            f"{100 * GENERALIZES_AT:g}% in every length-generalization bin, else 'fails'. Applied to the paper's "
            f"{g['cells']} published (task, PE) accuracies, this rule gives the paper's own label on every one: "
            f"the paper's 'generalizes' cells have their lowest length-generalization bin at {pos[0]:g}% or above "
            f"({pos[1]} {pos[2]}), its 'fails' cells at {neg[0]:g}% or below ({neg[1]} {neg[2]}); "
            f"{100 * GENERALIZES_AT:g}% sits between them. A 90% bar on the first bin would mislabel "
            + ", ".join(f"{t} {pe} ({PUBLISHED[t][pe][1]:g})" for t, pe in old) + ".")


def render_markdown(p: dict, summary: dict, rate: dict | None = None, wall: float | None = None) -> str:
    decides = bool(p.get("decides", True))
    s = scorecard(summary, decides)
    k = p["k_success"]
    bar = bar_from_protocol("tokens", p)
    head = (f"Profile `{p['profile']}`: {_settings(p)}; seeds {p['seeds']} tried in order until {k} fit; "
            f"{p['eval_samples']} test examples per bin"
            + (f", training lengths up to {p['train_max']} unless a task says otherwise (the paper: 50), with bins "
               f"of the same width above" if p.get("train_max") else "") + ". "
            + f"Fit gate: {bar.text()}. Accuracy in %: mean over the fit seeds [95% t-interval, clipped to 0-100]. "
            + (f"{rate['fit']} of {rate['runs']} runs fit ({100 * rate['rate']:.0f}%). " if rate else "")
            + (f"Wall time {wall / 60:.1f} min with {p.get('workers', 1)} workers. " if wall is not None else "")
            + rule_text())
    parts = [head]
    if decides:
        parts.append(f"\n**Predicted vs observed: {s['agree']} of {s['decided']} decided cells agree** "
                     f"({s['decided']} of {s['cells']} cells decided, i.e. at least {k} fit seeds; "
                     f"{s['undecided']} undecided).\n")
    else:
        parts.append(f"\n**Profile `{p['profile']}` is too small to decide anything**: it checks that the pipeline "
                     f"runs; nothing here says whether a prediction does or does not reproduce "
                     f"({s['decided']} of {s['cells']} cells fit); run --profile quick.\n")
    rows = []
    for task, pes in summary.items():
        for pe, c in pes.items():
            paper = PUBLISHED.get(task, {}).get(pe)
            fit = f"{len(c['fit_seeds'])} of {len(c['seeds_tried'])}"
            rows.append([task, f"{pe} ({THEORY_PE[pe]})", fit,
                         " / ".join(f"{b}: {_cell(c['stats'][b])}" for b in c["bins"]) if c["decided"] else
                         "in-distribution by seed: " + ", ".join(_pct(v) for v in c["in_distribution_by_seed"].values()),
                         "/".join(f"{x:g}" for x in paper) if paper else "—", c["predicted"],
                         c["observed"] if decides else (c["observed"] if not c["decided"] else "—"),
                         {True: "yes", False: "**no**", None: "—"}[c["agree"]]])
    parts.append(markdown_table(["task", "PE (C-RASP class)", "seeds fit", "ours: in-distribution / longer bins",
                                 "paper (bins 0/1/2)", "predicted", "observed", "agree"], rows))
    return "\n".join(parts)


def render_figure(p: dict, summary: dict, path: Path) -> None:
    """Per task, exact match per bin (x: the bin's index, in-distribution = 0) for every PE: mean of the fit
    seeds with 95% error bars and every fit seed as a dot; an undecided cell draws no line and says
    `undecided (j of n fit)` in the legend; the paper's APE and NoPE numbers as stars."""
    panels = {}
    for task, pes in summary.items():
        lines = {}
        for pe, c in pes.items():
            st = [c["stats"][b] for b in c["bins"]]
            fit = f"{len(c['fit_seeds'])} of {len(c['seeds_tried'])} fit"
            label = f"{pe}: {c['observed']} ({fit})" if c["decided"] else f"{pe}: undecided ({fit})"
            paper = PUBLISHED.get(task, {}).get(pe)
            lines[pe] = {"label": label, "mean": [s["mean"] if s else None for s in st],
                         "lo": [s["lo"] if s else None for s in st], "hi": [s["hi"] if s else None for s in st],
                         "seeds": [c["values"][b] for b in c["bins"]],
                         "paper": [x / 100 for x in paper] if paper else None}
        panels[task.split(".", 1)[1]] = {"bins": next(iter(pes.values()))["bins"], "lines": lines}
    title = (f"Huang et al. 2025, profile {p['profile']}: exact match per bin (mean of fit seeds, 95% CI; "
             f"stars: the paper)" + ("" if p.get("decides", True) else " -- too small to decide"))
    accuracy_by_bin(panels, path, threshold=GENERALIZES_AT, title=title)


def run(profile: str, out_dir: Path, workers: int | None = None, device: str = "auto",
        publish: bool = False, log=print, store: Path | None = None) -> dict:
    """Run the protocol; write results.json, summary.json, table.md and the figure into out_dir; with
    `publish`, also update ./paper_repro.md and ./figures/ (run from the repository root)."""
    p = load_protocol(PAPER, profile)
    if publish:  # check before hours of training, not after
        check_publishable("huang2025-table")
    start = time.time()
    keys, results = run_rounds(p, workers or p.get("workers", 1), device, log, store)
    wall = wall_seconds(start, results, store)
    fits = run_fits(p, keys, results)
    summary = summarize(p, keys, results, fits)
    rate = fit_rate(fits)
    table = render_markdown(p, summary, rate, wall)
    score = scorecard(summary, bool(p.get("decides", True)))
    record = {"protocol": p, "summary": summary, "scorecard": score, "runs": run_rows(keys, results, fits),
              "fit_rate": rate, "wall_seconds": round(wall, 1), "rule": rule_text()}
    save_outputs(out_dir, keys, results, record, table,  # the figure as PNG and PDF
                 lambda path: [render_figure(p, summary, path.with_suffix(s)) for s in FIGURE_SUFFIXES], FIGURE,
                 publish=publish,
                 block="huang2025-table", record_name="huang2025_quick.json" if profile == "quick" else None)
    log(table)
    return {"summary": summary, "table": table, "out_dir": str(out_dir), "scorecard": score, "fit_rate": rate}
