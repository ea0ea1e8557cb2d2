"""The rules that turn Chen 2025 reproduction cells (`empirics.repro.chen2025.summarize`) into verdicts on the
paper's claims [reconstruction]; the reproduction's table and the `chen2025.*` ledger entries both use them.
A cell is {"bins", "lg_bins", "stats": {bin: {"mean", "lo", "hi", "n"}}, "decided", "observed",
"src_predicted", ...}; only decided cells count."""
from __future__ import annotations

SH_PAIRS = (("learned+sh", "learned"), ("t5+sh", "t5"), ("rope+sh", "t5"), ("lbpe", "t5"), ("lbpe", "nope"))
LBPE_PARTS = ("t5", "nope", "ipe", "t5+sh")   # the relations LBPE's features can express (chen2025.md)


def _lg_gain(summary: dict, task: str, a: str, b: str, bucket: str) -> dict | None:
    """PE a against PE b on one bucket: "higher" / "lower" when their 95% intervals separate, else
    "no separation"; None unless both cells are decided."""
    ca, cb = summary.get(task, {}).get(a), summary.get(task, {}).get(b)
    if not (ca and cb and ca["decided"] and cb["decided"]):
        return None
    sa, sb = ca["stats"][bucket], cb["stats"][bucket]
    if sa["lo"] is None or sb["lo"] is None:
        return {"task": task, "a": a, "b": b, "bucket": bucket, "a_mean": sa["mean"], "b_mean": sb["mean"],
                "verdict": "no separation"}
    verdict = "higher" if sa["lo"] > sb["hi"] else "lower" if sa["hi"] < sb["lo"] else "no separation"
    return {"task": task, "a": a, "b": b, "bucket": bucket, "a_mean": sa["mean"], "b_mean": sb["mean"],
            "verdict": verdict}


def claim_verdicts(summary: dict) -> dict:
    """The paper's two claims, from decided cells only:
    - "no_new_operators": where SRC grows with the scale (SRC predicts 'fails'), no PE generalizes: holds
      when every such decided cell fails, fails when one generalizes, undecided with none decided;
    - "hint_widens": SH variants and LBPE widen LG over their base PEs (SH_PAIRS) on the (N, 2N] bucket:
      holds when at least one comparison is higher with separated intervals and none lower; fails when one
      is lower, or all separate the other way; "no separation" when none separates; undecided without a
      comparison."""
    growing = [(t, pe, c) for t, pes in summary.items() for pe, c in pes.items() if c.get("src_predicted") == "fails"]
    decided = [(t, pe, c["observed"]) for t, pe, c in growing if c["decided"]]
    wins = [(t, pe) for t, pe, o in decided if o == "generalizes"]
    no_new = {"verdict": "undecided" if not decided else "fails" if wins else "holds",
              "decided": len(decided), "cells": len(growing), "generalizing": [f"{t}/{pe}" for t, pe in wins]}
    comps = []
    for task, pes in summary.items():
        first = next(iter(pes.values()))
        lg = first["lg_bins"][:1]
        for a, b in SH_PAIRS:
            g = _lg_gain(summary, task, a, b, lg[0]) if lg else None
            if g:
                comps.append(g)
    higher = [c for c in comps if c["verdict"] == "higher"]
    lower = [c for c in comps if c["verdict"] == "lower"]
    verdict = ("undecided" if not comps else "fails" if lower else "holds" if higher else "no separation")
    return {"no_new_operators": no_new,
            "hint_widens": {"verdict": verdict, "comparisons": comps, "higher": len(higher), "lower": len(lower)}}


def lbpe_verdict(summary: dict) -> dict:
    """On every task where some part of LBPE (LBPE_PARTS) generalizes in a decided cell, a decided LBPE cell
    generalizes too: holds / fails (one where it does not) / undecided (no such task with LBPE decided)."""
    rows = []
    for task, pes in summary.items():
        parts = [pe for pe in LBPE_PARTS if pes.get(pe, {}).get("decided") and pes[pe]["observed"] == "generalizes"]
        lb = pes.get("lbpe")
        if parts and lb and lb["decided"]:
            rows.append({"task": task, "parts": parts, "lbpe": lb["observed"]})
    lost = [r["task"] for r in rows if r["lbpe"] != "generalizes"]
    return {"verdict": "undecided" if not rows else "fails" if lost else "holds", "tasks": rows, "lost": lost}
