"""`pelg attention`: heatmaps of a trained model's attention on examples of one length (the maps that
Kazemnejad et al. 2023, Sec. 5.2, compare across PEs; `empirics.analysis.attention`).

    pelg attention --model DIR --task T --length N [--n 1] [--seed 0] [--out F.png|F.pdf]

DIR is a training output (`pelg train --out DIR`: model.pt + result.json). The examples are drawn with
the run's layout and, for the run's own task, its format; the task must share the model's vocabulary.
With --n > 1 the figure shows the mean map over the examples (aligned at position 0, each query row
averaged over the examples that have it). Bad input is a one-line PelgError.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from .errors import PelgError, require_int, require_positive

MAX_EXAMPLES = 4096  # examples averaged into one figure


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the `attention` command to `subparsers` (from `ArgumentParser.add_subparsers`)."""
    p = subparsers.add_parser("attention", help="draw a trained model's attention maps on N-length examples")
    p.add_argument("--model", type=Path, required=True, help="a training output directory (model.pt)")
    p.add_argument("--task", required=True, help="a task sharing the model's vocabulary (usually its own)")
    p.add_argument("--length", type=int, required=True, help="example length in the task's unit")
    p.add_argument("--n", type=int, default=1, help=f"examples (more than 1: their mean map; at most {MAX_EXAMPLES})")
    p.add_argument("--seed", type=int, default=0, help="sampling seed")
    p.add_argument("--out", type=Path, help="figure path, .png, .pdf or .svg (default DIR/attention_L{N}.png)")
    p.set_defaults(fn=cmd_attention)
    return p


def _load(directory: Path):
    from . import checkpoint

    if not directory.is_dir():
        raise PelgError(f"model directory {str(directory)!r} does not exist")
    path = directory / "model.pt"
    if not path.is_file():
        raise PelgError(f"{str(directory)!r} has no model.pt (write one with `pelg train --out DIR`)")
    model, cfg = checkpoint.load(path, device="cpu")
    model.eval()
    return model, cfg


def _task_for(model, cfg, name: str):
    """The task `name` (in the run's format if it is the run's task), checked against the model's vocabulary."""
    from .runconfig import task_of
    from .tasks import get_task

    own = task_of(cfg)
    task = own if name == cfg.task else get_task(name)
    same = (task.vocab is None and own.vocab is None) or (
        task.vocab is not None and own.vocab is not None and task.vocab.itos == own.vocab.itos)
    if not same or task.kind != own.kind:
        raise PelgError(f"task {name!r} does not match the model's vocabulary; the model was trained on "
                        f"task {cfg.task!r}")
    return task


def mean_maps(maps: list[torch.Tensor], pad_mask: torch.Tensor | None) -> list[torch.Tensor]:
    """Per layer (B, H, T, T) -> (H, T, T): each query row averaged over the examples where it is real."""
    B, _, T, _ = maps[0].shape
    valid = torch.ones(B, T) if pad_mask is None else (~pad_mask).float()  # (B, T)
    w = valid[:, None, :, None]  # (B, 1, T, 1)
    count = w.sum(0).clamp(min=1)  # (1, T, 1)
    return [(P * w).sum(0) / count for P in maps]  # (H, T, T)


def cmd_attention(args) -> None:
    from .analysis.attention import attention_maps
    from .evaluate import make_batch
    from .plots.kazemnejad2023_attention import plot_attention_maps

    model, cfg = _load(Path(args.model))
    task = _task_for(model, cfg, args.task)
    length = task.check_length(args.length)
    n = require_positive("--n", args.n, MAX_EXAMPLES)
    rng = np.random.default_rng(require_int("--seed", args.seed, 0, 2**63 - 1))
    batch = make_batch(task, rng, length, length, n, "any", layout=cfg.layout)
    maps = attention_maps(model, batch, rng)  # per layer (n, H, T, T)
    tokens = None
    if task.vocab is not None and batch.inputs.dim() == 2:
        rows = [tuple(task.vocab.decode(row.tolist())) for row in batch.inputs]
        tokens = list(rows[0]) if len(set(rows)) == 1 else None
    out = Path(args.out) if args.out else Path(args.model) / f"attention_L{length}.png"
    what = "1 example" if n == 1 else f"mean of {n} examples"
    title = f"{cfg.task} / {cfg.model.pe}: attention at length {length} ({what}, seed {args.seed})"
    plot_attention_maps(mean_maps(maps, batch.pad_mask), tokens, out, title)
    print(out)
