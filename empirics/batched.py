"""K tiny models of one shape trained as one batched computation (issue 14, "batched tiny models").

On a GPU a 2 x 64 model is launch-bound: each kernel does too little work to fill the device. Training K
seeds of one config together turns K small kernels into one K-times larger one. The models' parameters
are stacked along a new leading axis (`torch.func.stack_module_state`) and the unchanged `Transformer`
runs under `torch.func.vmap` over that axis, so every PE and option works here as in `train`; one
AdamW over the stacked tensors is K independent AdamWs (its update is elementwise), and gradient clipping
is done per model.

What equals K separate `train` runs: the same initial weights (each built under its own seed), the same
batches and position ids (each drawn from its own generator, in `train`'s order), the same loss, clipping,
optimizer and schedule. Token batches of different lengths are right-padded to one length; padded keys are
masked and padded targets ignored, so real tokens see the same numbers, up to float reduction order (the
test checks losses and weights within stated tolerances). Attention dropout draws other masks than
separate runs do (vmap randomness "different"), so equality needs dropout 0.

Not supported (a one-line error): validation and early stopping, R_pos, checkpoints (the caller writes
each result), and configs that differ in anything but `seed`.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch
from torch.func import functional_call, stack_module_state, vmap

from .accel import autocast, make_optimizer
from .errors import PelgError
from .evaluate import batch_scores, evaluate, make_batch
from .model import ModelConfig
from .pe_base import reserve_for
from .tasks.base import IGNORE, PAD, Batch
from .train import OffsetPositions, RunFailed, environment, lr_factor, training_set
from .runconfig import TrainConfig, build_model, resolve_device, task_of


def check_batchable(cfgs: list[TrainConfig]) -> None:
    """The configs must differ only in `seed` and use no option the batched loop lacks."""
    if not cfgs:
        raise PelgError("train_batched needs at least one config")
    first = {k: v for k, v in cfgs[0].to_dict().items() if k != "seed"}
    for cfg in cfgs[1:]:
        other = {k: v for k, v in cfg.to_dict().items() if k != "seed"}
        bad = next((k for k in sorted(first) if first[k] != other.get(k)), None)
        if bad is not None:
            raise PelgError(f"batched models must share every config field but seed; {bad!r} differs")
    c = cfgs[0]
    for name, on in (("eval_every", c.eval_every), ("early_stop", c.early_stop), ("rpos_lambda", c.rpos_lambda)):
        if on:
            raise PelgError(f"train_batched does not support {name} (got {on!r}); train these runs one by one")


class _Shim:
    """What `evaluate.batch_scores` reads of a model, for one model inside vmap: fixed position ids and a
    functional call of the shared module with that model's parameters."""

    def __init__(self, base, params, positions):
        self.base, self.params, self.regression, self._positions = base, params, base.regression, positions

    def positions(self, *args):
        return self._positions

    def __call__(self, inputs, positions, pad_mask=None, scale=None):
        return functional_call(self.base, self.params, (inputs, positions, pad_mask, scale))


def _padded(task, batch: Batch, positions: torch.Tensor, T: int) -> tuple[Batch, torch.Tensor]:
    """Right-pad a batch and its position ids (B, T_b) to length T (masked keys, ignored labels)."""
    B, Tb = batch.inputs.shape
    if Tb == T:
        return batch, positions
    if task.kind == "regression":
        raise PelgError("batched regression models need one sequence length (train_lengths lo == hi)")
    extra = T - Tb
    pad_id = task.vocab.stoi[PAD]
    inputs = torch.cat([batch.inputs, batch.inputs.new_full((B, extra), pad_id)], 1)
    fill = (0.0 if batch.labels.dim() == 3 else IGNORE)
    labels = torch.cat([batch.labels, batch.labels.new_full((B, extra, *batch.labels.shape[2:]), fill)], 1)
    pad = batch.pad_mask if batch.pad_mask is not None else torch.zeros(B, Tb, dtype=torch.bool)
    pad = torch.cat([pad, torch.ones(B, extra, dtype=torch.bool)], 1)
    scale = batch.scale if batch.scale is not None else torch.full((B,), Tb)  # LBPE's own fallback: n = T_b
    return (dataclasses.replace(batch, inputs=inputs, labels=labels, pad_mask=pad, scale=scale),
            torch.cat([positions, positions.new_zeros(B, extra)], 1))


def _stack(items: list[torch.Tensor | None]) -> torch.Tensor | None:
    return None if items[0] is None else torch.stack(items)


def _clip_per_model(grads: list[torch.Tensor], max_norm: float) -> torch.Tensor:
    """`clip_grad_norm_` of each model k on the stacked grads (K, ...), in place; -> norms (K,)."""
    grads = [g for g in grads if g is not None]  # as clip_grad_norm_: parameters without a gradient are skipped
    norms = torch.stack([torch.linalg.vector_norm(g.flatten(1), dim=1) for g in grads])  # (P, K)
    total = torch.linalg.vector_norm(norms, dim=0)  # (K,)
    coef = (max_norm / (total + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.view(-1, *[1] * (g.dim() - 1)))
    return total


def train_batched(cfgs: list[TrainConfig]) -> list[tuple[dict, torch.nn.Module]]:
    """Train len(cfgs) models (configs equal but for seed) as one computation. Returns per model (result,
    trained Transformer): the result has `train`'s metrics (evaluated one by one at the end), loss summary
    and the per-step loss curve."""
    check_batchable(cfgs)
    cfg0 = cfgs[0]
    device = resolve_device(cfg0.device)
    task = task_of(cfg0)
    models = []
    for cfg in cfgs:
        torch.manual_seed(cfg.seed)
        models.append(build_model(cfg).to(device))
    base = models[0]
    if device.type == "cuda" and base.pe.hook == "bias" and base.cfg.attention == "auto":
        base.cfg = ModelConfig.from_dict({**base.cfg.to_dict(), "attention": "sdpa"})  # no FlexAttention in vmap
    params, _ = stack_module_state(models)  # {name: (K, ...)}, leaves that require grad
    opt = make_optimizer(list(params.values()), cfg0.lr, cfg0.weight_decay, device)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg0))
    rngs = [np.random.default_rng(cfg.seed) for cfg in cfgs]
    fixed = [training_set(task, cfg) for cfg in cfgs]
    scheme = base.positions
    makers = [OffsetPositions(scheme, cfg0.position_offset_max) if cfg0.position_offset_max else scheme] * len(cfgs)
    lo, hi = cfg0.train_lengths

    def losses_of(p, inputs, labels, pad, sep, scale, positions):
        batch = Batch(inputs, labels, pad, sep, [], scale)
        return batch_scores(_Shim(base, p, positions), batch)[1].mean()

    curves: list[list[float]] = [[] for _ in cfgs]
    base.train()
    for step in range(cfg0.steps):
        batches, positions = [], []
        for k, cfg in enumerate(cfgs):
            b = fixed[k].batch(step) if fixed[k] is not None else make_batch(task, rngs[k], lo, hi, cfg.batch_size,
                                                                               "train", layout=cfg.layout)
            positions.append(makers[k](*b.inputs.shape, b.sep_index, rngs[k]))
            batches.append(b)
        T = max(b.inputs.shape[1] for b in batches)
        batches, positions = zip(*(_padded(task, b, p, T) for b, p in zip(batches, positions)))
        if any(b.pad_mask is not None for b in batches):  # one has padding: all get a mask (zeros add nothing)
            batches = [b if b.pad_mask is not None else
                       dataclasses.replace(b, pad_mask=torch.zeros(b.inputs.shape, dtype=torch.bool)) for b in batches]
        pos = torch.stack(positions)  # (K, B, T)
        reserve_for(base.pe, pos)  # on the host, before vmap
        fields = ("inputs", "labels", "pad_mask", "sep_index", "scale")
        args = [_stack([getattr(b, f) for b in batches]) for f in fields]  # each (K, B, ...) or None
        args = [None if a is None else a.to(device, non_blocking=True) for a in args] + [pos.to(device)]
        in_dims = tuple(None if a is None else 0 for a in args)
        with autocast(device, cfg0.precision):
            loss = vmap(losses_of, in_dims=(0, *in_dims), randomness="different")(params, *args)  # (K,)
        values = loss.detach().cpu().tolist()  # one sync per step for K models
        bad = [k for k, v in enumerate(values) if not math.isfinite(v)]
        if bad:
            raise RunFailed(step, f"non-finite loss {values[bad[0]]} in model {bad[0]} (seed {cfgs[bad[0]].seed})")
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        norms = _clip_per_model([p.grad for p in params.values()], cfg0.grad_clip)
        if not bool(torch.isfinite(norms).all()):
            raise RunFailed(step, f"non-finite gradient norm in a batched model: {norms.tolist()}")
        opt.step()
        sched.step()
        for k, v in enumerate(values):
            curves[k].append(v)
    return [_result(cfg, base, models[k], params, k, curves[k], task, device) for k, cfg in enumerate(cfgs)]


@torch.no_grad()
def _result(cfg, base, model, params, k: int, curve: list[float], task, device) -> tuple[dict, torch.nn.Module]:
    """Model k's weights copied out of the stack, evaluated as `train` evaluates."""
    state = model.state_dict()
    for name, stacked in params.items():
        state[name] = stacked[k].detach().clone()
    model.load_state_dict(state)
    metrics = evaluate(model, task, cfg.eval_buckets, cfg.eval_samples, seed=cfg.seed, device=device,
                       train_range=cfg.train_lengths, layout=cfg.layout)
    tail = curve[-max(1, len(curve) // 20):]
    return {"config": cfg.to_dict(), "task_kind": task.kind,
            "metric_name": "mse" if task.kind == "regression" else "exact_match", "metrics": metrics,
            "train_loss": {"first": curve[0], "final": float(np.mean(tail)), "min": float(np.min(curve))},
            "loss_curve": curve, "steps_done": len(curve), "device": str(device), "env": environment(),
            "batched": {"models": int(next(iter(params.values())).shape[0]), "index": k}}, model
