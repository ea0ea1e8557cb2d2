"""Store rows as flat dicts (`flatten_row`: config fields by dotted name, metric.<bucket>, ...) and the
KEY=VALUE filter of `pelg results --where` (`filter_rows`)."""
from __future__ import annotations

import json

from empirics.errors import PelgError


def flatten(prefix: str, obj, out: dict) -> None:
    """In place: `out[dotted key] = leaf` for every leaf of the nested dict `obj` (an empty dict is a leaf)."""
    if isinstance(obj, dict) and obj:
        for k, v in obj.items():
            flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = obj


def flatten_row(row: dict) -> dict:
    """hash, status, sweeps, then config fields by dotted name (model.pe, ...), metric.<bucket>,
    loss.<bucket>, train_loss.{first,final,min}, timings, device, versions, commit, error."""
    out = {"hash": row["hash"], "status": row["status"], "sweeps": ",".join(row.get("sweeps", []))}
    cfg = dict(row["config"])
    flatten("", cfg, out)
    for label, m in (row.get("metrics") or {}).items():
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
        if key == "sweep":
            key = "sweeps"
        if key not in keys:
            ends = [k for k in keys if k.endswith("." + key)]
            if len(ends) == 1:
                key = ends[0]
            elif rows:
                shown = sorted(k for k in keys if not k.startswith(("metric.", "loss.", "version.")))
                raise PelgError(f"unknown --where key {key!r}" + (f" (ambiguous: {', '.join(ends)})" if ends else "")
                                + f"; valid: {', '.join(shown)}")
        if key == "hash":
            rows = [r for r in rows if str(r.get("hash", "")).startswith(value)]
        else:
            rows = [r for r in rows if key in r and _matches(r[key], value)]
    return rows
