"""Figures for the mathematical Li 2025 claims (2, 4, 5): PE norms and wavelet decay.

`render(out_dir)` writes figures/li2025_pe_norms.png and figures/li2025_decay.png from `theory.li2025.norms` and
`theory.li2025.decay` (no training; a few seconds on CPU), each also as PDF beside it.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from theory.li2025 import decay
from theory.li2025 import norms

from empirics.plots.common import PUBLISHED, save_figure

D, N_MAX = 64, 64


def _pe_norms(path: Path) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(18, 5))
    # (a) ||PE(pos)|| against the position, 0..4 N_max
    ax = axes[0]
    pos = np.arange(0, 4 * N_MAX + 1)
    table = np.random.default_rng(0).normal(0.0, 0.02, size=(N_MAX, D))
    curves = [("sinusoidal", {}, "sinusoidal"), ("wavelet", {}, "wavelet (unnormalized)"),
              ("wavelet_unit", {}, "wavelet (unit)"), ("legendre_extend", {}, "Legendre (extend)"),
              ("legendre_clamp", {}, "Legendre (clamp; = extend on 0..N_max)"),
              ("learned_last_row", {"table": table}, "learned N(0, 0.02²) (last row reused ≥ N_max)")]
    extend_end = 0.0
    for name, kw, label in curves:
        nr = norms.row_norms(name, pos, D, N_MAX, **kw)
        extend_end = float(nr[-1]) if name == "legendre_extend" else extend_end
        ax.plot(pos, np.where(nr > 0, nr, np.nan), label=label, lw=1.3,
                ls="--" if name == "legendre_clamp" else "-")
    ax.axvline(N_MAX, color="grey", ls=":", lw=1)
    ax.text(N_MAX, 2e4, " N_max", color="grey", fontsize=8)
    ax.text(N_MAX + 4, 2e3, f"Legendre (extend) → {extend_end:.1e} at 4 N_max", color="C3", fontsize=7)
    ax.set_yscale("log")
    ax.set_ylim(1e-2, 1e5)
    ax.set_xlabel("position")
    ax.set_ylabel("||PE(pos)||₂")
    ax.set_title(f"(a) norm per position, d = {D}, N_max = {N_MAX}")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    ax.grid(alpha=0.3, which="both")

    # (b) wavelet sup norm against N_max
    ax = axes[1]
    ns = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
    res = norms.wavelet_growth(ns)
    n = np.array(ns, dtype=float)
    ax.fill_between(n, res["rms_closed_form"], res["upper_closed_form"], color="C0", alpha=0.15,
                    label="closed-form bounds √(N−1) … √(M(N−1))")
    ax.plot(n, res["sup_norm"], "o-", color="C0", label="measured, J = log₂N_max scales (d ≈ N_max)")
    fit = norms.fit_growth(ns, res["sup_norm"])
    claim = res["sup_norm"][0] / (n[0] * np.sqrt(np.log(n[0]))) * n * np.sqrt(np.log(n))
    ax.plot(n, claim, "k--", lw=1, label="seed: c·N√(log N) (matched at N = 16)")
    ax.plot(n, fit["laws"]["sqrt(N)"]["c"] * np.sqrt(n), ":", color="C3", label=f"fit {fit['laws']['sqrt(N)']['c']:.2f}·√N "
            f"(exponent {fit['exponent']:.3f})")
    fixed = norms.wavelet_growth(ns, scales="fixed_d", d=D)
    ax.plot(n, fixed["sup_norm"], "s-", color="C2", label="measured, fixed d = 64")
    flat = norms.wavelet_growth(ns, amplitude=0.0)
    ax.plot(n, flat["sup_norm"], "^-", color="C4", label="amplitude 1 instead of 2^(j/2)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("N_max")
    ax.set_ylabel("sup over 0..N_max of ||PE(pos)||")
    ax.set_title("(b) unnormalized wavelet PE: growth with N_max")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")

    # (c) ALiBi: largest |logit bias| against the inference length
    ax = axes[2]
    lengths = np.array([10, 25, 50, 100, 200, 400, 800])
    for h in (1, 8):
        meas = [norms.alibi_max_abs_bias(h, int(L)) for L in lengths]
        ax.plot(lengths, meas, "o", label=f"measured, H = {h}")
        ax.plot(lengths, [norms.alibi_max_abs_bias_closed_form(h, int(L)) for L in lengths], "-", lw=1,
                label=f"α(N' − 1), α = max slope = {2 ** (-8 / h):.3g}")
    ax.axvline(50, color="grey", ls=":", lw=1)
    ax.text(50, 0.1, " train N = 50", color="grey", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("inference length N'")
    ax.set_ylabel("max |ALiBi bias|")
    ax.set_title("(c) ALiBi logit inflation (input norm unchanged)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    save_figure(fig, path, also=PUBLISHED)


def _decay(path: Path) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(18, 5))
    # (a) |psi| and exponential envelopes
    ax = axes[0]
    s, psi = decay.psi_samples()
    ax.plot(s, np.abs(psi), color="k", lw=1, label="|ψ(s)|, db4 (pywavelets)")
    seed_fit, mid_fit = decay.fit_envelope(0.0), decay.fit_envelope(3.5)
    xs = np.linspace(-1, 8, 500)
    ax.plot(xs, seed_fit["C"] * np.exp(-seed_fit["beta"] * np.abs(xs)), "--", color="C0",
            label=f"tightest, centre 0 (seed): β = {seed_fit['beta']:.2f}, C = {seed_fit['C']:.2f}")
    ax.plot(xs, mid_fit["C"] * np.exp(-mid_fit["beta"] * np.abs(xs - 3.5)), "--", color="C1",
            label=f"tightest, centre 3.5: β = {mid_fit['beta']:.2f}, C = {mid_fit['C']:.2f}")
    c1 = decay.envelope_constant(1.0)
    ax.plot(xs, c1 * np.exp(-np.abs(xs)), ":", color="C2", label=f"valid too, centre 0: β = 1, C = {c1:.1f}")
    ax.axvspan(0, 7, color="grey", alpha=0.08, label="support [0, 7]")
    ax.set_yscale("log")
    ax.set_ylim(1e-6, 1e2)
    ax.set_xlabel("s = 2^j t − k")
    ax.set_title("(a) envelopes C e^(−β|s−c|) ≥ |ψ|: every β is valid")
    ax.legend(fontsize=7, loc="lower center")
    ax.grid(alpha=0.3, which="both")

    # (b) per-scale constants for three normalizations
    ax = axes[1]
    for a, label in ((0.5, "2^(j/2) ψ(2^j t − k)  (the PE)"), (0.0, "ψ(2^j t − k)"), (-0.5, "2^(−j/2) ψ(2^j t − k)")):
        sc = decay.scale_constants(D, N_MAX, 0.5, amplitude=a)
        ax.plot(sc["j"], sc["C_j"], "o-", label=f"{label}: slope {decay.scale_slope(sc):.2f}")
    ax.set_yscale("log", base=2)
    ax.set_xlabel("scale j")
    ax.set_ylabel("smallest C_j: |column| ≤ C_j 2^(−j/2) e^(−β|s|)")
    ax.set_title("(b) C_j per scale (β = 0.5) for three normalizations")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")

    # (c) ||PE(pos) - PE(N_max)|| beyond N_max
    ax = axes[2]
    pos = np.arange(N_MAX, 8 * N_MAX + 1)
    for name, d, label in (("wavelet", 64, "wavelet d = 64"), ("wavelet", 16, "wavelet d = 16"),
                           ("wavelet_unit", 64, "wavelet (unit) d = 64"), ("sinusoidal", 64, "sinusoidal d = 64"),
                           ("legendre_clamp", 64, "Legendre clamp d = 64 (≡ 0: collapse;\n extend: 1.2e6 at N_max + 1, off scale)")):
        ax.plot(pos / N_MAX, decay.difference_norms(name, pos, d, N_MAX), lw=1.2, label=label)
    ref = float(np.linalg.norm(norms.pe_rows("wavelet", [N_MAX], 64, N_MAX)[0]))
    ax.plot(pos / N_MAX, ref * np.exp(-0.05 * (pos - N_MAX)), "k--", lw=1,
            label="seed's shape ∝ exp(−β(pos − N_max)), β = 0.05")
    ax.axvline(7, color="grey", ls=":", lw=1)
    ax.text(7, 9.3, " 7 N_max: wavelet PE = 0", color="grey", fontsize=8, ha="right")
    ax.set_ylim(-0.3, 10)
    ax.set_xlabel("pos / N_max")
    ax.set_ylabel("||PE(pos) − PE(N_max)||₂")
    ax.set_title(f"(c) ||PE(pos) − PE(N_max)||, N_max = {N_MAX}")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.3)
    save_figure(fig, path, also=PUBLISHED)


def render(out_dir: Path) -> list[Path]:
    """Write li2025_pe_norms.png and li2025_decay.png into out_dir; return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "li2025_pe_norms.png", out_dir / "li2025_decay.png"]
    _pe_norms(paths[0])
    _decay(paths[1])
    return paths
