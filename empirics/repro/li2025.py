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

from pathlib import Path

from empirics.engine.protocols import register_protocol
from empirics.evidence.li2025_published import PAPER_PES, PUBLISHED_MSE_AT_200
from empirics.plots.common import plot_metric_vs_length
from empirics.tasks.running_sum import zero_predictor_mse
from .common import PROFILES, check_publishable, load_protocol, markdown_table, mean_std, run_many, save_outputs

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


def summarize(p: dict, keys, results) -> dict:
    """{mask: {pe: {length: {"mean", "std", "values", "train_loss"}}}}."""
    summary: dict = {}
    for (mask, pe, seed), res in zip(keys, results):
        for n in p["test_lengths"]:
            cell = summary.setdefault(mask, {}).setdefault(pe, {}).setdefault(str(n), {"values": []})
            cell["values"].append(res["metrics"][str(n)]["metric"])
    for mask in summary.values():
        for cells in mask.values():
            for cell in cells.values():
                cell["mean"], cell["std"] = mean_std(cell["values"])
    return summary


def ranking_verdicts(p: dict, summary: dict) -> list[str]:
    """Plain statements of whether the published ranking reproduces, per mask setting."""
    lines, longest = [], str(max(p["test_lengths"]))
    for mask, by_pe in summary.items():
        four = {pe: by_pe[pe][longest]["mean"] for pe in PAPER_PES if pe in by_pe}
        if {"wavelet", "sinusoidal"} <= set(four):
            best = min(four, key=four.get)
            w, s = four["wavelet"], four["sinusoidal"]
            lines.append(
                f"- **{mask} encoder, N = {longest}**: among the paper's four PEs the lowest MSE is "
                f"**{best}** ({four[best]:.4g}); wavelet {'IS' if best == 'wavelet' else 'is NOT'} the best "
                f"(paper: wavelet best). Wavelet vs sinusoidal: {w:.4g} vs {s:.4g} -> "
                f"{'wavelet < sinusoidal, as published' if w < s else 'wavelet >= sinusoidal, the published order does NOT reproduce'}"
                f" (paper: 0.0108 vs 0.0423).")
    return lines


def render_markdown(p: dict, summary: dict) -> str:
    lengths = [str(n) for n in p["test_lengths"]]
    parts = [f"Profile `{p['profile']}`: {len(p['seeds'])} seed(s), {p['train']['steps']} steps, batch "
             f"{p['train']['batch_size']}, {p['eval_samples']} test sequences per length; MSE mean ± std "
             f"over seeds (train length {p['train_length']})."]
    zero = {n: zero_predictor_mse(int(n), "mean" if p["task"] == "running_mean" else "sum") for n in lengths}
    for mask, by_pe in summary.items():
        rows = []
        for pe in p["pes"]:
            cells = [f"{by_pe[pe][n]['mean']:.4g} ± {by_pe[pe][n]['std']:.2g}" for n in lengths]
            paper = PUBLISHED_MSE_AT_200.get(pe)
            rows.append([pe + ("" if pe in PAPER_PES else " (extra)"), *cells, f"{paper:g}" if paper else "—"])
        rows.append(["zero predictor (exact)", *[f"{zero[n]:.4g}" for n in lengths], "—"])
        parts.append(f"\n**{mask} encoder**\n\n" + markdown_table(
            ["PE", *[f"MSE @ N={n}" for n in lengths], "paper @ N=200"], rows))
    parts.append("\n" + "\n".join(ranking_verdicts(p, summary)))
    return "\n".join(parts)


def render_figure(p: dict, summary: dict, path: Path) -> None:
    lengths = list(p["test_lengths"])
    panels = {mask: {pe: (lengths, [by_pe[pe][str(n)]["mean"] for n in lengths],
                          [by_pe[pe][str(n)]["values"] for n in lengths]) for pe in p["pes"]}
              for mask, by_pe in summary.items()}
    reduction = "mean" if p["task"] == "running_mean" else "sum"
    plot_metric_vs_length(panels, path, ylabel="MSE", title="Li 2025 running mean",
                          baseline=(lengths, [zero_predictor_mse(n, reduction) for n in lengths]),
                          baseline_label="zero predictor", train_length=p["train_length"],
                          paper_points={pe: (200, v) for pe, v in PUBLISHED_MSE_AT_200.items()})


def run(profile: str, out_dir: Path, workers: int | None = None, device: str = "auto",
        publish: bool = False, log=print) -> dict:
    """Run the protocol, write results.json, summary.json, table.md and the figure into out_dir; with
    `publish`, also update ./paper_repro.md and ./figures/ (run from the repository root)."""
    p = load_protocol(PAPER, profile)
    if publish:  # check before hours of training, not after
        check_publishable("li2025-table")
    keys, configs = zip(*build_configs(p))
    log(f"li2025 {profile}: {len(configs)} runs -> {out_dir}")
    results = run_many(list(configs), workers or p.get("workers", 1), device=device, log=log)
    summary = summarize(p, keys, results)
    table = render_markdown(p, summary)
    # the quick profile's summary is the recorded evidence of ledger entry li2025.experiment.table5
    save_outputs(out_dir, keys, results, {"protocol": p, "summary": summary}, table,
                 lambda path: render_figure(p, summary, path), FIGURE, publish=publish,
                 block="li2025-table", record_name="li2025_quick.json" if profile == "quick" else None)
    log(table)
    return {"summary": summary, "table": table, "out_dir": str(out_dir)}
