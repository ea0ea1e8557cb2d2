"""The `pelg` command line. User errors print one line `pelg: error: ...` and exit with code 2."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import PelgError, require_positive


def _parse_options(items: list[str]) -> dict:
    """['base=500', 'layout=interleaved'] -> {'base': '500', ...} (types follow the option defaults)."""
    out = {}
    for item in items or []:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise PelgError(f"--pe-opt expects KEY=VALUE, got {item!r}")
        out[key] = value
    return out


def cmd_pes(args) -> None:
    from theory.encodings import PE_CATALOG

    width = max(map(len, PE_CATALOG))
    for name, spec in PE_CATALOG.items():
        print(f"{name:<{width}}  {spec.hook:<9}  {spec.formula}   [{spec.source}]")


def cmd_tasks(args) -> None:
    from .tasks import TASKS, get_task

    for name in TASKS:
        t = get_task(name)
        print(f"{name:<14} {t.kind:<10} {t.paper:<15} {t.description}")


def cmd_train(args) -> None:
    from .model import ModelConfig
    from .tasks import get_task
    from .train import TrainConfig, fmt_metrics, train

    task = get_task(args.task)
    lo, hi = args.train_lengths
    test = args.test_lengths or [hi + 1, 2 * hi]
    regression = task.kind == "regression"
    model = ModelConfig(arch="encoder" if regression else "decoder", causal=args.causal or not regression,
                        pe=args.pe, pe_options=_parse_options(args.pe_opt), n_layer=args.layers,
                        n_head=args.heads, d_model=args.d_model, d_ff=4 * args.d_model)
    cfg = TrainConfig(task=args.task, model=model, train_lengths=(lo, hi),
                      eval_buckets=[(lo, hi), tuple(test)], steps=require_positive("--steps", args.steps),
                      batch_size=args.batch_size, lr=args.lr, seed=args.seed, device=args.device,
                      eval_samples=args.eval_samples)
    result = train(cfg, out_dir=args.out, progress=not args.quiet)
    print(f"task {args.task}  pe {args.pe}  steps {args.steps}  train loss {result['train_loss']['final']:.4g}"
          f"  ({result['train_seconds']:.1f}s on {result['device']})")
    print(fmt_metrics(result))
    if args.out:
        print(f"checkpoint and result.json in {args.out}")


def cmd_repro(args) -> None:
    from .repro import get_repro

    run = get_repro(args.paper)
    out = args.out or Path("runs") / args.paper / args.profile
    run(args.profile, Path(out), workers=args.workers, device=args.device, publish=args.publish)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pelg", description="Positional encodings and length generalization: "
                                "theory checks and reproducible Transformer experiments.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("pes", help="list the positional encodings").set_defaults(fn=cmd_pes)
    sub.add_parser("tasks", help="list the tasks").set_defaults(fn=cmd_tasks)

    t = sub.add_parser("train", help="train one model and print its metric per length bucket")
    t.add_argument("--task", required=True)
    t.add_argument("--pe", default="nope", help="a PE name from `pelg pes`, optionally +random or +sh")
    t.add_argument("--pe-opt", action="append", metavar="KEY=VALUE", help="PE option (repeatable)")
    t.add_argument("--steps", type=int, default=1000)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default="auto", help="auto | cpu | cuda")
    t.add_argument("--out", type=Path, help="directory for model.pt and result.json")
    t.add_argument("--train-lengths", type=int, nargs=2, default=(1, 10), metavar=("MIN", "MAX"))
    t.add_argument("--test-lengths", type=int, nargs=2, metavar=("MIN", "MAX"),
                   help="extrapolation bucket (default MAX+1 .. 2*MAX)")
    t.add_argument("--layers", type=int, default=2)
    t.add_argument("--heads", type=int, default=4)
    t.add_argument("--d-model", type=int, default=64)
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--eval-samples", type=int, default=512)
    t.add_argument("--causal", action="store_true", help="causal mask for regression (encoder) tasks")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(fn=cmd_train)

    r = sub.add_parser("repro", help="reproduce a paper's experiment")
    r.add_argument("paper", help="li2025")
    r.add_argument("--profile", default="quick", help="smoke | quick | full")
    r.add_argument("--out", type=Path, help="output directory (default runs/PAPER/PROFILE)")
    r.add_argument("--workers", type=int, help="parallel training processes (default: the protocol's)")
    r.add_argument("--device", default="auto", help="auto | cpu | cuda")
    r.add_argument("--publish", action="store_true",
                   help="also update ./paper_repro.md and ./figures (run from the repository root)")
    r.set_defaults(fn=cmd_repro)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.fn(args)
    except (PelgError, ValueError) as e:  # theory raises ValueError with one-line messages
        print(f"pelg: error: {str(e).splitlines()[0] if str(e) else type(e).__name__}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pelg: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
