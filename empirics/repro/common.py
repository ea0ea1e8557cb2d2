"""Shared machinery for the paper reproductions: protocols as TOML data, running many configs in worker
processes, summary statistics and markdown tables."""
from __future__ import annotations

import os
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor, as_completed
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import PelgError, unknown

PROFILES = ("smoke", "quick", "full")


def load_protocol(paper: str, profile: str) -> dict:
    """Read `protocols/<paper>_<profile>.toml` shipped with the package."""
    if profile not in PROFILES:
        raise unknown("profile", profile, PROFILES)
    name = f"{paper}_{profile}.toml"
    try:
        text = resources.files("empirics.repro").joinpath("protocols", name).read_text()
        return tomllib.loads(text)
    except FileNotFoundError:
        raise PelgError(f"no protocol file {name!r} for paper {paper!r}") from None
    except tomllib.TOMLDecodeError as e:
        raise PelgError(f"protocol {name!r} is malformed TOML: {e}") from None


def _run_one(args):
    """Worker: train one config (imports inside so that spawned workers set their threads first)."""
    cfg_dict, threads, device = args
    import torch

    torch.set_num_threads(threads)
    from ..train import TrainConfig, train

    cfg = TrainConfig.from_dict({**cfg_dict, "device": device})
    return train(cfg, progress=False)


def run_many(configs: list[dict], workers: int, device: str = "auto", log=print) -> list[dict]:
    """Train every config (TrainConfig dicts), `workers` processes at a time; results in input order.

    On CPU, W workers with cores/W threads each beat one process with all threads for these small models
    (measured: 1 thread 10.4 s vs 2 threads 7.1 s for the same run, so 2 workers x 1 thread ~35% faster).
    """
    cores = os.cpu_count() or 1
    workers = max(1, min(workers, len(configs), cores))
    threads = max(1, cores // workers)
    jobs = [(c, threads, device) for c in configs]
    results: list[dict | None] = [None] * len(configs)
    start = time.time()

    def report(done):
        elapsed = time.time() - start
        eta = elapsed / done * (len(configs) - done)
        log(f"[{done}/{len(configs)}] elapsed {elapsed:6.0f}s  eta {eta:6.0f}s")

    if workers == 1:
        for i, job in enumerate(jobs):
            results[i] = _run_one(job)
            report(i + 1)
        return results
    import multiprocessing as mp

    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        futures = {pool.submit(_run_one, job): i for i, job in enumerate(jobs)}
        for done, fut in enumerate(as_completed(futures), start=1):
            results[futures[fut]] = fut.result()
            report(done)
    return results


def mean_std(values) -> tuple[float, float]:
    a = np.asarray(values, dtype=float)
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def replace_block(text: str, key: str, body: str) -> str:
    """Replace the text between `<!-- key:begin -->` and `<!-- key:end -->` markers."""
    begin, end = f"<!-- {key}:begin -->", f"<!-- {key}:end -->"
    if begin not in text or end not in text:
        raise PelgError(f"paper_repro.md has no {begin} ... {end} block to update")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"
