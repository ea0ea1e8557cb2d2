"""Reproduction of Huang et al. 2025 (ICLR 2025, arXiv 2410.02140): trained Transformers against the C-RASP
predictions, per (task, PE).

Protocol (huang2025.md, "Protocol [code]"): decoder-only Transformer, `<bos> x <sep> y <eos>`, loss and
accuracy on y and `<eos>` only, whole-sequence exact match (teacher-forced argmax); training lengths from the
task protocol (empirics/tasks/protocols/h25.toml), test bins above them; the position-offset trick for
learned APE; Scale Hint only on tasks with a separator (not the formal languages); seeds tried in order until k reach the in-distribution success bar (the drop count is
reported, the paper drops failures silently); AdamW with weight decay and linear decay.

Deviations, stated in every table: one fixed model per profile instead of the paper's hyperparameter
sweep (empirics.analysis.selection.select_config implements the rule; the sweep is a `pelg sweep` away), and
in the smoke and quick profiles shorter lengths (train up to `train_max`, bins of the same width above it),
fewer steps and a lower success bar. Quick runs on two CPU cores; full is the paper's lengths and step
budget, meant for a GPU.

Predicted vs observed: the C-RASP prediction of theory.huang2025.predictions for the PE's theory class (learned ->
APE, nope -> NoPE, rope -> RPE, rope+sh -> SH; the last two are pelg's mapping, see paper_repro.md);
observed "generalizes" when the mean exact match over the successful seeds on the first bin above the
training lengths is at least `generalizes_at`, "fails" below it, "not fit" when no seed reached the bar.
"""
from __future__ import annotations

from pathlib import Path

from theory.huang2025.predictions import predictions

from ..errors import PelgError
from ..evaluate import bucket_label
from empirics.plots.common import plot_metric_vs_length
from empirics.analysis.selection import in_distribution_accuracy, select_seeds
from ..tasks import get_task
from ..tasks.protocols import task_protocol
from .common import check_publishable, load_protocol, markdown_table, mean_std, run_many, save_outputs

PAPER = "huang2025"
FIGURE = "huang2025_accuracy_by_bin.png"
THEORY_PE = {"learned": "ape", "nope": "nope", "rope": "rpe", "rope+sh": "sh"}
# huang2025.md, "Published results" (mean of 5 runs; bins 0/1/2, %): APE and NoPE
PUBLISHED = {
    "h25.binary_majority": {"learned": (100, 100, 100), "nope": (100, 100, 100)},
    "h25.majority": {"learned": (100, 99.6, 97.8), "nope": (100, 99.9, 98.5)},
    "h25.binary_majority_interleave": {"learned": (100, 96.8, 84.7), "nope": (96.2, 68.8, 39.5)},
    "h25.sort": {"learned": (100, 100, 99.4), "nope": (100, 99.8, 80.6)},
    "h25.copy_unique": {"learned": (100, 99.9, 98.7), "nope": (100, 18.0, 0)},
    "h25.copy_repeat": {"learned": (100, 25.6, 0), "nope": (100, 28.0, 0)},
    "h25.parity": {"learned": (100, 83.0, 62.1), "nope": (97.5, 74.5, 63.3)},
    "h25.addition": {"learned": (99.7, 26.8, 0), "nope": (99.5, 27.7, 0)},
    "h25.tomita4": {"learned": (100, 85.4, 84.4), "nope": (100, 16.45, 0)},
    "h25.aa_star": {"learned": (100, 100, 100), "nope": (100, 0, 0)},
    "h25.aaaa_star": {"learned": (100, 92.3, 86.7), "nope": (100, 0, 0)},
    "h25.abab_star": {"learned": (100, 89.4, 82.3), "nope": (100, 0, 0)},
}


def lengths(p: dict, task: str) -> tuple[list[int], list[list[int]]]:
    """(train lengths, test buckets) of a task: the task protocol, or with `train_max` the protocol's
    minimum up to train_max and `n_bins` bins of width train_max above it."""
    proto = task_protocol(task)
    if not p.get("train_max"):
        return list(proto["train_lengths"]), [list(b) for b in proto["test_buckets"]]
    lo, top = proto["train_lengths"][0], int(p["train_max"])
    if top < lo:
        raise PelgError(f"train_max {top} is below the minimum length {lo} of {task}")
    bins = [[top * k + 1, top * (k + 1)] for k in range(1, int(p.get("n_bins", 2)) + 1)]
    return [lo, top], [[lo, top], *bins]


def build_configs(p: dict) -> list[tuple[tuple[str, str, int], dict]]:
    """One TrainConfig dict per (task, PE, seed)."""
    unknown_pes = [pe for pe in p["pes"] if pe not in THEORY_PE]
    if unknown_pes:
        raise PelgError(f"PE {unknown_pes[0]!r} has no C-RASP class here; valid: {', '.join(THEORY_PE)}")
    out = []
    for task in p["tasks"]:
        train, buckets = lengths(p, task)
        for pe in p["pes"]:
            if pe.endswith("+sh") and get_task(task).kind == "sets":
                continue   # no separator to hint from (C-RASP: h is the identity, SH = RPE there)
            model = {**p["model"], "pe": pe, "pe_options": dict(p.get("pe_options", {}).get(pe, {}))}
            extra = dict(p.get("pe_train", {}).get(pe, {}))
            for seed in p["seeds"]:
                cfg = {"task": task, "model": model, "seed": seed, "train_lengths": train,
                       "eval_buckets": buckets, "eval_samples": p["eval_samples"], **p["train"], **extra}
                out.append(((task, pe, seed), cfg))
    return out


def run_rounds(p: dict, workers: int, device: str, log=print) -> tuple[list, list]:
    """Seeds in order until k succeed, as the paper does, but in rounds: each round starts, for every
    (task, PE) still short of k successes, as many untried seeds as it is short, all in parallel."""
    todo = build_configs(p)
    cfg = {key: c for key, c in todo}
    cells = list(dict.fromkeys((t, pe) for t, pe, _ in cfg))
    tried = {cell: 0 for cell in cells}
    wins = {cell: 0 for cell in cells}
    keys, results = [], []
    k = int(p["k_success"])
    while True:
        batch = []
        for cell in cells:
            short = k - wins[cell]
            seeds = list(p["seeds"])[tried[cell]: tried[cell] + max(0, short)]
            tried[cell] += len(seeds)
            batch += [(*cell, s) for s in seeds]
        if not batch:
            break
        log(f"huang2025 {p['profile']}: round of {len(batch)} runs")
        out = run_many([cfg[key] for key in batch], workers, device=device, log=log)
        for key, res in zip(batch, out):
            wins[key[:2]] += in_distribution_accuracy(res) >= p["id_success"]
        keys += batch
        results += out
    return keys, results


def predicted() -> dict[tuple[str, str], dict]:
    """{(task, theory PE): C-RASP prediction record} (the paper's labels for APE / NoPE)."""
    return {(r["task"], r["pe"]): r for r in predictions()}


def summarize(p: dict, keys, results) -> dict:
    """{task: {pe: {"bins", "mean", "std", "values", "seeds", "dropped", "observed", "predicted", ...}}}."""
    by: dict = {}
    for (task, pe, seed), res in zip(keys, results):
        by.setdefault(task, {}).setdefault(pe, {})[seed] = res
    preds = predicted()
    summary: dict = {}
    for task, pes in by.items():
        for pe, runs in pes.items():
            sel = select_seeds(lambda s: runs[s], [s for s in p["seeds"] if s in runs], int(p["k_success"]),
                               success=lambda r: in_distribution_accuracy(r) >= p["id_success"])
            buckets = [tuple(b) for b in next(iter(runs.values()))["config"]["eval_buckets"]]
            labels = [bucket_label(*b) for b in buckets]
            chosen = sel.results
            cells = {lab: [r["metrics"][lab]["metric"] for r in chosen] for lab in labels}
            stats = {lab: mean_std(v) if v else (None, None) for lab, v in cells.items()}
            first_lg = labels[1] if len(labels) > 1 else None
            if not chosen or first_lg is None:
                observed = "not fit"
            else:
                observed = "generalizes" if stats[first_lg][0] >= p["generalizes_at"] else "fails"
            pred = preds[(task, THEORY_PE[pe])]
            summary.setdefault(task, {})[pe] = {
                "bins": labels, "values": cells, "mean": {k: s[0] for k, s in stats.items()},
                "std": {k: s[1] for k, s in stats.items()}, "seeds": sel.seeds, "dropped": sel.dropped,
                "id_accuracy_by_seed": {str(s): round(in_distribution_accuracy(r), 4) for s, r in runs.items()},
                "observed": observed, "predicted": pred["prediction"], "prediction_basis": pred["basis"],
                "agree": None if observed == "not fit" else observed == pred["prediction"]}
    return summary


def scorecard(summary: dict) -> dict:
    cells = [c for pes in summary.values() for c in pes.values()]
    decided = [c for c in cells if c["agree"] is not None]
    return {"cells": len(cells), "decided": len(decided), "agree": sum(c["agree"] for c in decided),
            "not_fit": len(cells) - len(decided)}


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def render_markdown(p: dict, summary: dict) -> str:
    s = scorecard(summary)
    parts = [f"Profile `{p['profile']}`: {p['train']['steps']} steps, batch {p['train']['batch_size']}, "
             f"model {p['model']['n_layer']} layers / {p['model']['n_head']} heads / d {p['model']['d_model']}, "
             f"seeds {p['seeds']} (the first {p['k_success']} reaching {100 * p['id_success']:g}% "
             f"in-distribution count), {p['eval_samples']} test examples per bin"
             + (f", training lengths up to {p['train_max']} (the paper: 50)" if p.get("train_max") else "")
             + f". Observed 'generalizes' = mean exact match >= {100 * p['generalizes_at']:g}% on the first "
               f"bin above the training lengths. Accuracy in %, mean over the counted seeds.",
             f"\n**Predicted vs observed: {s['agree']} of {s['decided']} decided cells agree**"
             f" ({s['not_fit']} of {s['cells']} not fit in-distribution).\n"]
    rows = []
    for task, pes in summary.items():
        for pe, c in pes.items():
            bins = " / ".join(_pct(c["mean"][b]) for b in c["bins"])
            paper = PUBLISHED.get(task, {}).get(pe)
            rows.append([task, f"{pe} ({THEORY_PE[pe]})", bins, "/".join(f"{x:g}" for x in paper) if paper else "—",
                         f"{len(c['seeds'])} ({len(c['dropped'])} dropped)", c["predicted"], c["observed"],
                         {True: "yes", False: "**no**", None: "—"}[c["agree"]]])
    bins_header = " / ".join(next(iter(next(iter(summary.values())).values()))["bins"]) if summary else ""
    parts.append(markdown_table(["task", "PE (C-RASP class)", f"ours: bins {bins_header}", "paper (50/100/150)",
                                 "seeds (dropped)", "predicted", "observed", "agree"], rows))
    return "\n".join(parts)


def render_figure(p: dict, summary: dict, path: Path) -> None:
    panels = {}
    for task, pes in summary.items():
        panels[task.split(".", 1)[1]] = {
            pe: ([int(b.split("-")[-1]) for b in c["bins"]],
                 [c["mean"][b] if c["mean"][b] is not None else float("nan") for b in c["bins"]],
                 [c["values"][b] for b in c["bins"]]) for pe, c in pes.items()}
    plot_metric_vs_length(panels, path, ylabel="exact match", title="Huang 2025", yscale="linear",
                          train_length=p.get("train_max"))


def run(profile: str, out_dir: Path, workers: int | None = None, device: str = "auto",
        publish: bool = False, log=print) -> dict:
    """Run the protocol; write results.json, summary.json, table.md and the figure into out_dir; with
    `publish`, also update ./paper_repro.md and ./figures/ (run from the repository root)."""
    p = load_protocol(PAPER, profile)
    if publish:  # check before hours of training, not after
        check_publishable("huang2025-table")
    keys, results = run_rounds(p, workers or p.get("workers", 1), device, log)
    summary = summarize(p, keys, results)
    table = render_markdown(p, summary)
    score = scorecard(summary)
    save_outputs(out_dir, keys, results, {"protocol": p, "summary": summary, "scorecard": score}, table,
                 lambda path: render_figure(p, summary, path), FIGURE, publish=publish,
                 block="huang2025-table", record_name="huang2025_quick.json" if profile == "quick" else None)
    log(table)
    return {"summary": summary, "table": table, "out_dir": str(out_dir), "scorecard": score}
