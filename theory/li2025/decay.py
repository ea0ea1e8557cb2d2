"""Decay and saturation of bounded PEs beyond N_max: Li 2025, claims 4 and 5.

Claim 4 [seed]: for the Daubechies-4 wavelet PE,
    |psi_{j,k}(pos)| <= C 2^(-j/2) exp(-beta |pos - k 2^-j| / 2^-j)   for j <= j_max,
    ||PE_wavelet(pos) - PE_wavelet(N_max)||_2 = O(exp(-beta (pos - N_max))).
Claim 5 [seed]: the Legendre PE has bounded norm but saturates to a constant vector for large positions.

Readings checked here (t = pos / N_max as in `encodings.wavelet_table` [reconstruction]; with
s = 2^j t - k the envelope's exponent is -beta |s - c| with centre c = 0 in the seed's formula, which for
pywavelets' db4 (support [0, 7]) is the left end of the support, not the wavelet's middle):

1. envelope: for columns 2^(a j) psi(2^j t - k) the smallest constant of scale j is
   C_j = 2^(a j + j/2) C(beta),  C(beta) = max_s |psi(s)| e^(beta |s - c|),
   so one C for all j needs a = -1/2 (the seed's 2^(-j/2) matches wavelets normalised as
   2^(-j/2) psi(2^j t - k)); the PE's L2 normalisation a = 1/2 needs C_j = 2^j C(beta) (the envelope's
   factor must be 2^(+j/2)). Because psi vanishes outside [0, W], C(beta) is finite for every beta:
   the "decay rate" beta is not determined by the wavelet; `fit_envelope` reports the tightest one
   (smallest envelope area over the support) and the whole curve C(beta).
2. difference norm: PE(pos) is exactly 0 once t >= W (every column's support ends by t = W; db4: W = 7),
   so ||PE(pos) - PE(N_max)|| -> ||PE(N_max)|| > 0, not 0.
3. vanishing: ||PE(pos)|| -> 0 (exactly 0 for pos >= W N_max): true, by compact support, as a hard cutoff.
Legendre (x = 2 pos / N_max - 1): "clamp" maps every pos >= N_max to (1, ..., 1) (one encoding for all of
them: saturation = loss of positional information); "extend" has no saturation (P_k(x) ~ x^k growth).
"""
from __future__ import annotations

import math

import numpy as np

from theory import encodings as E
from theory.li2025 import norms

__all__ = [
    "psi_samples",
    "envelope_constant",
    "fit_envelope",
    "scale_constants",
    "scale_slope",
    "difference_norms",
    "difference_summary",
    "exp_decay_fit",
    "wavelet_vanishing_position",
    "legendre_saturation",
]


def psi_samples(wavelet: str = "db4", level: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(s, psi(s)) sampled by pywavelets on its support [0, W] (grid spacing 2^-level)."""
    return E.psi_samples(wavelet, level)


def envelope_constant(beta: float, centre: float = 0.0, wavelet: str = "db4") -> float:
    """C(beta) = max_s |psi(s)| exp(beta |s - centre|): the smallest C with |psi(s)| <= C e^(-beta|s-c|)."""
    s, psi = psi_samples(wavelet)
    return float((np.abs(psi) * np.exp(beta * np.abs(s - centre))).max())


def fit_envelope(centre: float = 0.0, wavelet: str = "db4", betas=None) -> dict:
    """Tightest exponential envelope C e^(-beta |s - c|) >= |psi(s)|: for each beta the smallest valid C,
    and the beta whose envelope has the smallest area over the support [0, W] (trapezoid rule).
    Returns the fit, the curve C(beta) and the area-minimizing pair."""
    s, psi = psi_samples(wavelet)
    betas = np.linspace(0.0, 6.0, 601) if betas is None else np.asarray(betas, dtype=np.float64)
    a = np.abs(psi)
    cs, areas = [], []
    for b in betas:
        c = float((a * np.exp(b * np.abs(s - centre))).max())
        env = c * np.exp(-b * np.abs(s - centre))
        cs.append(c)
        areas.append(float(np.trapezoid(env, s)))
    i = int(np.argmin(areas))
    return {"centre": float(centre), "beta": float(betas[i]), "C": cs[i], "area": areas[i],
            "psi_area": float(np.trapezoid(a, s)), "max_abs_psi": float(a.max()),
            "argmax_s": float(s[a.argmax()]), "support": [float(s[0]), float(s[-1])],
            "betas": betas.tolist(), "C_of_beta": cs, "area_of_beta": areas}


def scale_constants(d: int, n_max: int, beta: float, amplitude: float = 0.5, centre: float = 0.0,
                    wavelet: str = "db4", per_unit: int = 64) -> dict:
    """Measured C_j = max over the columns (j, k) of scale j and over a fine grid of real positions of
    |column(pos)| / (2^(-j/2) exp(-beta |2^j t - k - centre|)), the columns being 2^(a j) psi(2^j t - k)
    (a = 1/2: `encodings.wavelet_table`). Grid: t in [-1, W + 1] with per_unit points per unit of s at the
    finest scale. Returns {"j": [...], "C_j": [...]} (the seed's envelope holds with one C iff C_j is flat).
    """
    index = E.wavelet_feature_index(d, wavelet)
    js = np.array([j for j, _ in index])
    ks = np.array([k for _, k in index], dtype=np.float64)
    w = E.wavelet_support_width(wavelet)
    n_pts = int((w + 2) * per_unit * 2 ** js.max()) + 1
    t = np.linspace(-1.0, w + 1.0, n_pts)
    cols = norms.wavelet_scaled_rows(t * n_max, d, n_max, amplitude, wavelet)  # (n, d)
    s = (2.0 ** js)[None, :] * t[:, None] - ks[None, :]
    env = (2.0 ** (-js / 2.0))[None, :] * np.exp(-beta * np.abs(s - centre))
    ratio = np.divide(np.abs(cols), env, out=np.zeros_like(cols), where=cols != 0)
    out_j, out_c = [], []
    for j in np.unique(js):
        out_j.append(int(j))
        out_c.append(float(ratio[:, js == j].max()))
    return {"j": out_j, "C_j": out_c}


def scale_slope(consts: dict) -> float:
    """Least-squares slope of log2 C_j against j (1.0: C_j doubles per scale; 0.0: one C for all j)."""
    return float(np.polyfit(consts["j"], np.log2(consts["C_j"]), 1)[0])


def difference_norms(name: str, positions, d: int, n_max: int, **kw) -> np.ndarray:
    """||PE(pos) - PE(N_max)||_2 for each position (any embedding PE of `norms.EMBEDDING_PES`)."""
    ref = norms.pe_rows(name, np.array([n_max]), d, n_max, **kw)[0]
    p = np.asarray(positions)
    return np.linalg.norm(norms.pe_rows(name, p, d, n_max, **kw) - ref[None, :], axis=1)


def difference_summary(name: str, d: int, n_max: int, factor: int = 8, **kw) -> dict:
    """The difference-norm curve on N_max..factor*N_max: its value at N_max + 1, 2, 4, factor x N_max,
    its max, ||PE(N_max)|| and whether it tends to 0 (last value <= 1e-9)."""
    pos = np.arange(n_max, factor * n_max + 1)
    diff = difference_norms(name, pos, d, n_max, **kw)
    ref = float(np.linalg.norm(norms.pe_rows(name, np.array([n_max]), d, n_max, **kw)[0]))

    def at(p):
        return float(diff[p - n_max])

    return {"pe": name, "d": d, "n_max": n_max, "norm_pe_n_max": ref, "at_n_max_plus_1": at(n_max + 1),
            "at_2n_max": at(2 * n_max), "at_4n_max": at(4 * n_max), f"at_{factor}n_max": at(factor * n_max),
            "max": float(diff.max()), "tends_to_zero": bool(diff[-1] <= 1e-9)}


def exp_decay_fit(positions, values, n_max: int) -> dict:
    """Fit values ~ A exp(-beta (pos - N_max)) by least squares on log values (positive values only);
    beta <= 0 means no decay."""
    p = np.asarray(positions, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    keep = (v > 0) & (p > n_max)
    slope, logc = np.polyfit(p[keep] - n_max, np.log(v[keep]), 1)
    return {"beta": float(-slope), "A": math.exp(logc), "n_points": int(keep.sum())}


def wavelet_vanishing_position(d: int, n_max: int, wavelet: str = "db4", factor: int = 10) -> dict:
    """The first integer position from which every later row (up to factor*N_max) of the unnormalized
    wavelet PE is exactly zero, and the first from which the norm stays below 1e-12; the predicted
    exact cutoff is W N_max (the support of psi_{0,0} ends at t = W)."""
    pos = np.arange(0, factor * n_max + 1)
    nrm = norms.row_norms("wavelet", pos, d, n_max, wavelet=wavelet)

    def first_from(mask):
        bad = np.nonzero(~mask)[0]
        return int(pos[bad[-1] + 1]) if bad.size else 0

    return {"first_exact_zero_from": first_from(nrm == 0.0), "first_below_1e-12_from": first_from(nrm < 1e-12),
            "predicted_cutoff": E.wavelet_support_width(wavelet) * n_max,
            "distinct_rows_beyond_cutoff": norms.count_distinct_rows(
                norms.pe_rows("wavelet", pos[pos >= E.wavelet_support_width(wavelet) * n_max], d, n_max))}


def legendre_saturation(d: int, n_max: int, factor: int = 4) -> dict:
    """Clamp vs extend beyond N_max on the positions N_max..factor*N_max (and 0..N_max for reference)."""
    beyond = np.arange(n_max, factor * n_max + 1)
    train = np.arange(0, n_max + 1)
    clamp = norms.pe_rows("legendre_clamp", beyond, d, n_max)
    ext_norm = norms.row_norms("legendre_extend", beyond, d, n_max)
    return {
        "d": d, "n_max": n_max,
        "clamp_distinct_beyond": norms.count_distinct_rows(clamp),
        "clamp_equals_all_ones": bool(np.array_equal(clamp, np.ones_like(clamp))),
        "clamp_distinct_train": norms.count_distinct_rows(norms.pe_rows("legendre_clamp", train, d, n_max)),
        "clamp_sup_norm": float(np.linalg.norm(clamp, axis=1).max()),
        "extend_distinct_beyond": norms.count_distinct_rows(norms.pe_rows("legendre_extend", beyond, d, n_max)),
        "extend_norm_at_n_max": float(ext_norm[0]),
        "extend_norm_at_1.5n_max": float(norms.legendre_extend_norm([1.5 * n_max], d, n_max)[0]),
        "extend_norm_at_2n_max": float(ext_norm[n_max]),
        f"extend_norm_at_{factor}n_max": float(ext_norm[-1]),
    }
