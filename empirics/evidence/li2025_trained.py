"""The small trained models behind the Li 2025 model-ledger entries (empirics/evidence/li2025_capacity.py,
li2025_alibi.py) and their figures (li2025_figures.py): each is trained once per process (cached) on
* running_mean (Li 2025's experiment, our [reconstruction]): 2-layer bidirectional encoder, one head,
  d_model 32 (the paper: 64; halved for time), trained at length 50, tested at 100 and 200;
* copy (pelg's decoder task): 2-layer decoder, two heads, trained on lengths 1-8, tested on 9-16.
"""
from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from empirics import checkpoint
from empirics.engine.threads import torch_threads
from empirics.evaluate import make_batch
from empirics.tasks import get_task
from empirics.train import TrainConfig, train

RUNNING_MEAN = {
    "task": "running_mean", "train_length": 50, "test_lengths": (100, 200),
    "pes": ("sinusoidal", "alibi", "wavelet", "legendre", "nope", "rope", "learned"),
    "model": {"arch": "encoder", "causal": False, "n_layer": 2, "n_head": 1, "d_model": 32, "d_ff": 64},
    "pe_options": {"wavelet": {"n_max": 50}, "legendre": {"n_max": 50}, "learned": {"max_positions": 256}},
    "steps": 120, "batch_size": 16, "lr": 3e-3, "eval_samples": 48,
}
COPY = {
    "task": "copy", "train_lengths": (1, 8), "test_lengths": (9, 16),
    "pes": ("nope", "sinusoidal", "alibi", "rope", "learned"),
    "model": {"arch": "decoder", "n_layer": 2, "n_head": 2, "d_model": 32, "d_ff": 64},
    "pe_options": {"learned": {"max_positions": 64}},
    "steps": 120, "batch_size": 32, "lr": 3e-3, "eval_samples": 64,
}
SEED = 0


def _config(p: dict, pe: str) -> TrainConfig:
    model = {**p["model"], "pe": pe, "pe_options": dict(p["pe_options"].get(pe, {}))}
    if p["task"] == "running_mean":
        lengths = (p["train_length"],) * 2
        buckets = [(n, n) for n in (p["train_length"], *p["test_lengths"])]
    else:
        lengths, buckets = p["train_lengths"], [p["train_lengths"], p["test_lengths"]]
    return TrainConfig(task=p["task"], model=model, train_lengths=lengths, eval_buckets=buckets,
                       eval_samples=p["eval_samples"], steps=p["steps"], batch_size=p["batch_size"], lr=p["lr"],
                       seed=SEED, device="cpu")


@lru_cache(maxsize=None)
def trained(task: str, pe: str):
    """(model, result) of one small training run (one torch thread), cached for the process."""
    p = RUNNING_MEAN if task == "running_mean" else COPY
    cfg = _config(p, pe)
    with torch_threads(1), tempfile.TemporaryDirectory() as tmp:
        result = train(cfg, tmp, progress=False)
        model, _ = checkpoint.load(Path(tmp) / "model.pt")
    model.eval()
    return model, result


def sample_inputs(model, task: str, n_tokens: int, k: int, rng) -> np.ndarray:
    """k raw input sequences of n_tokens tokens (regression: u ~ U[-1, 1]; copy: task batches)."""
    if task == "running_mean":
        return rng.uniform(-1.0, 1.0, size=(k, n_tokens))
    n_src = (n_tokens - 2) // 2 + ((n_tokens - 2) % 2)
    batch = make_batch(get_task(task), rng, n_src, n_src, k, "any")
    return batch.inputs.numpy()[:, :n_tokens]


def model_lengths(task: str) -> tuple[int, int]:
    """(train, test) sequence lengths the model sees (tokens)."""
    if task == "running_mean":
        return RUNNING_MEAN["train_length"], max(RUNNING_MEAN["test_lengths"])
    return 2 * COPY["train_lengths"][1] + 2, 2 * COPY["test_lengths"][1] + 2
