"""Matplotlib renderers for paper_repro.md figures (Agg backend; files written atomically)."""
from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .fileio import atomic_write  # noqa: E402


def save_figure(fig, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=130, bbox_inches="tight")
    plt.close(fig)
    atomic_write(Path(path), lambda f: f.write(buf.getvalue()))


def plot_metric_vs_length(panels: dict[str, dict[str, tuple[list, list, list]]], path: Path, *,
                          ylabel: str, title: str, baseline: tuple[list, list] | None = None,
                          baseline_label: str = "", paper_points: dict[str, tuple[int, float]] | None = None,
                          train_length: int | None = None) -> None:
    """One panel per setting; in each, one line per PE: panels[setting][pe] = (lengths, mean, std).
    Log-scale y; optional dashed baseline and the paper's published points as stars."""
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4), sharey=True, squeeze=False)
    for ax, (setting, lines) in zip(axes[0], panels.items()):
        for pe, (xs, mean, std) in lines.items():
            ax.errorbar(xs, mean, yerr=std, marker="o", capsize=3, label=pe)
        if baseline is not None:
            ax.plot(*baseline, "k--", lw=1, label=baseline_label)
        for pe, (x, y) in (paper_points or {}).items():
            ax.plot([x], [y], marker="*", ms=13, ls="none", mec="k", label=f"paper: {pe} {y:g}")
        if train_length is not None:
            ax.axvline(train_length, color="grey", lw=0.8, ls=":")
        ax.set_yscale("log")
        ax.set_xlabel("test length N")
        ax.set_title(f"{title} ({setting})")
        ax.grid(alpha=0.3, which="both")
    axes[0][0].set_ylabel(ylabel)
    axes[0][-1].legend(fontsize=7, loc="best")
    save_figure(fig, path)
