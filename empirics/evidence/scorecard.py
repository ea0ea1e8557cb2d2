"""The cross-theory scorecard: for each (task, PE) cell with a decided observation, a theory's prediction,
the observation and whether they agree; per theory the agreement rate over decided cells (with their
number) and the cells where it fails.

Four theories, each read from the recorded results that `pelg repro all` (or the single reproductions with
`--publish`) writes into empirics/repro/results/:
- "C-RASP" (Huang et al. 2025): huang2025_quick.json, prediction per task and PE class (APE / NoPE / ...),
  observed by `empirics.repro.cells.observed_verdict`.
- "SRC invariance" and "LRC criterion" (Chen et al. 2025, [reconstruction]): chen2025_quick.json, the same
  observed rule.
- "capacity ranking" (Li 2025, [reconstruction]): the trained ledger models of `li2025.capacity.ranking`
  (empirics.evidence.li2025_capacity). Its claim is a ranking, so each cell gets a binary reading of it
  (pelg's choice): predicted "smaller gap" when the PE's capacity proxy L_trans B_0 / sqrt(m) is at or below
  the median over the task's fit PEs, observed "smaller gap" when its length-generalization gap is at or
  below the median gap; the cell agrees when both say the same. Models that did not fit are undecided.

A cell is decided only if the reproduction's fit gate decided it (k fit seeds, or the model fit); an
undecided cell is listed with its status and never counted.
"""
from __future__ import annotations

import json

import numpy as np

from empirics.fileio import recorded_result

THEORIES = ("C-RASP", "SRC invariance", "LRC criterion", "capacity ranking")
RECORDS = {"huang2025": "huang2025_quick.json", "chen2025": "chen2025_quick.json"}


def recorded(name: str) -> dict | None:
    path = recorded_result(name)
    return json.loads(path.read_text()) if path.is_file() else None


def _cell(theory: str, task: str, pe: str, decided: bool, status: str, predicted, observed, source: str) -> dict:
    agree = (predicted == observed) if decided and predicted is not None else None
    return {"theory": theory, "task": task, "pe": pe, "decided": bool(decided and predicted is not None),
            "status": status, "predicted": predicted, "observed": observed if decided else status,
            "agree": agree, "source": source}


def crasp_cells(record: dict | None) -> list[dict]:
    if not record:
        return []
    out = []
    for task, pes in record["summary"].items():
        for pe, c in pes.items():
            out.append(_cell("C-RASP", task, pe, c["decided"], c["status"], c["predicted"], c["observed"],
                             RECORDS["huang2025"]))
    return out


def chen_cells(record: dict | None) -> list[dict]:
    if not record:
        return []
    out = []
    for theory, key in (("SRC invariance", "src"), ("LRC criterion", "lrc")):
        for task, pes in record["summary"].items():
            for pe, c in pes.items():
                if c.get(f"{key}_predicted") is None:
                    continue   # no prediction of this theory for this (task, PE)
                out.append(_cell(theory, task, pe, c["decided"], c["status"], c[f"{key}_predicted"], c["observed"],
                                 RECORDS["chen2025"]))
    return out


def capacity_cells(per_pe: dict | None) -> list[dict]:
    """per_pe: {task: {pe: {"gap", "proxy_local_test", "fit"}}} (li2025.capacity.ranking's evidence). Cells in
    task and PE order (sorted), so the table is the same whether the evidence was computed or read from a cache
    (JSON files keep their keys sorted)."""
    out = []
    for task, rows in sorted((per_pe or {}).items()):
        rows = dict(sorted(rows.items()))
        fit = {pe: r for pe, r in rows.items() if r["fit"]}
        if fit:
            proxy_mid = float(np.median([r["proxy_local_test"] for r in fit.values()]))
            gap_mid = float(np.median([r["gap"] for r in fit.values()]))
        for pe, r in rows.items():
            if not r["fit"]:
                out.append(_cell("capacity ranking", task, pe, False, "undecided (did not fit)", None, None,
                                 "li2025.capacity.ranking"))
                continue
            pred = "smaller gap" if r["proxy_local_test"] <= proxy_mid else "larger gap"
            obs = "smaller gap" if r["gap"] <= gap_mid else "larger gap"
            out.append(_cell("capacity ranking", task, pe, True, "decided", pred, obs, "li2025.capacity.ranking"))
    return out


def capacity_per_pe() -> dict | None:
    """The per-PE gaps and proxies of the ledger's Li 2025 models (trained or read from the recordings)."""
    from empirics.evidence import li2025_capacity as LC

    res = LC.capacity_results()
    return {task: {pe: {"gap": float(r["gap"]), "proxy_local_test": float(r["proxy_local_test"]),
                        "fit": bool(r["fit"])} for pe, r in rows.items()} for task, rows in res.items()}


def build(huang: dict | None = None, chen: dict | None = None, capacity: dict | None = None) -> dict:
    """{"cells": [...], "by_theory": {theory: {"cells", "decided", "agree", "rate", "disagree": [...]}},
    "decided": total decided cells}. Arguments default to the recorded results."""
    huang = huang if huang is not None else recorded(RECORDS["huang2025"])
    chen = chen if chen is not None else recorded(RECORDS["chen2025"])
    capacity = capacity if capacity is not None else capacity_per_pe()
    cells = crasp_cells(huang) + chen_cells(chen) + capacity_cells(capacity)
    by = {}
    for theory in THEORIES:
        mine = [c for c in cells if c["theory"] == theory]
        decided = [c for c in mine if c["decided"]]
        agree = sum(bool(c["agree"]) for c in decided)
        by[theory] = {"cells": len(mine), "decided": len(decided), "agree": agree,
                      "rate": agree / len(decided) if decided else None,
                      "disagree": [f"{c['task']}/{c['pe']}" for c in decided if not c["agree"]]}
    return {"cells": cells, "by_theory": by, "decided": sum(v["decided"] for v in by.values()),
            "agree": sum(v["agree"] for v in by.values())}


def markdown(card: dict) -> str:
    """Per theory: agreement over decided cells and the cells where it fails; then every decided cell."""
    lines = [f"{card['agree']} of {card['decided']} decided cells agree across the four theories.", "",
             "| theory | decided cells (of all) | agree | rate | where it fails |", "|---|---|---|---|---|"]
    for theory, v in card["by_theory"].items():
        rate = "—" if v["rate"] is None else f"{100 * v['rate']:.0f}%"
        lines.append(f"| {theory} | {v['decided']} (of {v['cells']}) | {v['agree']} | {rate} | "
                     f"{', '.join(v['disagree']) or 'none'} |")
    lines += ["", "<details><summary>Every cell (undecided ones with their status)</summary>", "",
              "| theory | task | PE | predicted | observed | agree |", "|---|---|---|---|---|---|"]
    for c in card["cells"]:
        mark = {True: "yes", False: "**no**", None: "—"}[c["agree"]]
        lines.append(f"| {c['theory']} | {c['task']} | {c['pe']} | {c['predicted'] or '—'} | {c['observed']} | {mark} |")
    lines += ["", "</details>"]
    return "\n".join(lines)
