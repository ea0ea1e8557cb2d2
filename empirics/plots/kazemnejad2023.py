"""Figures for Kazemnejad et al. 2023 drawn by `pelg repro kazemnejad2023`: MRR per PE against the
published values (Fig. 1) and MRR per task category (Fig. 2). Accuracy against length uses
`empirics.plots.huang2025.accuracy_by_bin`; the attention figures (Fig. 4, Fig. 7) are in
`empirics.plots.kazemnejad2023_attention`. The functions take data, not models."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from empirics.plots.common import save_figure


def mrr_bars(labels: list[str], series: dict[str, list[float | None]], path: Path, *, title: str,
             notes: dict[str, str] | None = None) -> None:
    """Grouped bars: one group per PE (`labels`), one bar per series (e.g. "published", "pelg, all runs",
    "pelg, units where every PE fit"); None draws no bar. `notes[series]` is added to its legend entry
    (the number of units, say)."""
    fig, ax = plt.subplots(figsize=(1.5 * len(labels) + 2.5, 3.6))
    width = 0.8 / max(1, len(series))
    x = np.arange(len(labels))
    for i, (name, values) in enumerate(series.items()):
        ys = [np.nan if v is None else v for v in values]
        label = f"{name} {notes.get(name, '')}".strip() if notes else name
        bars = ax.bar(x + (i - (len(series) - 1) / 2) * width, ys, width, label=label)
        for b, v in zip(bars, values):
            if v is not None:
                ax.annotate(f"{v:.2f}", (b.get_x() + b.get_width() / 2, v), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x)
    ax.set_xticklabels(labels)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("mean reciprocal rank")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="upper right")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)


def mrr_by_category(labels: list[str], by_category: dict[str, list[float | None]], path: Path, *,
                    title: str, units: dict[str, int]) -> None:
    """K23 Fig. 2: one panel per task category, MRR per PE (None: no complete unit)."""
    fig, axes = plt.subplots(1, len(by_category), figsize=(3.6 * len(by_category), 3.3), sharey=True,
                             squeeze=False)
    for ax, (category, values) in zip(axes[0], by_category.items()):
        ys = [np.nan if v is None else v for v in values]
        ax.bar(range(len(labels)), ys, color=[f"C{i}" for i in range(len(labels))])
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, fontsize=7, rotation=30)
        ax.set_title(f"{category} ({units.get(category, 0)} units)", fontsize=9)
        ax.set_ylim(0, 1.05)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("mean reciprocal rank")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)
