"""Li 2025 (arXiv 2506.06398), section 7 / Table 5, as evidence: what the paper publishes, and the rule that
turns per-seed MSEs into a verdict. Shared by the reproduction (`empirics.repro.li2025`, which writes the
record) and the ledger entry `li2025.experiment.table5` (`empirics.evidence.recorded`, which reads it).

The rule (issue 10's evidence standard):
- a run is evidence only if it fit the task in distribution: MSE at the training length <= 0.1 x the exact
  zero predictor's (`empirics.analysis.fit`); a (mask, PE) cell is decided when at least `min_seeds` of
  its seeds fit, else "undecided (j of n fit)";
- per decided cell: the mean over the fit seeds and a 95% t-interval;
- "A below B at N" holds or fails only when the intervals separate (or a permutation test gives p < 0.05,
  impossible with 3 seeds a side): otherwise "no separation";
- "wavelet is the lowest of the four": fails if any decided PE is separated below wavelet, holds if every
  other PE is decided and separated above it, else "no separation" (or "undecided" when wavelet itself is).
"""
from __future__ import annotations

from empirics.analysis.fit import cell_status
from empirics.analysis.stats import compare, mean_interval, ordering_verdict

PAPER_PES = ("sinusoidal", "alibi", "wavelet", "legendre")
PUBLISHED_MSE_AT_200 = {"wavelet": 0.0108, "sinusoidal": 0.0423}  # Table 5 via the seed summary
MIN_FIT_SEEDS = 2  # a t-interval needs two values


def summarize(p: dict, rows: list[dict]) -> dict:
    """{mask: {pe: {length: cell}}} from recorded rows (`empirics.repro.common.run_rows`); a cell has every
    seed's value and fit flag, and over the fit seeds the mean and interval, and its status."""
    k = p.get("fit", {}).get("min_seeds", MIN_FIT_SEEDS)
    summary: dict = {}
    for row in rows:
        mask, pe, _ = row["key"]
        for n in p["test_lengths"]:
            cell = summary.setdefault(mask, {}).setdefault(pe, {}).setdefault(str(n), {"values": [], "fit": []})
            cell["values"].append(row["metrics"][str(n)])
            cell["fit"].append(row["fit"])
    for by_pe in summary.values():
        for cells in by_pe.values():
            for cell in cells.values():
                decided, status = cell_status(cell["fit"], k)
                fit_values = [v for v, f in zip(cell["values"], cell["fit"]) if f]
                cell["status"] = status
                cell["interval"] = mean_interval(fit_values).to_dict() if decided else None
    return summary


def _fit_values(cell: dict) -> list[float] | None:
    return [v for v, f in zip(cell["values"], cell["fit"]) if f] if cell["interval"] else None


def below(summary_mask: dict, a: str, b: str, n: str) -> tuple[str, dict]:
    """Verdict of "A has lower MSE than B at length n" in one mask setting."""
    va, vb = _fit_values(summary_mask[a][n]), _fit_values(summary_mask[b][n])
    if va is None or vb is None:
        return "undecided", {"undecided": [pe for pe, v in ((a, va), (b, vb)) if v is None]}
    return ordering_verdict(va, vb, "A", lower_is_better=True)


def lowest(summary_mask: dict, claimed: str, pes, n: str) -> tuple[str, dict]:
    """Verdict of "`claimed` has the lowest MSE of `pes` at length n" in one mask setting."""
    mine = _fit_values(summary_mask[claimed][n])
    if mine is None:
        return "undecided", {"undecided": [claimed]}
    out, undecided, verdicts = {}, [], []
    for pe in pes:
        if pe == claimed:
            continue
        other = _fit_values(summary_mask[pe][n])
        if other is None:
            undecided.append(pe)
            continue
        c = compare(mine, other, lower_is_better=True)
        out[pe] = c
        verdicts.append(c["result"])
    if "B better" in verdicts:
        return "fails", {"comparisons": out, "undecided": undecided}
    if undecided:
        return "undecided", {"comparisons": out, "undecided": undecided}
    return ("holds" if all(v == "A better" for v in verdicts) else "no separation"), {"comparisons": out}


def combine(verdicts: list[str]) -> str:
    """One verdict over several parts: any "fails" fails; all "holds" hold; else undecided before no
    separation (a part without fit models says less than a part whose intervals overlap)."""
    if "fails" in verdicts:
        return "fails"
    if all(v == "holds" for v in verdicts):
        return "holds"
    return "undecided" if "undecided" in verdicts else "no separation"


def decide(p: dict, summary: dict, claimed: str = "wavelet", versus: str = "sinusoidal") -> dict:
    """The Table-5 claim ("`claimed` is the lowest of the paper's four PEs at the longest length, and below
    `versus`") per mask setting and overall, with the numbers."""
    n = str(max(p["test_lengths"]))
    parts = {}
    for mask, by_pe in summary.items():
        pes = [pe for pe in PAPER_PES if pe in by_pe]
        best, best_ev = lowest(by_pe, claimed, pes, n)
        order, order_ev = below(by_pe, claimed, versus, n)
        parts[mask] = {"lowest": best, "lowest_evidence": best_ev, "below": order, "below_evidence": order_ev,
                       "verdict": combine([best, order])}
    return {"length": n, "claimed": claimed, "versus": versus, "masks": parts,
            "verdict": combine([m["verdict"] for m in parts.values()])}


def cell_text(cell: dict, digits: int = 3) -> str:
    if cell["interval"] is None:
        return cell["status"]
    i = cell["interval"]
    return f"{i['mean']:.{digits}g} [{i['lo']:.{digits}g}, {i['hi']:.{digits}g}]"
