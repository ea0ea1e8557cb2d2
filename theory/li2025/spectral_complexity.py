"""Spectral complexity for the capacity of pre-norm Transformers (Li 2025, claim 1): the Bartlett-Foster-Telgarsky
spectral complexity R_A, a theorem-grade formula for chains, and its Transformer application (a proxy).

THEOREM (Bartlett, Foster, Telgarsky 2017, "Spectrally-normalized margin bounds"): for a feed-forward
chain F(x) = s_L(A_L ... s_1(A_1 x)) with rho_i-Lipschitz s_i, the spectral complexity
    R_A = (prod_i rho_i ||A_i||_sigma) * (sum_i ||A_i^T - M_i^T||_{2,1}^{2/3} / ||A_i||_sigma^{2/3})^{3/2}
enters their margin bound.  ``spectral_complexity`` computes R_A for any list of matrices (theorem-grade
formula).  ``transformer_spectral_complexity`` applies it to the value/output and MLP matrices of a
Transformer (the weight dict of ``theory.li2025.numpy_transformer``): a PROXY (the theorem covers chains,
not attention's score path, residuals or LayerNorm).
"""
from __future__ import annotations

import numpy as np

from theory.li2025.numpy_transformer import GELU_MAX_SLOPE

__all__ = [
    "spectral_norm",
    "norm_21",
    "spectral_complexity",
    "transformer_spectral_complexity",
]


def spectral_norm(A) -> float:
    """||A||_sigma, the largest singular value."""
    A = np.asarray(A, dtype=np.float64)
    return float(np.linalg.norm(A, 2)) if A.size else 0.0


def norm_21(A) -> float:
    """||A^T||_{2,1} in BFT's notation for a layer x -> A x: the sum of the Euclidean norms of A's rows
    (of an ``nn.Linear.weight``)."""
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2:
        raise ValueError(f"A must be a matrix, got shape {A.shape}")
    return float(np.linalg.norm(A, axis=1).sum())


def spectral_complexity(mats, refs=None, rhos=None) -> float:
    """BFT 2017 spectral complexity R_A (THEOREM-grade formula for chains x -> A_L s(... s(A_1 x))).

    R_A = (prod_i rho_i ||A_i||_sigma) (sum_i ||A_i^T - M_i^T||_{2,1}^{2/3} / ||A_i||_sigma^{2/3})^{3/2},
    with reference matrices M_i (default 0) and activation Lipschitz constants rho_i (default 1).
    A zero matrix makes the product 0 (R_A = 0).
    """
    mats = [np.asarray(A, dtype=np.float64) for A in mats]
    if not mats:
        raise ValueError("spectral_complexity needs at least one matrix")
    refs = [np.zeros_like(A) for A in mats] if refs is None else [np.asarray(M, dtype=np.float64) for M in refs]
    rhos = [1.0] * len(mats) if rhos is None else [float(r) for r in rhos]
    if len(refs) != len(mats) or len(rhos) != len(mats):
        raise ValueError(f"need one reference and one rho per matrix: {len(mats)} matrices, "
                         f"{len(refs)} references, {len(rhos)} rhos")
    for A, M in zip(mats, refs):
        if A.shape != M.shape:
            raise ValueError(f"reference shape {M.shape} differs from matrix shape {A.shape}")
    sig = [spectral_norm(A) for A in mats]
    if min(sig) == 0.0:
        return 0.0
    prod = float(np.prod([r * s for r, s in zip(rhos, sig)]))
    total = sum(norm_21(A - M) ** (2 / 3) / s ** (2 / 3) for A, M, s in zip(mats, refs, sig))
    return prod * total ** 1.5


def transformer_spectral_complexity(net: dict) -> float:
    """PROXY: R_A of the chain (W_v, W_o, W1, W2 per block, then W_head), GELU/ReLU slope on W1.

    The BFT theorem is for feed-forward chains; a Transformer's score path (W_q, W_k), residual
    connections and LayerNorms are outside it, so this is a norm-based complexity measure, not a bound.
    """
    rho_act = GELU_MAX_SLOPE if net["activation"] == "gelu" else 1.0
    mats, rhos = [], []
    for blk in net["blocks"]:
        mats += [blk["W_v"], blk["W_o"], blk["W1"], blk["W2"]]
        rhos += [1.0, 1.0, rho_act, 1.0]
    mats.append(net["W_head"])
    rhos.append(1.0)
    return spectral_complexity(mats, rhos=rhos)
