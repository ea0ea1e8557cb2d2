"""Store rows as flat dicts (`flatten_row`: config fields by dotted name, metric.<bucket>, ...), the
KEY=VALUE filter of `pelg results --where` (`filter_rows`), column names by unique suffix (`resolve_key`)
and the numeric order of length buckets (`sorted_buckets`: 1-8, 9-10, 11-12, not 1-8, 11-12, 9-10)."""
from __future__ import annotations

import json
import re

from empirics.errors import PelgError


def flatten(prefix: str, obj, out: dict) -> None:
    """In place: `out[dotted key] = leaf` for every leaf of the nested dict `obj` (an empty dict is a leaf)."""
    if isinstance(obj, dict) and obj:
        for k, v in obj.items():
            flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = obj


def flatten_row(row: dict) -> dict:
    """hash, status, sweeps, then config fields by dotted name (model.pe, ...), metric_name (exact_match or
    mse), metric.<bucket>, loss.<bucket> (buckets in numeric order), train_loss.{first,final,min}, timings,
    device, versions, commit, error."""
    out = {"hash": row["hash"], "status": row["status"], "sweeps": ",".join(row.get("sweeps", []))}
    cfg = dict(row["config"])
    flatten("", cfg, out)
    out["metric_name"] = (row.get("result") or {}).get("metric_name")
    metrics = row.get("metrics") or {}
    for label in sorted_buckets(metrics):
        m = metrics[label]
        out[f"metric.{label}"] = m.get("metric")
        out[f"loss.{label}"] = m.get("loss")
    for k, v in (row.get("train_loss") or {}).items():
        out[f"train_loss.{k}"] = v
    for c in ("wall_seconds", "train_seconds", "device", "git_commit", "threads", "attempts", "error",
              "failed_step", "claimed_by"):
        out[c] = row.get(c)
    for k, v in (row.get("versions") or {}).items():
        out[f"version.{k}"] = v
    return out


def bucket_key(label: str) -> tuple:
    """Sort key of a bucket label ("1-8", "9-10", "200"): its numbers, then the text."""
    numbers = [int(x) for x in re.findall(r"\d+", str(label))]
    return (0, numbers, str(label)) if numbers else (1, [], str(label))


def sorted_buckets(labels) -> list[str]:
    return sorted(dict.fromkeys(labels), key=bucket_key)


NOT_CONFIG = ("hash", "status", "sweeps", "metric_name", "wall_seconds", "train_seconds", "device", "git_commit",
              "threads", "attempts", "error", "failed_step", "claimed_by")


def config_keys(row: dict) -> list[str]:
    """The config columns of a flat row (no metrics, losses, versions, timings or bookkeeping)."""
    return [k for k in row if k not in NOT_CONFIG and not k.startswith(("metric.", "loss.", "train_loss.", "version."))]


def resolve_key(key: str, keys, option: str = "--where") -> str:
    """A column name from `keys`, given exactly or by a unique dotted suffix (pe = model.pe); 'sweep' means
    'sweeps'. Anything else is a one-line PelgError naming the valid keys."""
    key = "sweeps" if key == "sweep" else key
    if key in keys:
        return key
    ends = [k for k in keys if k.endswith("." + key)]
    if len(ends) == 1:
        return ends[0]
    shown = sorted(k for k in keys if not k.startswith(("metric.", "loss.", "version.")))
    raise PelgError(f"unknown {option} key {key!r}" + (f" (ambiguous: {', '.join(ends)})" if ends else "")
                    + f"; valid: {', '.join(shown)}")


def _parse_value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


def _matches(value, wanted_text: str) -> bool:
    wanted = _parse_value(wanted_text)
    if isinstance(value, bool) or isinstance(wanted, bool):
        return value is wanted or str(value).lower() == wanted_text.lower()
    if isinstance(value, (int, float)) and isinstance(wanted, (int, float)):
        return float(value) == float(wanted)
    if isinstance(value, list):
        return value == wanted
    if value is None:
        return wanted_text in ("", "null", "None")
    if isinstance(value, str) and "," in value and wanted_text in value.split(","):  # sweeps
        return True
    return str(value) == wanted_text


def filter_rows(rows: list[dict], where: list[str]) -> list[dict]:
    """Keep rows where every KEY=VALUE holds. KEY is a column (status, hash, sweep, device, ...) or a config
    field by dotted name; a unique suffix is enough (pe = model.pe). VALUE is parsed as JSON where it can be
    (seed=0, model.causal=true, train_lengths=[1,5]); `hash` matches by prefix."""
    keys = list(dict.fromkeys(k for r in rows for k in r)) or ["hash", "status", "sweeps"]
    for cond in where:
        key, eq, value = cond.partition("=")
        key = key.strip()
        if not eq or not key:
            raise PelgError(f"--where expects KEY=VALUE, got {cond!r}")
        if rows:
            key = resolve_key(key, keys)
        elif key == "sweep":
            key = "sweeps"
        if key == "hash":
            rows = [r for r in rows if str(r.get("hash", "")).startswith(value)]
        else:
            rows = [r for r in rows if key in r and _matches(r[key], value)]
    return rows
