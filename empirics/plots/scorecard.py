"""The cross-theory scorecard as a heatmap (`empirics.evidence.scorecard`): one panel per theory, rows its
tasks, columns its PEs; a cell is green where prediction and observation agree, red where they disagree,
grey where the observation is undecided (too few fit seeds), blank where the theory makes no prediction."""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402

from .common import save_figure  # noqa: E402

_CODES = {True: 2, False: 0, None: 1}   # agree, disagree, undecided
_CMAP = ListedColormap(["#d62728", "#bbbbbb", "#2ca02c"])


def render(card: dict, path: Path, also: tuple[str, ...] = ("pdf",)) -> Path:
    """Write the heatmap to `path` (and the formats of `also` beside it)."""
    theories = [t for t, v in card["by_theory"].items() if v["cells"]]
    if not theories:
        theories = list(card["by_theory"])[:1]
    fig, axes = plt.subplots(1, len(theories), figsize=(3.2 * len(theories) + 2, 7), squeeze=False)
    for ax, theory in zip(axes[0], theories):
        cells = [c for c in card["cells"] if c["theory"] == theory]
        tasks = list(dict.fromkeys(c["task"] for c in cells))
        pes = list(dict.fromkeys(c["pe"] for c in cells))
        grid = [[math.nan] * len(pes) for _ in tasks]
        for c in cells:
            grid[tasks.index(c["task"])][pes.index(c["pe"])] = _CODES[c["agree"] if c["decided"] else None]
        ax.imshow(grid, cmap=_CMAP, vmin=0, vmax=2, aspect="auto")
        ax.set_xticks(range(len(pes)))
        ax.set_xticklabels(pes, rotation=60, ha="right", fontsize=7)
        ax.set_yticks(range(len(tasks)))
        ax.set_yticklabels([t.split(".", 1)[-1] for t in tasks], fontsize=7)
        v = card["by_theory"][theory]
        rate = "—" if v["rate"] is None else f"{100 * v['rate']:.0f}%"
        ax.set_title(f"{theory}\n{v['agree']} of {v['decided']} decided agree ({rate})", fontsize=9)
    fig.suptitle(f"Predicted vs observed, per (task, PE): green agree, red disagree, grey undecided "
                 f"({card['agree']} of {card['decided']} decided cells agree)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path, also=also)
    return Path(path)
