"""The papers' selection and aggregation rules as pure functions over `train` result dicts.

- Kazemnejad et al. 2023: MRR across PEs (`mrr`, `mrr_from_results`).
- Huang et al. 2025: seeds tried in order until k succeed, with the number of dropped seeds reported
  (`select_seeds`); hyperparameter selection (`select_config`): among configs with 100% in-distribution
  accuracy, the best on the first out-of-distribution bucket, ties to the simpler model.

In-distribution buckets are the evaluation buckets inside the training lengths; out-of-distribution ones
start above them (`empirics.evaluate.bucket_label` names them in `result["metrics"]`).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Callable, Iterable

from empirics.errors import PelgError
from empirics.evaluate import bucket_label


# ----------------------------------------------------------------------------- reading a result
def _accuracy_buckets(result: dict, inside: bool) -> list[tuple[int, int]]:
    if result.get("metric_name", "exact_match") != "exact_match":
        raise PelgError(f"run of task {result['config']['task']!r} reports {result['metric_name']!r}, "
                        f"not an accuracy")
    lo, hi = result["config"]["train_lengths"]
    buckets = [tuple(b) for b in result["config"]["eval_buckets"]]
    chosen = [b for b in buckets if (lo <= b[0] and b[1] <= hi)] if inside else [b for b in buckets if b[0] > hi]
    if not chosen:
        kind = "in-distribution" if inside else "out-of-distribution"
        raise PelgError(f"run of task {result['config']['task']!r} has no {kind} bucket (train lengths "
                        f"{lo}..{hi}, buckets {[list(b) for b in buckets]})")
    return chosen


def _weighted(result: dict, buckets) -> float:
    ms = [result["metrics"][bucket_label(*b)] for b in buckets]
    return sum(m["metric"] * m["n"] for m in ms) / sum(m["n"] for m in ms)


def in_distribution_accuracy(result: dict) -> float:
    """Exact match over the evaluation buckets inside the training lengths (weighted by examples)."""
    return _weighted(result, _accuracy_buckets(result, inside=True))


def first_ood_accuracy(result: dict) -> float:
    """Exact match on the out-of-distribution bucket with the smallest lengths (H25's [51, 100])."""
    return _weighted(result, [min(_accuracy_buckets(result, inside=False))])


def ood_accuracy(result: dict) -> float:
    """Exact match over all out-of-distribution buckets (weighted by examples): K23's overall OOD score."""
    return _weighted(result, _accuracy_buckets(result, inside=False))


def reached_full_accuracy(result: dict) -> bool:
    """H25's success criterion: 100% in-distribution accuracy."""
    return in_distribution_accuracy(result) == 1.0


# ----------------------------------------------------------------------------- K23: MRR
def reciprocal_ranks(results_by_pe: dict, ties: str = "order") -> dict[str, list[float]]:
    """Per unit, 1 / rank of each PE. `results_by_pe[pe][u]` is PE's score on unit u (a task-split and
    seed); every PE has one score per unit. In each unit PEs are ranked by score, highest first; ties are
    broken by the order of `results_by_pe` (an earlier PE gets the better rank) as in Kazemnejad et al.
    2023 (`ties="order"`), or tied PEs share the mean of their reciprocal ranks (`ties="average"`, a
    check that a ranking does not come from the tie-break order)."""
    pes = list(results_by_pe)
    if not pes:
        raise PelgError("MRR needs at least one PE")
    if ties not in ("order", "average"):
        raise PelgError(f"unknown MRR tie rule {ties!r}; valid: order, average")
    counts = {len(results_by_pe[p]) for p in pes}
    if len(counts) != 1 or 0 in counts:
        sizes = ", ".join(f"{p}: {len(results_by_pe[p])}" for p in pes)
        raise PelgError(f"MRR needs the same non-zero number of scores for every PE, got {sizes}")
    for p in pes:
        for x in results_by_pe[p]:
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                raise PelgError(f"MRR score of PE {p!r} must be a finite number, got {x!r}")
    out: dict[str, list[float]] = {p: [] for p in pes}
    for u in range(counts.pop()):
        ranked = sorted(pes, key=lambda p: -results_by_pe[p][u])  # stable: ties keep the given order
        rr = {p: 1.0 / rank for rank, p in enumerate(ranked, start=1)}
        if ties == "average":
            for score in {results_by_pe[p][u] for p in pes}:
                group = [p for p in pes if results_by_pe[p][u] == score]
                shared = sum(rr[p] for p in group) / len(group)
                rr.update(dict.fromkeys(group, shared))
        for p in pes:
            out[p].append(rr[p])
    return out


def mrr(results_by_pe: dict, ties: str = "order") -> dict:
    """Mean reciprocal rank per PE over units (`reciprocal_ranks`; K23's rule with the default ties)."""
    return {p: sum(v) / len(v) for p, v in reciprocal_ranks(results_by_pe, ties).items()}


def mrr_from_results(results: Iterable[dict], pes: list[str] | None = None,
                     score: Callable[[dict], float] = ood_accuracy) -> dict:
    """MRR from result dicts: a unit is a config up to its PE (task-split, seed, model size, ...); every
    unit must have one run per PE. `pes` fixes the order (ties); default: order of first appearance."""
    units: dict[str, dict[str, float]] = {}
    seen: list[str] = []
    for r in results:
        cfg = json.loads(json.dumps(r["config"]))
        pe = cfg["model"].pop("pe")
        cfg["model"].pop("pe_options", None)
        cfg.pop("device", None)
        key = json.dumps(cfg, sort_keys=True)
        if pe in units.setdefault(key, {}):
            raise PelgError(f"two runs of PE {pe!r} for the same task-split and seed ({r['config']['task']!r}, "
                            f"seed {r['config']['seed']})")
        units[key][pe] = score(r)
        if pe not in seen:
            seen.append(pe)
    order = list(pes) if pes is not None else seen
    for key, by_pe in units.items():
        missing = [p for p in order if p not in by_pe]
        if missing:
            cfg = json.loads(key)
            raise PelgError(f"no run of PE {missing[0]!r} for task {cfg['task']!r} seed {cfg['seed']}; "
                            f"MRR needs every PE on every unit")
    return mrr({p: [units[k][p] for k in units] for p in order})


# ----------------------------------------------------------------------------- H25: seeds
@dataclass
class SeedSelection:
    """The outcome of `select_seeds`: the first k successful runs and what was dropped on the way."""

    results: list[dict] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)       # seeds of `results`
    dropped: list[int] = field(default_factory=list)     # seeds tried that failed the criterion
    complete: bool = False                               # True when k successes were found

    @property
    def n_dropped(self) -> int:
        return len(self.dropped)

    @property
    def drop_rate(self) -> float:
        tried = len(self.seeds) + len(self.dropped)
        return len(self.dropped) / tried if tried else 0.0


def select_seeds(run: Callable[[int], dict], seeds: Iterable[int], k: int,
                 success: Callable[[dict], bool] = reached_full_accuracy) -> SeedSelection:
    """Huang et al. 2025: try `seeds` in order, calling `run(seed) -> result`, until `k` runs succeed
    (default: 100% in-distribution accuracy). Runs after the k-th success are never started. Returns the
    successes and the dropped seeds (H25 dropped failures silently; report `n_dropped`)."""
    if isinstance(k, bool) or not isinstance(k, int) or k <= 0:
        raise PelgError(f"k must be a positive integer, got {k!r}")
    out = SeedSelection()
    for seed in seeds:
        result = run(seed)
        if success(result):
            out.results.append(result)
            out.seeds.append(seed)
            if len(out.results) == k:
                out.complete = True
                break
        else:
            out.dropped.append(seed)
    return out


# ----------------------------------------------------------------------------- H25: hyperparameters
def complexity(result: dict) -> tuple:
    """Sort key for "simpler": trainable parameters, then layers, heads and width."""
    m = result["config"]["model"]
    n = result.get("n_params")
    if n is None:
        from empirics.train import TrainConfig, build_model

        n = sum(p.numel() for p in build_model(TrainConfig.from_dict(result["config"])).parameters())
    return (n, m["n_layer"], m["n_head"], m["d_model"], m["d_ff"])


def select_config(results: list[dict]) -> dict | None:
    """Huang et al. 2025's rule: among runs with 100% in-distribution accuracy, the one best on the first
    out-of-distribution bucket; ties go to the simpler model (`complexity`), then to the earlier run.
    None when no run reaches 100% in distribution."""
    full = [(i, r) for i, r in enumerate(results) if reached_full_accuracy(r)]
    if not full:
        return None
    return min(full, key=lambda ir: (-first_ood_accuracy(ir[1]), complexity(ir[1]), ir[0]))[1]
