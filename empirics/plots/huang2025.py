"""Figures for Huang et al. 2025: the communication-complexity argument (figures/huang2025_comm_rank.png) and
the trained models' exact match per bin (`accuracy_by_bin`, figures/huang2025_accuracy_by_bin.png, drawn by
`pelg repro huang2025`); both as PNG and PDF.

Communication complexity:

log2 of the exact rank (over Q) of the communication matrix, split in the middle, against the number n
of tokens split between the parties (`theory.huang2025.commcomplexity`).
Left: the copy-over-{a,b} and addition transcript checks grow linearly (no C-RASP[periodic, local]
program: its functions have O(log N) communication); majority grows like log n; parity stays at 1 bit
(communication cannot show its negative); the induction-head C-RASP program for copy with unique tokens,
run on all strings over the same two symbols, saturates (log2 22 = 4.46 from n = 12 on).
Right: the same program over V = 2 and 3 symbols against copy with repeats over the same alphabet; the
program's rank is bounded by V^2 2^(V^2) (first token, last token, successor relation of x), the
copy-with-repeats rank V^m is not.
Render time: about 15 s on CPU.
"""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt

from theory.huang2025 import commcomplexity as cc

from empirics.plots.common import PUBLISHED, save_figure

LEFT = [
    ("copy_repeat", "copy with repeats over {a,b}: [y = x]", "C3", "o"),
    ("addition", "addition: [s = a + b]", "C1", "s"),
    ("majority", "binary majority", "C0", "^"),
    ("parity", "parity", "C7", "v"),
    ("copy_unique_V2", "copy unique, induction-head C-RASP program, V = 2", "C2", "D"),
]
RIGHT = [
    ("copy_repeat", "copy with repeats, V = 2", "C3", "o", "-"),
    ("copy_repeat_V3", "copy with repeats, V = 3", "C3", "o", "--"),
    ("copy_unique_V2", "induction-head program, V = 2", "C2", "D", "-"),
    ("copy_unique_V3", "induction-head program, V = 3", "C2", "D", "--"),
]
SIZES = {"copy_unique_V3": range(1, 7), "copy_repeat_V3": range(1, 7)}
PE_COLORS = {"learned": "C0", "nope": "C1", "rope": "C2", "rope+sh": "C3"}


def accuracy_by_bin(panels: dict, path: Path, *, threshold: float, title: str, columns: int = 4) -> None:
    """A grid with one panel per task: panels[task] = {"bins": [bin labels], "lines": {pe: {"label", "mean",
    "lo", "hi", "seeds", "paper"}}}, per bin the mean over the fit seeds (None: undecided, no line drawn;
    the label says so), its 95% interval bounds as error bars (None: fewer than 2 seeds), the fit seeds'
    values as dots and the paper's accuracies (fractions, or None) as stars. x is the bin's index
    (0 = in distribution); the dashed line is the observed-verdict threshold."""
    columns = max(1, min(columns, len(panels)))
    rows = max(1, math.ceil(len(panels) / columns))
    single = len(panels) == 1
    size = (10.0, 4.0) if single else (4.2 * columns, 3.3 * rows)
    fig, axes = plt.subplots(rows, columns, figsize=size, sharey=True, squeeze=False)
    for ax, (task, panel) in zip(axes.flat, panels.items()):
        xs = list(range(len(panel["bins"])))
        used = {PE_COLORS[pe] for pe in panel["lines"] if pe in PE_COLORS}
        free = [f"C{k}" for k in range(10) if f"C{k}" not in used]   # distinct colours for the other PEs
        others = [pe for pe in panel["lines"] if pe not in PE_COLORS]
        for i, (pe, line) in enumerate(panel["lines"].items()):
            color = PE_COLORS.get(pe) or free[others.index(pe) % len(free)]
            shift = (i - (len(panel["lines"]) - 1) / 2) * 0.06   # keep error bars of different PEs apart
            x = [v + shift for v in xs]
            mean = line["mean"]
            if any(m is not None for m in mean):
                ys = [float("nan") if m is None else m for m in mean]
                ax.plot(x, ys, marker="o", color=color, label=line["label"], lw=1.5)
                err = [[0 if m is None or lo is None else max(m - max(lo, 0.0), 0) for m, lo in zip(mean, line["lo"])],
                       [0 if m is None or hi is None else max(min(hi, 1.0) - m, 0) for m, hi in zip(mean, line["hi"])]]
                ax.errorbar(x, ys, yerr=err, fmt="none", ecolor=color, capsize=3, lw=1)
            else:
                ax.plot([], [], color=color, ls=":", label=line["label"])
            for xv, values in zip(x, line["seeds"]):
                ax.plot([xv] * len(values), values, ".", color=color, alpha=0.35, ms=5)
            if line.get("paper"):
                ax.plot(xs[: len(line["paper"])], line["paper"][: len(xs)], marker="*", ms=9, ls="none",
                        color=color, mec="k", mew=0.5)
        ax.axhline(threshold, color="grey", ls="--", lw=0.8)
        ax.set_xticks(xs)
        ax.set_xticklabels(panel["bins"], fontsize=7)
        ax.set_ylim(-0.05, 1.05)
        ax.set_title(task, fontsize=9)
        ax.grid(alpha=0.3)
        if single:   # one panel: the legend beside it, clear of the lines
            ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
        else:
            ax.legend(fontsize=6, loc="lower left")
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("exact match")
    fig.suptitle(title, fontsize=10)
    if single:   # the legend sits right of the axes; keep the axes at a readable width
        fig.subplots_adjust(left=0.08, right=0.55, top=0.85, bottom=0.12)
    else:
        fig.tight_layout()
    save_figure(fig, path)


def _comm_rank(path: Path) -> dict:
    names = sorted({s[0] for s in LEFT + RIGHT})
    table = cc.rank_table(names, sizes=SIZES)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(14, 5.2))
    for name, label, color, marker in LEFT:
        rows = table[name]
        ax.plot([r["n"] for r in rows], [r["log2_rank"] for r in rows], marker=marker, color=color,
                label=label, lw=1.5)
    ns = list(range(2, 19))
    ax.plot(ns, [math.log2(n / 2 + 1) for n in ns], color="grey", ls=":", lw=1, label="log2(n/2 + 1)")
    ax.set_title("(a) transcript checks and answer bits, split in the middle")
    for name, label, color, marker, ls in RIGHT:
        rows = table[name]
        bx.plot([r["n"] for r in rows], [r["log2_rank"] for r in rows], marker=marker, color=color, ls=ls,
                label=label, lw=1.5)
    for V, ls in ((2, "-"), (3, "--")):
        bound = math.log2(V * V * 2 ** (V * V))
        bx.axhline(bound, color="grey", ls=ls, lw=0.8)
        bx.text(18.5, bound - 0.45, f"program bound, V = {V}: {bound:.1f}", color="grey", fontsize=7,
                ha="right")
    bx.set_title("(b) copy unique program vs copy with repeats, same alphabet")
    for a in (ax, bx):
        a.set_xlabel("n = tokens split between Alice (first half) and Bob (second half)")
        a.set_xlim(0, 19)
        a.grid(alpha=0.3)
        a.legend(fontsize=7, loc="upper left" if a is ax else "lower right")
    ax.set_ylabel("log2 rank of the communication matrix (exact, over Q)")
    fig.suptitle("Huang et al. 2025: communication evidence for the C-RASP labels "
                 "(C-RASP[periodic, local] functions: log2 rank = O(log N))", fontsize=10)
    save_figure(fig, path, also=PUBLISHED)
    return table


def render(out_dir: Path) -> list[Path]:
    """Write huang2025_comm_rank.png into out_dir; return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "huang2025_comm_rank.png"
    _comm_rank(path)
    return [path]
