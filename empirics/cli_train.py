"""`pelg train`: its flags (`add_parser`) and the command (`cmd_train`), split from empirics/cli.py.

Architecture flags map to `ModelConfig` fields; `--preset k23` sets Kazemnejad et al. 2023's T5 decoder
blocks (Raffel et al. 2020) at once (`empirics.model.PRESETS`), and any explicit flag overrides it. Data
flags (`--n-train`, `--data-seed`, `--dataset`) reach `TrainConfig` only when set, so a command without
them builds the same config (and config hash) as before they existed.

Every default is read from the `TrainConfig` / `ModelConfig` dataclasses (`DEFAULTS`), so the CLI and the
Python API train the same run. Without --test-lengths the buckets follow the training lengths
(`empirics.runconfig.default_buckets`). Everything that can be checked before training is (sizes,
seeds, the device, a learned PE's table: `empirics.preflight`).
"""
from __future__ import annotations

import argparse
import re
from dataclasses import MISSING, fields
from pathlib import Path

from .cli_common import DefaultsFormatter
from .errors import PelgError, require_int, require_positive, unknown
from .model import ModelConfig
from .runconfig import MAX_BATCH, MAX_SAMPLES, MAX_SEED, MAX_STEPS, TrainConfig

ARCH_FLAGS = ("d_ff", "dropout", "norm", "activation", "score_scaling", "linear_bias", "init", "output_scale",
              "tie_embeddings")  # `pelg train` model flags that a --preset may set
DEFAULTS = {**{f"model.{f.name}": f.default for f in fields(ModelConfig) if f.default is not MISSING},
            **{f.name: f.default for f in fields(TrainConfig) if f.default is not MISSING}}
_RANGE = re.compile(r"^(\d+)-(\d+)$")


def parse_buckets(groups: list[list[str]] | None) -> list[tuple[int, int]]:
    """--test-lengths values -> buckets: each `MIN-MAX` is one, and plain integers pair up as MIN MAX
    (`--test-lengths 9 16 17 32`, `--test-lengths 9-16 17-32`, `--test-lengths 9 16 --test-lengths 17 32`)."""
    out, pending = [], []
    for item in (x for group in groups or [] for x in group):
        m = _RANGE.match(item)
        if m and not pending:
            out.append((int(m[1]), int(m[2])))
        elif re.fullmatch(r"-?\d+", item):
            pending.append(int(item))
            if len(pending) == 2:
                out.append(tuple(pending))
                pending = []
        else:
            raise PelgError(f"--test-lengths: {item!r} is not a length; give MIN MAX pairs or MIN-MAX ranges "
                            f"(e.g. --test-lengths 11 20 21-40)")
    if pending:
        raise PelgError(f"--test-lengths: {pending[0]} has no MAX; give MIN MAX pairs or MIN-MAX ranges")
    return out


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
    from .runconfig import default_buckets
    from .tasks import get_task
    from .tasks.protocols import task_protocol

    require_positive("--steps", args.steps, MAX_STEPS)
    require_positive("--batch-size", args.batch_size, MAX_BATCH)
    require_positive("--eval-samples", args.eval_samples, MAX_SAMPLES)
    require_int("--seed", args.seed, 0, MAX_SEED)
    require_int("--data-seed", args.data_seed, 0, MAX_SEED)
    task = get_task(args.task, format=args.format)
    protocol = task_protocol(args.task)
    lo, hi = args.train_lengths or protocol["train_lengths"]
    tests = parse_buckets(args.test_lengths)
    if tests:
        buckets = [(lo, hi)] + [b for b in tests if b != (lo, hi)]
    else:
        buckets = default_buckets((lo, hi), protocol["test_buckets"], task.max_length)
    regression = task.kind == "regression"
    model = ModelConfig(arch="encoder" if regression else "decoder", causal=args.causal or not regression,
                        pe=args.pe, pe_options=_parse_options(args.pe_opt), n_layer=args.layers,
                        n_head=args.heads, d_model=args.d_model, **model_options(args))
    data = {k: v for k, v in (("n_train", args.n_train), ("data_seed", args.data_seed),
                              ("dataset", args.dataset)) if v}  # only when set (see the module docstring)
    return TrainConfig(task=args.task, task_format=args.format, layout=args.layout, model=model,
                       train_lengths=(lo, hi), eval_buckets=buckets, steps=args.steps,
                       batch_size=args.batch_size, lr=args.lr, seed=args.seed, device=args.device,
                       eval_samples=args.eval_samples, eval_every=args.eval_every, early_stop=args.early_stop,
                       position_offset_max=args.position_offset_max, rpos_lambda=args.rpos_lambda,
                       checkpoint_every=args.checkpoint_every, **data)


def cmd_train(args) -> None:
    from .preflight import check_before_training
    from .runconfig import resolve_device
    from .train import fmt_metrics, train

    cfg = build_config(args)
    resolve_device(cfg.device)  # an unknown device, or cuda without a GPU, fails before anything runs
    check_before_training(cfg)
    result = train(cfg, out_dir=args.out, progress=not args.quiet, resume=not args.no_resume)
    print(f"task {args.task}  pe {args.pe}  steps {args.steps}  train loss {result['train_loss']['final']:.4g}"
          f"  ({result['train_seconds']:.1f}s on {result['device']})")
    print(fmt_metrics(result))
    if args.out:
        print(f"checkpoint and result.json in {args.out}")


def _arch_help(name: str, text: str = "") -> str:
    """'TEXT (default: D; k23: K)' from ModelConfig's default and the k23 preset."""
    from .model import PRESETS

    show = lambda v: ("on" if v else "off") if isinstance(v, bool) else v
    return f"{text} (default: {show(DEFAULTS['model.' + name])}; k23: {show(PRESETS['k23'][name])})".lstrip()


def add_parser(sub) -> argparse.ArgumentParser:
    """Add the `train` subcommand to `pelg`'s subparsers."""
    D = DEFAULTS
    t = sub.add_parser("train", help="train one model and print its metric per length bucket",
                       formatter_class=DefaultsFormatter)
    t.add_argument("--task", required=True, help="a task name from `pelg tasks`")
    t.add_argument("--pe", default=D["model.pe"], help="a PE name from `pelg pes`, optionally +random or +sh")
    t.add_argument("--pe-opt", action="append", metavar="KEY=VALUE",
                   help="PE or position-scheme option, e.g. max_positions=64, random_max=256 (repeatable)")
    t.add_argument("--steps", type=int, default=D["steps"], help=f"optimizer steps (at most {MAX_STEPS})")
    t.add_argument("--seed", type=int, default=D["seed"], help="model init and data order (0 <= seed < 2**63)")
    t.add_argument("--device", default=D["device"], help="auto | cpu | cuda")
    t.add_argument("--out", type=Path, help="directory for model.pt and result.json")
    t.add_argument("--format", default=D["task_format"], help="plain or one of the task's scratchpad formats")
    t.add_argument("--layout", default=D["layout"], help="default | k23 (`source [SEP] target`, no <bos>)")
    t.add_argument("--train-lengths", type=int, nargs=2, metavar=("MIN", "MAX"),
                   help="default: the task protocol's training lengths")
    t.add_argument("--test-lengths", nargs="+", action="append", metavar="LENGTHS",
                   help="evaluation buckets besides MIN-MAX of training: MIN MAX pairs or MIN-MAX ranges, "
                        "repeatable (--test-lengths 11 20 --test-lengths 21-40); default: the protocol's "
                        "buckets with the training lengths cut out, so none mixes seen and unseen lengths")
    t.add_argument("--layers", type=int, default=D["model.n_layer"], help="Transformer blocks")
    t.add_argument("--heads", type=int, default=D["model.n_head"], help="attention heads")
    t.add_argument("--d-model", type=int, default=D["model.d_model"], help="model width")
    # architecture: unset flags take the preset's value, else ModelConfig's default
    unset, switch = argparse.SUPPRESS, argparse.BooleanOptionalAction
    t.add_argument("--preset", default="none", help="none | k23: K23's T5 blocks (rmsnorm, relu, no score "
                   "scaling, no linear bias, init t5, output scale rsqrt_d, dropout 0.1, tied); flags override it")
    t.add_argument("--d-ff", type=int, default=unset, help="MLP width (default: 4 x --d-model)")
    t.add_argument("--dropout", type=float, default=unset, help=_arch_help("dropout", "dropout probability"))
    t.add_argument("--norm", default=unset, help=_arch_help("norm", "layernorm | rmsnorm"))
    t.add_argument("--activation", default=unset, help=_arch_help("activation", "gelu | relu"))
    t.add_argument("--score-scaling", action=switch, default=unset,
                   help=_arch_help("score_scaling", "1/sqrt(d_head) on attention logits"))
    t.add_argument("--linear-bias", action=switch, default=unset,
                   help=_arch_help("linear_bias", "biases in the attention and MLP Linears"))
    t.add_argument("--init", default=unset, help=_arch_help("init", "gpt2 | t5"))
    t.add_argument("--output-scale", default=unset, help=_arch_help("output_scale", "none | rsqrt_d: final hidden "
                   "state times d_model^-0.5 before the LM head"))
    t.add_argument("--tie-embeddings", action=switch, default=unset,
                   help=_arch_help("tie_embeddings", "LM head = token embedding"))
    # data
    t.add_argument("--n-train", type=_n_train, default=D["n_train"], metavar="N", help="a fixed training set of N "
                   "examples drawn once and reused across epochs ('all': a finite task's pool); 0 = a fresh stream")
    t.add_argument("--data-seed", type=int, default=D["data_seed"], help="seed of the fixed training set (--n-train)")
    t.add_argument("--dataset", default=D["dataset"], metavar="DIR", help="train on a directory of `pelg data export`")
    # optimisation, evaluation, protocol options
    t.add_argument("--batch-size", type=int, default=D["batch_size"], help="examples per step")
    t.add_argument("--lr", type=float, default=D["lr"], help="peak learning rate")
    t.add_argument("--eval-samples", type=int, default=D["eval_samples"], help="test examples per length bucket")
    t.add_argument("--causal", action="store_true", help="causal mask for regression (encoder) tasks")
    t.add_argument("--eval-every", type=int, default=D["eval_every"],
                   help="validate every K steps; keep the best (K23); 0 = never")
    t.add_argument("--early-stop", action="store_true", help="stop at 100%% validation accuracy (H25)")
    t.add_argument("--position-offset-max", type=int, default=D["position_offset_max"],
                   help="H25 position-offset trick (learned PE); 0 = off")
    t.add_argument("--rpos-lambda", type=float, default=D["rpos_lambda"], help="H25 R_pos regularizer weight (learned PE)")
    t.add_argument("--checkpoint-every", type=int, default=D["checkpoint_every"],
                   help="steps between checkpoints in --out")
    t.add_argument("--no-resume", action="store_true", help="ignore an existing checkpoint in --out")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(fn=cmd_train)
    return t
