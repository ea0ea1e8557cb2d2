"""`pelg bench`: training and evaluation speed (issue 14), measured by bench/suite.py of the source checkout.

    pelg bench [--quick] [--json] [--sizes 2x64,6x256,12x768] [--pes nope,rope,...] [--steps N]
               [--device auto|cpu|cuda] [--compile] [--parts train,batched,eval] [--threads N] [--out FILE]

Reports training tokens/s per PE and model size beside a plain eager decoder (and x-transformers when it
is importable), the batched-models speedup, teacher-forced against greedy evaluation (speed and verdicts),
and MFU on GPUs with a known bf16 peak. Prints a table (or, with --json, the JSON) and writes the JSON,
with device and versions, to bench/results/ (default bench/results/bench_{quick|full}_{device}.json).
`--quick`: 2 x 64 only and few steps, minutes on 2 CPU cores.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import re
from pathlib import Path

from .errors import PelgError, require_positive, unknown

BENCH_DIR = Path(__file__).resolve().parents[1] / "bench"
SIZES = ("2x64", "6x256", "12x768")
PARTS = ("train", "batched", "eval")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the `bench` command to `subparsers` (from `ArgumentParser.add_subparsers`)."""
    p = subparsers.add_parser("bench", help="training tokens/s per PE and size, batched models, evaluation speed")
    p.add_argument("--quick", action="store_true", help="2 x 64 only, few steps (minutes on a CPU)")
    p.add_argument("--json", action="store_true", help="print the JSON instead of the table")
    p.add_argument("--sizes", help=f"comma-separated model sizes (default: all in full mode, 2x64 with --quick); "
                   f"valid: {', '.join(SIZES)}")
    p.add_argument("--pes", help="comma-separated base PEs (default: every registered PE)")
    p.add_argument("--steps", type=int, help="timed steps per configuration (default: the mode's)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda")
    p.add_argument("--compile", action="store_true", help="torch.compile pelg's models (Transformer.compile_core)")
    p.add_argument("--parts", help=f"comma-separated parts to run (default: all); valid: {', '.join(PARTS)}")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: 1 on the CPU, torch's on CUDA)")
    p.add_argument("--out", type=Path, help="JSON path (default bench/results/bench_MODE_DEVICE.json)")
    p.set_defaults(fn=cmd_bench)
    return p


def _names(text: str | None, valid, flag: str, kind: str) -> list[str] | None:
    """A comma-separated option's names, each checked against `valid` (None when the option is absent)."""
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise PelgError(f"{flag} is empty; valid: {', '.join(valid)}")
    for n in names:
        if n not in valid:
            raise unknown(kind, n, valid)
    return names


def _suite():
    path = BENCH_DIR / "suite.py"
    if not path.is_file():
        raise PelgError(f"pelg bench needs the source checkout's bench/ directory; {str(path)!r} is missing")
    spec = importlib.util.spec_from_file_location("pelg_bench_suite", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cmd_bench(args) -> None:
    import torch

    from .fileio import write_json
    from .pe_registry import PES
    from .runconfig import resolve_device

    sizes = _names(args.sizes, SIZES, "--sizes", "model size")
    pes = _names(args.pes, list(PES), "--pes", "positional encoding")
    parts = _names(args.parts, PARTS, "--parts", "bench part") or PARTS
    if args.steps is not None:
        require_positive("--steps", args.steps)
    if args.threads is not None:
        torch.set_num_threads(require_positive("--threads", args.threads))
    if args.device not in ("auto", "cpu", "cuda"):
        raise unknown("device", args.device, ("auto", "cpu", "cuda"))
    device = resolve_device(args.device)
    if device.type == "cpu" and args.threads is None:
        torch.set_num_threads(1)  # two spinning OpenMP threads on a shared 2-core machine: 20x spreads seen
    mode = "quick" if args.quick else "full"
    suite = _suite()
    result = suite.run(mode, sizes=sizes, pes=pes, device=device, steps=args.steps, compile=args.compile,
                       parts=parts)
    tag = re.sub(r"[^a-z0-9]+", "_", result["device"]["name"].lower()).strip("_")
    out = args.out or BENCH_DIR / "results" / f"bench_{mode}_{tag}.json"
    write_json(out, result)
    print(json.dumps(result, indent=2, sort_keys=True) if args.json else suite.table(result) + f"\nwrote {out}")
