"""Explicit constructions for Li 2025 claims 6 and 7 (li2025.md), run by the ledger entries of
`theory.li2025.ledger_extrapolation`: `learned_pe_fit` (a numpy model with a learned position table, trained
by gradient descent on its own loss: which rows does training move?) and `extrapolation_counterexample`
(two models that agree on every training length and differ beyond it)."""
from __future__ import annotations

import math

import numpy as np
import sympy as sp

from theory import encodings as E

def learned_pe_fit(task: str = "position", n_max: int = 16, d: int = 8, alloc_factor: int = 4, steps: int = 60,
                   lr: float = 0.5, init_std: float = 0.02, smoothness: float = 0.0, train_upto: int | None = None,
                   samples_per_position: int = 4, seed: int = 0) -> dict:
    """Claim 6: a numpy model with an over-allocated learned table (alloc_factor * n_max rows),
    y(x, p) = w x + u . E[p], trained by gradient descent on the positions 0..train_upto-1 (default n_max).

    task "position": target p / n_max (the answer is carried by the table alone);
    task "content": target x, x ~ N(0, 1) at every position (the answer is carried by the content, as in the
    running-mean task, where attention can average the inputs without reading the position).
    Loss: the MSE over the training examples plus ``smoothness`` * sum_p ||E[p+1] - E[p]||^2 over ALL allocated
    rows (0: no penalty). The gradient of this loss with respect to every parameter is computed by complex-step
    differentiation of the loss itself, g_k = Im L(theta + i h e_k) / h (exact to rounding, no hand-written
    gradient): a parameter that the loss does not read gets exactly 0, one that it reads (through the data or
    the penalty) does not. Predictions after training use `encodings.learned_table_lookup`.

    Returns the largest gradient entry of the rows beyond n_max at initialization, the largest row changes
    after training (rows < n_max and >= n_max), the train MSE, and on the positions n_max..rows-1 the MSE, the
    zero predictor's MSE and the correlation of the prediction with the target.
    """
    if task not in ("position", "content"):
        raise ValueError(f"unknown task {task!r}; valid: 'position', 'content'")
    rng = np.random.default_rng(seed)
    n_alloc = alloc_factor * n_max
    n_train = n_max if train_upto is None else train_upto
    table0 = rng.normal(0.0, init_std, size=(n_alloc, d))
    theta = np.concatenate([table0.ravel(), rng.normal(0.0, 0.5, size=d), [0.0]])  # table, u, w
    n_par, n_tab = theta.size, n_alloc * d
    pos = np.repeat(np.arange(n_train), samples_per_position)
    x = rng.normal(size=pos.size)
    target = pos / n_max if task == "position" else x

    def loss(th):                                              # th: (B, n_par), complex
        table = th[:, :n_tab].reshape(-1, n_alloc, d)
        y = th[:, -1:] * x[None, :] + np.einsum("bmd,bd->bm", table[:, pos, :], th[:, n_tab:n_tab + d])
        penalty = (np.diff(table, axis=1) ** 2).sum(axis=(1, 2))
        return ((y - target[None, :]) ** 2).mean(axis=1) + smoothness * penalty

    h = 1e-20
    step = 1j * h * np.eye(n_par)

    def grad(th):
        return loss(th[None, :] + step).imag / h               # (n_par,)

    g0 = grad(theta.astype(complex))
    for _ in range(steps):
        theta = theta - lr * grad(theta.astype(complex))
    table, u, w = theta[:n_tab].reshape(n_alloc, d), theta[n_tab:n_tab + d], theta[-1]

    def predict(p, xs):
        return w * xs + E.learned_table_lookup(table, p) @ u

    test = np.arange(n_max, n_alloc)
    x_test = rng.normal(size=test.size)
    y_test = test / n_max if task == "position" else x_test
    pred_test = predict(test, x_test)
    g0_rows = np.abs(g0[:n_tab].reshape(n_alloc, d)).max(axis=1)
    return {"task": task, "n_max": n_max, "rows_allocated": n_alloc, "d": d, "steps": steps,
            "trained_positions": n_train, "smoothness": smoothness,
            "max_grad_rows_beyond_n_max_at_init": float(g0_rows[n_max:].max()),
            "min_grad_rows_below_n_max_at_init": float(g0_rows[:n_max].min()),
            "train_mse": float(np.mean((predict(pos, x) - target) ** 2)),
            "test_mse_beyond_n_max": float(np.mean((pred_test - y_test) ** 2)),
            "zero_predictor_mse_beyond_n_max": float(np.mean(y_test ** 2)),
            "test_corr_with_target": float(np.corrcoef(pred_test, y_test)[0, 1]),
            "max_row_change_beyond_n_max": float(np.abs(table[n_max:] - table0[n_max:]).max()),
            "max_row_change_train_rows": float(np.abs(table[:n_max] - table0[:n_max]).max())}


def extrapolation_counterexample(n: int = 8, n_samples: int = 2000, seed: int = 0, differ_row: int | None = None,
                                 b_value: float = -1.0, poly_c: int = 1) -> dict:
    """Claim 7: two models that agree exactly on every input of length <= n and differ at length n + 1.

    (a) Learned APE model f_E(x)_L = sum_{t<L} x_t (u . E[t]) with a table of n + 1 rows. Table A has
        u . E[t] = 1 in every row (it computes the running sum exactly at every length <= n + 1); table B is A
        with row ``differ_row`` (default n, the first position beyond length n) changed to u . E = ``b_value``
        (default -1). Random inputs x_t ~ U[-1, 1].
    (b) Exact polynomials (sympy): p(t) = t and q(t) = t + c prod_{i=1}^{n} (t - i) agree on t = 1..n and
        differ at n + 1 by c n! (c = ``poly_c``).
    The defaults are the counterexample; ``differ_row`` < n, ``b_value`` = 1 or ``poly_c`` = 0 break it.
    """
    differ_row = n if differ_row is None else differ_row
    rng = np.random.default_rng(seed)
    d = 4
    u = np.zeros(d)
    u[0] = 1.0
    tab_a = rng.normal(size=(n + 1, d))
    tab_a[:, 0] = 1.0                                    # u . E[t] = 1 for every row
    tab_b = tab_a.copy()
    tab_b[differ_row] = rng.normal(size=d)
    tab_b[differ_row, 0] = b_value

    def model(tab, x):                                   # x: (samples, L)
        return x @ (E.learned_table_lookup(tab, np.arange(x.shape[1])) @ u)

    max_diff_upto_n, max_err_upto_n = 0.0, 0.0
    for length in range(1, n + 1):
        x = rng.uniform(-1, 1, size=(n_samples, length))
        a, b = model(tab_a, x), model(tab_b, x)
        max_diff_upto_n = max(max_diff_upto_n, float(np.abs(a - b).max()))
        max_err_upto_n = max(max_err_upto_n, float(np.abs(a - x.sum(1)).max()), float(np.abs(b - x.sum(1)).max()))
    x = rng.uniform(-1, 1, size=(n_samples, n + 1))
    a, b = model(tab_a, x), model(tab_b, x)
    t = sp.Symbol("t")
    p, q = t, t + poly_c * sp.prod([t - i for i in range(1, n + 1)])
    agree = all(sp.simplify(p.subs(t, i) - q.subs(t, i)) == 0 for i in range(1, n + 1))
    gap = q.subs(t, n + 1) - p.subs(t, n + 1)
    return {"n": n, "samples_per_length": n_samples, "differ_row": differ_row, "b_value": b_value, "poly_c": poly_c,
            "max_abs_diff_models_lengths_le_n": max_diff_upto_n,
            "max_abs_error_vs_running_sum_lengths_le_n": max_err_upto_n,
            "mean_abs_diff_models_length_n_plus_1": float(np.abs(a - b).mean()),
            "mse_vs_running_sum_at_n_plus_1": {"A": float(np.mean((a - x.sum(1)) ** 2)),
                                                "B": float(np.mean((b - x.sum(1)) ** 2))},
            "polynomials_agree_on_1_to_n": bool(agree), "polynomial_gap_at_n_plus_1": int(gap),
            "n_factorial": math.factorial(n)}
