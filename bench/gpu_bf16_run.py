"""One bf16 training run per PE at Kazemnejad et al. 2023's full model (12 x 768 T5-style decoder, batch 64,
K23's learning rate and dropout; empirics/repro/protocols/kazemnejad2023_full.toml) on CUDA: steps/s of
`empirics.train.train` and the projected time of K23's 40K-step protocol (issue 14's target: <= 15 min on
one H100/H200; validation and evaluation not included).

Usage: python bench/gpu_bf16_run.py [--steps 300] [--pes t5,rope] [--compile] --out FILE.json
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from empirics.fileio import write_json
from empirics.model import PRESETS, ModelConfig
from empirics.runconfig import TrainConfig
from empirics.tasks.protocols import task_protocol
from empirics.train import environment, train

TASK = "k23.copy_cmc"
PE_OPTIONS = {"t5": {"num_buckets": 32, "max_distance": 128}, "rope": {"layout": "interleaved", "fraction": 0.25}}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--pes", default="t5,rope")
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    lengths = tuple(task_protocol(TASK)["train_lengths"])
    runs = []
    for pe in args.pes.split(","):
        cfg = TrainConfig(task=TASK, layout="k23", train_lengths=lengths, eval_buckets=[lengths], eval_samples=64,
                          steps=args.steps, batch_size=64, lr=3e-5, weight_decay=0.05, warmup=0.06, seed=0,
                          device="cuda", precision="bf16",
                          model=ModelConfig(pe=pe, pe_options=PE_OPTIONS.get(pe, {}), n_layer=12, n_head=12,
                                            d_model=768, d_ff=3072, **PRESETS["k23"]))
        start = time.perf_counter()
        result = train(cfg, progress=False, compile=args.compile)
        wall = time.perf_counter() - start
        sps = args.steps / result["train_seconds"]
        runs.append({"pe": pe, "steps": args.steps, "train_seconds": round(result["train_seconds"], 2),
                     "wall_seconds": round(wall, 2), "steps_per_s": round(sps, 2),
                     "projected_40k_minutes": round(40_000 / sps / 60, 1), "train_loss": result["train_loss"],
                     "metrics": result["metrics"], "compile": args.compile})
        print(runs[-1], flush=True)
    write_json(args.out, {"benchmark": "gpu_bf16_run", "task": TASK, "env": environment(), "runs": runs})
    return 0


if __name__ == "__main__":
    sys.exit(main())
