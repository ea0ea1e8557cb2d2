"""Matplotlib renderers for paper_repro.md figures (Agg backend; files written atomically)."""
from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from empirics.errors import PelgError  # noqa: E402
from empirics.fileio import atomic_write  # noqa: E402


FORMATS = ("png", "pdf", "svg")
PUBLISHED = ("png", "pdf")  # the formats of every figure that paper_repro.md shows


def save_figure(fig, path: Path, also: tuple[str, ...] = ()) -> None:
    """Write `fig` in the format its suffix names (.png, .pdf or .svg; no suffix: PNG), and in each format of
    `also` beside it (same name, that suffix). Any other suffix is a one-line PelgError, nothing written."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    bad = [f for f in (fmt, *also) if f not in FORMATS]
    if bad:
        plt.close(fig)
        raise PelgError(f"unknown figure format {bad[0]!r} of {str(path)!r}; valid: {', '.join(FORMATS)}")
    outputs = {path: fmt, **{path.with_suffix("." + f): f for f in also if f != fmt}}
    data = {}
    for target, f in outputs.items():
        buf = io.BytesIO()
        fig.savefig(buf, format=f, dpi=130, bbox_inches="tight")
        data[target] = buf.getvalue()
    plt.close(fig)
    for target, raw in data.items():
        atomic_write(target, lambda fh, raw=raw: fh.write(raw))


def plot_metric_vs_length(panels: dict[str, dict[str, tuple[list, list, list]]], path: Path, *,
                          ylabel: str, title: str, baseline: tuple[list, list] | None = None,
                          baseline_label: str = "", paper_points: dict[str, tuple[int, float]] | None = None,
                          train_length: int | None = None, yscale: str = "log") -> None:
    """One panel per setting; in each, one line per PE through the seed means, with every seed drawn as
    a faint dot: panels[setting][pe] = (lengths, means, per-length lists of seed values), optionally
    followed by (lower, upper) interval bounds per length, drawn as error bars. A mean of None (an
    undecided cell) leaves a gap. Log-scale y unless `yscale` says otherwise;
    optional dashed baseline, and the paper's published points as stars in the PE's colour."""
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels) + 1.6, 4), sharey=True, squeeze=False)
    for ax, (setting, lines) in zip(axes[0], panels.items()):
        for pe, (xs, mean, seeds, *bounds) in lines.items():
            ys = [float("nan") if m is None else m for m in mean]
            (line,) = ax.plot(xs, ys, marker="o", label=pe)
            if bounds:
                lo, hi = bounds
                err = [[0 if m is None else max(m - a, 0) for m, a in zip(mean, lo)],
                       [0 if m is None else max(b - m, 0) for m, b in zip(mean, hi)]]
                ax.errorbar(xs, ys, yerr=err, fmt="none", ecolor=line.get_color(), capsize=3, lw=1)
            for x, values in zip(xs, seeds):
                ax.plot([x] * len(values), values, ".", color=line.get_color(), alpha=0.35, ms=5)
            if pe in (paper_points or {}):
                x, y = paper_points[pe]
                ax.plot([x], [y], marker="*", ms=14, ls="none", color=line.get_color(), mec="k",
                        label=f"paper: {pe} {y:g}")
        if baseline is not None:
            ax.plot(*baseline, "k--", lw=1, label=baseline_label)
        if yscale == "log":  # an interval reaching 0 or below runs off the bottom instead of stretching the axis
            seen = [v for _, (xs, mean, seeds, *rest) in lines.items()
                    for v in [*(m for m in mean if m is not None), *(s for vs in seeds for s in vs)] if v and v > 0]
            if seen:
                ax.set_ylim(bottom=min(seen) / 3)
        if train_length is not None:
            ax.axvline(train_length, color="grey", lw=0.8, ls=":")
        ax.set_yscale(yscale)
        ax.set_xlabel("test length N")
        ax.set_title(f"{title} ({setting})")
        ax.grid(alpha=0.3, which="both")
    axes[0][0].set_ylabel(ylabel)
    legend: dict = {}   # every line of every panel, once (a PE may be missing from the last panel)
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    axes[0][-1].legend(list(legend.values()), list(legend), fontsize=7, loc="upper left",
                       bbox_to_anchor=(1.02, 1.0))
    save_figure(fig, path)
