"""Ledger entries for the purely mathematical claims of Li 2025 (li2025.md claims 2, 4, 5, 6, 7).

Each check computes its numbers (from `theory.li2025.norms`, `theory.li2025.decay` and the two constructions below)
and decides the verdict from them. The wavelet and Legendre PEs are our reconstructions of the paper's
definitions (li2025.md, "Our reading where the seed is silent"), so their entries are marked
reconstruction=True. Claim 6 (learned PEs) and claim 7 (universal approximation vs extrapolation) are
settled by explicit constructions: `learned_table_gradient_demo` and `extrapolation_counterexample`.
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp

from theory.li2025 import decay
from theory.li2025 import norms
from theory import encodings as E
from theory.claims import Verdict, claim

D_MODEL = 64          # the seed's experiment (claim 8): d_model = 64
N_TRAIN = 64          # N_max used for the PE tables (the empirics default n_max of wavelet/Legendre)
GROWTH_N = (16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
_REL = 1e-12


def _f(x) -> float:
    return float(x)


# ----------------------------------------------------------------------------------------------------
# constructions for claims 6 and 7
# ----------------------------------------------------------------------------------------------------


def learned_table_gradient_demo(n_max: int = 32, d: int = 16, alloc_factor: int = 4, steps: int = 400,
                                lr: float = 0.2, seed: int = 0) -> dict:
    """Claim 6: fit an over-allocated learned table (alloc_factor * n_max rows) by gradient descent on
    positions 0..n_max-1 only, model y(p) = u . E[p], target y*(p) = p / n_max.

    The gradient of the table is computed for the whole table (one-hot matrix times the residual), as
    autograd would: rows >= n_max receive exactly zero gradient, so they stay at their initialization and
    the fit carries no information about those positions. Returns the train MSE, the MSE and the
    correlation with the target beyond n_max, and the largest change of any row beyond n_max.
    """
    rng = np.random.default_rng(seed)
    n_alloc = alloc_factor * n_max
    table0 = rng.normal(0.0, 0.5, size=(n_alloc, d))
    table, u = table0.copy(), rng.normal(0.0, 0.5, size=d)
    train = np.arange(n_max)
    onehot = np.zeros((n_max, n_alloc))
    onehot[train, train] = 1.0
    y = train / n_max
    for _ in range(steps):
        rows = onehot @ table                              # (n, d)
        r = rows @ u - y                                   # (n,)
        g_table = onehot.T @ np.outer(r, u) * (2 / n_max)  # (n_alloc, d): zero outside the train rows
        g_u = rows.T @ r * (2 / n_max)
        table -= lr * g_table
        u -= lr * g_u
    test = np.arange(n_max, n_alloc)
    pred_test = E.learned_table_lookup(table, test) @ u
    y_test = test / n_max
    train_mse = float(np.mean((E.learned_table_lookup(table, train) @ u - y) ** 2))
    return {"n_max": n_max, "rows_allocated": n_alloc, "d": d, "steps": steps,
            "train_mse": train_mse, "test_mse_beyond_n_max": float(np.mean((pred_test - y_test) ** 2)),
            "test_corr_with_target": float(np.corrcoef(pred_test, y_test)[0, 1]),
            "max_row_change_beyond_n_max": float(np.abs(table[n_max:] - table0[n_max:]).max()),
            "max_row_change_train_rows": float(np.abs(table[:n_max] - table0[:n_max]).max())}


def extrapolation_counterexample(n: int = 8, n_samples: int = 2000, seed: int = 0) -> dict:
    """Claim 7: two models that agree exactly on every input of length <= n and differ at length n + 1.

    (a) Learned APE model f_E(x)_L = sum_{t<L} x_t (u . E[t]) with a table of n + 1 rows. Tables A and B
        share rows 0..n-1 (u . E[t] = 1: both compute the running sum exactly, zero error at every length
        <= n) and differ only in row n (u . E[n] = +1 for A, -1 for B). Random inputs x_t ~ U[-1, 1].
    (b) Exact polynomials (sympy): p(t) = t and q(t) = t + c prod_{i=1}^{n} (t - i) agree on t = 1..n and
        differ at n + 1 by c n!.
    """
    rng = np.random.default_rng(seed)
    d = 4
    u = np.zeros(d)
    u[0] = 1.0
    shared = rng.normal(size=(n, d))
    shared[:, 0] = 1.0                                   # u . E[t] = 1 for t < n
    last_a, last_b = rng.normal(size=d), rng.normal(size=d)
    last_a[0], last_b[0] = 1.0, -1.0
    tab_a, tab_b = np.vstack([shared, last_a]), np.vstack([shared, last_b])

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
    c = 1
    p, q = t, t + c * sp.prod([t - i for i in range(1, n + 1)])
    agree = all(sp.simplify(p.subs(t, i) - q.subs(t, i)) == 0 for i in range(1, n + 1))
    gap = q.subs(t, n + 1) - p.subs(t, n + 1)
    return {"n": n, "samples_per_length": n_samples,
            "max_abs_diff_models_lengths_le_n": max_diff_upto_n,
            "max_abs_error_vs_running_sum_lengths_le_n": max_err_upto_n,
            "mean_abs_diff_models_length_n_plus_1": float(np.abs(a - b).mean()),
            "mse_vs_running_sum_at_n_plus_1": {"A": float(np.mean((a - x.sum(1)) ** 2)),
                                                "B": float(np.mean((b - x.sum(1)) ** 2))},
            "polynomials_agree_on_1_to_n": bool(agree), "polynomial_gap_at_n_plus_1": int(gap),
            "n_factorial": math.factorial(n)}


# ----------------------------------------------------------------------------------------------------
# claim 2: norms (Table 2)
# ----------------------------------------------------------------------------------------------------


@claim(id="li2025.norms.sinusoidal", paper="li2025",
       wording="Table 2 norm bounds: sinusoidal B_x + sqrt(d_model).",
       statement="For even d and every position p, ||PE_sin(p)||_2 = sqrt(d/2) exactly; hence for ||x|| <= B_x, "
                 "sup_p ||x + PE_sin(p)|| = B_x + sqrt(d/2) <= B_x + sqrt(d_model) (valid, loose by sqrt 2 in the "
                 "PE term).",
       check="sympy: sum_k sin^2 + cos^2 = d/2 for symbolic d/2, p, base (and explicitly for d = 2..16); numeric "
             "row norms of encodings.sinusoidal_table for d in {2, 8, 64, 512} at positions 0..10^4 and up to "
             "10^9; Monte-Carlo sup ||x + PE|| vs the bound (B_x = 1, 5)")
def _norms_sinusoidal() -> Verdict:
    proof = norms.sinusoidal_norm_proof()
    explicit = {d: bool(norms.sinusoidal_norm_proof(d)["proved"]) for d in (2, 4, 8, 16)}
    pos = np.concatenate([np.arange(0, 10_001), [123_456, 10**6, 10**9]])
    dev, worst = {}, []
    rng = np.random.default_rng(0)
    for d in (2, 8, 64, 512):
        nr = norms.row_norms("sinusoidal", pos, d, 1)
        dev[str(d)] = float(np.abs(nr - math.sqrt(d / 2)).max())
        for b_x in (1.0, 5.0):
            mc = norms.monte_carlo_input_norm(norms.pe_rows("sinusoidal", pos[:2000], d, 1), b_x, rng)
            worst.append({"d": d, "B_x": b_x, "measured_sup": mc["aligned_max"], "monte_carlo": mc["monte_carlo_max"],
                          "tight": b_x + math.sqrt(d / 2), "seed_bound": norms.table2_bound("sinusoidal", b_x, d)})
    within = all(w["measured_sup"] <= w["seed_bound"] * (1 + _REL) and w["monte_carlo"] <= w["seed_bound"]
                 for w in worst)
    ok = bool(proof["proved"]) and all(explicit.values()) and max(dev.values()) < 1e-9 and within
    d64 = next(w for w in worst if w["d"] == 64 and w["B_x"] == 1.0)
    return Verdict("holds" if ok else "fails",
                   {"symbolic_proof": bool(proof["proved"]), "symbolic_norm_squared": str(proof["norm_squared"]),
                    "explicit_proofs": explicit, "max_abs_dev_from_sqrt_d_over_2": dev, "input_norm_checks": worst},
                   f"||PE(p)||^2 = d/2 is proved symbolically (sum of d/2 terms sin^2 + cos^2 = 1) and holds "
                   f"numerically to {max(dev.values()):.1e} up to p = 1e9. So B_0 = B_x + sqrt(d/2) exactly; the "
                   f"seed's B_x + sqrt(d) is a valid upper bound, loose in the PE term by a factor sqrt(2) "
                   f"(d = 64, B_x = 1: measured sup {d64['measured_sup']:.4f}, Table 2 bound "
                   f"{d64['seed_bound']:.4f}).")


@claim(id="li2025.norms.table2.learned", paper="li2025",
       wording="Table 2 norm bounds: learned B_x + B_p (B_p needs regularization).",
       statement="For a learned table E with rows 0..N_max-1 and ||x|| <= B_x, sup_{p < N_max} ||x + E[p]|| = "
                 "B_x + B_p with B_p = max_p ||E[p]|| (tight); for p >= N_max there is no row, so the bound "
                 "says nothing there. B_p is a property of the trained table (no a-priori value without a norm "
                 "constraint).",
       check="random tables (N(0, 0.02^2) as pelg initializes, and N(0, 1)) with N_max = 64, d = 64; Monte-Carlo "
             "x on the sphere of radius B_x in {1, 5} plus the aligned worst case; lookup beyond N_max")
def _norms_learned() -> Verdict:
    rng = np.random.default_rng(1)
    rows = []
    for std in (0.02, 1.0):
        table = rng.normal(0.0, std, size=(N_TRAIN, D_MODEL))
        b_p = norms.sup_norm("learned", 0, N_TRAIN - 1, D_MODEL, N_TRAIN, table=table)
        for b_x in (1.0, 5.0):
            mc = norms.monte_carlo_input_norm(table, b_x, rng)
            bound = norms.table2_bound("learned", b_x, D_MODEL, b_p)
            rows.append({"table_std": std, "B_x": b_x, "B_p": b_p, "bound": bound,
                         "monte_carlo_max": mc["monte_carlo_max"], "aligned_max": mc["aligned_max"]})
    try:
        norms.pe_rows("learned", [N_TRAIN], D_MODEL, N_TRAIN, table=table)
        raises = False
    except E.PositionOutOfRange:
        raises = True
    valid = all(r["monte_carlo_max"] <= r["bound"] * (1 + _REL) and r["aligned_max"] <= r["bound"] * (1 + _REL)
                for r in rows)
    tight = max(abs(r["aligned_max"] - r["bound"]) / r["bound"] for r in rows)
    ok = valid and tight < 1e-12 and raises
    return Verdict("holds" if ok else "fails",
                   {"checks": rows, "max_rel_gap_worst_case_vs_bound": tight, "lookup_beyond_n_max_raises": raises},
                   f"By the triangle inequality ||x + E[p]|| <= B_x + B_p, with equality for x parallel to the "
                   f"longest row (relative gap {tight:.1e}); no random x exceeds it. The bound covers only "
                   f"positions < N_max: position {N_TRAIN} has no row (lookup raises). B_p is whatever the trained "
                   f"table's longest row is (0.02-init: B_p = {rows[0]['B_p']:.3f}); the seed's 'needs "
                   f"regularization' is the statement that nothing else bounds it (not tested here).")


@claim(id="li2025.norms.alibi_inflation", paper="li2025",
       wording="Table 2: ALiBi adds alpha*(N' - 1) to the logits at inference length N' (\"capacity inflation\").",
       statement="ALiBi leaves the input norm unchanged (B_0 = B_x) and on a sequence of length N' its largest "
                 "|logit bias| is alpha (N' - 1) exactly, alpha = max_h m_h (the largest slope; 2^-8 for one "
                 "head, 2^(-8/H) for H a power of two), for both the causal and the symmetric bias.",
       check="max |bias| over the finite entries of encodings.alibi_bias for H in {1, 2, 8, 12} and N' in "
             "{50, 100, 200, 1024} vs alpha (N' - 1)")
def _norms_alibi() -> Verdict:
    rows, err = [], 0.0
    for h in (1, 2, 8, 12):
        for n in (50, 100, 200, 1024):
            closed = norms.alibi_max_abs_bias_closed_form(h, n)
            for sym in (False, True):
                m = norms.alibi_max_abs_bias(h, n, symmetric=sym)
                err = max(err, abs(m - closed) / closed)
            rows.append({"H": h, "N_prime": n, "alpha": float(E.alibi_slopes(h).max()), "max_abs_bias": m,
                         "alpha_times_N_prime_minus_1": closed})
    ok = err < 1e-12
    r1 = {r["N_prime"]: r["max_abs_bias"] for r in rows if r["H"] == 1}
    return Verdict("holds" if ok else "fails",
                   {"rows": rows, "max_rel_error": err, "input_norm_added": 0.0,
                    "inflation_ratio_200_vs_50": r1[200] / r1[50]},
                   f"The largest bias magnitude equals alpha (N' - 1) to {err:.0e} for every H and N' tried "
                   f"(one head: alpha = 2^-8, {r1[50]:.4f} at N' = 50, {r1[200]:.4f} at N' = 200, a factor "
                   f"{r1[200] / r1[50]:.2f}). It grows linearly with the inference length while the input norm "
                   f"is untouched.")


def _wavelet_growth_numbers() -> dict:
    res = norms.wavelet_growth(GROWTH_N, scales="resolution")
    fit = norms.fit_growth(res["n_max"], res["sup_norm"])
    fixed = norms.wavelet_growth((16, 64, 256, 1024, 4096), scales="fixed_d", d=D_MODEL)
    fit_fixed = norms.fit_growth(fixed["n_max"], fixed["sup_norm"])
    flat = norms.wavelet_growth(GROWTH_N[::2], scales="resolution", amplitude=0.0)
    fit_flat = norms.fit_growth(flat["n_max"], flat["sup_norm"])
    within = all(lo <= s * (1 + 1e-9) and s <= hi * (1 + 1e-9)
                 for lo, s, hi in zip(res["rms_closed_form"], res["sup_norm"], res["upper_closed_form"]))
    ratio = [s / (n * math.sqrt(math.log(n))) for n, s in zip(res["n_max"], res["sup_norm"])]
    return {"res": res, "fit": fit, "fixed": fixed, "fit_fixed": fit_fixed, "flat": flat, "fit_flat": fit_flat,
            "within_closed_form": within, "ratio_to_N_sqrt_logN": ratio}


@claim(id="li2025.norms.wavelet_growth", paper="li2025",
       wording="Table 2: unnormalized wavelet PE inflates input norms as O(N_max * sqrt(log N_max)).",
       statement="For the unnormalized db4 wavelet PE (columns 2^(j/2) psi(2^j pos/N_max - k)) with J = log2 N_max "
                 "scales and every shift (finest scale at the position resolution), sup_{0<=pos<=N_max} ||PE(pos)|| "
                 "grows like N_max sqrt(log N_max). Also checked: a fixed d = 64 (the experiment's d_model).",
       check="sup over the integer positions 0..N_max for N_max = 16..4096 (powers of two); log-log fit of the "
             "exponent and one-constant fits of 1, sqrt(log N), sqrt(N), sqrt(N log N), N, N sqrt(log N); the "
             "closed form mean_t ||PE(t)||^2 = 2^J - 1 gives sqrt(2^J - 1) <= sup <= sqrt(M (2^J - 1))",
       reconstruction=True)
def _norms_wavelet_growth() -> Verdict:
    g = _wavelet_growth_numbers()
    res, fit = g["res"], g["fit"]
    r = g["ratio_to_N_sqrt_logN"]
    bounded_by_claim = all(b <= a * (1 + 1e-9) for a, b in zip(r, r[1:]))  # sup / (N sqrt(log N)) non-increasing
    if abs(fit["exponent"] - 1.0) < 0.15 and fit["best"] in ("N", "N sqrt(log N)"):
        verdict = "holds"
    elif bounded_by_claim:
        verdict = "holds with correction"
    else:
        verdict = "fails"
    evidence = {
        "n_max": res["n_max"], "d": res["d"], "sup_norm": res["sup_norm"],
        "closed_form_rms_sqrt_2J_minus_1": res["rms_closed_form"], "closed_form_upper": res["upper_closed_form"],
        "within_closed_form_bounds": g["within_closed_form"],
        "fitted_exponent": fit["exponent"], "best_law": fit["best"],
        "law_fits": {k: {"c": v["c"], "rms_log_residual": v["rms_log_residual"]} for k, v in fit["laws"].items()},
        "sup_over_N_sqrt_logN": g["ratio_to_N_sqrt_logN"],
        "fixed_d64": {"n_max": g["fixed"]["n_max"], "sup_norm": g["fixed"]["sup_norm"],
                      "fitted_exponent": g["fit_fixed"]["exponent"]},
        "amplitude_1_instead_of_2^(j/2)": {"n_max": g["flat"]["n_max"], "sup_norm": g["flat"]["sup_norm"],
                                            "fitted_exponent": g["fit_flat"]["exponent"],
                                            "best_law": g["fit_flat"]["best"]},
    }
    return Verdict(verdict, evidence,
                   f"Measured sup norm {res['sup_norm'][0]:.2f} at N_max = 16 to {res['sup_norm'][-1]:.2f} at 4096: "
                   f"fitted exponent {fit['exponent']:.3f}, best law {fit['best']} (c = {fit['laws']['sqrt(N)']['c']:.3f}, "
                   f"RMS log residual {fit['laws']['sqrt(N)']['rms_log_residual']:.3f}, against "
                   f"{fit['laws']['N sqrt(log N)']['rms_log_residual']:.3f} for N sqrt(log N)). This follows from the exact "
                   f"mean square 2^J - 1 = N_max - 1 (within the closed-form bounds: {g['within_closed_form']}). "
                   f"So O(N_max sqrt(log N_max)) is a valid upper bound but loose by a factor sqrt(N_max log N_max) "
                   f"(sup/(N sqrt(log N)) falls from {r[0]:.3f} to {r[-1]:.4f}); the correct rate is "
                   f"Theta(sqrt(N_max)). With amplitude 1 instead of 2^(j/2) it is Theta(sqrt(log N_max)) "
                   f"(exponent {g['fit_flat']['exponent']:.2f}); at the experiment's fixed d = 64 there is no growth "
                   f"({g['fixed']['sup_norm'][0]:.2f} -> {g['fixed']['sup_norm'][-1]:.2f}, exponent "
                   f"{g['fit_fixed']['exponent']:.2f}).")


@claim(id="li2025.norms.legendre", paper="li2025",
       wording="Table 2: Legendre has bounded norm.",
       statement="With x = 2 pos/N_max - 1 and columns P_k(x), k < d: on 0..N_max, ||PE(pos)|| <= sqrt(d) "
                 "(orthonormal scaling: d/sqrt 2), attained at pos = 0 and N_max. Beyond N_max the norm stays "
                 "sqrt(d) with clamping (x = min(x, 1)) and is unbounded without it (\"extend\": P_k(x) ~ x^k).",
       check="sup norms over 0..N_max and 0..4 N_max for d in {8, 64}, N_max = 64, clamp / orthonormal clamp / "
             "extend, against the closed forms; P_7(2) exactly (sympy) and from encodings.legendre_table",
       reconstruction=True)
def _norms_legendre() -> Verdict:
    rows = []
    for d in (8, D_MODEL):
        for name, closed in (("legendre_clamp", norms.legendre_sup_norm_closed_form(d)),
                             ("legendre_orthonormal_clamp", norms.legendre_sup_norm_closed_form(d, True)),
                             ("legendre_extend", norms.legendre_sup_norm_closed_form(d))):
            rows.append({"d": d, "pe": name, "closed_form_sup_train": closed,
                         "sup_0_to_n_max": norms.sup_norm(name, 0, N_TRAIN, d, N_TRAIN),
                         "sup_0_to_4n_max": norms.sup_norm(name, 0, 4 * N_TRAIN, d, N_TRAIN)})
    p7_exact = norms.legendre_exact_value(7, 2)
    p7_table = float(norms.pe_rows("legendre_extend", [1.5 * N_TRAIN], 8, N_TRAIN)[0, 7])
    train_ok = all(abs(r["sup_0_to_n_max"] - r["closed_form_sup_train"]) <= 1e-9 * r["closed_form_sup_train"]
                   for r in rows)
    clamp_ok = all(abs(r["sup_0_to_4n_max"] - r["closed_form_sup_train"]) <= 1e-9 * r["closed_form_sup_train"]
                   for r in rows if r["pe"] != "legendre_extend")
    extend_blowup = min(r["sup_0_to_4n_max"] / r["closed_form_sup_train"] for r in rows if r["pe"] == "legendre_extend")
    if not (train_ok and clamp_ok):
        verdict = "fails"
    elif extend_blowup > 1e3:
        verdict = "holds with correction"
    else:
        verdict = "holds"
    ext64 = next(r for r in rows if r["pe"] == "legendre_extend" and r["d"] == D_MODEL)
    return Verdict(verdict,
                   {"rows": rows, "P7_at_2_exact": str(p7_exact), "P7_at_2_float": float(p7_exact),
                    "P7_at_2_from_table": p7_table, "min_extend_blowup_factor_at_4n_max": extend_blowup},
                   f"On the training range the sup norm is sqrt(d) (8: {math.sqrt(8):.3f}, 64: 8) exactly, as |P_k| <= 1 "
                   f"on [-1, 1]; with clamping it stays there for all positions. Without clamping it is unbounded "
                   f"beyond N_max: P_7(2) = {p7_exact} = {float(p7_exact):.3f} (table: {p7_table:.3f}) at pos = 1.5 N_max, "
                   f"and with d = 64 the norm at 4 N_max is {ext64['sup_0_to_4n_max']:.2e}. 'Bounded' holds only with "
                   f"the clamp (or on the training range).")


# ----------------------------------------------------------------------------------------------------
# claim 4: wavelet decay
# ----------------------------------------------------------------------------------------------------


@claim(id="li2025.decay.envelope", paper="li2025",
       wording="Wavelet PE (Daubechies-4): |psi_{j,k}(pos)| <= C 2^{-j/2} exp(-beta |pos - k 2^{-j}| / 2^{-j}) for "
               "j <= j_max.",
       statement="Reading 1 (individual wavelets): with t = pos/N_max and the PE's columns 2^(j/2) psi(2^j t - k), "
                 "there are C, beta independent of j with |column(t)| <= C 2^(-j/2) exp(-beta |2^j t - k|) for all "
                 "scales j of the d = 64 table (j = 0..5).",
       check="fit C(beta) = max_s |psi(s)| e^(beta |s|) from pywavelets db4 samples (level 10), tightest envelope "
             "area; measured per-scale constants C_j on a fine grid of real positions for amplitudes 2^(j/2) (the "
             "PE), 1 and 2^(-j/2); slope of log2 C_j in j",
       reconstruction=True)
def _decay_envelope() -> Verdict:
    seed_fit = decay.fit_envelope(centre=0.0)
    mid_fit = decay.fit_envelope(centre=3.5)
    beta = 0.5
    slopes, consts = {}, {}
    for a, label in ((0.5, "2^(j/2) (PE)"), (0.0, "1"), (-0.5, "2^(-j/2)")):
        sc = decay.scale_constants(D_MODEL, N_TRAIN, beta, amplitude=a)
        slopes[label] = decay.scale_slope(sc)
        consts[label] = sc["C_j"]
    c_of_beta = {str(b): decay.envelope_constant(b) for b in (0.0, 0.5, 1.0, 2.0, 4.0)}
    pe_slope, env_slope = slopes["2^(j/2) (PE)"], slopes["2^(-j/2)"]
    if abs(pe_slope) < 0.05:
        verdict = "holds"
    elif abs(env_slope) < 0.05 and abs(pe_slope - 1.0) < 0.05:
        verdict = "holds with correction"
    else:
        verdict = "fails"
    return Verdict(verdict,
                   {"beta_used_for_C_j": beta, "C_j_by_amplitude": consts, "slope_log2_C_j_by_amplitude": slopes,
                    "C_of_beta_centre_0": c_of_beta,
                    "tightest_centre_0": {"beta": seed_fit["beta"], "C": seed_fit["C"], "area": seed_fit["area"]},
                    "tightest_centre_3.5": {"beta": mid_fit["beta"], "C": mid_fit["C"], "area": mid_fit["area"]},
                    "psi_support": seed_fit["support"], "argmax_abs_psi": seed_fit["argmax_s"],
                    "max_abs_psi": seed_fit["max_abs_psi"]},
                   f"psi (db4) vanishes outside [0, 7], so for every beta the envelope holds with C(beta) = "
                   f"max|psi| e^(beta|s|) (beta = 0: {c_of_beta['0.0']:.3f}; 1: {c_of_beta['1.0']:.1f}; 4: "
                   f"{c_of_beta['4.0']:.3g}): beta is not a property of the wavelet. Centred at k 2^-j as written (the "
                   f"left end of the support; |psi| peaks at s = {seed_fit['argmax_s']:.2f}) the tightest envelope has "
                   f"beta = {seed_fit['beta']:.2f}, i.e. no decay; centred at the support's middle it is beta = "
                   f"{mid_fit['beta']:.2f}, C = {mid_fit['C']:.2f}. With the PE's normalization 2^(j/2) psi(2^j t - k) "
                   f"the constant needed per scale doubles with j (slope of log2 C_j = {pe_slope:.3f}; C_j from "
                   f"{consts['2^(j/2) (PE)'][0]:.2f} to {consts['2^(j/2) (PE)'][-1]:.1f}), so one C works only if it "
                   f"depends on j_max (C = 2^j_max C_0). The envelope with 2^(-j/2) holds uniformly (slope "
                   f"{env_slope:.4f}) for wavelets normalized as 2^(-j/2) psi(2^j t - k); for the L2-normalized "
                   f"psi_(j,k) the factor must be 2^(+j/2).")


@claim(id="li2025.decay.difference_norm", paper="li2025",
       wording="Wavelet PE (Daubechies-4): ||PE_wavelet(pos) - PE_wavelet(N_max)||_2 = O(exp(-beta (pos - N_max))).",
       statement="Reading 2: for the db4 wavelet PE (d = 64, N_max = 64; unnormalized and unit-normalized), "
                 "||PE(pos) - PE(N_max)|| decays to 0 (exponentially) as pos grows beyond N_max.",
       check="the difference norm on the integer positions N_max..8 N_max; its values at N_max + 1, 2, 4, 8 N_max, "
             "||PE(N_max)||, and a least-squares exponential fit on pos > N_max (also d = 16)",
       reconstruction=True)
def _decay_difference() -> Verdict:
    rows = [decay.difference_summary(name, d, N_TRAIN) for name in ("wavelet", "wavelet_unit") for d in (16, D_MODEL)]
    pos = np.arange(N_TRAIN + 1, 8 * N_TRAIN + 1)
    fit = decay.exp_decay_fit(pos, decay.difference_norms("wavelet", pos, D_MODEL, N_TRAIN), N_TRAIN)
    plateau = all(abs(r["at_8n_max"] - r["norm_pe_n_max"]) <= 1e-9 * max(1.0, r["norm_pe_n_max"]) for r in rows)
    decays = all(r["tends_to_zero"] for r in rows)
    verdict = "holds" if decays else ("fails" if plateau and all(r["norm_pe_n_max"] > 0 for r in rows) else "ill-posed")
    w = rows[1]
    return Verdict(verdict, {"rows": rows, "exp_fit_wavelet_d64": fit},
                   f"The difference is 0 at pos = N_max and does not decay: for d = 64 it is {w['at_n_max_plus_1']:.2f} "
                   f"one position later, {w['at_2n_max']:.2f} at 2 N_max, peaks at {w['max']:.2f}, and from 7 N_max on "
                   f"(where every wavelet's support has ended and PE(pos) = 0) it equals ||PE(N_max)|| = "
                   f"{w['norm_pe_n_max']:.2f} for good. An exponential fit gives beta = {fit['beta']:.4f} (no decay). "
                   f"The claim would need PE(N_max) = 0; it fails for both normalizations and d in {{16, 64}}.")


@claim(id="li2025.decay.vanishing", paper="li2025",
       wording="Wavelet PE (Daubechies-4): ||PE_wavelet(pos) - PE_wavelet(N_max)||_2 = O(exp(-beta (pos - N_max))).",
       statement="Reading 3: the wavelet PE itself vanishes beyond the training range: ||PE(pos)|| -> 0 as pos "
                 "grows (d = 64, N_max = 64).",
       check="row norms on 0..10 N_max: first position from which PE(pos) = 0 exactly, against the predicted "
             "cutoff W N_max (db4: W = 7); number of distinct encodings beyond it",
       reconstruction=True)
def _decay_vanishing() -> Verdict:
    v = decay.wavelet_vanishing_position(D_MODEL, N_TRAIN)
    v16 = decay.wavelet_vanishing_position(16, 50)
    ok = v["first_exact_zero_from"] == v["predicted_cutoff"] and v16["first_exact_zero_from"] <= v16["predicted_cutoff"]
    verdict = "holds with correction" if ok and v["distinct_rows_beyond_cutoff"] == 1 else "fails"
    sup = norms.sup_norm("wavelet", 0, 7 * N_TRAIN, D_MODEL, N_TRAIN)
    return Verdict(verdict, {"d64_n_max64": v, "d16_n_max50": v16, "sup_norm": sup,
                             "constant_needed_for_beta_0.1_per_position": sup * math.exp(0.1 * 6 * N_TRAIN)},
                   f"PE(pos) = 0 exactly from pos = {v['first_exact_zero_from']} = 7 N_max on (the predicted cutoff "
                   f"{v['predicted_cutoff']}; below 1e-12 from {v['first_below_1e-12_from']}): the decay is a hard "
                   f"cutoff by compact support, not an exponential rate in pos - N_max. Any bound "
                   f"C exp(-beta (pos - N_max)) holds, but only with C >= sup||PE|| e^(6 beta N_max) (beta = 0.1: "
                   f"{sup * math.exp(0.1 * 6 * N_TRAIN):.2e}). All positions >= 7 N_max share one encoding (the zero "
                   f"vector): {v['distinct_rows_beyond_cutoff']} distinct row(s).")


# ----------------------------------------------------------------------------------------------------
# claim 5: Legendre saturation
# ----------------------------------------------------------------------------------------------------


@claim(id="li2025.legendre.saturation", paper="li2025",
       wording="Legendre PE: bounded norm, but saturates to a constant vector for very large positions.",
       statement="With clamping (x = min(2 pos/N_max - 1, 1)) every pos >= N_max maps to (1, ..., 1): a constant "
                 "vector, so all positions beyond N_max share one encoding. Without clamping (\"extend\") there is "
                 "no saturation: every position keeps a distinct encoding and the norm grows like x^(d-1).",
       check="rows for pos = N_max..4 N_max (N_max = 64, d in {8, 64}): distinct encodings (rounded to 1e-12), "
             "equality with the all-ones vector, extend norms at 1.5, 2, 4 N_max",
       reconstruction=True)
def _legendre_saturation() -> Verdict:
    r8, r64 = decay.legendre_saturation(8, N_TRAIN), decay.legendre_saturation(D_MODEL, N_TRAIN)
    n_beyond = 3 * N_TRAIN + 1
    clamp = all(r["clamp_distinct_beyond"] == 1 and r["clamp_equals_all_ones"] for r in (r8, r64))
    extend = all(r["extend_distinct_beyond"] == n_beyond and r["extend_norm_at_4n_max"] > r["extend_norm_at_2n_max"]
                 > r["extend_norm_at_n_max"] for r in (r8, r64))
    verdict = "holds with correction" if clamp and extend else ("holds" if clamp else "fails")
    return Verdict(verdict, {"d8": r8, "d64": r64, "positions_beyond": n_beyond},
                   f"Clamped: all {n_beyond} positions N_max..4 N_max map to the all-ones vector "
                   f"({r64['clamp_distinct_beyond']} distinct encoding, against {r64['clamp_distinct_train']} on "
                   f"0..N_max), so 'saturates' holds and means that positional information beyond N_max is lost. "
                   f"Extended: {r64['extend_distinct_beyond']} distinct encodings and no saturation; the norm "
                   f"explodes (d = 8: {r8['extend_norm_at_1.5n_max']:.1f} at 1.5 N_max, {r8['extend_norm_at_4n_max']:.2e} "
                   f"at 4 N_max; d = 64: {r64['extend_norm_at_4n_max']:.2e}). Bounded + saturating holds only for the "
                   f"clamped encoding.")


# ----------------------------------------------------------------------------------------------------
# claims 6 and 7
# ----------------------------------------------------------------------------------------------------


@claim(id="li2025.learned.extrapolation", paper="li2025",
       wording="Learned PEs have zero extrapolation capability beyond the training length.",
       statement="A learned table trained on positions < N_max carries no information about positions >= N_max: "
                 "(i) the table has no row there (lookup raises); (ii) reusing the last row gives all of them one "
                 "encoding; (iii) an over-allocated table's rows >= N_max get exactly zero gradient, stay at their "
                 "initialization, and predictions there are uncorrelated with the target.",
       check="encodings.learned_table_lookup beyond the table; distinct encodings for pos = N_max..4 N_max with "
             "the last row reused; gradient descent (400 steps) on y(p) = u . E[p] -> p/N_max with N_max = 32 and "
             "128 rows")
def _learned_extrapolation() -> Verdict:
    rng = np.random.default_rng(2)
    table = rng.normal(0.0, 0.02, size=(N_TRAIN, D_MODEL))
    try:
        E.learned_table_lookup(table, [N_TRAIN])
        raises = False
    except E.PositionOutOfRange:
        raises = True
    beyond = np.arange(N_TRAIN - 1, 4 * N_TRAIN + 1)
    distinct = norms.count_distinct_rows(norms.pe_rows("learned_last_row", beyond, D_MODEL, N_TRAIN, table=table))
    distinct_train = norms.count_distinct_rows(table)
    demo = learned_table_gradient_demo()
    ok = (raises and distinct == 1 and distinct_train == N_TRAIN and demo["max_row_change_beyond_n_max"] == 0.0
          and demo["train_mse"] < 1e-3 and abs(demo["test_corr_with_target"]) < 0.5)
    return Verdict("holds" if ok else "fails",
                   {"lookup_beyond_raises": raises, "distinct_encodings_pos_n_max_minus_1_to_4n_max_last_row": distinct,
                    "distinct_encodings_train": distinct_train, "gradient_demo": demo},
                   f"No row exists beyond the table (lookup raises); reusing the last row maps the {beyond.size} "
                   f"positions N_max-1..4 N_max to {distinct} encoding (against {distinct_train} distinct training "
                   f"rows). Training an over-allocated table on positions < 32 changes the training rows by up to "
                   f"{demo['max_row_change_train_rows']:.2f} but rows >= 32 by exactly "
                   f"{demo['max_row_change_beyond_n_max']}: train MSE {demo['train_mse']:.1e}, MSE beyond "
                   f"{demo['test_mse_beyond_n_max']:.2f}, correlation with the target {demo['test_corr_with_target']:.2f}. "
                   f"Nothing learned reaches the unseen positions.")


@claim(id="li2025.universal_approximation", paper="li2025",
       wording="Universal approximation at fixed N does not imply extrapolation to longer N.",
       statement="There are two models of one class (a learned-APE model y_L = sum_{t<L} x_t u.E[t]) that both "
                 "compute the target (running sum) exactly on every input of length <= N and differ at length "
                 "N + 1; likewise two polynomials agree on 1..N and differ at N + 1 by N!. So exact fit at fixed "
                 "N cannot determine the behaviour at N + 1.",
       check="N = 8, 2000 random inputs x_t ~ U[-1, 1] per length 1..9; sympy for p(t) = t and "
             "q(t) = t + prod_{i=1}^{8} (t - i)")
def _universal_approximation() -> Verdict:
    c = extrapolation_counterexample()
    ok = (c["max_abs_diff_models_lengths_le_n"] == 0.0 and c["max_abs_error_vs_running_sum_lengths_le_n"] < 1e-12
          and c["mean_abs_diff_models_length_n_plus_1"] > 0.1 and c["polynomials_agree_on_1_to_n"]
          and c["polynomial_gap_at_n_plus_1"] == c["n_factorial"])
    return Verdict("holds" if ok else "fails", c,
                   f"Models A and B share the table rows 0..7 and both compute the running sum exactly at lengths "
                   f"1..8 (difference between them exactly {c['max_abs_diff_models_lengths_le_n']}, error "
                   f"{c['max_abs_error_vs_running_sum_lengths_le_n']:.1e}); at length 9 they differ by "
                   f"{c['mean_abs_diff_models_length_n_plus_1']:.3f} on average (MSE vs the running sum: A "
                   f"{c['mse_vs_running_sum_at_n_plus_1']['A']:.1e}, B {c['mse_vs_running_sum_at_n_plus_1']['B']:.3f}). "
                   f"Every training set of lengths <= 8 gives both zero loss. The polynomials t and t + prod(t - i) "
                   f"agree on 1..8 and differ by {c['polynomial_gap_at_n_plus_1']} = 8! at 9.")
