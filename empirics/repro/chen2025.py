"""Reproduction of Chen, Liang, Lin 2025 (arXiv 2510.04130): Transformers with each PE trained on Chen's
tasks at scales 1..N and tested at (N, 2N] and (2N, 4N], next to the SRC and LRC predictions
(`pelg predict --theory src|lrc`). ALL of it is a [reconstruction]: the paper's code, protocol and numbers
are not available (shared/papers/chen2025.md); the tasks are `empirics.tasks.c25`, the theories
`theory.chen2025.src` and `theory.chen2025.lrc`, the IPE `empirics.pe_bias.IPE`.

PEs and their theory classes (pelg's mapping; SRC and LRC name PE classes, `pelg train` names PEs):
learned -> APE, t5 -> RPE (a learned offset bias, exact below num_buckets / 2), nope -> NoPE, ipe -> IPE,
learned+sh -> APE+SH, t5+sh and rope+sh -> SH (offsets on Scale-Hint positions), lbpe -> LBPE (LRC only:
SRC has no LBPE class).

Evidence standard (empirics.repro.cells): seeds in order until k fit in distribution (exact match >= 95%
on held-out examples: Chen publish no bar, so pelg's default); a cell with fewer fit seeds is
`undecided (j of n fit)`; a decided cell's observed verdict is "generalizes" when the mean over its fit
seeds is >= 70% in every bucket above N (the rule of `cells.observed_verdict`, calibrated on Huang et al.'s
published numbers, since Chen publish none).
"""
from __future__ import annotations

import time
from pathlib import Path

from theory.chen2025 import lrc, pola, src

from ..errors import PelgError
from empirics.evidence.c25_results import claim_verdicts

from . import cells
from .cells import cell_text, pct
from .common import check_publishable, fit_rate, load_protocol, markdown_table, run_rows, save_outputs, wall_seconds

PAPER = "chen2025"
BLOCK = "chen2025-table"
SRC_CLASS = {"learned": "ape", "sinusoidal": "ape", "t5": "rpe", "rope": "rpe", "alibi": "rpe", "nope": "nope",
             "ipe": "ipe", "learned+sh": "ape+sh", "t5+sh": "sh", "rope+sh": "sh", "alibi+sh": "sh"}
LRC_CLASS = {**SRC_CLASS, "lbpe": "lbpe"}
LRC_TARGET = {t.task: name for name, t in pola.TARGETS.items() if t.task.startswith("c25.")}


def figure_name(task: str) -> str:
    return f"chen2025_accuracy_{task.split('.', 1)[1]}.png"


def lengths(p: dict, task: str) -> tuple[list[int], list[list[int]]]:
    """Training scales 1..N (N = `train_max`, per task `[task_train_max]`), buckets [1, N], (N, 2N], (2N, 4N]."""
    n = int(p.get("task_train_max", {}).get(task, p["train_max"]))
    if n < 1:
        raise PelgError(f"train_max must be >= 1, got {n}")
    return [1, n], [[1, n], [n + 1, 2 * n], [2 * n + 1, 4 * n]]


def build_configs(p: dict) -> list[tuple[tuple[str, str, int], dict]]:
    unknown_pes = [pe for pe in p["pes"] if pe not in LRC_CLASS]
    if unknown_pes:
        raise PelgError(f"PE {unknown_pes[0]!r} has no SRC / LRC class here; valid: {', '.join(LRC_CLASS)}")
    return cells.build_configs(p, lengths)


def predictions(task: str, pe: str, n: int) -> dict:
    """{"src": record or None, "lrc": record or None} for a task trained at 1..n, tested at 2n and 4n."""
    tests = (2 * n, 4 * n)
    out = {"src": None, "lrc": None}
    if SRC_CLASS.get(pe) and task in src.TASKS:
        out["src"] = src.predictions(pes=(SRC_CLASS[pe],), tasks=(task,), n_train=n, test_scales=tests)[0]
    if LRC_CLASS.get(pe) and task in LRC_TARGET:
        out["lrc"] = lrc.prediction(LRC_TARGET[task], LRC_CLASS[pe], n_train=n, test_scales=tests)
    return out


def summarize(p: dict, keys, results, fits: list[dict] | None = None) -> dict:
    """{task: {pe: cell}}: `cells.cell_stats` plus, per theory (src, lrc), the prediction and whether the
    observed verdict agrees (None: undecided cell, no prediction, or a profile that does not decide)."""
    fits = fits if fits is not None else cells.run_fits(p, keys, results)
    decides = bool(p.get("decides", True))
    summary: dict = {}
    for task, pe, runs in cells.group(p, keys, results, fits):
        c = cells.cell_stats(p, runs)
        n = lengths(p, task)[0][1]
        for theory, rec in predictions(task, pe, n).items():
            c[f"{theory}_predicted"] = rec["prediction"] if rec else None
            c[f"{theory}_class"] = (SRC_CLASS if theory == "src" else LRC_CLASS).get(pe) if rec else None
            c[f"{theory}_agree"] = (c["observed"] == rec["prediction"]) if rec and c["decided"] and decides else None
        summary.setdefault(task, {})[pe] = c
    return summary


def scorecard(summary: dict, decides: bool = True) -> dict:
    """Per theory, agreement over the decided cells that have a prediction, with how many."""
    flat = [c for pes in summary.values() for c in pes.values()]
    return {t: cells.agreement(flat, key=f"{t}_agree", decides=decides) for t in ("src", "lrc")}


def _settings(p: dict) -> str:
    t, m = p["train"], p["model"]
    per_task = "; ".join(f"{task.split('.', 1)[1]}: " + ", ".join(f"{a} {b}" for a, b in over.items())
                         for task, over in p.get("task_train", {}).items())
    return (f"{t['steps']} steps at most (validation on {t.get('val_samples', 256)} held-out examples every "
            f"{t['eval_every']} steps, early stop at {pct(t.get('early_stop_at', 1.0))}%), batch {t['batch_size']}, "
            f"lr {t['lr']:g}, model {m['n_layer']} layers / {m['n_head']} heads / d {m['d_model']}"
            + (f"; per task: {per_task}" if per_task else ""))


def render_markdown(p: dict, summary: dict, rate: dict | None = None, wall: float | None = None) -> str:
    decides = bool(p.get("decides", True))
    score = scorecard(summary, decides)
    verdicts = claim_verdicts(summary)
    k = p["k_success"]
    over = ", ".join(f"{t.split('.', 1)[1]} N = {n}" for t, n in p.get("task_train_max", {}).items())
    head = (f"[reconstruction] Profile `{p['profile']}`: train at scales 1..N with N = {p['train_max']}"
            + (f" ({over})" if over else "") + f", test at (N, 2N] and (2N, 4N]; {_settings(p)}; seeds {p['seeds']} tried in order until {k} fit; {p['eval_samples']} "
            f"test examples per bucket. Fit gate: {cells.fit_bar(p, p['tasks'][0]).text()}. Accuracy in %: mean over "
            f"the fit seeds [95% t-interval]. Observed verdict: 'generalizes' when that mean is at least "
            f"{100 * cells.GENERALIZES_AT:g}% in every bucket above N (Huang et al.'s calibrated rule; Chen publish "
            f"no numbers). " + (f"{rate['fit']} of {rate['runs']} runs fit ({100 * rate['rate']:.0f}%). " if rate else "")
            + (f"Wall time {wall / 60:.1f} min with {p.get('workers', 1)} workers." if wall is not None else ""))
    parts = [head]
    if decides:
        s, l_ = score["src"], score["lrc"]
        parts.append(f"\n**SRC: {s['agree']} of {s['scored']} decided cells agree; LRC: {l_['agree']} of "
                     f"{l_['scored']}** ({s['decided']} of {s['cells']} cells decided, at least {k} fit seeds).")
        nn, hw = verdicts["no_new_operators"], verdicts["hint_widens"]
        parts.append(f"\n- PEs do not create operators when SRC grows: **{nn['verdict']}** ({nn['decided']} of "
                     f"{nn['cells']} SRC-growing cells decided; generalizing: {', '.join(nn['generalizing']) or 'none'}).")
        parts.append(f"- SH and LBPE widen LG over their base PEs (first bucket above N, intervals over seeds): "
                     f"**{hw['verdict']}** ({len(hw['comparisons'])} comparisons: {hw['higher']} higher, "
                     f"{hw['lower']} lower, the rest no separation).\n")
    else:
        parts.append(f"\n**Profile `{p['profile']}` is too small to decide anything**: it checks that the pipeline "
                     f"runs ({score['src']['decided']} of {score['src']['cells']} cells fit).\n")
    rows = []
    for task, pes in summary.items():
        for pe, c in pes.items():
            fit = f"{len(c['fit_seeds'])} of {len(c['seeds_tried'])}"
            ours = (" / ".join(f"{b}: {cell_text(c['stats'][b])}" for b in c["bins"]) if c["decided"] else
                    "in-distribution by seed: " + ", ".join(pct(v) for v in c["in_distribution_by_seed"].values()))
            mark = {True: "yes", False: "**no**", None: "—"}
            rows.append([task, pe, fit, ours, c["observed"] if decides or not c["decided"] else "—",
                         f"{c['src_predicted'] or '—'} ({c['src_class'] or '—'})", mark[c["src_agree"]],
                         f"{c['lrc_predicted'] or '—'} ({c['lrc_class'] or '—'})", mark[c["lrc_agree"]]])
    parts.append(markdown_table(["task", "PE", "seeds fit", "ours: 1..N / (N, 2N] / (2N, 4N]", "observed",
                                 "SRC predicts (class)", "agree", "LRC predicts (class)", "agree"], rows))
    return "\n".join(parts)


def render_figures(p: dict, summary: dict, path: Path) -> None:
    """The figure of the task that `path` names (`figure_name`): exact match per bucket (x: 1..N, (N, 2N],
    (2N, 4N]), one line per PE through the fit seeds' mean with 95% error bars; an undecided PE draws no
    line and says `undecided (j of n fit)` in the legend. Written as PNG and PDF."""
    from empirics.plots.huang2025 import accuracy_by_bin

    task = next(t for t in summary if figure_name(t) == Path(path).name)
    lines = {}
    for pe, c in summary[task].items():
        st = [c["stats"][b] for b in c["bins"]]
        fit = f"{len(c['fit_seeds'])} of {len(c['seeds_tried'])} fit"
        pred = f"SRC {c['src_predicted'] or '—'}, LRC {c['lrc_predicted'] or '—'}"
        label = (f"{pe}: {c['observed']} ({fit}; {pred})" if c["decided"] else f"{pe}: undecided ({fit}; {pred})")
        lines[pe] = {"label": label, "mean": [s["mean"] if s else None for s in st],
                     "lo": [s["lo"] if s else None for s in st], "hi": [s["hi"] if s else None for s in st],
                     "seeds": [c["values"][b] for b in c["bins"]], "paper": None}
    panel = {task: {"bins": next(iter(summary[task].values()))["bins"], "lines": lines}}
    title = (f"Chen et al. 2025 [reconstruction], {task}, profile {p['profile']}: exact match by scale (mean of fit "
             f"seeds, 95% CI)" + ("" if p.get("decides", True) else " -- too small to decide"))
    for suffix in (".png", ".pdf"):
        accuracy_by_bin(panel, Path(path).with_suffix(suffix), threshold=cells.GENERALIZES_AT, title=title, columns=1)


def run(profile: str, out_dir: Path, workers: int | None = None, device: str = "auto",
        publish: bool = False, log=print, store: Path | None = None) -> dict:
    """Run the protocol; write results.json, summary.json, table.md and one figure per task into out_dir; with
    `publish`, also update ./paper_repro.md and ./figures/ (run from the repository root)."""
    p = load_protocol(PAPER, profile)
    configs = build_configs(p)   # bad protocol entries fail here, before any training
    if publish:
        check_publishable(BLOCK)
    start = time.time()
    keys, results = cells.run_rounds(p, configs, workers or p.get("workers", 1), device, log, store=store)
    wall = wall_seconds(start, results, store)
    fits = cells.run_fits(p, keys, results)
    summary = summarize(p, keys, results, fits)
    rate = fit_rate(fits)
    table = render_markdown(p, summary, rate, wall)
    score = scorecard(summary, bool(p.get("decides", True)))
    record = {"protocol": p, "summary": summary, "scorecard": score, "claims": claim_verdicts(summary),
              "runs": run_rows(keys, results, fits), "fit_rate": rate, "wall_seconds": round(wall, 1)}
    save_outputs(out_dir, keys, results, record, table, lambda path: render_figures(p, summary, path),
                 [figure_name(t) for t in summary], publish=publish, block=BLOCK,
                 record_name="chen2025_quick.json" if profile == "quick" else None)
    log(table)
    return {"summary": summary, "table": table, "out_dir": str(out_dir), "scorecard": score, "fit_rate": rate}
