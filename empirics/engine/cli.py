"""`pelg sweep` and `pelg results`: the experiment engine's subcommands. `add_parsers(sub)` adds them to
the `pelg` parser (empirics/cli.py), which registers the papers' sweep protocols before a sweep runs."""
from __future__ import annotations

import sys
from pathlib import Path

from empirics.errors import PelgError

DEFAULT_STORE = Path("runs") / "pelg.sqlite"


def cmd_sweep(args) -> None:
    from empirics.engine.store import DEFAULT_STALE_AFTER
    from empirics.engine.sweep import run_sweep

    stale = DEFAULT_STALE_AFTER if args.stale_after is None else args.stale_after
    summary = run_sweep(args.spec, args.store, executor=args.executor, workers=args.workers, threads=args.threads,
                        retry_failed=args.retry_failed, stale_after=stale, address=args.ray_address,
                        gpus_per_run=args.gpus_per_run, dry_run=args.dry_run)
    if not args.dry_run and summary["failed"]:
        print(f"{summary['failed']} run(s) failed (kept in the store with their error)", file=sys.stderr)


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def results_table(rows: list[dict]) -> str:
    """hash, status, the config keys that vary across `rows`, each bucket's metric (exact match or MSE), the
    final training loss and the wall time."""
    from empirics.engine.sweep import varying_keys

    configs = [{k: v for k, v in r.items() if not k.startswith(("metric.", "loss.", "train_loss.", "version."))
                and k not in ("hash", "status", "sweeps", "wall_seconds", "train_seconds", "device", "git_commit",
                              "threads", "attempts", "error", "failed_step", "claimed_by")} for r in rows]
    keys = [k for k in varying_keys(configs) if k != "model.vocab_size"] or ["task", "model.pe"]
    buckets = list(dict.fromkeys(k for r in rows for k in r if k.startswith("metric.")))
    header = ["hash", "status", *[k.removeprefix("model.") for k in keys], *[b.removeprefix("metric.") for b in buckets],
              "train_loss", "wall_s"]
    body = []
    for r, c in zip(rows, configs):
        line = [r["hash"][:12], r["status"], *[_fmt(c.get(k)) for k in keys], *[_fmt(r.get(b)) for b in buckets],
                _fmt(r.get("train_loss.final")), _fmt(r.get("wall_seconds"))]
        if r.get("error"):
            line[-1] += f"  {r['error'][:80]}"
        body.append(line)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    out = ["  ".join(f"{x:<{w}}" for x, w in zip(line, widths)).rstrip() for line in [header, *body]]
    return "\n".join(out)


def cmd_results(args) -> None:
    import csv
    import io

    from empirics.fileio import write_text
    from empirics.engine.store import Store

    with Store(args.store) as store:
        rows = store.flat_rows(args.where)
    if args.csv:
        if Path(args.csv).is_dir():
            raise PelgError(f"--csv {str(args.csv)!r} is a directory; give a file name")
        columns = list(dict.fromkeys(k for r in rows for k in r)) or ["hash", "status"]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, columns, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: _csv_value(v) for k, v in r.items()})
        write_text(args.csv, buf.getvalue())
        print(f"wrote {len(rows)} run(s) x {len(columns)} columns to {args.csv}")
        return
    if not rows:
        print(f"no runs match in {args.store}")
        return
    print(results_table(rows))
    statuses = {}
    for r in rows:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    print(f"{len(rows)} run(s): " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))


def _csv_value(v):
    import json

    return json.dumps(v) if isinstance(v, (list, dict)) else v


def add_parsers(sub) -> None:
    """Add `sweep` and `results` to the `pelg` subcommand parsers."""
    s = sub.add_parser("sweep", help="run a sweep spec (TOML grid or paper protocol) into a results store")
    s.add_argument("spec", help="a sweep spec TOML file, or the name of one shipped in empirics/sweeps")
    s.add_argument("--executor", default="local", help="local | ray (default local)")
    s.add_argument("--workers", type=int, default=1, help="runs at a time (default 1: in this process)")
    s.add_argument("--threads", type=int, default=1,
                   help="torch threads per run on CPU (default 1; results depend on it bitwise, keep it fixed)")
    s.add_argument("--store", type=Path, default=DEFAULT_STORE,
                   help=f"results store (default {DEFAULT_STORE}); runs train in STORE_DIR/runs/<config hash>/")
    s.add_argument("--retry-failed", action="store_true", help="run failed configs again")
    s.add_argument("--ray-address", help="an existing Ray cluster (default: start a local one)")
    s.add_argument("--gpus-per-run", type=float, default=0.0, help="Ray: GPUs each run reserves (default 0)")
    s.add_argument("--stale-after", type=float,
                   help="seconds without a heartbeat before another sweep's claim counts as dead (default 120; "
                        "a dead process on this host counts at once)")
    s.add_argument("--dry-run", action="store_true", help="list the runs and their status; train nothing")
    s.set_defaults(fn=cmd_sweep)

    r = sub.add_parser("results", help="print or export the runs of a results store")
    r.add_argument("--store", type=Path, default=DEFAULT_STORE, help=f"default {DEFAULT_STORE}")
    r.add_argument("--where", action="append", metavar="KEY=VALUE",
                   help="keep runs where KEY (status, sweep, task, pe, seed, model.d_model, ...) equals VALUE; "
                        "repeatable (all must hold)")
    r.add_argument("--csv", type=Path, metavar="FILE", help="write every column to a CSV file instead")
    r.set_defaults(fn=cmd_results)
