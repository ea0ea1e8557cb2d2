"""Shared machinery for the paper reproductions: protocols as TOML data, running many configs in worker
processes, summary statistics and markdown tables."""
from __future__ import annotations

import hashlib
import os
import shutil
import time
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import PelgError, unknown
from ..fileio import write_json, write_text

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


def run_many(configs: list[dict], workers: int, device: str = "auto", log=print,
             out_dirs: list[str | None] | None = None, store: Path | None = None) -> list[dict]:
    """Train every config (TrainConfig dicts) on the sweep engine's local executor, `workers` processes
    at a time with cores/workers torch threads each; results in input order. A failed run is an error.
    `out_dirs[i]` (optional) keeps run i's model.pt and result.json there. With `store` (a results store,
    `pelg results --store`), the runs go through the sweep engine (`run_in_store`): a run the store has
    already finished is not trained again.

    On CPU, W workers with cores/W threads each beat one process with all threads for these small models
    (measured: 1 thread 10.4 s vs 2 threads 7.1 s for the same run, so 2 workers x 1 thread ~35% faster).
    """
    from empirics.engine.executors import make_executor

    if store is not None:
        return run_in_store(configs, workers, Path(store), device=device, log=log, out_dirs=out_dirs)
    cores = os.cpu_count() or 1
    workers = max(1, min(workers, len(configs), cores))
    threads = max(1, cores // workers)
    executor = make_executor("local", workers, threads)
    dirs = out_dirs or [None] * len(configs)
    keys = {executor.submit({"hash": str(i), "config": {**c, "device": device}, "out_dir": d,
                             "threads": threads}): i for i, (c, d) in enumerate(zip(configs, dirs))}
    results: list[dict | None] = [None] * len(configs)
    start, done = time.time(), 0
    try:
        while done < len(configs):
            for key, outcome in executor.wait(timeout=1.0):
                if outcome["status"] != "done":
                    raise PelgError(f"run {keys[key]} failed: {outcome.get('error')}")
                r = results[keys[key]] = outcome["result"]
                done += 1
                elapsed = time.time() - start
                c = r["config"]
                log(f"[{done}/{len(configs)}] elapsed {elapsed:6.0f}s  eta "
                    f"{elapsed / done * (len(configs) - done):6.0f}s  {c['task']}/{c['model']['pe']} "
                    f"seed {c['seed']}: {r['train_seconds']:.0f}s, {r['steps_done']} steps")
    finally:
        executor.shutdown()
    return results


_STORE_PROTOCOL = "repro-runs"   # the configs handed to run_in_store, as a sweep protocol of one profile


def run_in_store(configs: list[dict], workers: int, store: Path, device: str = "auto", log=print,
                 out_dirs: list[str | None] | None = None) -> list[dict]:
    """`run_many` through the sweep engine and its store: the configs run as one sweep (named by their
    hashes) in `store`, resumable, each run's files in the store's run directory; finished runs are read
    back, not retrained. Results in input order; `out_dirs[i]` gets a copy of run i's model.pt and
    result.json. A failed run is an error."""
    from empirics.engine.confighash import config_hash
    from empirics.engine.protocols import PROTOCOLS, register_protocol
    from empirics.engine.store import Store
    from empirics.engine.sweep import run_dir, run_sweep

    full = [{**c, "device": device} for c in configs]
    hashes = [config_hash(c) for c in full]
    register_protocol(_STORE_PROTOCOL, lambda profile: full, ("run",))
    name = "repro-" + hashlib.sha256(" ".join(sorted(set(hashes))).encode()).hexdigest()[:16]
    cores = os.cpu_count() or 1
    workers = max(1, min(workers, len(set(hashes)), cores))
    try:
        summary = run_sweep({"name": name, "protocol": _STORE_PROTOCOL, "profile": "run"}, store, workers=workers,
                            threads=max(1, cores // workers), log=log)
    finally:
        PROTOCOLS.pop(_STORE_PROTOCOL, None)   # not a protocol users can name in a spec
    if summary["failed"] or summary.get("disk_full"):
        first = (summary.get("failed_runs") or [("", "", "disk full")])[0]
        raise PelgError(f"{summary['failed']} run(s) failed in store {str(store)!r}: {first[1]}: {first[2]}")
    with Store(store, readonly=True) as st:
        rows = {h: st.get(h) for h in set(hashes)}
    missing = [h for h, r in rows.items() if r is None or r["status"] != "done"]
    if missing:
        raise PelgError(f"run {missing[0][:12]} is not finished in store {str(store)!r}")
    for h, d in zip(hashes, out_dirs or [None] * len(hashes)):
        if d:
            Path(d).mkdir(parents=True, exist_ok=True)
            for f in ("model.pt", "result.json"):
                shutil.copyfile(run_dir(store, h) / f, Path(d) / f)
    # the commit that trained each run (the store's), not the one reading it back
    return [{**rows[h]["result"], "git_commit": rows[h].get("git_commit")} for h in hashes]


def wall_seconds(start: float, results: list[dict], store: Path | None = None) -> float:
    """A reproduction's wall time: since `start`, or, when its runs come from a results store, the span
    over which the store trained them (first start to last finish), so a second invocation that reads
    every run back reports the time the training took, not the time the reading took."""
    if store is None or not Path(store).is_file():
        return time.time() - start
    from empirics.engine.confighash import config_hash
    from empirics.engine.store import Store

    with Store(Path(store), readonly=True) as st:
        rows = [st.get(config_hash(r["config"])) for r in results]
    if not rows or any(r is None or r.get("started") is None or r.get("finished") is None for r in rows):
        return time.time() - start
    return max(r["finished"] for r in rows) - min(r["started"] for r in rows)


def run_rows(keys, results, fits: list[dict]) -> list[dict]:
    """One row per run for the recorded results (empirics/repro/results/): its key and seed, config hash,
    metric per bucket, in-distribution score and fit flag (`fits`: empirics.analysis.fit.fit_record per
    run), loss-curve summary, wall time, device, torch version and git commit (the one that trained the run:
    the store's, for runs read back from a store; else the current one)."""
    from empirics.engine.confighash import config_hash
    from empirics.engine.store import git_commit

    commit = git_commit()
    return [{"key": list(k), "seed": r["config"]["seed"], "config_hash": config_hash(r["config"]),
             "metrics": {b: m["metric"] for b, m in r["metrics"].items()},
             "in_distribution": f["in_distribution"], "fit": f["fit"], "train_loss": r["train_loss"],
             "train_seconds": r["train_seconds"], "device": r["device"], "torch": r["env"]["torch"],
             "git_commit": r.get("git_commit") or commit} for k, r, f in zip(keys, results, fits)]


def fit_rate(fits: list[dict]) -> dict:
    """{"fit": j, "runs": n, "rate": j / n} over runs."""
    j = sum(bool(f["fit"]) for f in fits)
    return {"fit": j, "runs": len(fits), "rate": j / len(fits) if fits else 0.0}


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


PAPER_REPRO = Path("paper_repro.md")
FIGURE_SUFFIXES = (".png", ".pdf")  # each reproduction figure is written in both formats


def check_publishable(block: str) -> None:
    """Before any training: --publish needs ./paper_repro.md with the paper's table block."""
    if not PAPER_REPRO.is_file():
        raise PelgError("--publish needs ./paper_repro.md (run it from the pelg repository root)")
    replace_block(PAPER_REPRO.read_text(), block, "")


def save_outputs(out_dir: Path, keys, results, record: dict, table: str, render, figure: str | list[str], *,
                 publish: bool, block: str, record_name: str | None) -> None:
    """Write results.json (one row per run), summary.json (`record`), table.md and the figure(s) (`render(path)`
    for each name of `figure`) into out_dir; with `publish`, also the table block of ./paper_repro.md,
    ./figures/<figure> (with its .pdf / .svg siblings) and, given `record_name`, the recorded summary
    empirics/repro/results/<record_name> that ledger entries read."""
    out_dir = Path(out_dir)
    names = [figure] if isinstance(figure, str) else list(figure)
    write_json(out_dir / "results.json", [{"key": list(k), **r} for k, r in zip(keys, results)])
    write_json(out_dir / "summary.json", record)
    write_text(out_dir / "table.md", table + "\n")
    for name in names:
        render(out_dir / name)
    if publish:
        write_text(PAPER_REPRO, replace_block(PAPER_REPRO.read_text(), block, table))
        publish_figures(out_dir, names)
        if record_name:
            write_json(Path("empirics/repro/results") / record_name, record)



def publish_figures(out_dir: Path, names: list[str]) -> list[Path]:
    """Copy each figure of out_dir, with its siblings in the other formats, into ./figures/."""
    Path("figures").mkdir(exist_ok=True)
    copied = []
    for name in names:
        for src in [Path(out_dir) / name] + [(Path(out_dir) / name).with_suffix(f) for f in FIGURE_SUFFIXES]:
            if src.is_file() and Path("figures", src.name) not in copied:
                shutil.copyfile(src, Path("figures") / src.name)
                copied.append(Path("figures", src.name))
    return copied
