"""Benchmark: the C-RASP interpreter (theory.huang2025.interpreter.run) on 10,000 strings of length 150 (issue
#5's target: about a second), per program of the library, including the Scale-Hint relation of the IPE/SH
extension.

Usage: python bench/crasp_interpreter.py [--batch 10000] [--length 150] [--repeats 3]
                                         [--out bench/results/crasp_interpreter.json]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from empirics.fileio import write_json
from empirics.train import environment
from theory.huang2025.checker import check
from theory.huang2025.interpreter import encode, run
from theory.huang2025.language_programs import abab_star, dyck, tomita4, tomita4_one_relation
from theory.huang2025.token_programs import (
    BOS, SEP, binary_majority_interleave, copy_hinted, copy_unique_nope, token_input)

# (label, program, how a random input row is built: "language" = <bos> + symbols, "copy" = <bos> src <sep> src)
CASES = [
    ("d12", lambda: dyck(12), "language"),
    ("tomita4", tomita4, "language"),
    ("tomita4_one_relation", tomita4_one_relation, "language"),
    ("abab_star", abab_star, "language"),
    ("binary_majority_interleave", binary_majority_interleave, "copy"),
    ("copy_unique_nope (vocabulary 20)", lambda: copy_unique_nope(20), "copy"),
    ("copy_hinted", copy_hinted, "copy"),
]


def inputs(program, kind: str, batch: int, length: int, rng) -> np.ndarray:
    """Encoded (batch, length + 1) rows: <bos> then `length` symbols (a copy instance for "copy")."""
    symbols = [s for s in program.alphabet if s not in (BOS, SEP)]
    if kind == "language":
        rows = [[BOS, *rng.choice(symbols, size=length)] for _ in range(batch)]
    else:
        n = (length - 1) // 2
        rows = []
        for _ in range(batch):
            src = list(rng.choice(symbols, size=n))
            rows.append(token_input(src, src)[: length + 1])
    return encode(program, rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--length", type=int, default=150)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("bench/results/crasp_interpreter.json"))
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for label, make, kind in CASES:
        program = make()
        X = inputs(program, kind, args.batch, args.length, rng)
        run(program, X[:4])                                   # warm-up
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            run(program, X)
            times.append(time.perf_counter() - start)
        rep = check(program)
        rows.append({"program": label, "fragment": rep.fragment, "definitions": rep.n_defs,
                     "batch": args.batch, "positions": int(X.shape[1]), "seconds_min": round(min(times), 4),
                     "seconds_median": round(float(np.median(times)), 4)})
        print(f"{label:<36} {rep.fragment:<18} {rep.n_defs:>4} defs  {min(times):7.3f} s")
    write_json(args.out, {"benchmark": "crasp_interpreter", "env": environment(), "results": rows})


if __name__ == "__main__":
    main()
