"""Running sum / running mean regression (Li 2025, section 7.1; our [reconstruction], li2025.md):
x_t i.i.d. uniform on [-1, 1]; target y_t = mean(x_1..x_t) by default, or the plain sum. The zero
predictor's MSE is exact (`zero_predictor_mse`): E[y_t^2] = Var(x)/t = 1/(3t) for the running mean."""
from __future__ import annotations

import numpy as np

from ..errors import unknown
from .base import Example, Task


class RunningSum(Task):
    kind = "regression"
    paper = "li2025"
    min_length = 1

    def __init__(self, reduction: str = "mean"):
        if reduction not in ("mean", "sum"):
            raise unknown("running-sum reduction", reduction, ["mean", "sum"])
        self.reduction = reduction
        self.name = "running_mean" if reduction == "mean" else "running_sum"
        self.description = f"x_t ~ U[-1, 1]; y_t = {reduction} of x_1..x_t (regression, MSE)"

    def sample(self, rng, length):
        length = self.check_length(length)
        x = rng.uniform(-1.0, 1.0, size=length)
        y = np.cumsum(x)
        if self.reduction == "mean":
            y = y / np.arange(1, length + 1)
        return Example(x, y, length)

    def oracle(self, example):
        x, out, total = example.source, [], 0.0
        for t, value in enumerate(x, start=1):  # independent scalar loop
            total += float(value)
            out.append(total / t if self.reduction == "mean" else total)
        return np.asarray(out)


def zero_predictor_mse(length: int, reduction: str = "mean") -> float:
    """Exact MSE of predicting 0 at every position, averaged over positions 1..length:
    mean -> (1/N) sum_t 1/(3t); sum -> (1/N) sum_t t/3 = (N + 1)/6."""
    t = np.arange(1, length + 1)
    return float(np.mean(1 / (3 * t))) if reduction == "mean" else float((length + 1) / 6)
