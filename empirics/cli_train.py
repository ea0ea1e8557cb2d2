"""`pelg train`: its flags (`add_parser`) and the command (`cmd_train`), split from empirics/cli.py.

Architecture flags map to `ModelConfig` fields; `--preset k23` sets Kazemnejad et al. 2023's T5 decoder
blocks (Raffel et al. 2020) at once (`empirics.model.PRESETS`), and any explicit flag overrides it. Data
flags (`--n-train`, `--data-seed`, `--dataset`) reach `TrainConfig` only when set, so a command without
them builds the same config (and config hash) as before they existed.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .errors import PelgError, require_positive, unknown

ARCH_FLAGS = ("d_ff", "dropout", "norm", "activation", "score_scaling", "linear_bias", "init", "output_scale",
              "tie_embeddings")  # `pelg train` model flags that a --preset may set


class _Defaults(argparse.HelpFormatter):
    """--help shows each flag's default, unless its help states it or there is none to show."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default:" in text or action.default in (None, "", argparse.SUPPRESS) or action.default is False:
            return text
        return f"{text} (default: %(default)s)".lstrip()


def _parse_options(items: list[str]) -> dict:
    """['base=500', 'layout=interleaved'] -> {'base': '500', ...} (types follow the option defaults)."""
    out = {}
    for item in items or []:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise PelgError(f"--pe-opt expects KEY=VALUE, got {item!r}")
        out[key] = value
    return out


def _n_train(text: str):
    if text == "all":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0 or 'all', got {text!r}") from None


def model_options(args) -> dict:
    """The architecture fields the flags give: the preset's choices, then every flag given explicitly."""
    from .model import PRESETS

    if args.preset != "none" and args.preset not in PRESETS:
        raise unknown("preset", args.preset, ["none", *PRESETS])
    return {"d_ff": 4 * args.d_model, **PRESETS.get(args.preset, {}),
            **{k: getattr(args, k) for k in ARCH_FLAGS if getattr(args, k, None) is not None}}


def build_config(args):
    """The TrainConfig that `pelg train ARGS` runs."""
    from .model import ModelConfig
    from .tasks import get_task
    from .tasks.protocols import task_protocol
    from .train import TrainConfig

    task = get_task(args.task, format=args.format)
    protocol = task_protocol(args.task)
    lo, hi = args.train_lengths or protocol["train_lengths"]
    tests = [tuple(args.test_lengths)] if args.test_lengths else [tuple(b) for b in protocol["test_buckets"]]
    buckets = [(lo, hi)] + [b for b in tests if b != (lo, hi)]
    regression = task.kind == "regression"
    model = ModelConfig(arch="encoder" if regression else "decoder", causal=args.causal or not regression,
                        pe=args.pe, pe_options=_parse_options(args.pe_opt), n_layer=args.layers,
                        n_head=args.heads, d_model=args.d_model, **model_options(args))
    data = {k: v for k, v in (("n_train", args.n_train), ("data_seed", args.data_seed),
                              ("dataset", args.dataset)) if v}  # only when set (see the module docstring)
    return TrainConfig(task=args.task, task_format=args.format, layout=args.layout, model=model,
                       train_lengths=(lo, hi), eval_buckets=buckets, steps=require_positive("--steps", args.steps),
                       batch_size=args.batch_size, lr=args.lr, seed=args.seed, device=args.device,
                       eval_samples=args.eval_samples, eval_every=args.eval_every, early_stop=args.early_stop,
                       position_offset_max=args.position_offset_max, rpos_lambda=args.rpos_lambda,
                       checkpoint_every=args.checkpoint_every, **data)


def cmd_train(args) -> None:
    from .train import fmt_metrics, train

    cfg = build_config(args)
    result = train(cfg, out_dir=args.out, progress=not args.quiet, resume=not args.no_resume)
    print(f"task {args.task}  pe {args.pe}  steps {args.steps}  train loss {result['train_loss']['final']:.4g}"
          f"  ({result['train_seconds']:.1f}s on {result['device']})")
    print(fmt_metrics(result))
    if args.out:
        print(f"checkpoint and result.json in {args.out}")


def add_parser(sub) -> argparse.ArgumentParser:
    """Add the `train` subcommand to `pelg`'s subparsers."""
    t = sub.add_parser("train", help="train one model and print its metric per length bucket",
                       formatter_class=_Defaults)
    t.add_argument("--task", required=True)
    t.add_argument("--pe", default="nope", help="a PE name from `pelg pes`, optionally +random or +sh")
    t.add_argument("--pe-opt", action="append", metavar="KEY=VALUE", help="PE option (repeatable)")
    t.add_argument("--steps", type=int, default=1000, help="optimizer steps")
    t.add_argument("--seed", type=int, default=0, help="model init and data order")
    t.add_argument("--device", default="auto", help="auto | cpu | cuda")
    t.add_argument("--out", type=Path, help="directory for model.pt and result.json")
    t.add_argument("--format", default="plain", help="plain or one of the task's scratchpad formats")
    t.add_argument("--layout", default="default", help="default | k23 (`source [SEP] target`, no <bos>)")
    t.add_argument("--train-lengths", type=int, nargs=2, metavar=("MIN", "MAX"),
                   help="default: the task protocol's training lengths")
    t.add_argument("--test-lengths", type=int, nargs=2, metavar=("MIN", "MAX"),
                   help="one extrapolation bucket (default: the protocol's test buckets)")
    t.add_argument("--layers", type=int, default=2, help="Transformer blocks")
    t.add_argument("--heads", type=int, default=4, help="attention heads")
    t.add_argument("--d-model", type=int, default=64, help="model width")
    # architecture: unset flags take the preset's value, else ModelConfig's default
    unset, switch = argparse.SUPPRESS, argparse.BooleanOptionalAction
    t.add_argument("--preset", default="none", help="none | k23: K23's T5 blocks (rmsnorm, relu, no score "
                   "scaling, no linear bias, init t5, output scale rsqrt_d, dropout 0.1, tied); flags override it")
    t.add_argument("--d-ff", type=int, default=unset, help="MLP width (default: 4 x --d-model)")
    t.add_argument("--dropout", type=float, default=unset, help="default: 0.0; k23: 0.1")
    t.add_argument("--norm", default=unset, help="layernorm | rmsnorm (default: layernorm; k23: rmsnorm)")
    t.add_argument("--activation", default=unset, help="gelu | relu (default: gelu; k23: relu)")
    t.add_argument("--score-scaling", action=switch, default=unset,
                   help="1/sqrt(d_head) on attention logits (default: on; k23: off)")
    t.add_argument("--linear-bias", action=switch, default=unset,
                   help="biases in the attention and MLP Linears (default: on; k23: off)")
    t.add_argument("--init", default=unset, help="gpt2 | t5 (default: gpt2; k23: t5)")
    t.add_argument("--output-scale", default=unset, help="none | rsqrt_d: final hidden state times "
                   "d_model^-0.5 before the LM head (default: none; k23: rsqrt_d)")
    t.add_argument("--tie-embeddings", action=switch, default=unset,
                   help="LM head = token embedding (default: on; k23: on)")
    # data
    t.add_argument("--n-train", type=_n_train, default=0, metavar="N", help="a fixed training set of N examples "
                   "drawn once and reused across epochs ('all': a finite task's pool); 0 = a fresh stream")
    t.add_argument("--data-seed", type=int, default=0, help="seed of the fixed training set (--n-train)")
    t.add_argument("--dataset", default="", metavar="DIR", help="train on a directory of `pelg data export`")
    # optimisation, evaluation, protocol options
    t.add_argument("--batch-size", type=int, default=64, help="examples per step")
    t.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    t.add_argument("--eval-samples", type=int, default=512, help="test examples per length bucket")
    t.add_argument("--causal", action="store_true", help="causal mask for regression (encoder) tasks")
    t.add_argument("--eval-every", type=int, default=0, help="validate every K steps; keep the best (K23)")
    t.add_argument("--early-stop", action="store_true", help="stop at 100%% validation accuracy (H25)")
    t.add_argument("--position-offset-max", type=int, default=0, help="H25 position-offset trick (learned PE)")
    t.add_argument("--rpos-lambda", type=float, default=0.0, help="H25 R_pos regularizer weight (learned PE)")
    t.add_argument("--checkpoint-every", type=int, default=500, help="steps between checkpoints in --out")
    t.add_argument("--no-resume", action="store_true", help="ignore an existing checkpoint in --out")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(fn=cmd_train)
    return t
