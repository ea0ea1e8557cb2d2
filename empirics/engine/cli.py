"""`pelg sweep`, `pelg results` and `pelg plot` (empirics/engine/cli_plot.py): the experiment engine's
subcommands. `add_parsers(sub)` adds them to the `pelg` parser (empirics/cli.py), which registers the
papers' sweep protocols before a sweep runs. `results` and `plot` open the store read-only."""
from __future__ import annotations

import sys
from pathlib import Path

from empirics.engine.cli_plot import add_parser as add_plot_parser
from empirics.engine.rows import config_keys, sorted_buckets
from empirics.errors import PelgError

DEFAULT_STORE = Path("runs") / "pelg.sqlite"


def cmd_sweep(args) -> int:
    """Exit 0 when every run is done; 1 when runs failed (each named on stderr); a one-line error (exit 2)
    when the disk filled up (those runs are not failed: the next sweep runs them)."""
    from empirics.engine.store import DEFAULT_STALE_AFTER
    from empirics.engine.sweep import run_sweep

    stale = DEFAULT_STALE_AFTER if args.stale_after is None else args.stale_after
    summary = run_sweep(args.spec, args.store, executor=args.executor, workers=args.workers, threads=args.threads,
                        retry_failed=args.retry_failed, stale_after=stale, address=args.ray_address,
                        gpus_per_run=args.gpus_per_run, dry_run=args.dry_run)
    if args.dry_run:
        return 0
    failed = summary["failed_runs"]
    if failed:
        print(f"pelg: {len(failed)} run(s) failed (kept in the store with their error; --retry-failed runs them "
              f"again):", file=sys.stderr)
        for h, label, error in failed:
            print(f"  {h[:12]}  {label}: {error}", file=sys.stderr)
    if summary["disk_full"]:
        raise PelgError(f"the disk is full: {len(summary['disk_full'])} run(s) stopped and left to run "
                        f"(not failed); free space and run the sweep again")
    return 1 if failed else 0


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def results_table(rows: list[dict]) -> str:
    """hash, status, the config keys that vary across `rows`, each bucket's metric (exact match or MSE;
    buckets in numeric order), the final training loss and the wall time."""
    from empirics.engine.sweep import varying_keys

    configs = [{k: r[k] for k in config_keys(r)} for r in rows]
    keys = [k for k in varying_keys(configs) if k != "model.vocab_size"] or ["task", "model.pe"]
    buckets = ["metric." + b for b in sorted_buckets(k[7:] for r in rows for k in r if k.startswith("metric."))]
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


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    import csv
    import io

    from empirics.fileio import write_text

    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: _csv_value(v) for k, v in r.items()})
    write_text(path, buf.getvalue())


def cmd_results(args) -> None:
    from empirics.engine.aggregate import aggregate, split_keys
    from empirics.engine.store import Store

    group_by = None if args.group_by is None else split_keys(args.group_by, "--group-by")
    if args.metric != "auto" and group_by is None:
        raise PelgError("--metric needs --group-by (it picks what is aggregated)")
    if args.csv and Path(args.csv).is_dir():
        raise PelgError(f"--csv {str(args.csv)!r} is a directory; give a file name")
    with Store(args.store, readonly=True) as store:
        rows = store.flat_rows(args.where)
    if group_by is not None:
        return _print_aggregate(args, aggregate(rows, group_by, args.metric))
    if args.csv:
        columns = list(dict.fromkeys(k for r in rows for k in r)) or ["hash", "status"]
        _write_csv(args.csv, columns, rows)
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


def _print_aggregate(args, agg: dict) -> None:
    from empirics.engine.aggregate import aggregate_csv_rows, aggregate_table

    if args.csv:
        columns, rows = aggregate_csv_rows(agg)
        _write_csv(args.csv, columns, rows)
        print(f"wrote {len(rows)} row(s) (mean, 95% interval, n per group and bucket) to {args.csv}")
    elif not agg["records"]:
        print(f"no finished runs match in {args.store}")
    else:
        print("mean over seeds with a 95% t-interval (empirics.analysis.stats); n = runs; metric: exact match "
              "for token tasks, MSE for regression")
        print(aggregate_table(agg))
        skipped = f"; {agg['skipped']} run(s) not done left out" if agg["skipped"] else ""
        print(f"{agg['runs']} finished run(s) in {len({tuple(r['group'].values()) for r in agg['records']})} "
              f"group(s){skipped}")
    for note in agg["notes"]:
        print(f"pelg: note: {note}", file=sys.stderr)


def _csv_value(v):
    import json

    return json.dumps(v) if isinstance(v, (list, dict)) else v


def add_parsers(sub) -> None:
    """Add `sweep`, `results` and `plot` to the `pelg` subcommand parsers."""
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
    r.add_argument("--group-by", metavar="KEYS",
                   help="aggregate over seeds: per group of these config keys (comma list, e.g. task,pe) and "
                        "length bucket, the mean with a 95%% t-interval and n")
    r.add_argument("--metric", default="auto",
                   help="with --group-by: auto (exact match, or MSE for regression) | exact_match | mse | loss "
                        "(evaluation loss); default auto")
    r.add_argument("--csv", type=Path, metavar="FILE",
                   help="write every column (or, with --group-by, the aggregate) to a CSV file instead")
    r.set_defaults(fn=cmd_results)
    add_plot_parser(sub, DEFAULT_STORE)
