"""Figures for the Chen, Liang, Lin 2025 theory (arXiv 2510.04130) — **[reconstruction]** (theory.chen2025.lrc,
theory.chen2025.src): LRC against scale per PE and target, and SRC against scale per task and PE.

`render(out_dir)` writes figures/chen2025_lrc.png and figures/chen2025_src.png (n = 1..64; exact
rationals up to 32, numpy beyond, as theory.chen2025.lrc states; about a minute on CPU, mostly the LBPE ranks),
each also as PDF beside it.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from theory.chen2025 import lrc, pola, src, src_tasks

from empirics.plots.common import PUBLISHED, save_figure

LRC_FIGURE = "chen2025_lrc.png"
SRC_FIGURE = "chen2025_src.png"
COLORS = {"ape": "tab:blue", "rpe": "tab:orange", "nope": "tab:green", "ipe": "tab:red", "periodic": "tab:purple",
          "sh": "tab:brown", "ape+sh": "tab:pink", "lbpe": "tab:gray"}
STYLES = {"sh": "--", "ape+sh": "--", "lbpe": ":"}


def _mark_scales(ax, n_train: int, tests: tuple[int, ...], n_max: int) -> None:
    ax.set_xlim(0.5, n_max + 0.5)
    ax.axvspan(0.5, n_train + 0.5, color="0.92", zorder=0)
    for n in tests:
        if n <= n_max:
            ax.axvline(n, color="0.6", lw=0.7, ls=":")


def _plot_curve(ax, xs, ys, pe: str, offset: float = 0.0):
    pts = [(x, y * (1 + offset)) for x, y in zip(xs, ys) if y is not None]
    if pts:
        ax.plot(*zip(*pts), color=COLORS.get(pe), ls=STYLES.get(pe, "-"), lw=1.4, label=pe)
    else:
        ax.plot([], [], color=COLORS.get(pe), ls=STYLES.get(pe, "-"), label=f"{pe} (never)")


def render_lrc(path: Path, n_max: int = lrc.LRC_MAX_SCALE) -> Path:
    """Top row: LRC_{1..n}(PE) = rank Phi_{1..n} per layout. Other panels: LRC_{1..n}(PE, T) per target
    (a gap where T is not representable on 1..n; the lbpe line is an upper bound, min over its parts)."""
    xs = list(range(1, n_max + 1))
    targets = list(pola.TARGETS)
    ncols = 5
    nrows = 1 + -(-len(targets) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.0 * ncols, 3.1 * nrows), squeeze=False)
    for k, layout in enumerate(pola.LAYOUTS):
        ax = axes[0][k]
        for pe in pola.PES:
            _plot_curve(ax, xs, lrc.lrc_curve(pe, layout, n_max), pe)
        ax.set_yscale("log")
        ax.set_title(f"LRC_S(PE) = rank Phi_S, {layout}", fontsize=9)
        _mark_scales(ax, lrc.N_TRAIN, lrc.TEST_SCALES, n_max)
    axes[0][0].legend(fontsize=7, ncol=2)
    for k in range(len(pola.LAYOUTS), ncols):
        axes[0][k].axis("off")
    axes[0][ncols - 1].text(0.0, 0.5, "[reconstruction] of Chen, Liang, Lin 2025\nS = {1..n}; shaded: training "
                            "scales 1..8;\ndotted: test scales 16, 32.\nexact rationals n <= 32, numpy beyond.\n"
                            "Target panels: gap = not representable.", fontsize=8, va="center")
    for k, target in enumerate(targets):
        ax = axes[1 + k // ncols][k % ncols]
        curves = {pe: lrc.target_lrc_curve(pe, target, n_max) for pe in pola.PES}
        for j, pe in enumerate(pola.PES):
            _plot_curve(ax, xs, curves[pe], pe, offset=0.02 * j)
        gone = next((n for n in xs if all(c[n - 1] is None for c in curves.values())), None)
        if gone is not None:
            ax.text(0.5, 0.5, f"no PE represents T on 1..n\nfor n >= {gone}", transform=ax.transAxes,
                    ha="center", va="center", fontsize=8)
        t = pola.TARGETS[target]
        ax.set_yscale("log")
        ax.set_title(f"{target} ({t.task}, {t.layout})", fontsize=8)
        _mark_scales(ax, lrc.N_TRAIN, lrc.TEST_SCALES, n_max)
        if k % ncols == 0:
            ax.set_ylabel("LRC_S(PE, T)")
    for k in range(len(targets), (nrows - 1) * ncols):
        axes[1 + k // ncols][k % ncols].axis("off")
    for ax in axes[-1]:
        ax.set_xlabel("largest scale n (S = 1..n)")
    fig.suptitle("POLA linear representation complexity against scale [reconstruction] (coinciding lines "
                 "nudged up a few per cent)", fontsize=11)
    save_figure(fig, path, also=PUBLISHED)
    return Path(path)


def render_src(path: Path, n_max: int = src.SRC_MAX_SCALE) -> Path:
    """SRC_n(task, PE) against n, one panel per task; PEs without a valid circuit are named in the panel."""
    xs = list(range(1, n_max + 1))
    tasks = list(src_tasks.TASKS)
    ncols = 4
    nrows = -(-len(tasks) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.3 * nrows), squeeze=False)
    for k, task in enumerate(tasks):
        ax = axes[k // ncols][k % ncols]
        missing = []
        for j, pe in enumerate(src.PES):
            curve = src.src_curves(task, pe, n_max)["min"]
            if curve[min(n_max, src.N_TRAIN) - 1] is None:
                missing.append(pe)
            else:
                _plot_curve(ax, xs, curve, pe, offset=0.03 * j)
        ax.set_yscale("log")
        ax.set_title(task, fontsize=9)
        _mark_scales(ax, src.N_TRAIN, src.TEST_SCALES, n_max)
        if missing:
            ax.text(0.98, 0.03, "no valid circuit: " + ", ".join(missing), transform=ax.transAxes, ha="right",
                    va="bottom", fontsize=7)
        if k % ncols == 0:
            ax.set_ylabel("SRC_n (distinct unit operators)")
        if k // ncols == nrows - 1:
            ax.set_xlabel("scale n")
    for k in range(len(tasks), nrows * ncols):
        axes[k // ncols][k % ncols].axis("off")
    handles = [plt.Line2D([], [], color=COLORS[pe], ls=STYLES.get(pe, "-"), label=pe) for pe in src.PES]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, bbox_to_anchor=(0.5, -0.02))
    fig.suptitle("Sequential representation complexity against scale [reconstruction]; shaded: training scales "
                 "1..8, dotted: 16, 32; prediction: LG from 8 to n iff SRC_n = SRC_8 (flat line); coinciding lines nudged "
                 "up a few per cent", fontsize=10)
    save_figure(fig, path, also=PUBLISHED)
    return Path(path)


def render(out_dir: Path, n_max: int = 64) -> list[Path]:
    out_dir = Path(out_dir)
    return [render_lrc(out_dir / LRC_FIGURE, min(n_max, lrc.LRC_MAX_SCALE)),
            render_src(out_dir / SRC_FIGURE, min(n_max, src.SRC_MAX_SCALE))]
