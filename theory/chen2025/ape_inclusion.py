"""Chen, Liang, Lin 2025 (arXiv 2510.04130), "PEs do not expand computational capabilities" —
**[reconstruction]** (ledger entry chen2025.pes_do_not_expand_capabilities): on the POLA of
`theory.chen2025.pola`, range(Phi_n^PE) is contained in range(Phi_n^APE) at every scale, checked exactly
on the full L x L coefficient grid (`inclusion`, with the unmasked negative control), and the
across-scales reading with one theta shared by all scales (`joint_inclusion`).
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from theory.chen2025.lrc import representable
from theory.chen2025.pola import boundary, check_pe, hinted, layout_length, periodic_delta, union_parts


def _grid(layout: str, n: int):
    """Every (i, j) of the full L x L grid (1-based, row-major) and the layout's pair mask."""
    L = layout_length(layout, n)
    i, j = np.divmod(np.arange(L * L), L)
    i, j = i + 1, j + 1
    if layout == "stream":
        mask = j <= i
    else:
        mask = (i > boundary(layout, n)) & (j <= n)
    return L, i, j, mask


def feature_coo(pe: str, layout: str, n: int, masked: bool = True):
    """Vectorized Phi_n over the FULL L x L grid as COO triplets (grid row r = (i-1) L + (j-1), column
    id, value); the same feature map as `theory.chen2025.pola.feature` (a test compares them). The
    POLA's mask keeps only the layout's pairs (coefficients elsewhere are 0); masked=False evaluates the
    feature map everywhere, j > i included (the negative control of `inclusion`). Columns of different
    parts never collide."""
    check_pe(pe)
    L, i, j, mask = _grid(layout, n)
    h = np.asarray(hinted(layout, n))
    parts = union_parts(pe) or (pe,)
    rows, cols, vals, offset = [], [], [], 0
    r = np.arange(L * L)
    for part in parts:
        if part == "nope":
            key, val = np.zeros_like(i), 1.0 / i
        elif part == "ape":
            key, val = i * (L + 1) + j, np.ones(L * L)
        elif part == "ape+sh":
            key, val = h[i] * (L + 1) + h[j], np.ones(L * L)
        elif part == "rpe":
            key, val = i - j, np.ones(L * L)
        elif part == "sh":
            key, val = h[i] - h[j], np.ones(L * L)
        elif part == "ipe":
            b = boundary(layout, n)
            al = i if layout == "stream" else np.where((i - b >= 1) & (i - b <= n), i - b, -1)
            key, val = (j == al).astype(np.int64), np.ones(L * L)
        else:
            delta = periodic_delta(part)
            key, val = (i - j) % delta, np.ones(L * L)
        keep = mask if masked else np.ones(L * L, bool)
        _, col = np.unique(key[keep], return_inverse=True)
        rows.append(r[keep])
        cols.append(col.ravel() + offset)
        vals.append(val[keep])
        offset += int(col.max()) + 1 if col.size else 0
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), mask


def inclusion(pe: str, layout: str, n: int, masked: bool = True) -> dict:
    """range(Phi_n^PE) within range(Phi_n^APE), both on the full L x L coefficient grid.
    Phi_n^APE is checked to have 0/1 columns with exactly one entry each, on distinct grid rows (its
    Gram matrix is the identity), so the orthogonal projector onto its range is P = diag(s) with s the
    0/1 indicator of the rows APE covers; the inclusion is P Phi_PE = Phi_PE, i.e. every non-zero
    entry of Phi_PE lies on a row APE covers. Exact: the check only compares supports."""
    ar, ac, av, mask = feature_coo("ape", layout, n)
    gram_identity = bool(np.all(av == 1) and len(np.unique(ac)) == len(ac) and len(np.unique(ar)) == len(ar))
    covered = np.zeros(mask.size, bool)
    covered[ar] = True
    br, _, bv, _ = feature_coo(pe, layout, n, masked=masked)
    outside = int(np.sum((bv != 0) & ~covered[br]))
    return {"pe": pe, "layout": layout, "n": n, "included": gram_identity and outside == 0,
            "ape_gram_identity": gram_identity, "rank_ape": int(len(ac)),
            "entries_outside_ape_range": outside}


def joint_inclusion(pe: str, target: str, scales: Iterable[int]) -> tuple[bool, bool]:
    """The across-scales reading: (T_S in range(Phi_S^PE), T_S in range(Phi_S^APE)) for one theta
    shared by all scales of S. Plain APE does not see n, so a scale-dependent family can be in the first
    range and not in the second (e.g. copy with sh or ipe)."""
    scales = list(scales)
    return representable(pe, target, scales), representable("ape", target, scales)
