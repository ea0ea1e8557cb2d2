"""`pelg plot`: a figure from a results store. `--x length` draws the metric (exact match, MSE or the
evaluation loss) against length bucket, `--x step` the training loss against step (the curve each run
records, empirics/train.py `loss_points`); one line per value of `--by` (config keys, e.g. pe or pe,task)
through the mean over seeds with its 95% t-interval (empirics/engine/aggregate.py). The store is opened
read-only; the figure's format is its suffix (.png, .pdf, .svg)."""
from __future__ import annotations

import sys
from pathlib import Path

from empirics.errors import PelgError, unknown

X_AXES = ("length", "step")
FIGURE_FORMATS = ("png", "pdf", "svg")  # empirics/plots/common.py FORMATS (not imported here: no matplotlib)


def check_out(path: Path) -> Path:
    """The figure path, checked before any work: a file name ending in .png, .pdf or .svg."""
    path = Path(path)
    if path.is_dir():
        raise PelgError(f"--out {str(path)!r} is a directory; give a file name ending in .png, .pdf or .svg")
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FIGURE_FORMATS:
        raise PelgError(f"unknown figure format {fmt or '(none)'!r} of --out {str(path)!r}; valid: "
                        f"{', '.join('.' + f for f in FIGURE_FORMATS)}")
    return path


def _label(group: dict) -> str:
    if len(group) == 1:
        return str(next(iter(group.values())))
    return ", ".join(f"{k.removeprefix('model.')}={v}" for k, v in group.items())


def _lines(agg: dict, xs: list[str]) -> dict[str, dict]:
    """Per group: mean, lo, hi, values at each x (None where the group has no runs there)."""
    cells: dict[str, dict] = {}
    for r in agg["records"]:
        cells.setdefault(_label(r["group"]), {})[r["bucket"]] = r
    return {label: {key: [at[x][key] if x in at else (None if key != "values" else []) for x in xs]
                    for key in ("mean", "lo", "hi", "values")}
            for label, at in cells.items()}


def _step_rows(store, rows: list[dict]) -> tuple[list[dict], int]:
    """Flat rows whose metric.<step> is the training loss at that step; and how many runs had no curve."""
    out, missing = [], 0
    for r in rows:
        if r["status"] != "done":
            continue
        curve = store.loss_curve(r["hash"])
        if not curve:
            missing += 1
            continue
        base = {k: v for k, v in r.items() if not k.startswith(("metric.", "loss."))}
        out.append({**base, "metric_name": "train_loss", **{f"metric.{s}": loss for s, loss in curve}})
    return out, missing


def cmd_plot(args) -> None:
    from empirics.engine.aggregate import METRIC_TITLES, METRICS, aggregate, split_keys
    from empirics.engine.rows import sorted_buckets
    from empirics.engine.store import Store

    if args.x not in X_AXES:
        raise unknown("--x", args.x, X_AXES)
    if args.metric not in METRICS:
        raise unknown("--metric", args.metric, METRICS)
    if args.x == "step" and args.metric != "auto":
        raise PelgError("--metric applies to --x length; --x step plots the training loss")
    by = split_keys(args.by, "--by")
    out = check_out(args.out if args.out is not None else Path(args.store).parent / f"plot-{args.x}.png")
    missing = 0
    with Store(args.store, readonly=True) as store:
        rows = store.flat_rows(args.where)
        if args.x == "step":
            rows, missing = _step_rows(store, rows)
    agg = aggregate(rows, by, "auto" if args.x == "step" else args.metric, option="--by")
    if not agg["records"]:
        why = f" with a loss curve ({missing} finished run(s) have none)" if missing else ""
        raise PelgError(f"no finished runs{why} match in {str(args.store)!r}" +
                        (f" with --where {' '.join(args.where)}" if args.where else ""))
    where = f" [{', '.join(args.where)}]" if args.where else ""
    legend = ", ".join(k.removeprefix("model.") for k in agg["keys"]) if len(agg["keys"]) == 1 else None
    if args.x == "length":
        from empirics.plots.results import metric_by_bucket

        names = sorted({r["metric"] for r in agg["records"]})
        ylabel = " / ".join(METRIC_TITLES.get(n, n) for n in names)
        buckets = sorted_buckets(r["bucket"] for r in agg["records"])
        title = args.title or f"{ylabel} by length bucket: mean over seeds, 95% interval{where}"
        metric_by_bucket(_lines(agg, buckets), buckets, out, ylabel=ylabel, title=title,
                         bounded=names == ["exact_match"], legend_title=legend)
    else:
        from empirics.plots.results import loss_by_step

        steps = sorted_buckets(r["bucket"] for r in agg["records"])
        lines = _lines(agg, steps)
        for line in lines.values():
            kept = [i for i, m in enumerate(line["mean"]) if m is not None]
            line.update({k: [line[k][i] for i in kept] for k in ("mean", "lo", "hi")})
            line["steps"] = [int(steps[i]) for i in kept]
        loss_by_step(lines, out, title=args.title or f"training loss: mean over seeds, 95% interval{where}",
                     legend_title=legend)
    n_lines = len({_label(r["group"]) for r in agg["records"]})
    print(f"wrote {out} ({n_lines} line(s) from {agg['runs']} finished run(s))")
    for note in agg["notes"] + ([f"{missing} run(s) have no loss curve (trained before runs recorded one)"]
                                if missing else []):
        print(f"pelg: note: {note}", file=sys.stderr)


def add_parser(sub, default_store: Path) -> None:
    p = sub.add_parser("plot", help="plot a results store: metric against length bucket (or training loss "
                                    "against step), mean over seeds with 95%% intervals, a line per --by value")
    p.add_argument("--store", type=Path, default=default_store, help=f"default {default_store}")
    p.add_argument("--x", default="length", help="length (metric per length bucket) | step (training loss); "
                                                 "default length")
    p.add_argument("--by", default="pe", metavar="KEYS",
                   help="one line per value of these config keys (comma list, e.g. pe or pe,task); default pe")
    p.add_argument("--where", action="append", metavar="KEY=VALUE",
                   help="keep runs where KEY equals VALUE (as in `pelg results`); repeatable")
    p.add_argument("--metric", default="auto",
                   help="auto (exact match, or MSE for regression) | exact_match | mse | loss (evaluation loss); "
                        "default auto")
    p.add_argument("--out", type=Path, help="figure file: .png, .pdf or .svg (default STORE_DIR/plot-X.png)")
    p.add_argument("--title", help="figure title (default: what is drawn)")
    p.set_defaults(fn=cmd_plot)
