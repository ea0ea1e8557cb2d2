"""Ledger entries for Chen, Liang, Lin 2025's claims about trained Transformers [reconstruction], decided from
the recorded quick reproduction (`pelg repro chen2025 --profile quick --publish` writes
empirics/repro/results/chen2025_quick.json) by the rules of `empirics.repro.chen2025.claim_verdicts`, the
same function its table uses, and `c25_results.lbpe_verdict`.

Each entry's false variant runs the same rule on constructed cells in which the claim is false by
construction (an SRC-growing cell that generalizes; a hint that lowers accuracy; an LBPE that fails where
its parts generalize), so every check is shown able to return "fails" whatever the recorded run says.
"""
from __future__ import annotations

import json

from theory.claims import Verdict, claim

from empirics.evidence.c25_results import claim_verdicts, lbpe_verdict
from empirics.fileio import recorded_result

RECORD = "chen2025_quick.json"
COMMAND = "pelg repro chen2025 --profile quick --publish"


def recorded(name: str = RECORD) -> dict | None:
    path = recorded_result(name)
    return json.loads(path.read_text()) if path.is_file() else None


def _cell(lg: tuple[float, float], src: str | None = "fails", spread: float = 0.02) -> dict:
    """A decided cell with two fit seeds whose length-generalization means are `lg`."""
    from empirics.analysis.lg_verdict import observed_verdict

    bins = ["1-8", "9-16", "17-32"]
    stats = {b: {"mean": m, "lo": m - spread, "hi": m + spread, "n": 2} for b, m in zip(bins, (1.0, *lg))}
    return {"bins": bins, "lg_bins": bins[1:], "stats": stats, "decided": True, "status": "decided",
            "observed": observed_verdict(lg), "src_predicted": src}


def constructed(kind: str) -> dict:
    """A summary where the claim is false: "operator" (APE generalizes on copy, where SRC grows), "hint"
    (every hint lowers accuracy past N), "lbpe" (LBPE fails where T5 + SH generalizes)."""
    if kind == "operator":
        return {"c25.copy": {"learned": _cell((0.95, 0.9)), "t5": _cell((0.1, 0.0))}}
    if kind == "hint":
        return {"c25.copy": {"t5": _cell((0.9, 0.8)), "t5+sh": _cell((0.1, 0.0), "generalizes"),
                             "learned": _cell((0.9, 0.8)), "learned+sh": _cell((0.1, 0.0))}}
    if kind == "lbpe":
        return {"c25.copy": {"t5+sh": _cell((0.95, 0.9), "generalizes"), "lbpe": _cell((0.1, 0.0), None)}}
    raise ValueError(f"unknown constructed summary {kind!r}")


def _summary(kind: str | None) -> tuple[dict | None, dict]:
    if kind:
        return constructed(kind), {"constructed": kind}
    record = recorded()
    if record is None:
        return None, {}
    return record["summary"], {"profile": record["protocol"]["profile"], "fit_rate": record["fit_rate"],
                               "wall_seconds": record.get("wall_seconds"),
                               "git_commit": sorted({r.get("git_commit") or "unknown" for r in record["runs"]})}


def _decide(kind: str | None, rule, note) -> Verdict:
    """rule(summary) -> verdict dict; note(verdict dict) -> the note; on the recorded or a constructed summary."""
    summary, prov = _summary(kind)
    if summary is None:
        return Verdict("not checkable", {"record": RECORD, "command": COMMAND},
                       f"no recorded Chen run; run `{COMMAND}`")
    v = rule(summary)
    return Verdict(v["verdict"], {**v, **prov}, note(v))


@claim(id="chen2025.trained.no_new_operators", paper="chen2025",
       wording="PEs do not expand computational capabilities: where larger inputs need new operators (SRC "
               "grows), no PE gives length generalization.",
       statement="[reconstruction] Over the recorded Transformer cells whose SRC prediction is 'fails' (SRC_n "
                 "grows past the training scale for the PE's class), every decided cell fails to generalize "
                 "(mean exact match of its fit seeds below the observed-verdict threshold in some bucket past "
                 "N); undecided when no such cell is decided.",
       check=f"recorded cells of `{COMMAND}`; empirics.repro.chen2025.claim_verdicts", reconstruction=True,
       falsify={"constructed cells in which APE generalizes on copy (SRC grows)": {"kind": "operator"}})
def _no_new_operators(kind: str | None = None) -> Verdict:
    return _decide(kind, lambda s: claim_verdicts(s)["no_new_operators"], lambda v: (
        f"{v['verdict']}: {v['decided']} of {v['cells']} SRC-growing cells decided; generalizing among them: "
        f"{', '.join(v['generalizing']) or 'none'}."))


@claim(id="chen2025.trained.hint_widens", paper="chen2025",
       wording="Scale Hint and the Learning-Based Position Embedding widen length generalization.",
       statement="[reconstruction] On the recorded cells, in the first bucket past N, a hinted PE (APE+SH vs "
                 "APE, RPE+SH and RoPE+SH vs RPE) or LBPE (vs RPE and vs NoPE) has a 95% interval over fit "
                 "seeds above its base's in at least one task and below it in none; 'no separation' when no "
                 "comparison separates; undecided without two decided cells to compare.",
       check=f"recorded cells of `{COMMAND}`; empirics.repro.chen2025.claim_verdicts", reconstruction=True,
       falsify={"constructed cells in which every hint lowers accuracy past N": {"kind": "hint"}})
def _hint_widens(kind: str | None = None) -> Verdict:
    def note(v):
        detail = "; ".join(f"{c['task'].split('.', 1)[1]} {c['a']} vs {c['b']}: {c['verdict']} "
                           f"({100 * c['a_mean']:.0f}% vs {100 * c['b_mean']:.0f}%)"
                           for c in v["comparisons"] if c["verdict"] != "no separation")
        return (f"{v['verdict']}: {len(v['comparisons'])} comparisons, {v['higher']} higher, {v['lower']} lower"
                + (f" ({detail})" if detail else "") + ".")
    return _decide(kind, lambda s: claim_verdicts(s)["hint_widens"], note)


@claim(id="chen2025.lbpe_trained", paper="chen2025",
       wording="A Learning-Based Position Embedding framework automatically learns positional relations.",
       statement="[reconstruction] The paper's LBPE, an MLP bias over (i - j, (i - j)/n, i - j - n, log(1 + |i - j|)) "
                 "trained end to end in a Transformer: on every recorded task where one of the relations its "
                 "features express generalizes (RPE, NoPE, IPE or RPE+SH, decided cells), the decided LBPE cell "
                 "generalizes too; undecided without such a task. (chen2025.lbpe_pola checks the linear reading.)",
       check=f"recorded cells of `{COMMAND}`; empirics.evidence.c25_results.lbpe_verdict", reconstruction=True,
       falsify={"constructed cells in which LBPE fails where RPE+SH generalizes": {"kind": "lbpe"}})
def _lbpe_trained(kind: str | None = None) -> Verdict:
    def note(v):
        won = [r["task"] for r in v["tasks"] if r["lbpe"] == "generalizes"]
        return (f"{v['verdict']}: {len(v['tasks'])} task(s) where a part generalizes and LBPE is decided; LBPE "
                f"generalizes on {', '.join(won) or 'none'}, fails on {', '.join(v['lost']) or 'none'}.")
    return _decide(kind, lbpe_verdict, note)
