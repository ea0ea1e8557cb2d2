"""Training: AdamW, warmup then linear or polynomial decay, gradient clipping, seeds, CPU or GPU,
a progress bar with loss and ETA, evaluation by length bucket at the end, and a final checkpoint."""
from __future__ import annotations

import platform
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from . import checkpoint
from .fileio import write_json
from .errors import PelgError, require_positive, unknown
from .evaluate import batch_scores, evaluate, make_batch
from .model import ModelConfig, Transformer
from .tasks import get_task
from .tasks.base import LAYOUTS


@dataclass
class TrainConfig:
    """One run: task, model (with its PE), data lengths, optimisation and evaluation."""

    task: str = "copy"
    task_format: str = "plain"       # "plain" or a scratchpad format of the task
    layout: str = "default"          # "default" (<bos> src <sep> tgt <eos>) | "k23"
    model: ModelConfig = field(default_factory=ModelConfig)
    train_lengths: tuple[int, int] = (1, 10)
    eval_buckets: list[tuple[int, int]] = field(default_factory=lambda: [(1, 10), (11, 20)])
    eval_samples: int = 256
    steps: int = 1000
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    warmup: float = 0.05             # fraction of steps
    schedule: str = "linear"         # "linear" | "poly" | "constant"
    poly_power: float = 2.0
    grad_clip: float = 1.0
    seed: int = 0
    device: str = "auto"             # "auto" | "cpu" | "cuda"

    def __post_init__(self):
        if isinstance(self.model, dict):
            self.model = ModelConfig.from_dict(self.model)
        self.train_lengths = tuple(int(x) for x in self.train_lengths)
        self.eval_buckets = [tuple(int(x) for x in b) for b in self.eval_buckets]
        require_positive("steps", self.steps)
        require_positive("batch_size", self.batch_size)
        require_positive("eval_samples", self.eval_samples)
        for lo, hi in [self.train_lengths, *self.eval_buckets]:
            if lo <= 0 or hi < lo:
                raise PelgError(f"length range ({lo}, {hi}) is impossible: need 1 <= lo <= hi")
        if self.schedule not in ("linear", "poly", "constant"):
            raise unknown("schedule", self.schedule, ["linear", "poly", "constant"])
        if self.layout not in LAYOUTS:
            raise unknown("layout", self.layout, LAYOUTS)
        if self.device not in ("auto", "cpu", "cuda"):
            raise unknown("device", self.device, ["auto", "cpu", "cuda"])

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        bad = set(d) - names
        if bad:
            raise unknown("train config field", sorted(bad)[0], names)
        return cls(**d)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["train_lengths"], d["eval_buckets"] = list(self.train_lengths), [list(b) for b in self.eval_buckets]
        return d


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise PelgError("device 'cuda' requested but torch sees no GPU; valid here: auto, cpu")
    return torch.device(name)


def lr_factor(step: int, cfg: TrainConfig) -> float:
    """Warmup to 1, then linear or polynomial decay to 0 at cfg.steps (or constant)."""
    warm = int(cfg.warmup * cfg.steps)
    if step < warm:
        return (step + 1) / warm
    if cfg.schedule == "constant":
        return 1.0
    frac = (step - warm) / max(1, cfg.steps - warm)
    return max(0.0, 1 - frac) ** (1.0 if cfg.schedule == "linear" else cfg.poly_power)


def build_model(cfg: TrainConfig) -> Transformer:
    task = get_task(cfg.task, format=cfg.task_format)
    mc = cfg.model
    if task.kind == "regression" and mc.vocab_size != 0:
        raise PelgError(f"task {cfg.task!r} is a regression task: model.vocab_size must be 0")
    if task.kind in ("tokens", "sets"):
        if mc.arch != "decoder":
            raise PelgError(f"task {cfg.task!r} is a {task.kind} task and needs arch 'decoder', got {mc.arch!r}")
        mc = ModelConfig.from_dict({**mc.to_dict(), "vocab_size": len(task.vocab)})
        cfg.model = mc
    return Transformer(mc)


def environment() -> dict:
    """Versions and device, recorded with every result."""
    return {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "platform": platform.platform()}


def train(cfg: TrainConfig, out_dir: str | Path | None = None, progress: bool = True) -> dict:
    """Train one model; returns a JSON-able result with per-bucket metrics and a loss-curve summary."""
    device = resolve_device(cfg.device)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    task = get_task(cfg.task, format=cfg.task_format)
    model = build_model(cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg))
    lo, hi = cfg.train_lengths
    curve, start = [], time.time()
    bar = tqdm(range(cfg.steps), disable=not progress, desc=f"{cfg.task}/{cfg.model.pe}", leave=False)
    model.train()
    for step in bar:
        batch = make_batch(task, rng, lo, hi, cfg.batch_size, "train", layout=cfg.layout).to(device)
        _, losses = batch_scores(model, batch, rng)
        loss = losses.mean()
        if not torch.isfinite(loss):
            raise PelgError(f"non-finite loss {float(loss)} at step {step}; lower the learning rate")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        sched.step()
        curve.append(loss.item())
        if step % 10 == 0:
            bar.set_postfix(loss=f"{np.mean(curve[-10:]):.4g}")
    train_seconds = time.time() - start
    metrics = evaluate(model, task, cfg.eval_buckets, cfg.eval_samples, seed=cfg.seed, device=device,
                       train_range=cfg.train_lengths, layout=cfg.layout)
    tail = curve[-max(1, len(curve) // 20):]
    result = {"config": cfg.to_dict(), "task_kind": task.kind,
              "metric_name": "mse" if task.kind == "regression" else "exact_match",
              "metrics": metrics, "train_loss": {"first": curve[0], "final": float(np.mean(tail)),
                                                  "min": float(np.min(curve))},
              "train_seconds": train_seconds, "device": str(device), "env": environment()}
    if out_dir is not None:
        checkpoint.save(Path(out_dir) / "model.pt", model, cfg)
        write_json(Path(out_dir) / "result.json", result)
    return result


def fmt_metrics(result: dict) -> str:
    """A small per-bucket table for the terminal."""
    name = result["metric_name"]
    lines = [f"{'bucket':>10}  {name:>12}"]
    for label, m in result["metrics"].items():
        lines.append(f"{label:>10}  {m['metric']:>12.4g}")
    return "\n".join(lines)
