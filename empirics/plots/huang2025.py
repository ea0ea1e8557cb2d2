"""Figure for Huang et al. 2025's communication-complexity argument: figures/huang2025_comm_rank.png.

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

from empirics.plots.common import save_figure

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
    save_figure(fig, path)
    return table


def render(out_dir: Path) -> list[Path]:
    """Write huang2025_comm_rank.png into out_dir; return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "huang2025_comm_rank.png"
    _comm_rank(path)
    return [path]
