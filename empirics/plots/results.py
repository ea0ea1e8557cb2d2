"""Figures of a results store for `pelg plot` (empirics/engine/cli_plot.py): a metric against length
bucket, and the training loss against step, one line per group of runs through the mean over seeds with
its 95% interval (DESIGN.md "Evidence": orderings are read from intervals over seeds). The functions take
numbers, not stores; the format follows the file's suffix (png, pdf, svg)."""
from __future__ import annotations

from pathlib import Path

from empirics.plots.common import plt, save_figure


def metric_by_bucket(lines: dict[str, dict], buckets: list[str], path: Path, *, ylabel: str, title: str,
                     bounded: bool = False, legend_title: str | None = None) -> Path:
    """lines[label] = {"mean": [...], "lo": [...], "hi": [...], "values": [[...], ...]}, one entry per bucket
    of `buckets` (in that order; a mean of None leaves a gap; lo/hi None: no interval, n < 2). Buckets sit
    at even steps on the x axis; every seed is a faint dot; `bounded` (exact match) keeps y in [0, 1]."""
    fig, ax = plt.subplots(figsize=(max(5.5, 0.9 * len(buckets) + 3), 4))
    xs = list(range(len(buckets)))
    for label, line in lines.items():
        ys = [float("nan") if m is None else m for m in line["mean"]]
        (drawn,) = ax.plot(xs, ys, marker="o", label=label)
        color = drawn.get_color()
        err = [[0 if m is None or lo is None else max(m - lo, 0) for m, lo in zip(line["mean"], line["lo"])],
               [0 if m is None or hi is None else max(hi - m, 0) for m, hi in zip(line["mean"], line["hi"])]]
        ax.errorbar(xs, ys, yerr=err, fmt="none", ecolor=color, capsize=3, lw=1)
        for x, values in zip(xs, line["values"]):
            ax.plot([x] * len(values), values, ".", color=color, alpha=0.35, ms=5)
    ax.set_xticks(xs, buckets, rotation=30 if len(buckets) > 8 else 0)
    if bounded:
        ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("length bucket")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best", title=legend_title, title_fontsize=8)
    save_figure(fig, path)
    return Path(path)


def loss_by_step(lines: dict[str, dict], path: Path, *, title: str, legend_title: str | None = None) -> Path:
    """lines[label] = {"steps": [...], "mean": [...], "lo": [...], "hi": [...]} (lo/hi None: n < 2): the
    mean training loss with a shaded 95% band, log-scale y."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for label, line in lines.items():
        (drawn,) = ax.plot(line["steps"], line["mean"], label=label, lw=1.3)
        band = [(s, lo, hi) for s, lo, hi in zip(line["steps"], line["lo"], line["hi"]) if lo is not None]
        if band:
            s, lo, hi = zip(*band)
            floor = min(m for m in line["mean"] if m > 0) / 10 if any(m > 0 for m in line["mean"]) else 1e-12
            ax.fill_between(s, [max(v, floor) for v in lo], hi, color=drawn.get_color(), alpha=0.2, lw=0)
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("training loss")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="best", title=legend_title, title_fontsize=8)
    save_figure(fig, path)
    return Path(path)
