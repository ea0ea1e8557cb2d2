"""Evaluation by length bucket: whole-target exact match (teacher-forced argmax) for token tasks, MSE
for regression. Teacher-forced argmax over the whole target equals greedy decoding (if every step's
argmax is the gold token, greedy reproduces the gold prefix at every step); `greedy_decode` is the
generation path that a test checks against it."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .errors import unknown
from .tasks.base import EOS, IGNORE, LAYOUTS, Batch, Example, Task, _sequence, collate
from .tasks.splits import draw


def bucket_label(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}-{hi}"


def make_batch(task: Task, rng: np.random.Generator, lo: int, hi: int, n: int, role: str = "any",
               train_range: tuple[int, int] | None = None, layout: str = "default") -> Batch:
    """n examples with lengths uniform in [lo, hi], legal for `role` (see tasks.splits.draw);
    regression batches share one length."""
    if task.kind == "regression":
        length = int(rng.integers(lo, hi + 1))
        return collate(task, [task.sample(rng, length) for _ in range(n)])
    return collate(task, [draw(task, rng, lo, hi, role, train_range) for _ in range(n)], layout)


def forward(model, batch: Batch, rng: np.random.Generator | None = None) -> torch.Tensor:
    """Model output for a batch, with position ids from the model's position scheme."""
    B, T = batch.inputs.shape
    positions = model.positions(B, T, batch.sep_index, rng)
    return model(batch.inputs, positions, batch.pad_mask, batch.scale)


def batch_scores(model, batch: Batch, rng=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-example (score, loss). Token tasks: score = 1.0 if the whole target is right; loss = mean CE.
    Sets: score = 1.0 if every position's predicted set (sigmoid > 1/2) is right; loss = mean BCE.
    Regression: score = loss = per-example MSE."""
    out = forward(model, batch, rng)
    if model.regression:
        mse = ((out - batch.labels) ** 2).mean(dim=1)
        return mse, mse
    if batch.labels.dim() == 3:  # "sets": multi-label legal-next-symbol sets (B, T, V)
        valid = torch.ones(batch.labels.shape[:2], dtype=torch.bool, device=out.device)
        if batch.pad_mask is not None:
            valid = ~batch.pad_mask
        bce = F.binary_cross_entropy_with_logits(out, batch.labels, reduction="none").mean(-1)  # (B, T)
        right = ((out > 0) == (batch.labels > 0.5)).all(-1) | ~valid
        return right.all(dim=1).float(), (bce * valid).sum(1) / valid.sum(1)
    mask = batch.labels != IGNORE
    correct = (out.argmax(-1) == batch.labels) | ~mask
    ce = F.cross_entropy(out.transpose(1, 2), batch.labels.clamp(min=0), reduction="none")
    loss = (ce * mask).sum(1) / mask.sum(1)
    return correct.all(dim=1).float(), loss


@torch.no_grad()
def evaluate(model, task: Task, buckets: list[tuple[int, int]], n_per_bucket: int, seed: int,
             batch_size: int = 256, device="cpu", train_range: tuple[int, int] | None = None,
             layout: str = "default") -> dict[str, dict[str, float]]:
    """{bucket label: {"metric": accuracy or MSE, "loss": mean loss, "n": count}} (regression also
    "zero_mse": the MSE of predicting 0 on the same examples); the evaluation data
    depend only on (seed, bucket), so every PE sees the same examples. Inside `train_range` only
    held-out examples are used (tasks.splits)."""
    was_training = model.training
    model.eval()
    results = {}
    for index, (lo, hi) in enumerate(buckets):
        rng = np.random.default_rng([seed, 7919, index])
        scores, losses, zeros, left = [], [], [], n_per_bucket
        while left > 0:
            n = min(batch_size, left)
            batch = make_batch(task, rng, lo, hi, n, "eval", train_range, layout).to(device)
            s, l = batch_scores(model, batch, rng)
            scores.append(s.cpu()), losses.append(l.cpu())
            if model.regression:  # the exact zero predictor on the same examples: the fit gate's yardstick
                zeros.append((batch.labels.float() ** 2).mean(dim=1).cpu())
            left -= n
        results[bucket_label(lo, hi)] = {"metric": float(torch.cat(scores).mean()),
                                         "loss": float(torch.cat(losses).mean()), "n": n_per_bucket}
        if zeros:
            results[bucket_label(lo, hi)]["zero_mse"] = float(torch.cat(zeros).mean())
    model.train(was_training)
    return results


@torch.no_grad()
def greedy_decode(model, task: Task, source: list[str], max_new: int, device="cpu",
                  layout: str = "default") -> list[str]:
    """Generate after the layout's prompt until <eos> or max_new tokens: "default" `<bos> source <sep>`,
    "k23" `source [SEP]` (tasks with `k23_separator`) or `source`, no <bos> (Kazemnejad et al. 2023; the
    prompt is `tasks.base._sequence`'s, so it matches training). Positions come from the model's scheme;
    the randomized scheme is not supported here since it would resample positions each step."""
    if layout not in LAYOUTS:
        raise unknown("layout", layout, LAYOUTS)
    v = task.vocab
    full, sep_index = _sequence(task, Example(list(source), [], len(source)), layout)
    ids = v.encode(full[: sep_index + 1])  # the prompt: everything before the first target token
    sep = torch.as_tensor([sep_index])
    out = []
    for _ in range(max_new):
        x = torch.as_tensor([ids], device=device)
        logits = model(x, model.positions(1, len(ids), sep), None, torch.as_tensor([len(source)]))  # (1, T, V)
        nxt = int(logits[0, -1].argmax())
        if v.itos[nxt] == EOS:
            break
        ids.append(nxt)
        out.append(v.itos[nxt])
    return out
