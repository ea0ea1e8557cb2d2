"""Aggregation over seeds for `pelg results --group-by` and `pelg plot`: the finished runs are grouped by
the values of chosen config columns (e.g. task, model.pe), and per group and length bucket the metric's
mean over the group's runs comes with a 95% Student-t interval and the run count n, from
empirics/analysis/stats.py `mean_interval` (the statistics the evidence standard uses, DESIGN.md
"Evidence"). Buckets are in numeric order. A group whose runs differ in more than the seed is named in a
note: its mean would blend settings."""
from __future__ import annotations

import json
import math

from empirics.analysis.stats import mean_interval
from empirics.engine.rows import config_keys, resolve_key, sorted_buckets
from empirics.errors import PelgError, unknown

METRICS = ("auto", "exact_match", "mse", "loss")
METRIC_TITLES = {"exact_match": "exact match", "mse": "MSE", "loss": "evaluation loss"}
SEED_KEYS = ("seed", "data_seed")  # what a group averages over


def split_keys(text: str | None, option: str) -> list[str]:
    """'task,pe' -> ['task', 'pe'] (blanks dropped; an empty list is an error)."""
    keys = [k.strip() for k in (text or "").split(",") if k.strip()]
    if not keys:
        raise PelgError(f"{option} expects a comma list of config keys (e.g. task,pe), got {text!r}")
    return keys


def _value(v) -> str:
    return json.dumps(v) if isinstance(v, (list, dict)) else str(v)


def metric_of(rows: list[dict], metric: str) -> dict[str, str]:
    """Per run hash, the name of the metric to aggregate: the run's own (exact_match or mse) for 'auto',
    'loss' for the evaluation loss; asking 'exact_match' of an MSE run (or the reverse) is an error."""
    if metric not in METRICS:
        raise unknown("--metric", metric, METRICS)
    out = {}
    for r in rows:
        own = r.get("metric_name") or "metric"
        if metric not in ("auto", "loss") and own != metric:
            raise PelgError(f"--metric {metric}: run {r['hash'][:12]} ({r.get('task')}) reports {own}; "
                            f"use --metric auto or narrow the runs with --where")
        out[r["hash"]] = "loss" if metric == "loss" else own
    return out


def aggregate(rows: list[dict], group_by: list[str], metric: str = "auto", option: str = "--group-by") -> dict:
    """{"keys": resolved group columns, "records": [{"group": {key: value}, "bucket", "metric", "mean",
    "lo", "hi", "n", "values"}], "notes": [...], "runs": finished runs used, "skipped": runs not done}.
    lo/hi are None where n < 2 (no interval). `option` names the grouping in errors (--group-by, --by)."""
    done = [r for r in rows if r["status"] == "done" and any(k.startswith("metric.") for k in r)]
    if not done:
        return {"keys": [], "records": [], "notes": [], "runs": 0, "skipped": len(rows)}
    columns = list(dict.fromkeys(k for r in done for k in r))
    keys = list(dict.fromkeys(resolve_key(k, columns, option) for k in group_by))
    names = metric_of(done, metric)
    groups: dict[tuple, list[dict]] = {}
    for r in done:
        groups.setdefault(tuple(_value(r.get(k)) for k in keys), []).append(r)
    records, notes = [], []
    prefix = "loss." if metric == "loss" else "metric."
    for values, members in groups.items():
        group = dict(zip(keys, values))
        mixed = _mixed(members, keys)
        if mixed:
            label = " ".join(f"{k}={v}" for k, v in group.items())
            notes.append(f"group {label} also differs in {', '.join(mixed)}: add them to the grouping or --where")
        for bucket in sorted_buckets(k[len(prefix):] for r in members for k in r if k.startswith(prefix)):
            xs = [r[prefix + bucket] for r in members if isinstance(r.get(prefix + bucket), (int, float))
                  and math.isfinite(r[prefix + bucket])]
            if not xs:
                continue
            iv = mean_interval(xs)
            finite = iv.n >= 2 and math.isfinite(iv.lo)
            name = "/".join(sorted({names[r["hash"]] for r in members}))
            lo, hi = _clip(name, iv.lo, iv.hi) if finite else (None, None)
            records.append({"group": group, "bucket": bucket, "metric": name, "mean": iv.mean, "lo": lo, "hi": hi,
                            "n": iv.n, "values": xs})
    return {"keys": keys, "records": records, "notes": notes, "runs": len(done), "skipped": len(rows) - len(done)}


def _mixed(members: list[dict], keys: list[str]) -> list[str]:
    """Config columns other than the grouping and the seeds whose value differs inside a group."""
    cols = list(dict.fromkeys(k for r in members for k in config_keys(r)))
    skip = set(keys) | {k for k in cols if k.rsplit(".", 1)[-1] in SEED_KEYS} | {"model.vocab_size"}
    return [k for k in cols if k not in skip and len({_value(r.get(k)) for r in members}) > 1]


def _num(x) -> str:
    return "-" if x is None else f"{x:.4g}"


def _clip(metric: str, lo: float, hi: float) -> tuple[float, float]:
    """The t-interval clipped to the metric's range: [0, 1] for exact match, >= 0 for MSE and loss."""
    top = 1.0 if metric == "exact_match" else math.inf
    return max(0.0, lo), min(top, hi)


def aggregate_table(agg: dict) -> str:
    """One line per (group, bucket): the group's values, bucket, metric, mean, 95% interval, n."""
    keys = agg["keys"]
    header = [*[k.removeprefix("model.") for k in keys], "bucket", "metric", "mean", "95% interval", "n"]
    body = [[*[r["group"][k] for k in keys], r["bucket"], METRIC_TITLES.get(r["metric"], r["metric"]),
             _num(r["mean"]), "-" if r["lo"] is None else f"[{_num(r['lo'])}, {_num(r['hi'])}]", str(r["n"])]
            for r in agg["records"]]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    lines = ["  ".join(f"{x:<{w}}" for x, w in zip(line, widths)).rstrip() for line in [header, *body]]
    return "\n".join(lines)


def aggregate_csv_rows(agg: dict) -> tuple[list[str], list[dict]]:
    """(columns, rows) of the aggregated table for a CSV file (no interval: empty lo, hi)."""
    columns = [*agg["keys"], "bucket", "metric", "mean", "lo", "hi", "n"]
    rows = [{**r["group"], **{c: r[c] for c in ("bucket", "metric", "mean", "lo", "hi", "n")}}
            for r in agg["records"]]
    return columns, rows
