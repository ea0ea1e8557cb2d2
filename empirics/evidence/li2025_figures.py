"""The Li 2025 figures of claims 1 and 3 (figures/li2025_alibi_bound.png, figures/capacity_vs_gap.png):
`render_figures(out_dir)` computes their numbers from the cached trainings of the ledger entries
(empirics/evidence/li2025_capacity.py, li2025_alibi.py) and hands them to empirics.plots.li2025_capacity."""
from __future__ import annotations

from pathlib import Path

from empirics.evidence import li2025_capacity as LC  # first: claim 1 registers before claim 3, as in the ledger
from empirics.evidence import li2025_alibi as LA
from empirics.evidence import li2025_trained as T
from empirics.plots import li2025_capacity as P

# (task, test length) at which the ALiBi figure shows every query (the ledger uses fewer lengths)
FIGURE_LENGTHS = (("running_mean", 60), ("running_mean", 80), ("running_mean", 100), ("running_mean", 150),
                  ("running_mean", 200), ("copy", 22), ("copy", 28), ("copy", 34))


def render_figures(out_dir: Path) -> list[Path]:
    """Write both figures into out_dir (e.g. ./figures); returns their paths."""
    recs = LA.alibi_results(FIGURE_LENGTHS)
    train_distance = {task: T.model_lengths(task)[0] - 1 for task in ("running_mean", "copy")}
    res = LC.capacity_results()
    return P.render(out_dir, recs, train_distance, res, LC.ranking(res))
