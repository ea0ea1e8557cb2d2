"""Statistics over seeds: the mean and a 95% t-interval per cell, and the rule that decides an ordering.

An ordering claim ("A beats B at length N") is decided only when the evidence separates A from B:
the two 95% intervals do not overlap, or an exact two-sided permutation test over the seeds gives
p < 0.05. Otherwise it is "no separation", with the numbers. With 3 seeds per side the smallest
possible permutation p is 2/20 = 0.1, so there only separated intervals can decide.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
ALPHA = 0.05
EXACT_PERMUTATIONS = 20_000  # beyond this many splits, a seeded Monte-Carlo permutation test


@dataclass(frozen=True)
class Interval:
    """Mean of n values with a two-sided t-interval (half-width 0 and infinite bounds for n < 2)."""

    mean: float
    lo: float
    hi: float
    n: int

    def to_dict(self) -> dict:
        return asdict(self)

    def text(self, digits: int = 4) -> str:
        if self.n < 2:
            return f"{self.mean:.{digits}g} (n = {self.n}, no interval)"
        return f"{self.mean:.{digits}g} [{self.lo:.{digits}g}, {self.hi:.{digits}g}]"


def mean_interval(values, confidence: float = CONFIDENCE) -> Interval:
    """Mean and Student-t interval of `values` (finite numbers)."""
    x = np.asarray(list(values), dtype=float)
    if x.size == 0:
        raise ValueError("mean_interval needs at least one value")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"mean_interval needs finite values, got {x[~np.isfinite(x)][0]!r}")
    m = float(x.mean())
    if x.size < 2:
        return Interval(m, -math.inf, math.inf, int(x.size))
    half = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return Interval(m, m - half, m + half, int(x.size))


def permutation_p(a, b, seed: int = 0) -> float:
    """Two-sided permutation p-value of the difference in means (exact when the splits are few)."""
    a, b = np.asarray(list(a), float), np.asarray(list(b), float)
    pooled, n = np.concatenate([a, b]), a.size
    observed = abs(a.mean() - b.mean())
    if math.comb(pooled.size, n) <= EXACT_PERMUTATIONS:
        diffs = [abs(pooled[list(idx)].mean() - np.delete(pooled, list(idx)).mean())
                 for idx in itertools.combinations(range(pooled.size), n)]
    else:
        rng = np.random.default_rng(seed)
        perms = (rng.permutation(pooled) for _ in range(EXACT_PERMUTATIONS))
        diffs = [abs(p[:n].mean() - p[n:].mean()) for p in perms]
    return float(np.mean(np.asarray(diffs) >= observed - 1e-12))


def compare(a, b, lower_is_better: bool = True) -> dict:
    """Decide whether A is better than B. `result` is "A better", "B better" or "no separation";
    the intervals, their separation and the permutation p come with it."""
    ia, ib = mean_interval(a), mean_interval(b)
    separated = ia.hi < ib.lo or ib.hi < ia.lo
    p = permutation_p(a, b) if ia.n >= 2 and ib.n >= 2 else 1.0
    a_better = ia.mean < ib.mean if lower_is_better else ia.mean > ib.mean
    result = ("A better" if a_better else "B better") if (separated or p < ALPHA) else "no separation"
    return {"result": result, "a": ia.to_dict(), "b": ib.to_dict(), "intervals_separate": separated,
            "permutation_p": p}


def ordering_verdict(a, b, claimed: str, lower_is_better: bool = True) -> tuple[str, dict]:
    """Verdict of the claim that `claimed` ("A" or "B") is the better one: "holds", "fails" or
    "no separation"."""
    if claimed not in ("A", "B"):
        raise ValueError(f"claimed must be 'A' or 'B', got {claimed!r}")
    c = compare(a, b, lower_is_better)
    if c["result"] == "no separation":
        return "no separation", c
    return ("holds" if c["result"] == f"{claimed} better" else "fails"), c
