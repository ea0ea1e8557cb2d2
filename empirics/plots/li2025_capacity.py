"""Figures for Li 2025 claims 1 and 3 (issue #4): `render(out_dir, ...)` writes

* figures/li2025_alibi_bound.png: per query of the trained ALiBi heads, the measured extrapolation error
  Delta = ||A(mu, -alpha d) - A(mu, -alpha min(d, D))|| against the query's largest key distance, with the
  Lipschitz bound L_A alpha (d - D) and the far-mass bound (theory.li2025.alibi_bound);
* figures/capacity_vs_gap.png: per PE, the capacity proxy L_trans B_0 / sqrt(m) against the observed
  length-generalization gap, on running_mean and copy, with the Spearman correlations.

The plots take their numbers as arguments; `empirics.evidence.li2025_figures.render_figures` computes them
(from the same cached trainings as the ledger) and calls `render`. Each figure is also written as PDF beside it.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

from empirics.plots.common import PUBLISHED, save_figure

ALIBI_FIGURE = "li2025_alibi_bound.png"
CAPACITY_FIGURE = "capacity_vs_gap.png"


def render_alibi(recs: list[dict], train_distance: dict[str, int], path: Path) -> Path:
    """`recs`: per-query records of theory.li2025.alibi_bound.extrapolation_check (with task, d_max, delta,
    lipschitz_bound, mass_bound, slope); `train_distance`: per task, the largest key distance D seen in
    training."""
    tasks = ("running_mean", "copy")
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        rs = [r for r in recs if r["task"] == task]
        d = np.array([r["d_max"] for r in rs])
        D = train_distance[task]
        series = (("delta", "measured Δ", "k", "o"),
                  ("lipschitz_bound", "Lipschitz bound L_A·α·(d − D)", "tab:blue", "^"),
                  ("mass_bound", "far-mass bound", "tab:orange", "s"))
        for key, label, color, marker in series:
            y = np.array([r[key] for r in rs])
            ax.scatter(d, np.maximum(y, 1e-12), s=12, color=color, marker=marker, alpha=0.45, label=label)
        ax.axvline(D, color="grey", ls=":", lw=0.9)
        ax.text(D, 0.02, " D (largest training distance)", color="grey", fontsize=7, va="bottom",
                transform=ax.get_xaxis_transform())
        slopes = sorted({r["slope"] for r in rs})
        ax.set_yscale("log")
        ax.set_xlabel("largest key distance d of the query")
        ax.set_title(f"{task}: ALiBi slopes {', '.join(f'{s:g}' for s in slopes)}", fontsize=10)
        ax.grid(alpha=0.3, which="both")
    axes[0][0].set_ylabel("‖ΔA‖ (model space)")
    axes[0][1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.suptitle("Li 2025 claim 3: ALiBi extrapolation error vs bounds, one point per query "
                 "(trained heads; the bands are the layers/heads)", fontsize=11)
    save_figure(fig, path, also=PUBLISHED)
    return path


def render_capacity(res: dict, rk: dict, path: Path) -> Path:
    """`res`: {task: {pe: {"proxy_local_test", "proxy_local_train", "gap", ...}}}; `rk`: {task: {measure:
    {"rho", "p_exact", ...}}}, the Spearman correlations of each capacity measure with the gap."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), squeeze=False)
    for ax, (task, rows) in zip(axes[0], res.items()):
        for i, (pe, r) in enumerate(rows.items()):
            color = f"C{i}"
            ax.scatter(r["proxy_local_test"], r["gap"], color=color, s=40, label=pe, zorder=3)
            ax.scatter(r["proxy_local_train"], r["gap"], facecolors="none", edgecolors=color, s=40, zorder=3)
            ax.plot([r["proxy_local_train"], r["proxy_local_test"]], [r["gap"]] * 2, color=color, lw=0.7, alpha=0.6)
            ax.annotate(pe, (r["proxy_local_test"], r["gap"]), fontsize=7, xytext=(4, 3 - 9 * (i % 3)),
                        textcoords="offset points")
        a, b = rk[task]["proxy_local_test"], rk[task]["proxy_local_train"]
        fmt = lambda s: "n/a" if s["rho"] is None else f"ρ = {s['rho']:.2f} (p = {s['p_exact']:.2g})"
        ax.set_xscale("log")
        ax.set_yscale("symlog", linthresh=0.01)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.axhline(0, color="grey", lw=0.6)
        ax.margins(y=0.12)
        ax.set_xlabel("capacity proxy L_trans·B_0/√m  (filled: test length, hollow: train length)")
        ax.set_title(f"{task}: test-domain {fmt(a)}; train-domain {fmt(b)}", fontsize=9)
        ax.grid(alpha=0.3, which="both")
    axes[0][0].set_ylabel("gap: test loss − loss at training length (symlog)")
    fig.suptitle("Li 2025 claim 1: capacity proxy vs observed length-generalization gap (one seed)", fontsize=11)
    save_figure(fig, path, also=PUBLISHED)
    return path


def render(out_dir: Path, alibi_records: list[dict], train_distance: dict[str, int], capacity: dict,
           ranks: dict) -> list[Path]:
    """Write both figures into out_dir (e.g. ./figures); returns their paths."""
    out_dir = Path(out_dir)
    return [render_alibi(alibi_records, train_distance, out_dir / ALIBI_FIGURE),
            render_capacity(capacity, ranks, out_dir / CAPACITY_FIGURE)]
