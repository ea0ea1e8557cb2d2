"""Reproduction of Li 2025 (arXiv 2506.06398), section 7 / Table 5: running-sum extrapolation.

Protocol (seed summary, claim 8): 2-layer Transformer encoder, d_model 64, one head, trained at length
50, tested at 50, 100, 200; PEs sinusoidal, ALiBi, wavelet (db4), Legendre; metric MSE. Published: wavelet
0.0108 and sinusoidal 0.0423 at N = 200 (other cells unknown). Our task is the [reconstruction] of
li2025.md (x_t ~ U[-1, 1], y_t = running mean). We add NoPE, learned APE and RoPE rows, report the
encoder both bidirectional (the paper's "encoder") and with a causal mask, and compare with the
zero predictor, whose MSE is exact: E[y_t^2] = Var(x)/t = 1/(3t) for the running mean. Importing this module
registers the protocol for sweep specs (`protocol = "li2025"`).
"""
from __future__ import annotations

import time
from pathlib import Path

from empirics.analysis.fit import bar_from_protocol, fit_record
from empirics.engine.protocols import register_protocol
from empirics.evidence.li2025_table5 import (MIN_FIT_SEEDS, PAPER_PES, PUBLISHED_MSE_AT_200, cell_text, decide,
                                             summarize)
from empirics.plots.common import plot_metric_vs_length
from empirics.tasks.running_sum import zero_predictor_mse
from .common import (FIGURE_SUFFIXES, PROFILES, check_publishable, fit_rate, load_protocol, markdown_table, run_many,
                     run_rows, save_outputs, wall_seconds)

PAPER = "li2025"
FIGURE = "li2025_mse_vs_length.png"


def build_configs(p: dict) -> list[tuple[tuple[str, str, int], dict]]:
    """One TrainConfig dict per (mask, PE, seed)."""
    out = []
    for mask in p["masks"]:
        for pe in p["pes"]:
            for seed in p["seeds"]:
                model = {**p["model"], "causal": mask == "causal", "pe": pe,
                         "pe_options": dict(p.get("pe_options", {}).get(pe, {}))}
                cfg = {"task": p["task"], "model": model, "seed": seed,
                       "train_lengths": [p["train_length"]] * 2,
                       "eval_buckets": [[n, n] for n in p["test_lengths"]],
                       "eval_samples": p["eval_samples"], **p["train"]}
                out.append(((mask, pe, seed), cfg))
    return out


def sweep_configs(profile: str) -> list[dict]:
    """The TrainConfig dicts of a profile, for sweep specs `protocol = "li2025"` (empirics/engine/protocols)."""
    return [cfg for _, cfg in build_configs(load_protocol(PAPER, profile))]


register_protocol(PAPER, sweep_configs, PROFILES)


def fits(p: dict, results: list[dict]) -> list[dict]:
    """Each run's fit gate: in-distribution MSE (at the training length, held-out examples) against the
    exact zero predictor's on the same examples (`empirics.analysis.fit`)."""
    bar = bar_from_protocol("regression", p)
    return [fit_record(r, bar) for r in results]


def verdict_lines(p: dict, decision: dict) -> list[str]:
    """Plain statements of what the decided cells say about the published ranking, per mask setting."""
    n, lines = decision["length"], []
    for mask, d in decision["masks"].items():
        lines.append(f"- **{mask} encoder, N = {n}**: \"wavelet is the lowest of the four\": **{d['lowest']}**"
                     f"{_undecided_text(d['lowest_evidence'])}; \"wavelet below sinusoidal\" (paper "
                     f"{PUBLISHED_MSE_AT_200['wavelet']} vs {PUBLISHED_MSE_AT_200['sinusoidal']}): **{d['below']}**"
                     f"{_undecided_text(d['below_evidence'])}.")
    lines.append(f"- Overall (both settings): **{decision['verdict']}**. Orderings are decided only from cells "
                 f"whose seeds fit, and only where the 95% intervals separate.")
    if p["profile"] == "smoke":  # seconds of training: it tests the pipeline, not the paper
        lines.append("- smoke profile: too small to decide; run --profile quick")
    return lines


def _undecided_text(evidence: dict) -> str:
    names = evidence.get("undecided") or []
    return f" ({', '.join(names)} undecided: too few seeds fit)" if names else ""


def render_markdown(p: dict, summary: dict, decision: dict, rate: dict, wall_seconds: float | None = None) -> str:
    lengths = [str(n) for n in p["test_lengths"]]
    bar = bar_from_protocol("regression", p)
    parts = [f"Profile `{p['profile']}`: {len(p['seeds'])} seed(s), {p['train']['steps']} steps, batch "
             f"{p['train']['batch_size']}, {p['eval_samples']} test sequences per length (train length "
             f"{p['train_length']}). Fit gate: {bar.text()}; {rate['fit']} of {rate['runs']} runs fit "
             f"({100 * rate['rate']:.0f}%). A cell is the mean MSE over its fit seeds with a 95% t-interval, "
             f"or `undecided (j of n fit)` when fewer than {p.get('fit', {}).get('min_seeds', MIN_FIT_SEEDS)} "
             f"seeds fit." + (f" Wall time {wall_seconds / 60:.1f} min." if wall_seconds is not None else "")]
    zero = {n: zero_predictor_mse(int(n), "mean" if p["task"] == "running_mean" else "sum") for n in lengths}
    for mask, by_pe in summary.items():
        rows = []
        for pe in p["pes"]:
            paper = PUBLISHED_MSE_AT_200.get(pe)
            rows.append([pe + ("" if pe in PAPER_PES else " (extra)"), *[cell_text(by_pe[pe][n]) for n in lengths],
                         f"{paper:g}" if paper else "—"])
        rows.append(["zero predictor (exact)", *[f"{zero[n]:.4g}" for n in lengths], "—"])
        parts.append(f"\n**{mask} encoder**\n\n" + markdown_table(
            ["PE", *[f"MSE @ N={n}" for n in lengths], "paper @ N=200"], rows))
    parts.append("\n" + "\n".join(verdict_lines(p, decision)))
    return "\n".join(parts)


def render_figure(p: dict, summary: dict, path: Path) -> None:
    """Mean over fit seeds with its 95% interval per decided cell; every seed as a dot (undecided cells
    leave a gap in the line, their seeds still drawn)."""
    lengths = list(p["test_lengths"])

    def series(cells):
        iv = [cells[str(n)]["interval"] for n in lengths]
        return (lengths, [i["mean"] if i else None for i in iv], [cells[str(n)]["values"] for n in lengths],
                [i["lo"] if i else None for i in iv], [i["hi"] if i else None for i in iv])

    panels = {mask: {pe: series(by_pe[pe]) for pe in p["pes"]} for mask, by_pe in summary.items()}
    reduction = "mean" if p["task"] == "running_mean" else "sum"
    plot_metric_vs_length(panels, path, ylabel="MSE (mean of fit seeds, 95% CI)", title="Li 2025 running mean",
                          baseline=(lengths, [zero_predictor_mse(n, reduction) for n in lengths]),
                          baseline_label="zero predictor", train_length=p["train_length"],
                          paper_points={pe: (200, v) for pe, v in PUBLISHED_MSE_AT_200.items()})


def run(profile: str, out_dir: Path, workers: int | None = None, device: str = "auto",
        publish: bool = False, log=print, store: Path | None = None) -> dict:
    """Run the protocol, write results.json, summary.json, table.md and the figure into out_dir; with
    `publish`, also update ./paper_repro.md and ./figures/ (run from the repository root)."""
    p = load_protocol(PAPER, profile)
    if publish:  # check before hours of training, not after
        check_publishable("li2025-table")
    keys, configs = zip(*build_configs(p))
    log(f"li2025 {profile}: {len(configs)} runs -> {out_dir}")
    start = time.time()
    results = run_many(list(configs), workers or p.get("workers", 1), device=device, log=log, store=store)
    run_fits = fits(p, results)
    rows = run_rows(keys, results, run_fits)
    summary = summarize(p, rows)
    decision = decide(p, summary)
    rate = fit_rate(run_fits)
    wall = round(wall_seconds(start, results, store), 1)
    table = render_markdown(p, summary, decision, rate, wall)
    record = {"protocol": p, "runs": rows, "summary": summary, "decision": decision, "fit_rate": rate,
              "wall_seconds": wall}
    # the quick profile's record is the evidence of ledger entry li2025.experiment.table5
    save_outputs(out_dir, keys, results, record, table,  # the figure as PNG and PDF
                 lambda path: [render_figure(p, summary, path.with_suffix(s)) for s in FIGURE_SUFFIXES], FIGURE,
                 publish=publish, block="li2025-table", record_name="li2025_quick.json" if profile == "quick" else None)
    log(table)
    return {"summary": summary, "decision": decision, "table": table, "out_dir": str(out_dir)}
