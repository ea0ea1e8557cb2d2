"""Figures of Kazemnejad et al. 2023's attention analysis (K23, kazemnejad2023.md, Sec. 5.2). They take
data, never models (the numbers come from `empirics.analysis.attention`):

- `plot_distance_to_nope`: Fig. 4, the distance of each PE's attention to NoPE's per layer (min over the
  H x H head pairs of D = mean JSD over causal rows), one line per PE, the NoPE-vs-NoPE seed baseline
  dashed. K23: T5 ~0.25 (like the baseline), APE and Rotary 0.5-1.5, growing in later layers.
- `plot_attended_distance`: Fig. 7, one histogram panel per PE of the normalized distance from each
  query to its argmax key (0 = itself, 1 = the first token).
- `plot_attention_maps`: heatmaps of one batch's maps, one per (layer, head), for `pelg attention`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from empirics.errors import PelgError
from empirics.plots.common import save_figure  # sets the Agg backend first

import matplotlib.pyplot as plt  # noqa: E402

MAX_TICK_TOKENS = 40  # token names on the axes up to this many positions


def plot_distance_to_nope(per_pe: dict[str, list[float]], baseline: list[float] | None, path: Path, *,
                          title: str = "attention distance to NoPE (K23 Fig. 4)") -> None:
    """per_pe[pe] = distance to NoPE at layers 1..L; `baseline` = NoPE vs NoPE of another seed (dashed)."""
    if not per_pe:
        raise PelgError("plot_distance_to_nope needs at least one PE")
    fig, ax = plt.subplots(figsize=(6.2, 4))
    for pe, values in per_pe.items():
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", label=pe)
    if baseline is not None:
        ax.plot(np.arange(1, len(baseline) + 1), baseline, "k--", lw=1.2, label="NoPE vs NoPE (other seed)")
    ax.set_xlabel("layer")
    ax.set_ylabel("min over head pairs of mean JSD")
    ax.set_ylim(bottom=0)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    save_figure(fig, path)


def plot_attended_distance(hist_by_pe: dict[str, np.ndarray], path: Path, *, bins: int = 10,
                           title: str = "distance to the most-attended key (K23 Fig. 7)") -> None:
    """hist_by_pe[pe] = normalized distances in [0, 1] (`attended_distance_histogram`); one panel per PE,
    each bar the share of (query, layer, head) triples in that bin."""
    from empirics.analysis.attention import distance_histogram

    if not hist_by_pe:
        raise PelgError("plot_attended_distance needs at least one PE")
    n = len(hist_by_pe)
    fig, axes = plt.subplots(1, n, figsize=(3.0 * n + 0.6, 3.2), sharey=True, squeeze=False)
    for ax, (pe, distances) in zip(axes[0], hist_by_pe.items()):
        density, edges = distance_histogram(distances, bins)
        ax.bar(edges[:-1], density, width=np.diff(edges), align="edge", edgecolor="k", lw=0.5)
        ax.set_title(f"{pe} (n = {len(distances)})", fontsize=9)
        ax.set_xlim(0, 1)
        ax.set_xlabel("normalized distance")
        ax.grid(alpha=0.3, axis="y")
    axes[0][0].set_ylabel("share")
    fig.suptitle(title, fontsize=10)
    save_figure(fig, path)


def _as_layers(maps) -> list[np.ndarray]:
    """Per layer (H, T, T) arrays from (H, T, T) or (1, H, T, T) tensors or arrays."""
    out = []
    for m in maps:
        a = m.detach().cpu().numpy() if hasattr(m, "detach") else np.asarray(m)
        if a.ndim == 4 and a.shape[0] == 1:
            a = a[0]
        if a.ndim != 3 or a.shape[1] != a.shape[2]:
            raise PelgError(f"attention maps must be (H, T, T) per layer, got shape {a.shape}")
        out.append(a)
    if not out:
        raise PelgError("plot_attention_maps needs at least one layer")
    return out


def plot_attention_maps(maps, tokens: list[str] | None, path: Path, title: str = "") -> None:
    """One heatmap per (layer, head): rows = layers, columns = heads; query on y, key on x. `tokens`
    (length T) label the axes when T <= MAX_TICK_TOKENS; otherwise the axes show positions."""
    layers = _as_layers(maps)
    H, T = layers[0].shape[0], layers[0].shape[1]
    if tokens is not None and len(tokens) != T:
        raise PelgError(f"{len(tokens)} tokens for maps over {T} positions")
    side = 2.2 if T <= 16 else 3.2
    fig, axes = plt.subplots(len(layers), H, figsize=(side * H + 0.8, side * len(layers) + 0.6), squeeze=False)
    labels = tokens is not None and T <= MAX_TICK_TOKENS
    size = 7 if T <= 20 else 5
    for layer, P in enumerate(layers):
        for head in range(H):
            ax = axes[layer][head]
            image = ax.imshow(P[head], cmap="viridis", vmin=0.0, vmax=1.0, interpolation="nearest")
            ax.set_title(f"layer {layer + 1}, head {head + 1}", fontsize=8)
            if labels:  # token names on the outer axes only (the panels share both axes)
                last = layer == len(layers) - 1
                ax.set_xticks(range(T), tokens if last else [""] * T, rotation=90, fontsize=size)
                ax.set_yticks(range(T), tokens if head == 0 else [""] * T, fontsize=size)
            else:
                ax.tick_params(labelsize=6)
            if head == 0:
                ax.set_ylabel("query", fontsize=8)
            if layer == len(layers) - 1:
                ax.set_xlabel("key", fontsize=8)
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.6, label="attention")
    if title:
        fig.suptitle(title, fontsize=10)
    save_figure(fig, path)
