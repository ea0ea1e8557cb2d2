"""Fit gates: a trained model is evidence about length generalization only if it fit its task in
distribution. Every observation records its in-distribution score and whether it cleared the bar.

Bars (issue 10; DESIGN.md "Evidence"):
- token and set tasks: exact match >= 0.95 on held-out in-distribution examples, or the paper's own
  stricter bar (Huang et al. 2025: 1.0, their success criterion);
- regression: in-distribution MSE <= 0.1 x the MSE of the exact zero predictor on the same examples.
A looser bar is allowed only where a paper reports one; the bar records its source, and tables say so.

A (task, PE) cell is decided only when at least k seeds fit; otherwise it is "undecided (j of n fit)".
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import PelgError
from ..evaluate import bucket_label

TOKEN_BAR = 0.95
REGRESSION_RATIO = 0.1


@dataclass(frozen=True)
class FitBar:
    """kind "exact_match": score >= threshold; kind "mse_ratio": MSE / zero-predictor MSE <= threshold."""

    kind: str
    threshold: float
    source: str

    def to_dict(self) -> dict:
        return asdict(self)

    def text(self) -> str:
        if self.kind == "exact_match":
            return f"in-distribution exact match >= {self.threshold:g} ({self.source})"
        return f"in-distribution MSE <= {self.threshold:g} x the zero predictor's ({self.source})"


def default_bar(task_kind: str) -> FitBar:
    if task_kind == "regression":
        return FitBar("mse_ratio", REGRESSION_RATIO, "pelg's evidence standard")
    return FitBar("exact_match", TOKEN_BAR, "pelg's evidence standard")


def bar_from_protocol(task_kind: str, protocol: dict | None) -> FitBar:
    """A reproduction's `[fit]` table (`threshold`, `source`) overrides the default bar; a looser token
    bar than 0.95 must name the paper that reports it."""
    bar = default_bar(task_kind)
    spec = (protocol or {}).get("fit")
    if not spec:
        return bar
    threshold, source = float(spec["threshold"]), str(spec.get("source", ""))
    looser = threshold < bar.threshold if bar.kind == "exact_match" else threshold > bar.threshold
    if looser and "paper" not in source.lower():
        raise PelgError(f"fit threshold {threshold} is looser than pelg's {bar.threshold}; its source must "
                        f"cite the paper that reports it, got {source!r}")
    return FitBar(bar.kind, threshold, source or bar.source)


def in_distribution_buckets(result: dict) -> list[str]:
    lo, hi = result["config"]["train_lengths"]
    labels = [bucket_label(a, b) for a, b in result["config"]["eval_buckets"] if lo <= a and b <= hi]
    if not labels:
        raise PelgError(f"run of task {result['config']['task']!r} has no in-distribution bucket (train lengths "
                        f"{lo}..{hi})")
    return labels


def fit_record(result: dict, bar: FitBar, zero_mse: float | None = None) -> dict:
    """{"in_distribution": score, "bar": ..., "fit": bool} for one `train` result. Regression results
    carry the zero predictor's MSE per bucket (`zero_mse`); older records may pass it in."""
    labels = in_distribution_buckets(result)
    ms = [result["metrics"][b] for b in labels]
    n = sum(m["n"] for m in ms)
    score = sum(m["metric"] * m["n"] for m in ms) / n
    record = {"in_distribution": score, "bar": bar.to_dict()}
    if bar.kind == "mse_ratio":
        zero = zero_mse
        if zero is None:
            if any("zero_mse" not in m for m in ms):
                raise PelgError("a regression fit gate needs the zero predictor's MSE (re-run to record it)")
            zero = sum(m["zero_mse"] * m["n"] for m in ms) / n
        record.update(zero_mse=zero, mse_ratio=score / zero, fit=bool(score <= bar.threshold * zero))
    else:
        record["fit"] = bool(score >= bar.threshold)
    return record


def cell_status(fits: list[bool], k: int) -> tuple[bool, str]:
    """(decided, label): a cell is decided when at least k of its seeds fit."""
    j, n = sum(map(bool, fits)), len(fits)
    if j >= k:
        return True, "decided"
    return False, f"undecided ({j} of {n} fit)"
