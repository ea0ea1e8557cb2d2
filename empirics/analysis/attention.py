"""Attention analysis of Kazemnejad et al. 2023 (K23, kazemnejad2023.md, Sec. 5.2, Fig. 4 and Fig. 7).

- `attention_maps`: every layer's post-softmax attention probabilities, recomputed per block from the
  block's own input (captured by a forward pre-hook while the model runs its ordinary forward), so the
  embedding, the PE, the position ids and the float mask are exactly the model's.
- `head_distance`: K23's D(P, Q) = (1/T) sum_t JSD(P_t || Q_t) over the causal rows (natural log),
  averaged over examples; `layer_distance`: per layer the minimum over the FULL H x H product of head
  pairs; `model_distance`: K23's protocol (SCAN, 10 examples per length bucket, gold sequences fed
  teacher-forced; Fig. 4 plots it against NoPE).
- `attended_distance_histogram`: Fig. 7, the distance from each query to its argmax key, normalized by
  the query index (pooled over examples, layers and heads); `distance_histogram` bins them.

Two departures from the official analyzer (McGill-NLP/length-generalization,
src/analyzers/attention_kl_analyzer.py), both deliberate:
1. It compared only the 66 pairs `itertools.combinations(range(12), 2)`, i.e. head i of one model with
   head j > i of the other: a head never meets its own index, and no head j < i. That is a bug (a head
   can only be matched to a later-indexed head); here every (i, j) of the H x H product is a candidate.
   `pairs="i<j"` reproduces the official choice so that tests can show the difference.
2. Its `torch_compute_jensen_shannon_divergence` calls `KLDivLoss(p.log(), m)`, which is KL(M || P),
   not KL(P || M); the sum 1/2 (KL(M||P) + KL(M||Q)) is not the JSD and is unbounded. Here JSD is the
   textbook 1/2 KL(P || M) + 1/2 KL(Q || M), bounded by ln 2.
The head pair is chosen after averaging D over examples (one matching per layer, not per example).
"""
from __future__ import annotations

import inspect
import itertools
import math
from dataclasses import dataclass

import numpy as np
import torch

from ..errors import PelgError
from ..evaluate import forward, make_batch
from ..tasks.base import IGNORE, Batch, Task

LN2 = math.log(2.0)
PAIRS = ("all", "i<j")


# ----------------------------------------------------------------------------- attention maps
def _block_inputs(model, batch: Batch, rng) -> list[dict]:
    """Run the model's own forward once and return each block's bound arguments (x, mask, pe, positions)."""
    captured: list[dict] = []

    def hook(block, args, kwargs):
        bound = inspect.signature(block.forward).bind(*args, **kwargs)
        captured.append(dict(bound.arguments))

    handles = [b.register_forward_pre_hook(hook, with_kwargs=True) for b in model.blocks]
    try:
        forward(model, batch, rng)
    finally:
        for h in handles:
            h.remove()
    return captured


def block_attention(attn, x: torch.Tensor, mask: torch.Tensor | None, pe, positions: torch.Tensor) -> torch.Tensor:
    """Post-softmax probabilities (B, H, T, T) of one `Attention` module on its input x (B, T, D), the
    recomputation of what `scaled_dot_product_attention` does inside it: qkv (bias or not), RoPE-style
    rotation for "qk" PEs, the score scale (None = 1/sqrt(d_head), 1.0 = none, K23's T5 convention), the
    model's float mask (PE bias + causal + key padding), softmax. A row with every key masked gives zeros."""
    B, T, _ = x.shape
    H, dh = attn.n_head, attn.d_head
    q, k, _v = attn.qkv(x).view(B, T, 3, H, dh).permute(2, 0, 3, 1, 4)  # each (B, H, T, dh)
    if pe.hook == "qk":
        q, k = pe.rotate(q, positions, "query"), pe.rotate(k, positions, "key")
    scale = 1.0 / math.sqrt(dh) if attn.scale is None else float(attn.scale)
    scores = (q @ k.transpose(-1, -2)) * scale  # (B, H, T, T)
    if mask is not None:
        scores = scores + mask  # mask (B or 1, H or 1, T, T)
    probs = torch.softmax(scores.float(), dim=-1)  # (B, H, T, T)
    return torch.nan_to_num(probs, nan=0.0)


@torch.no_grad()
def attention_maps(model, batch: Batch, rng: np.random.Generator | None = None) -> list[torch.Tensor]:
    """Every layer's post-softmax attention probabilities, each (B, H, T, T) (rows = queries, columns =
    keys), for any PE. The model runs in eval mode (no dropout) and is put back as it was. `rng` is the
    generator of randomized position schemes, used as `evaluate.forward` uses it. K23 Sec. 5.2."""
    was_training = model.training
    model.eval()
    batch = batch.to(next(model.parameters()).device)
    try:
        inputs = _block_inputs(model, batch, rng)
        maps = []
        for block, a in zip(model.blocks, inputs):
            x, mask, pe, positions = (a.get(name, value) for name, value in
                                      zip(("x", "mask", "pe", "positions"), list(a.values())[:4]))
            if mask is not None and not isinstance(mask, torch.Tensor):  # a flex / fused plan (CUDA): the float mask
                mask = model.attention_mask(positions, batch.pad_mask, x.shape[1], x.device, batch.scale)
            maps.append(block_attention(block.attn, block.ln1(x), mask, pe, positions))  # (B, H, T, T)
    finally:
        model.train(was_training)
    return maps


# ----------------------------------------------------------------------------- distances
def _valid_rows(shape: tuple[int, int], pad_mask: torch.Tensor | None, device) -> torch.Tensor:
    """(B, T) bool: True at real (non-padding) query rows."""
    B, T = shape
    if pad_mask is None:
        return torch.ones(B, T, dtype=torch.bool, device=device)
    return ~pad_mask.to(device).bool()


def row_jsd(P: torch.Tensor, Q: torch.Tensor) -> torch.Tensor:
    """JSD(P_t || Q_t) per row (natural log), over the last axis: (..., T, T) -> (..., T), in [0, ln 2].
    Causal rows are zero beyond the query (and at padded keys) in both maps, so the sum over all keys is
    the sum over keys 0..t."""
    P, Q = P.double(), Q.double()
    M = 0.5 * (P + Q)
    kl_pm = (torch.xlogy(P, P) - torch.xlogy(P, M)).sum(-1)  # (..., T)
    kl_qm = (torch.xlogy(Q, Q) - torch.xlogy(Q, M)).sum(-1)
    return (0.5 * (kl_pm + kl_qm)).clamp(0.0, LN2)


def _per_example(jsd: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """jsd (B, ..., T), valid (B, T) -> (B, ...): mean over each example's valid rows (1/T sum_t)."""
    v = valid.view(valid.shape[0], *([1] * (jsd.dim() - 2)), valid.shape[1]).to(jsd.dtype)  # (B, 1.., T)
    return (jsd * v).sum(-1) / v.sum(-1).clamp(min=1)


def head_distance(P: torch.Tensor, Q: torch.Tensor, pad_mask: torch.Tensor | None = None) -> float:
    """K23's D(P, Q) = (1/T) sum_t JSD(P_t || Q_t) between two heads' maps P, Q: (T, T) or (B, T, T);
    for padded batches only each example's real rows count (pad_mask (B, T), True at padding); averaged
    over examples. Symmetric, 0 for identical maps, at most ln 2."""
    if P.shape != Q.shape or P.dim() not in (2, 3):
        raise PelgError(f"head_distance needs two maps of one shape (T, T) or (B, T, T), got "
                        f"{tuple(P.shape)} and {tuple(Q.shape)}")
    if P.dim() == 2:
        P, Q = P[None], Q[None]
        pad_mask = None if pad_mask is None else pad_mask.view(1, -1)
    valid = _valid_rows(P.shape[:2], pad_mask, P.device)
    return float(_per_example(row_jsd(P, Q), valid).mean())


def _pair_sums(a: torch.Tensor, b: torch.Tensor, pad_mask: torch.Tensor | None) -> torch.Tensor:
    """a (B, Ha, T, T), b (B, Hb, T, T) -> (Ha, Hb): sum over examples of per-example D(a_i, b_j)."""
    valid = _valid_rows((a.shape[0], a.shape[2]), pad_mask, a.device)  # (B, T)
    b = b.to(a.device)
    rows = []
    for i in range(a.shape[1]):  # one head of a at a time: memory (B, Hb, T, T)
        jsd = row_jsd(a[:, i: i + 1], b)  # (B, Hb, T)
        rows.append(_per_example(jsd, valid).sum(0))  # (Hb,)
    return torch.stack(rows)  # (Ha, Hb)


@dataclass
class LayerDistance:
    """Per layer: the minimum D over head pairs (`values`), its pair (head of a, head of b) and the full
    matrix of mean D over examples (`matrices[l][i, j]` = D(head i of a, head j of b))."""

    values: list[float]
    pairs: list[tuple[int, int]]
    matrices: list[np.ndarray]


def _minimum(matrices: list[np.ndarray], pairs: str) -> LayerDistance:
    if pairs not in PAIRS:
        raise PelgError(f"unknown head pairs {pairs!r}; valid: {', '.join(PAIRS)}")
    values, best = [], []
    for m in matrices:
        if pairs == "all":
            candidates = list(itertools.product(range(m.shape[0]), range(m.shape[1])))
        else:  # the official analyzer's itertools.combinations: i < j only (the bug documented above)
            candidates = list(itertools.combinations(range(min(m.shape)), 2))
            if not candidates:
                raise PelgError("pairs='i<j' needs at least two heads")
        i, j = min(candidates, key=lambda ij: m[ij])
        values.append(float(m[i, j]))
        best.append((int(i), int(j)))
    return LayerDistance(values, best, matrices)


def _check_maps(maps_a: list[torch.Tensor], maps_b: list[torch.Tensor]) -> None:
    if len(maps_a) != len(maps_b) or not maps_a:
        raise PelgError(f"the two models need the same (non-zero) number of layers, got {len(maps_a)} and "
                        f"{len(maps_b)}")
    for a, b in zip(maps_a, maps_b):
        if a.shape[0] != b.shape[0] or a.shape[2:] != b.shape[2:]:
            raise PelgError(f"attention maps of different batches: {tuple(a.shape)} vs {tuple(b.shape)}")


def layer_distance(maps_a: list[torch.Tensor], maps_b: list[torch.Tensor], pad_mask: torch.Tensor | None = None,
                   pairs: str = "all") -> LayerDistance:
    """K23's model distance per layer: min over head pairs (i, j) of D(head i of a, head j of b), D
    averaged over the batch's examples. maps_*: per layer (B, H, T, T) from `attention_maps` on the same
    batch. `pairs="all"` is the full H x H product (K23 Sec. 5.2 as intended); "i<j" is the official
    analyzer's 66-pair subset, kept only to show its bug."""
    _check_maps(maps_a, maps_b)
    n = maps_a[0].shape[0]
    return _minimum([(_pair_sums(a, b, pad_mask) / n).cpu().numpy() for a, b in zip(maps_a, maps_b)], pairs)


def _buckets(lengths) -> list[tuple[int, int]]:
    out = []
    for item in lengths:
        lo, hi = (item, item) if isinstance(item, (int, np.integer)) else tuple(item)
        out.append((int(lo), int(hi)))
    if not out:
        raise PelgError("model_distance needs at least one length bucket")
    return out


def _check_vocab(model, task: Task) -> None:
    want = 0 if task.vocab is None else len(task.vocab)
    if model.cfg.vocab_size != want:
        raise PelgError(f"task {task.name!r} has {want} tokens but the model's vocabulary has "
                        f"{model.cfg.vocab_size}")


def model_distance(model_a, model_b, task: Task | str, lengths, n_per_length: int = 10, layout: str = "default",
                   seed: int = 0, pairs: str = "all") -> LayerDistance:
    """K23 Fig. 4 protocol: `n_per_length` examples per length bucket (`lengths`: ints or (lo, hi) pairs;
    K23: SCAN, 10 per bucket), gold sequences fed teacher-forced to both models (identical batches and
    position ids: each bucket's generator is reseeded for each model), per-layer min over head pairs of
    D averaged over all examples (buckets weighted by their example counts)."""
    from ..tasks import get_task

    task = get_task(task) if isinstance(task, str) else task
    for m in (model_a, model_b):
        _check_vocab(m, task)
    sums, count = None, 0
    for index, (lo, hi) in enumerate(_buckets(lengths)):
        data_rng = np.random.default_rng([seed, 104729, index])
        batch = make_batch(task, data_rng, lo, hi, n_per_length, "any", layout=layout)
        maps = [attention_maps(m, batch, np.random.default_rng([seed, 15485863, index])) for m in (model_a, model_b)]
        _check_maps(*maps)
        layer_sums = [_pair_sums(a, b, batch.pad_mask) for a, b in zip(*maps)]  # per layer (Ha, Hb)
        sums = layer_sums if sums is None else [s + t for s, t in zip(sums, layer_sums)]
        count += batch.inputs.shape[0]
    return _minimum([(s / count).cpu().numpy() for s in sums], pairs)


# ----------------------------------------------------------------------------- Fig. 7
def attended_distance_histogram(model, batch: Batch, queries: str = "all", rng: np.random.Generator | None = None,
                                maps: list[torch.Tensor] | None = None) -> np.ndarray:
    """K23 Fig. 7: for each query t >= 1 and every layer and head, the distance to the key j* with the
    largest attention weight among keys 0..t, normalized by the query index: (t - j*) / t; 0 = the query
    attends to itself, 1 = to the first token. Distances are sequence indices (not position ids). Query
    0 (a single key) is left out; so are padded rows. `queries`: "all" (every causal row, as the official
    analyzer) or "target" (rows that predict a target token, labels != -100). Ties go to the first key
    (uniform attention gives 1). Returns a flat numpy array pooled over examples, layers and heads;
    `distance_histogram` turns it into Fig. 7's histogram. `maps`: precomputed `attention_maps`."""
    if queries not in ("all", "target"):
        raise PelgError(f"unknown queries {queries!r}; valid: all, target")
    maps = attention_maps(model, batch, rng) if maps is None else maps
    B, _, T, _ = maps[0].shape
    rows = _valid_rows((B, T), batch.pad_mask, maps[0].device)  # (B, T)
    if queries == "target":
        if batch.labels.dim() != 2 or batch.labels.dtype != torch.long:
            raise PelgError("queries='target' needs a token task (labels with -100 outside the target)")
        rows = rows & (batch.labels.to(rows.device) != IGNORE)
    rows[:, 0] = False
    t = torch.arange(T, device=maps[0].device)
    future = t[None, :] > t[:, None]  # (T, T) keys after the query
    out = []
    for P in maps:  # (B, H, T, T)
        star = P.masked_fill(future, -1.0).argmax(-1)  # (B, H, T) first maximal key in 0..t
        d = (t.view(1, 1, T) - star).double() / t.clamp(min=1).view(1, 1, T)  # (B, H, T)
        out.append(d.permute(0, 2, 1)[rows].reshape(-1))  # (rows * H,)
    return torch.cat(out).cpu().numpy()


def distance_histogram(distances: np.ndarray, bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Normalized distances (from `attended_distance_histogram`) -> (density over `bins` equal bins of
    [0, 1], summing to 1; bin edges)."""
    if not isinstance(bins, int) or bins <= 0:
        raise PelgError(f"bins must be a positive integer, got {bins!r}")
    counts, edges = np.histogram(np.asarray(distances, dtype=float), bins=bins, range=(0.0, 1.0))
    total = counts.sum()
    return (counts / total if total else counts.astype(float)), edges
