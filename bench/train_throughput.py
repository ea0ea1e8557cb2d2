"""Benchmark: training steps per second for every PE on the Li 2025 setting (2-layer encoder, d_model 64,
one head, length 50, batch 64) and on copy (decoder, 4 heads, lengths 1..20).

Usage: python bench/train_throughput.py [--steps N] [--device cpu|cuda] [--out bench/results/NAME.json]
Writes JSON with the device and library versions; speed is measured here, never asserted in tests.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from empirics.evaluate import batch_scores, make_batch
from empirics.fileio import write_json
from empirics.model import ModelConfig
from empirics.positional import PES
from empirics.tasks import get_task
from empirics.train import TrainConfig, build_model, environment, resolve_device
from suite import seconds_per_step  # bench/suite.py: bench/ is sys.path[0] when this runs as a script

SETTINGS = {
    "li2025_running_mean": dict(task="running_mean", train_lengths=(50, 50),
                                model=dict(arch="encoder", causal=False, n_head=1)),
    "copy_decoder": dict(task="copy", train_lengths=(1, 20), model=dict(n_head=4)),
}


def steps_per_second(setting: dict, pe: str, steps: int, device) -> float:
    opts = {"n_max": 50} if pe in ("wavelet", "legendre") else {}
    cfg = TrainConfig(task=setting["task"], train_lengths=setting["train_lengths"], steps=steps,
                      model=ModelConfig(**setting["model"], pe=pe, pe_options=opts))
    torch.manual_seed(0)
    rng, task = np.random.default_rng(0), get_task(cfg.task)
    model = build_model(cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def step():
        batch = make_batch(task, rng, *cfg.train_lengths, cfg.batch_size).to(device)
        loss = batch_scores(model, batch, rng)[1].mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    return 1.0 / seconds_per_step(step, steps, warmup=5, device=device, blocks=1)  # warm-up: tables, allocator


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", type=Path, default=Path("bench/results/train_throughput_cpu.json"))
    args = ap.parse_args()
    device = resolve_device(args.device)
    rows = []
    for name, setting in SETTINGS.items():
        for pe in PES:
            sps = steps_per_second(setting, pe, args.steps, device)
            rows.append({"setting": name, "pe": pe, "steps_per_second": round(sps, 2)})
            print(f"{name:<22} {pe:<13} {sps:7.2f} steps/s")
    write_json(args.out, {"benchmark": "train_throughput", "device": str(device),
                          "threads": torch.get_num_threads(), "steps": args.steps,
                          "env": environment(), "results": rows})


if __name__ == "__main__":
    main()
