"""The small trained models behind the Li 2025 model-ledger entries (empirics/evidence/li2025_capacity.py,
li2025_alibi.py) and their figures (li2025_figures.py):
* running_mean (Li 2025's experiment, our [reconstruction]): 2-layer CAUSAL encoder, one head, d_model 32
  (the paper: 64; halved for time), trained at length 50, tested at 100 and 200. Causal, because a
  bidirectional NoPE encoder is permutation-equivariant and cannot represent a running mean at all
  (measured: MSE 0.021 against the zero predictor's 0.030, the same for bidirectional ALiBi), and an entry
  built on models that did not fit would be evidence of nothing;
* copy (pelg's decoder task): 2-layer decoder, four heads, d_model 64, trained on lengths 1-8, tested on
  9-16 (2,500 steps: measured on one core, NoPE reaches 100% held-out exact match, at 1,500 steps 94%).

Every model has a fit record (`empirics.analysis.fit`): the entries use only models that fit.

A model is looked up by the hash of its config, first among the recorded models shipped in
`empirics/evidence/models/` (written by `pelg claims --record-models`, so `pelg claims` needs no training),
then in the cache directory (`runs/ledger-models/` or $PELG_LEDGER_CACHE), and trained (and cached) only
when neither has it. `pelg claims --rerun` (RERUN = True) ignores both and trains afresh.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from empirics import checkpoint
from empirics.analysis.fit import default_bar, fit_record
from empirics.engine.confighash import config_hash
from empirics.engine.threads import torch_threads
from empirics.evaluate import evaluate, make_batch
from empirics.tasks import get_task
from empirics.train import TrainConfig, train

RUNNING_MEAN = {
    "task": "running_mean", "train_length": 50, "test_lengths": (100, 200),
    "pes": ("sinusoidal", "alibi", "wavelet", "legendre", "nope", "rope", "learned"),
    "model": {"arch": "encoder", "causal": True, "n_layer": 2, "n_head": 1, "d_model": 32, "d_ff": 64},
    "pe_options": {"wavelet": {"n_max": 50}, "legendre": {"n_max": 50}, "learned": {"max_positions": 256}},
    "steps": 300, "batch_size": 32, "lr": 3e-3, "eval_samples": 64,
}
COPY = {
    "task": "copy", "train_lengths": (1, 8), "test_lengths": (9, 16),
    "pes": ("nope", "sinusoidal", "alibi", "rope", "learned"),
    "model": {"arch": "decoder", "n_layer": 2, "n_head": 4, "d_model": 64, "d_ff": 128},
    "pe_options": {"learned": {"max_positions": 64}},
    "steps": 2500, "batch_size": 32, "lr": 3e-3, "eval_samples": 64,
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


RECORDED = Path(__file__).parent / "models"
RERUN = False  # set by `pelg claims --rerun`: train every model afresh


def cache_dir() -> Path:
    return Path(os.environ.get("PELG_LEDGER_CACHE", Path("runs") / "ledger-models"))


def _stored(cfg: TrainConfig) -> tuple[Path, str] | None:
    """The directory holding model.pt and result.json for this config, if any, and where it came from."""
    key = config_hash(cfg.to_dict())
    for where, root in (("recorded", RECORDED), ("cache", cache_dir())):
        d = root / key
        if (d / "model.pt").is_file() and (d / "result.json").is_file():
            return d, where
    return None


@lru_cache(maxsize=None)
def trained(task: str, pe: str):
    """(model, result) of one small training run (one torch thread): recorded, cached, or trained now.
    `result["fit"]` is its fit record, `result["source"]` says which."""
    p = RUNNING_MEAN if task == "running_mean" else COPY
    cfg = _config(p, pe)
    found = None if RERUN else _stored(cfg)
    loaded = _load(*found) if found else None
    if loaded is None:  # nothing stored, or stored by code that computes something else now
        out = cache_dir() / config_hash(cfg.to_dict())
        for name in ("model.pt", "result.json"):
            (out / name).unlink(missing_ok=True)
        with torch_threads(1):
            train(cfg, out, progress=False)
        loaded = _load(out, "trained now")
    model, result = loaded
    kind = "regression" if task == "running_mean" else "tokens"
    result["fit"] = fit_record(result, default_bar(kind))
    return model, result


def _load(d: Path, source: str):
    """(model, result) from a run directory, or None when the model no longer reproduces its recorded
    metrics under the current code (e.g. a PE's fixed table changed): a stale recording is never used."""
    result = json.loads((d / "result.json").read_text())
    model, cfg = checkpoint.load(d / "model.pt")
    model.eval()
    result["source"] = source
    with torch_threads(1):
        metrics = evaluate(model, get_task(cfg.task), cfg.eval_buckets, cfg.eval_samples, seed=cfg.seed,
                           train_range=cfg.train_lengths, layout=cfg.layout)
    for bucket, m in result["metrics"].items():
        if abs(metrics[bucket]["metric"] - m["metric"]) > 1e-3 * abs(m["metric"]) + 1e-9:
            return None
    return model, result


def fit_models(task: str) -> tuple[list[str], dict]:
    """The PEs of `task` whose models fit, and every PE's fit record."""
    p = RUNNING_MEAN if task == "running_mean" else COPY
    records = {pe: trained(task, pe)[1]["fit"] for pe in p["pes"]}
    return [pe for pe, f in records.items() if f["fit"]], records


def record_models() -> list[Path]:
    """Copy every ledger model (trained now if needed) into the shipped recordings (`RECORDED`)."""
    import shutil

    written = []
    for task, p in (("running_mean", RUNNING_MEAN), ("copy", COPY)):
        for pe in p["pes"]:
            trained(task, pe)
            cfg = _config(p, pe)
            src, _ = _stored(cfg) or (cache_dir() / config_hash(cfg.to_dict()), "")
            dst = RECORDED / config_hash(cfg.to_dict())
            if src != dst:
                dst.mkdir(parents=True, exist_ok=True)
                for name in ("model.pt", "result.json"):
                    shutil.copyfile(src / name, dst / name)
            written.append(dst)
    return written


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
