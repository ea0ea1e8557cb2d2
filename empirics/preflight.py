"""Checks of a run that need its task and model, done before any training: `pelg train` fails in seconds
with one line, not after the training it would have wasted, and leaves no checkpoint behind.

- size: the model's parameter count is at most MAX_PARAMS (lengths are bounded by TrainConfig and
  `empirics.tasks.base.MAX_LENGTH`);
- a learned absolute PE (Gehring et al. 2017) has a row for every position the run will see: the longest
  sequence of every length range (training and each evaluation bucket), and with randomized positions
  (Ruoss et al. 2023) every position up to L' = random_max;
- one forward pass at the longest length of every range, so any other PE limit (xPos's float32 range,
  randomized positions beyond random_max, Scale Hint without a separator) shows here.
"""
from __future__ import annotations

import copy

import numpy as np
import torch

from .errors import PelgError
from .evaluate import forward, make_batch
from .positional import LearnedEmbedding, resolve_options
from .positions import parse_pe_name, split_options
from .runconfig import TrainConfig, build_model, resolve, task_of
from .tasks.splits import lengths_in

MAX_PARAMS = 10**9


# PEs with a table of one d_model row per position: the option that sets its rows
TABLE_ROWS = {"learned": "max_positions", "wavelet": "n_max", "legendre": "n_max"}


def parameter_count(cfg: TrainConfig) -> int:
    """About the parameters (and tables) of the resolved config's Transformer, from its sizes, allocating
    nothing: blocks (attention 4 d^2, MLP 2 d d_ff), the token embedding and a PE table (TABLE_ROWS)."""
    m = cfg.model
    base = parse_pe_name(m.pe)[0]
    rows = resolve_options(base, split_options(m.pe_options)[0]).get(TABLE_ROWS.get(base), 0)
    return m.n_layer * (4 * m.d_model ** 2 + 2 * m.d_model * m.d_ff) + (max(m.vocab_size, 1) + rows) * m.d_model


def check_before_training(cfg: TrainConfig) -> None:
    """Raise a one-line PelgError for a run that cannot finish (see the module docstring)."""
    cfg = resolve(copy.deepcopy(cfg))
    n = parameter_count(cfg)
    if n > MAX_PARAMS:
        raise PelgError(f"the model has about {n:,} parameters; pelg's maximum is {MAX_PARAMS:,} "
                        f"(lower --d-model, --d-ff, --layers or a PE table option such as max_positions)")
    task = task_of(cfg)
    model = build_model(cfg).eval()
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for lo, hi in [cfg.train_lengths, *cfg.eval_buckets]:
            longest = max(lengths_in(task, lo, hi))
            batch = make_batch(task, rng, longest, longest, 1, "any", layout=cfg.layout)
            _check_table(cfg, model, batch, (lo, hi), rng)
            try:
                forward(model, batch, rng)
            except PelgError as e:
                raise PelgError(f"lengths {lo}-{hi} (sequence length {batch.inputs.shape[1]}): "
                                f"{str(e).splitlines()[0]}") from None


def _check_table(cfg: TrainConfig, model, batch, bucket: tuple[int, int], rng) -> None:
    if not isinstance(model.pe, LearnedEmbedding):
        return
    size, T = model.pe.weight.shape[0], batch.inputs.shape[1]
    scheme = model.positions
    if scheme.scheme == "random":
        need = scheme.random_max or 4 * T  # positions are drawn from 0..L'-1
    else:
        need = int(scheme(1, T, batch.sep_index, rng).max()) + 1
    if need > size:
        lo, hi = bucket
        raise PelgError(f"learned PE max_positions={size}: positions {size}..{need - 1} are outside its table "
                        f"(lengths {lo}-{hi}, sequence length {T}); raise it, e.g. --pe-opt max_positions={need}")
