"""Training: AdamW, warmup then linear or polynomial decay, gradient clipping, seeds, CPU or GPU, a
progress bar with loss and ETA, evaluation by length bucket at the end, and a final checkpoint.

Resumable: with an output directory, `train` writes `checkpoint.pt` every `checkpoint_every` steps
(weights, optimizer, scheduler, numpy and torch RNG states, step, loss curve, validation history and the
best-so-far weights) and continues from it when called again; a run killed at any point and resumed
finishes bitwise-identical on CPU to an uninterrupted run (same machine, same torch thread count).

The papers' protocol options (defaults keep plain training):
- Kazemnejad et al. 2023: validation on held-out in-distribution examples every `eval_every` steps,
  final metrics from the best validation checkpoint (`select_best`).
- Huang et al. 2025: the position-offset trick (`position_offset_max`), the R_pos regularizer
  (`rpos_lambda`, backpropagated), early stop at 100% in-distribution accuracy (`early_stop`).
Seed and hyperparameter selection and MRR are in `empirics.analysis.selection`.
"""
from __future__ import annotations

import json
import math
import platform
import time
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from . import checkpoint
from .accel import autocast, make_optimizer
from .fileio import write_json
from .errors import PelgError
from .evaluate import batch_scores, evaluate, make_batch
from .model import Transformer
from .positional import LearnedEmbedding
from .runconfig import TrainConfig, build_model, resolve, resolve_device, task_of  # noqa: F401 (resolve: API)
from .trainsets import FixedBatches, fixed_train_set, load_dataset

CHECKPOINT = "checkpoint.pt"
MODEL = "model.pt"
RESULT = "result.json"
VAL_STREAM = 104729      # validation data: np.random.default_rng([seed, VAL_STREAM]); the test buckets use 7919
VAL_BATCH = 256


class RunFailed(PelgError):
    """Training diverged (NaN or Inf loss or gradient norm). `step` is the 0-based index of the failing
    update; `checkpoint_step` the number of steps in the last good checkpoint kept on disk (None if none)."""

    def __init__(self, step: int, message: str, checkpoint_step: int | None = None):
        self.step, self.message, self.checkpoint_step = step, message, checkpoint_step
        kept = "" if checkpoint_step is None else f"; last good checkpoint at step {checkpoint_step} kept"
        super().__init__(f"run failed at step {step}: {message}{kept}")


def lr_factor(step: int, cfg: TrainConfig) -> float:
    """Warmup to 1, then linear or polynomial decay to 0 at cfg.steps (or constant)."""
    warm = int(cfg.warmup * cfg.steps)
    if step < warm:
        return (step + 1) / warm
    if cfg.schedule == "constant":
        return 1.0
    frac = (step - warm) / max(1, cfg.steps - warm)
    return max(0.0, 1 - frac) ** (1.0 if cfg.schedule == "linear" else cfg.poly_power)


def environment() -> dict:
    """Versions and device, recorded with every result."""
    return {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "platform": platform.platform()}


# ----------------------------------------------------------------------------- H25 protocol pieces
def rpos(model: Transformer) -> torch.Tensor:
    """Huang et al. 2025's positional regularizer (a differentiable scalar):
    R_pos = sum over layers and heads h of (1/N) sum_j sum_{i>=j} ((p_i W_Q^h) . (p_j W_K^h))^2,
    with p the whole learned position table (N rows) and no LayerNorm, bias or score scaling."""
    if not isinstance(model.pe, LearnedEmbedding):
        raise PelgError("R_pos is defined for the learned absolute PE ('learned') only")
    p = model.pe.weight  # (N, D)
    n, d = p.shape
    lower = torch.ones(n, n, dtype=torch.bool, device=p.device).tril()  # i >= j
    total = p.new_zeros(())
    for block in model.blocks:
        att = block.attn
        w = att.qkv.weight  # (3D, D): rows [0, D) make queries, [D, 2D) keys; head h = rows h*dh..(h+1)*dh
        q = (p @ w[:d].T).view(n, att.n_head, att.d_head).transpose(0, 1)        # (H, N, dh)
        k = (p @ w[d:2 * d].T).view(n, att.n_head, att.d_head).transpose(0, 1)   # (H, N, dh)
        scores = q @ k.transpose(1, 2)  # (H, N, N): [h, i, j] = (p_i W_Q^h) . (p_j W_K^h)
        total = total + scores.pow(2).masked_fill(~lower, 0.0).sum() / n
    return total


class OffsetPositions:
    """Training-time position ids (Huang et al. 2025's position-offset trick): row b of a batch of length
    T gets offset_b + (0..T-1) with offset_b uniform in {0, ..., top - T}, so every position id below
    `top` is trained. Wraps the model's position scheme for the training steps only (none at test)."""

    def __init__(self, scheme, top: int):
        self.scheme, self.top = scheme, top

    def __call__(self, batch: int, length: int, sep_index=None, rng: np.random.Generator | None = None):
        if length > self.top:
            raise PelgError(f"position_offset_max {self.top} is smaller than a training sequence of {length} "
                            f"tokens; raise position_offset_max")
        if rng is None:
            raise PelgError("the position-offset trick needs the training random generator")
        positions = self.scheme(batch, length, sep_index, rng)
        offsets = torch.as_tensor(rng.integers(0, self.top - length + 1, size=batch), dtype=torch.long)
        return positions + offsets[:, None]


# ----------------------------------------------------------------------------- validation (K23)
def validation_batches(task, cfg: TrainConfig) -> list:
    """A fixed validation set: `val_samples` held-out examples with lengths in `train_lengths` (the same
    hash-based hold-out as the in-distribution test bucket, drawn from another random stream)."""
    rng = np.random.default_rng([cfg.seed, VAL_STREAM])
    lo, hi = cfg.train_lengths
    batches, left = [], cfg.val_samples
    while left > 0:
        n = min(VAL_BATCH, left)
        batches.append(make_batch(task, rng, lo, hi, n, "eval", cfg.train_lengths, cfg.layout))
        left -= n
    return batches


@torch.no_grad()
def validate(model, batches, seed: int, device) -> float:
    """Exact match (or MSE for regression) of `model` on the validation batches; deterministic, and it
    draws nothing from the training random streams."""
    was_training = model.training
    model.eval()
    rng = np.random.default_rng([seed, VAL_STREAM, 1])  # randomized position schemes only
    scores = [batch_scores(model, b.to(device), rng)[0].cpu() for b in batches]
    model.train(was_training)
    return float(torch.cat(scores).mean())


def training_set(task, cfg: TrainConfig) -> FixedBatches | None:
    """The fixed training set of the run (`n_train` generated once, or the exported `dataset`), or None
    for a fresh stream. A dataset's lengths must lie in `train_lengths` (the in-distribution range)."""
    if cfg.dataset:
        examples = load_dataset(cfg.dataset, task, cfg.task, cfg.task_format)
        lo, hi = cfg.train_lengths
        outside = [e.length for e in examples if not lo <= e.length <= hi]
        if outside:
            raise PelgError(f"dataset {cfg.dataset!r} has examples of length {outside[0]}, outside train_lengths "
                            f"{lo}..{hi}; give the dataset's range with --train-lengths")
    elif cfg.n_train:
        examples = fixed_train_set(task, cfg.train_lengths, cfg.n_train, cfg.data_seed)
    else:
        return None
    return FixedBatches(task, examples, cfg.batch_size, cfg.seed, cfg.layout)


# ----------------------------------------------------------------------------- checkpoints
def _clone_state(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _config_mismatch(saved: dict, current: dict) -> str | None:
    """The first field (other than device) where two resolved configs differ, or None."""
    for key in sorted(set(saved) | set(current)):
        if key != "device" and saved.get(key) != current.get(key):
            return key
    return None


def _remove_stale_temporaries(out_dir: Path) -> None:
    """Temporary files of atomic writes interrupted by a kill (fileio.atomic_write names them .NAME.*.tmp)."""
    if out_dir.is_dir():
        for name in (CHECKPOINT, MODEL, RESULT):
            for tmp in out_dir.glob(f".{name}.*.tmp"):
                tmp.unlink(missing_ok=True)


class _Run:
    """The mutable state of one training run, saved to and restored from checkpoint.pt."""

    def __init__(self):
        self.step = 0                 # completed optimizer steps
        self.curve: list[float] = []  # task loss per step
        self.val_curve: list[list] = []  # [step, validation metric]
        self.best: dict | None = None    # {"step", "metric", "state"}
        self.stopped = False
        self.streak = 0               # consecutive validations at or above early_stop_at
        self.seconds = 0.0
        self.resumes: list[int] = []
        self.saved: int | None = None    # steps in the checkpoint on disk (written or restored here)

    def save(self, path: Path, cfg, model, opt, sched, rng, device) -> None:
        cuda = [s for s in torch.cuda.get_rng_state_all()] if device.type == "cuda" else []
        checkpoint.save_state(path, {
            "config": json.dumps(cfg.to_dict()), "step": self.step, "model": model.state_dict(),
            "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
            "numpy_rng": json.dumps(rng.bit_generator.state), "torch_rng": torch.get_rng_state(),
            "cuda_rng": cuda, "curve": torch.tensor(self.curve, dtype=torch.float64),
            "val_curve": json.dumps(self.val_curve), "best": self.best, "stopped": self.stopped,
            "streak": self.streak,
            "seconds": self.seconds, "resumes": list(self.resumes)})
        self.saved = self.step

    def restore(self, path: Path, cfg, model, opt, sched, rng, device) -> None:
        state = checkpoint.load_state(path, device=device)
        key = _config_mismatch(json.loads(state["config"]), cfg.to_dict())
        if key is not None:
            raise PelgError(f"{str(path)!r} is a checkpoint of another config (field {key!r} differs); "
                            f"use another output directory or resume=False")
        try:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            rng.bit_generator.state = json.loads(state["numpy_rng"])
            torch.set_rng_state(state["torch_rng"].cpu())
            if device.type == "cuda" and state["cuda_rng"]:
                torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda_rng"]])
            self.step = int(state["step"])
            self.curve = [float(x) for x in state["curve"].tolist()]
            self.val_curve = json.loads(state["val_curve"])
            self.best = state["best"]
            self.stopped = bool(state["stopped"])
            self.streak = int(state.get("streak", 0))  # absent in checkpoints of older pelg
            self.seconds = float(state["seconds"])
            self.resumes = [int(s) for s in state["resumes"]] + [self.step]
            self.saved = self.step
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            raise PelgError(f"checkpoint {str(path)!r} is corrupt or not a pelg training checkpoint "
                            f"({type(e).__name__})") from None
        if len(self.curve) != self.step or not 0 <= self.step <= cfg.steps:
            raise PelgError(f"checkpoint {str(path)!r} is inconsistent (step {self.step}, "
                            f"{len(self.curve)} losses, {cfg.steps} steps configured)")


# ----------------------------------------------------------------------------- the loop
LOSS_POINTS = 200  # the result keeps at most this many (step, loss) points of the training-loss curve


def loss_points(curve: list[float], most: int = LOSS_POINTS) -> list[list]:
    """[[step, loss], ...]: the loss of step 1..len(curve), evenly subsampled to at most `most` points,
    the first and the last always kept (the store keeps it per run; `pelg plot --x step` draws it)."""
    n = len(curve)
    picks = range(n) if n <= most else sorted({round(i * (n - 1) / (most - 1)) for i in range(most)})
    return [[i + 1, float(curve[i])] for i in picks]


def train(cfg: TrainConfig, out_dir: str | Path | None = None, progress: bool = True, resume: bool = True,
          compile: bool = False) -> dict:
    """Train one model; returns a JSON-able result with per-bucket metrics and a loss-curve summary.

    With `out_dir`: checkpoint.pt every `cfg.checkpoint_every` steps (atomic), and at the end model.pt +
    result.json (checkpoint.pt is then removed). If `resume` and out_dir/checkpoint.pt exists, training
    continues from it (a checkpoint of another config is an error); `resume=False` starts afresh.
    NaN/Inf loss or gradient norm raises `RunFailed` at that step, the last good checkpoint kept.
    `compile`: torch.compile the model's device pass (`Transformer.compile_core`; equal to eager within float
    tolerance, so it is not part of the config). cfg.precision "bf16": autocast (`empirics.accel`)."""
    device = resolve_device(cfg.device)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    task = task_of(cfg)
    model = build_model(cfg).to(device)
    if cfg.early_stop and task.kind == "regression":
        raise PelgError(f"early_stop needs an accuracy; task {cfg.task!r} is a regression task (mse)")
    opt = make_optimizer(model.parameters(), cfg.lr, cfg.weight_decay, device)  # fused AdamW on CUDA
    if compile:
        model.compile_core()  # torch.compile of the model's device pass (empirics.accel)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg))
    run = _Run()
    ckpt = Path(out_dir) / CHECKPOINT if out_dir is not None else None
    if ckpt is not None:
        _remove_stale_temporaries(ckpt.parent)
        if resume and ckpt.exists():
            run.restore(ckpt, cfg, model, opt, sched, rng, device)
        elif not resume:
            ckpt.unlink(missing_ok=True)
    val_batches = validation_batches(task, cfg) if cfg.eval_every else []
    fixed = training_set(task, cfg)
    better = (lambda a, b: a < b) if task.kind == "regression" else (lambda a, b: a > b)
    lo, hi = cfg.train_lengths
    bar = tqdm(range(run.step, cfg.steps), initial=run.step, total=cfg.steps, disable=not progress,
               desc=f"{cfg.task}/{cfg.model.pe}", leave=False)
    scheme = model.positions
    train_positions = OffsetPositions(scheme, cfg.position_offset_max) if cfg.position_offset_max else scheme
    model.train()
    clock = time.time()
    try:
        for step in ([] if run.stopped else bar):
            batch = (fixed.batch(step) if fixed is not None else
                     make_batch(task, rng, lo, hi, cfg.batch_size, "train", layout=cfg.layout)).to(device)
            model.positions = train_positions
            try:
                with autocast(device, cfg.precision):  # bf16: PE tables and biases stay fp32
                    _, losses = batch_scores(model, batch, rng)
            finally:
                model.positions = scheme
            loss = losses.mean()
            total = loss + cfg.rpos_lambda * rpos(model) if cfg.rpos_lambda else loss
            value = total.item()
            if not math.isfinite(value):
                raise RunFailed(step, f"non-finite loss {value}; lower the learning rate", run.saved)
            opt.zero_grad(set_to_none=True)
            total.backward()
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            if not torch.isfinite(norm):
                raise RunFailed(step, f"non-finite gradient norm {float(norm)}; lower the learning rate",
                                run.saved)
            opt.step()
            sched.step()
            run.curve.append(loss.item() if cfg.rpos_lambda else value)
            run.step = step + 1
            if cfg.eval_every and (run.step % cfg.eval_every == 0 or run.step == cfg.steps):
                metric = validate(model, val_batches, cfg.seed, device)
                run.val_curve.append([run.step, metric])
                if run.best is None or better(metric, run.best["metric"]):
                    run.best = {"step": run.step, "metric": metric,
                                "state": _clone_state(model) if cfg.select_best else None}
                run.streak = run.streak + 1 if metric >= cfg.early_stop_at else 0
                run.stopped = cfg.early_stop and run.streak >= cfg.early_stop_patience
            if step % 10 == 0:
                bar.set_postfix(loss=f"{np.mean(run.curve[-10:]):.4g}")
            last = run.step == cfg.steps or run.stopped
            if ckpt is not None and (run.step % cfg.checkpoint_every == 0 or last):
                run.seconds += time.time() - clock
                clock = time.time()
                run.save(ckpt, cfg, model, opt, sched, rng, device)
            if run.stopped:
                break
    finally:
        bar.close()
    run.seconds += time.time() - clock
    selected = bool(cfg.eval_every and cfg.select_best and run.best is not None)
    if selected:
        model.load_state_dict(run.best["state"])
    metrics = evaluate(model, task, cfg.eval_buckets, cfg.eval_samples, seed=cfg.seed, device=device,
                       train_range=cfg.train_lengths, layout=cfg.layout)
    curve = run.curve
    tail = curve[-max(1, len(curve) // 20):]
    result = {"config": cfg.to_dict(), "task_kind": task.kind,
              "metric_name": "mse" if task.kind == "regression" else "exact_match",
              "metrics": metrics, "train_loss": {"first": curve[0], "final": float(np.mean(tail)),
                                                  "min": float(np.min(curve))},
              "loss_curve": loss_points(curve),
              "train_seconds": run.seconds, "device": str(device), "env": environment(),
              "steps_done": run.step, "train_examples": None if fixed is None else len(fixed.examples), "stopped_early": run.stopped,
              "n_params": sum(p.numel() for p in model.parameters()),
              "validation": None if not cfg.eval_every else {
                  "every": cfg.eval_every, "samples": cfg.val_samples, "curve": run.val_curve,
                  "best_step": run.best["step"], "best_metric": run.best["metric"], "selected": selected},
              "resumed_at": run.resumes}
    if isinstance(model.pe, LearnedEmbedding):
        with torch.no_grad():
            result["rpos"] = float(rpos(model))
    if out_dir is not None:
        checkpoint.save(Path(out_dir) / MODEL, model, cfg)
        write_json(Path(out_dir) / RESULT, result)
        ckpt.unlink(missing_ok=True)
    return result


def fmt_metrics(result: dict) -> str:
    """A small per-bucket table for the terminal."""
    name = result["metric_name"]
    lines = [f"{'bucket':>10}  {name:>12}"]
    for label, m in result["metrics"].items():
        lines.append(f"{label:>10}  {m['metric']:>12.4g}")
    return "\n".join(lines)
