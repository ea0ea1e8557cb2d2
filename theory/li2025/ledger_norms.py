"""Ledger entries for Li 2025 claim 2 (li2025.md): the input-norm bounds of Table 2 for the sinusoidal, learned,
ALiBi, wavelet and Legendre PEs.

Each check computes its numbers (from `theory.li2025.norms`) and decides the verdict from them. The wavelet and
Legendre PEs are our reconstructions of the paper's definitions (li2025.md, "Our reading where the seed is
silent"), so their entries are marked reconstruction=True. Claims 4-7 (beyond the training range) are in
`theory.li2025.ledger_extrapolation`.
"""
from __future__ import annotations

import copy
import math
from functools import lru_cache

import numpy as np
import sympy as sp

from theory.li2025 import norms
from theory import encodings as E
from theory.claims import Verdict, claim

D_MODEL = 64          # the seed's experiment (claim 8): d_model = 64
N_TRAIN = 64          # N_max used for the PE tables (the empirics default n_max of wavelet/Legendre)
GROWTH_N = (16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
_REL = 1e-12

# Measurements that do not depend on a check's keyword arguments are cached, so a falsification case re-runs the
# decision on the same numbers instead of recomputing them.
_sinusoidal_proof = lru_cache(maxsize=None)(norms.sinusoidal_norm_proof)
_alibi_max_abs_bias = lru_cache(maxsize=None)(norms.alibi_max_abs_bias)


@lru_cache(maxsize=None)
def _wavelet_growth_cached(n_maxes: tuple[int, ...], scales: str, d: int, amplitude: float) -> dict:
    return norms.wavelet_growth(n_maxes, scales=scales, d=d, amplitude=amplitude)


def _wavelet_growth(n_maxes: tuple[int, ...], scales: str, d: int = 64, amplitude: float = 0.5) -> dict:
    return copy.deepcopy(_wavelet_growth_cached(n_maxes, scales, d, amplitude))


# ----------------------------------------------------------------------------------------------------
# claim 2: norms (Table 2)
# ----------------------------------------------------------------------------------------------------


@claim(id="li2025.norms.sinusoidal", paper="li2025",
       wording="Table 2 norm bounds: sinusoidal B_x + sqrt(d_model).",
       statement="For even d and every position p, ||PE_sin(p)||_2 = sqrt(d/2) exactly; hence for ||x|| <= B_x, "
                 "sup_p ||x + PE_sin(p)|| = B_x + sqrt(d/2) <= B_x + sqrt(d_model) (valid, loose by sqrt 2 in the "
                 "PE term).",
       check="sympy: sum_k sin^2 + cos^2 against the claimed ||PE||^2 = d/2 for symbolic d/2, p, base (and "
             "explicitly for d = 2..16); numeric row norms of encodings.sinusoidal_table for d in {2, 8, 64, 512} "
             "at positions 0..10^4 and up to 10^9; Monte-Carlo and worst-case sup ||x + PE|| vs the Table-2 bound "
             "(B_x = 1, 5)",
       falsify={"the row norm read as sqrt(d) (||PE||^2 = d instead of d/2)": {"norm_sq_per_dim": 1.0},
                "the bound B_x + 0.7 sqrt(d), below the exact sup B_x + sqrt(d/2)": {"bound_pe_factor": 0.7}})
def _norms_sinusoidal(norm_sq_per_dim: float = 0.5, bound_pe_factor: float = 1.0) -> Verdict:
    ratio = sp.Rational(norm_sq_per_dim)  # claimed ||PE||^2 / d, exactly (0.5 -> 1/2)
    proof = _sinusoidal_proof()
    h = proof["expected"]  # the symbolic half-width d/2
    symbolic = sp.simplify(proof["norm_squared"] - 2 * ratio * h) == 0
    explicit = {d: bool(sp.simplify(_sinusoidal_proof(d)["norm_squared"] - ratio * d) == 0)
                for d in (2, 4, 8, 16)}
    pos = np.concatenate([np.arange(0, 10_001), [123_456, 10**6, 10**9]])
    dev, worst = {}, []
    rng = np.random.default_rng(0)
    for d in (2, 8, 64, 512):
        nr = norms.row_norms("sinusoidal", pos, d, 1)
        dev[str(d)] = float(np.abs(nr - math.sqrt(float(ratio) * d)).max())
        for b_x in (1.0, 5.0):
            mc = norms.monte_carlo_input_norm(norms.pe_rows("sinusoidal", pos[:2000], d, 1), b_x, rng)
            bound = b_x + bound_pe_factor * (norms.table2_bound("sinusoidal", b_x, d) - b_x)
            worst.append({"d": d, "B_x": b_x, "measured_sup": mc["aligned_max"], "monte_carlo": mc["monte_carlo_max"],
                          "tight": b_x + math.sqrt(d / 2), "bound_checked": bound})
    within = all(w["measured_sup"] <= w["bound_checked"] * (1 + _REL) and w["monte_carlo"] <= w["bound_checked"]
                 for w in worst)
    ok = symbolic and all(explicit.values()) and max(dev.values()) < 1e-9 and within
    d64 = next(w for w in worst if w["d"] == 64 and w["B_x"] == 1.0)
    return Verdict("holds" if ok else "fails",
                   {"claimed_norm_sq_per_dim": str(ratio), "bound_pe_factor": bound_pe_factor,
                    "symbolic_proof": bool(symbolic), "symbolic_norm_squared": str(proof["norm_squared"]),
                    "explicit_proofs": explicit, "max_abs_dev_from_claimed_norm": dev, "bound_respected": within,
                    "input_norm_checks": worst},
                   f"Symbolically sum_k (sin^2 + cos^2) = {proof['norm_squared']} with d/2 = {h}: the claimed "
                   f"||PE||^2 = {ratio} d is {'proved' if symbolic else 'refuted'}; numerically the row norms "
                   f"deviate from sqrt({ratio} d) by at most {max(dev.values()):.1e} up to p = 1e9. The bound "
                   f"B_x + {bound_pe_factor:g} sqrt(d) is {'respected' if within else 'exceeded'} (d = 64, B_x = 1: "
                   f"measured sup {d64['measured_sup']:.4f}, bound {d64['bound_checked']:.4f}). So B_0 = "
                   f"B_x + sqrt(d/2) exactly, and the seed's B_x + sqrt(d) is valid but loose in the PE term by a "
                   f"factor sqrt(2).")


def _ascend_sup(table: np.ndarray, b_x: float, rng: np.random.Generator, steps: int = 80) -> np.ndarray:
    """max over ||x|| = B_x of ||x + E[p]|| for each row p, found by Riemannian gradient ascent on the sphere
    from a random x: the gradient (x + E[p]) / ||x + E[p]|| projected on the tangent space, a step scaled by
    the local curvature (B_x ||x + E[p]|| / ||E[p]||, half of it), then back onto the sphere. The ascent is
    not told the maximiser (the triangle inequality's equality case x parallel to E[p]). One value per row."""
    x = rng.normal(size=table.shape)
    x *= b_x / np.linalg.norm(x, axis=1, keepdims=True)
    e_norm = np.maximum(np.linalg.norm(table, axis=1, keepdims=True), 1e-300)
    for _ in range(steps):
        y = x + table
        y_norm = np.linalg.norm(y, axis=1, keepdims=True)
        grad = y / y_norm
        tangent = grad - np.sum(grad * x, axis=1, keepdims=True) * x / b_x**2
        x = x + 0.5 * b_x * y_norm / e_norm * tangent
        x *= b_x / np.linalg.norm(x, axis=1, keepdims=True)
    return np.linalg.norm(x + table, axis=1)


def _sampled_tables(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Learned tables (N_max = 64 rows, d = 64) of four kinds: pelg's N(0, 0.02^2) init, N(0, 1), heavy-tailed
    (Student t, 2 degrees of freedom) and anisotropic (rank 4 plus noise, row scales spread over 3 decades)."""
    n, d = N_TRAIN, D_MODEL
    low_rank = rng.normal(size=(n, 4)) @ rng.normal(size=(4, d)) + 0.01 * rng.normal(size=(n, d))
    return {"normal_0.02": rng.normal(0.0, 0.02, size=(n, d)), "normal_1": rng.normal(0.0, 1.0, size=(n, d)),
            "student_t2": rng.standard_t(2.0, size=(n, d)),
            "anisotropic": low_rank * np.logspace(-3, 0, n)[:, None]}


_B_P_RULES = {"max": lambda r: float(r.max()), "mean": lambda r: float(r.mean())}


@claim(id="li2025.norms.table2.learned", paper="li2025",
       wording="Table 2 norm bounds: learned B_x + B_p (B_p needs regularization).",
       statement="For a learned table E with rows 0..N_max-1 and ||x|| <= B_x, sup_{p < N_max} ||x + E[p]|| = "
                 "B_x + B_p with B_p = max_p ||E[p]|| (tight); for p >= N_max there is no row, so the bound "
                 "says nothing there. B_p is a property of the trained table (no a-priori value without a norm "
                 "constraint).",
       check="four sampled tables (N(0, 0.02^2) as pelg initializes, N(0, 1), Student t, anisotropic low rank) "
             "with N_max = 64, d = 64; validity: random x on the sphere of radius B_x in {1, 5} never exceed the "
             "bound; tightness: projected gradient ascent from random x (not told the maximiser) reaches the "
             "bound to 1e-9 relative; lookup beyond N_max",
       falsify={"B_p = the mean row norm instead of the max": {"b_p_rule": "mean"},
                "a loose bound B_x + B_p + 0.1 (valid, not tight)": {"bound_slack": 0.1},
                "positions >= N_max reuse the last row (a row exists there)": {"policy": "learned_last_row"}})
def _norms_learned(b_p_rule: str = "max", bound_slack: float = 0.0, policy: str = "learned") -> Verdict:
    if b_p_rule not in _B_P_RULES:
        raise ValueError(f"unknown b_p_rule {b_p_rule!r}; valid: {', '.join(_B_P_RULES)}")
    rng = np.random.default_rng(1)
    rows = []
    for kind, table in _sampled_tables(rng).items():
        b_p = _B_P_RULES[b_p_rule](norms.row_norms("learned", np.arange(N_TRAIN), D_MODEL, N_TRAIN, table=table))
        for b_x in (1.0, 5.0):
            mc = norms.monte_carlo_input_norm(table, b_x, rng)
            ascent = float(_ascend_sup(table, b_x, rng).max())
            bound = norms.table2_bound("learned", b_x, D_MODEL, b_p) + bound_slack
            rows.append({"table": kind, "B_x": b_x, "B_p": b_p, "bound": bound,
                         "monte_carlo_max": mc["monte_carlo_max"], "ascent_max": ascent,
                         "rel_gap_ascent_vs_bound": (bound - ascent) / bound,
                         "aligned_max_closed_form": mc["aligned_max"]})
    try:
        norms.pe_rows(policy, [N_TRAIN], D_MODEL, N_TRAIN, table=table)
        raises = False
    except E.PositionOutOfRange:
        raises = True
    valid = all(r["monte_carlo_max"] <= r["bound"] * (1 + _REL) and r["ascent_max"] <= r["bound"] * (1 + _REL)
                for r in rows)
    gap = max((r["rel_gap_ascent_vs_bound"] for r in rows), key=abs)  # signed: < 0 means the bound is exceeded
    worst = max(rows, key=lambda r: r["ascent_max"] / r["bound"])
    ok = valid and abs(gap) < 1e-9 and raises
    return Verdict("holds" if ok else "fails",
                   {"b_p_rule": b_p_rule, "bound_slack": bound_slack, "policy_beyond_n_max": policy, "checks": rows,
                    "valid_on_every_sample": valid, "max_rel_gap_ascent_vs_bound": gap,
                    "lookup_beyond_n_max_raises": raises},
                   f"On {len(rows) // 2} sampled tables and B_x in {{1, 5}}, random inputs "
                   f"{'never exceed' if valid else 'exceed'} "
                   f"the bound B_x + B_p ({b_p_rule} row norm{f' + {bound_slack:g}' if bound_slack else ''}); the best "
                   f"input found by gradient ascent from random inputs leaves a relative gap (bound - sup) / bound of "
                   f"{gap:+.1e} at most in size (worst: {worst['table']}, "
                   f"B_x = {worst['B_x']:g}, sup {worst['ascent_max']:.4f} vs bound {worst['bound']:.4f}). Tightness is "
                   f"the triangle inequality's equality case (x parallel to the longest row), found here by a search "
                   f"that is not told it. Position {N_TRAIN} {'has no row (lookup raises)' if raises else 'gets a row'} "
                   f"under the policy {policy!r}, so the bound covers only positions < N_max. B_p is whatever the "
                   f"trained table's longest row is (0.02-init: B_p = {rows[0]['B_p']:.3f}); the seed's 'needs "
                   f"regularization' is the statement that nothing else bounds it (not tested here).")


@claim(id="li2025.norms.alibi_inflation", paper="li2025",
       wording="Table 2: ALiBi adds alpha*(N' - 1) to the logits at inference length N' (\"capacity inflation\").",
       statement="ALiBi leaves the input norm unchanged (B_0 = B_x) and on a sequence of length N' its largest "
                 "|logit bias| is alpha (N' - 1) exactly, alpha = max_h m_h (the largest slope; 2^-8 for one "
                 "head, 2^(-8/H) for H a power of two), for both the causal and the symmetric bias.",
       check="max |bias| over the finite entries of encodings.alibi_bias for H in {1, 2, 8, 12} and N' in "
             "{50, 100, 200, 1024} vs alpha (N' + length_offset), alpha the slope picked by `slope`",
       falsify={"alpha N' (no -1)": {"length_offset": 0},
                "alpha = the smallest slope instead of the largest": {"slope": "min"}})
def _norms_alibi(length_offset: int = -1, slope: str = "max") -> Verdict:
    if slope not in ("max", "min", "mean"):
        raise ValueError(f"unknown slope {slope!r}; valid: 'max', 'min', 'mean'")
    rows, err = [], 0.0
    for h in (1, 2, 8, 12):
        alpha = float(getattr(np, slope)(E.alibi_slopes(h)))
        for n in (50, 100, 200, 1024):
            closed = alpha * (n + length_offset)
            for sym in (False, True):
                m = _alibi_max_abs_bias(h, n, symmetric=sym)
                err = max(err, abs(m - closed) / closed)
            rows.append({"H": h, "N_prime": n, "alpha": alpha, "max_abs_bias": m, "closed_form": closed})
    ok = err < 1e-12
    r1 = {r["N_prime"]: r["max_abs_bias"] for r in rows if r["H"] == 1}
    return Verdict("holds" if ok else "fails",
                   {"length_offset": length_offset, "slope": slope, "rows": rows, "max_rel_error": err,
                    "input_norm_added": 0.0, "inflation_ratio_200_vs_50": r1[200] / r1[50]},
                   f"The largest bias magnitude differs from alpha (N' {length_offset:+d}) (alpha = {slope} slope) by "
                   f"a relative {err:.0e} at most, over every H and N' tried (one head: {r1[50]:.4f} at N' = 50, "
                   f"{r1[200]:.4f} at N' = 200, a factor {r1[200] / r1[50]:.2f}). It grows linearly with the inference "
                   f"length while the input norm is untouched (ALiBi adds nothing to the embeddings).")


def _wavelet_growth_numbers(amplitude: float = 0.5) -> dict:
    res = _wavelet_growth(GROWTH_N, "resolution", amplitude=amplitude)
    fit = norms.fit_growth(res["n_max"], res["sup_norm"])
    fixed = _wavelet_growth((16, 64, 256, 1024, 4096), "fixed_d", d=D_MODEL)
    fit_fixed = norms.fit_growth(fixed["n_max"], fixed["sup_norm"])
    flat = _wavelet_growth(GROWTH_N[::2], "resolution", amplitude=0.0)
    fit_flat = norms.fit_growth(flat["n_max"], flat["sup_norm"])
    within = all(lo <= s * (1 + 1e-9) and s <= hi * (1 + 1e-9)
                 for lo, s, hi in zip(res["rms_closed_form"], res["sup_norm"], res["upper_closed_form"]))
    return {"res": res, "fit": fit, "fixed": fixed, "fit_fixed": fit_fixed, "flat": flat, "fit_flat": fit_flat,
            "within_closed_form": within}


@claim(id="li2025.norms.wavelet_growth", paper="li2025",
       wording="Table 2: unnormalized wavelet PE inflates input norms as O(N_max * sqrt(log N_max)).",
       statement="For the unnormalized db4 wavelet PE (columns 2^(j/2) psi(2^j pos/N_max - k)) with J = log2 N_max "
                 "scales and every shift (finest scale at the position resolution), sup_{0<=pos<=N_max} ||PE(pos)|| "
                 "grows like N_max sqrt(log N_max). Also checked: a fixed d = 64 (the experiment's d_model).",
       check="sup over the integer positions 0..N_max for N_max = 16..4096 (powers of two); log-log fit of the "
             "exponent and one-constant fits of 1, sqrt(log N), sqrt(N), sqrt(N log N), N, N sqrt(log N); the "
             "claimed law holds if it fits best and its log-log exponent matches the fitted one within 0.15, holds "
             "as an upper bound (with correction) if sup / law(N) never "
             "increases, and fails otherwise; the closed form mean_t ||PE(t)||^2 = 2^J - 1 gives "
             "sqrt(2^J - 1) <= sup <= sqrt(M (2^J - 1))",
       reconstruction=True,
       falsify={"columns 2^(1.5 j) psi (sup grows like N_max^1.5, beyond the claimed law)": {"amplitude": 1.5},
                "the claimed law O(sqrt(log N_max)) instead of O(N_max sqrt(log N_max))":
                    {"claimed_law": "sqrt(log N)"}})
def _norms_wavelet_growth(amplitude: float = 0.5, claimed_law: str = "N sqrt(log N)") -> Verdict:
    if claimed_law not in norms.GROWTH_LAWS:
        raise ValueError(f"unknown law {claimed_law!r}; valid: {', '.join(norms.GROWTH_LAWS)}")
    g = _wavelet_growth_numbers(amplitude)
    res, fit = g["res"], g["fit"]
    law = norms.GROWTH_LAWS[claimed_law]
    r = [float(s / law(np.float64(n))) for n, s in zip(res["n_max"], res["sup_norm"])]
    bounded_by_claim = all(b <= a * (1 + 1e-9) for a, b in zip(r, r[1:]))  # sup / law(N) non-increasing
    law_exponent = float(np.polyfit(np.log(res["n_max"]), np.log(law(np.asarray(res["n_max"], float))), 1)[0])
    if fit["best"] == claimed_law and abs(fit["exponent"] - law_exponent) < 0.15:
        verdict = "holds"
    elif bounded_by_claim:
        verdict = "holds with correction"
    else:
        verdict = "fails"
    evidence = {
        "amplitude": amplitude, "claimed_law": claimed_law,
        "n_max": res["n_max"], "d": res["d"], "sup_norm": res["sup_norm"],
        "closed_form_rms_sqrt_2J_minus_1": res["rms_closed_form"], "closed_form_upper": res["upper_closed_form"],
        "within_closed_form_bounds": g["within_closed_form"],
        "fitted_exponent": fit["exponent"], "best_law": fit["best"], "claimed_law_exponent": law_exponent,
        "law_fits": {k: {"c": v["c"], "rms_log_residual": v["rms_log_residual"]} for k, v in fit["laws"].items()},
        "sup_over_claimed_law": r, "claimed_law_bounds_growth": bounded_by_claim,
        "fixed_d64": {"n_max": g["fixed"]["n_max"], "sup_norm": g["fixed"]["sup_norm"],
                      "fitted_exponent": g["fit_fixed"]["exponent"]},
        "amplitude_1_instead_of_2^(j/2)": {"n_max": g["flat"]["n_max"], "sup_norm": g["flat"]["sup_norm"],
                                            "fitted_exponent": g["fit_flat"]["exponent"],
                                            "best_law": g["fit_flat"]["best"]},
    }
    best = fit["laws"][fit["best"]]
    return Verdict(verdict, evidence,
                   f"Columns 2^({amplitude:g} j) psi: measured sup norm {res['sup_norm'][0]:.2f} at N_max = 16 to "
                   f"{res['sup_norm'][-1]:.2f} at 4096, fitted exponent {fit['exponent']:.3f}, best law {fit['best']} "
                   f"(c = {best['c']:.3f}, RMS log residual {best['rms_log_residual']:.3f}, against "
                   f"{fit['laws'][claimed_law]['rms_log_residual']:.3f} for the claimed {claimed_law}); within the "
                   f"closed-form bounds from the exact mean square: {g['within_closed_form']}. sup / ({claimed_law}) "
                   f"goes from {r[0]:.3g} to {r[-1]:.3g} "
                   f"({'never increasing: a valid upper bound' if bounded_by_claim else 'increasing: not a bound'}"
                   f"{', but loose' if bounded_by_claim and fit['best'] != claimed_law else ''}). For the PE (2^(j/2)) the "
                   f"rate is Theta(sqrt(N_max)), so O(N_max sqrt(log N_max)) is loose by a factor sqrt(N_max log N_max); "
                   f"with amplitude 1 it is Theta(sqrt(log N_max)) (exponent {g['fit_flat']['exponent']:.2f}); at the "
                   f"experiment's fixed d = 64 there is no growth ({g['fixed']['sup_norm'][0]:.2f} -> "
                   f"{g['fixed']['sup_norm'][-1]:.2f}, exponent {g['fit_fixed']['exponent']:.2f}).")


_LEGENDRE_ROWS = {"legendre_clamp": False, "legendre_orthonormal_clamp": True}  # clamped PE -> orthonormal scaling


@claim(id="li2025.norms.legendre", paper="li2025",
       wording="Table 2: Legendre has bounded norm.",
       statement="With x = 2 pos/N_max - 1 and columns P_k(x), k < d: on 0..N_max, ||PE(pos)|| <= sqrt(d) "
                 "(orthonormal scaling: d/sqrt 2), attained at pos = 0 and N_max. Beyond N_max the norm stays "
                 "sqrt(d) with clamping (x = min(x, 1)) and is unbounded without it (\"extend\": P_k(x) ~ x^k).",
       check="sup norms over 0..N_max and 0..4 N_max for d in {8, 64}, N_max = 64, clamp / orthonormal clamp / "
             "extend, against the closed forms (times closed_form_scale); P_7(2) exactly (sympy) and from "
             "encodings.legendre_table",
       reconstruction=True,
       falsify={"the bound 0.9 sqrt(d) (10% below the attained sup)": {"closed_form_scale": 0.9},
                "the unclamped encoding in place of the clamped one": {"clamped": "legendre_extend"}})
def _norms_legendre(closed_form_scale: float = 1.0, clamped: str = "legendre_clamp") -> Verdict:
    rows = []
    for d in (8, D_MODEL):
        for name, orthonormal, extend in ((clamped, False, False), ("legendre_orthonormal_clamp", True, False),
                                          ("legendre_extend", False, True)):
            rows.append({"d": d, "pe": name, "role": "extend" if extend else "clamp",
                         "closed_form_sup_train": closed_form_scale * norms.legendre_sup_norm_closed_form(d, orthonormal),
                         "sup_0_to_n_max": norms.sup_norm(name, 0, N_TRAIN, d, N_TRAIN),
                         "sup_0_to_4n_max": norms.sup_norm(name, 0, 4 * N_TRAIN, d, N_TRAIN)})
    p7_exact = norms.legendre_exact_value(7, 2)
    p7_table = float(norms.pe_rows("legendre_extend", [1.5 * N_TRAIN], 8, N_TRAIN)[0, 7])
    train_ok = all(abs(r["sup_0_to_n_max"] - r["closed_form_sup_train"]) <= 1e-9 * r["closed_form_sup_train"]
                   for r in rows)
    clamp_ok = all(abs(r["sup_0_to_4n_max"] - r["closed_form_sup_train"]) <= 1e-9 * r["closed_form_sup_train"]
                   for r in rows if r["role"] == "clamp")
    extend_blowup = min(r["sup_0_to_4n_max"] / r["closed_form_sup_train"] for r in rows if r["role"] == "extend")
    if not (train_ok and clamp_ok):
        verdict = "fails"
    elif extend_blowup > 1e3:
        verdict = "holds with correction"
    else:
        verdict = "holds"
    ext64 = next(r for r in rows if r["role"] == "extend" and r["d"] == D_MODEL)
    cl64 = next(r for r in rows if r["pe"] == clamped and r["d"] == D_MODEL)
    return Verdict(verdict,
                   {"closed_form_scale": closed_form_scale, "clamped": clamped, "rows": rows,
                    "sup_equals_closed_form_on_0_to_n_max": train_ok, "clamped_sup_stays_closed_form_to_4n_max": clamp_ok,
                    "P7_at_2_exact": str(p7_exact), "P7_at_2_float": float(p7_exact),
                    "P7_at_2_from_table": p7_table, "min_extend_blowup_factor_at_4n_max": extend_blowup},
                   f"On the training range the sup norm {'equals' if train_ok else 'does not equal'} the closed form "
                   f"{closed_form_scale:g} sqrt(d) (orthonormal: d/sqrt 2) for every d; d = 64 with {clamped}: sup "
                   f"{cl64['sup_0_to_n_max']:.3f} on 0..N_max and {cl64['sup_0_to_4n_max']:.3g} on 0..4 N_max "
                   f"(|P_k| <= 1 on [-1, 1], so with clamping it stays sqrt(d) for all positions). Without clamping "
                   f"it is unbounded beyond N_max: P_7(2) = {p7_exact} = {float(p7_exact):.3f} (table: {p7_table:.3f}) at "
                   f"pos = 1.5 N_max, and with d = 64 the norm at 4 N_max is {ext64['sup_0_to_4n_max']:.2e}. 'Bounded' "
                   f"holds only with the clamp (or on the training range).")
