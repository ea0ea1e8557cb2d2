"""The claims ledger as the CLI sees it: theory's claims plus the ones that need trained torch models
(registered by the empirics modules in `EMPIRICS_LEDGER_MODULES`), and its markdown rendering."""
from __future__ import annotations

from theory import claims as C

EMPIRICS_LEDGER_MODULES: tuple[str, ...] = ("empirics.evidence.li2025_capacity", "empirics.evidence.li2025_alibi",
                                             "empirics.evidence.pola_train", "empirics.evidence.recorded",
                                             "empirics.evidence.k23_trained", "empirics.evidence.c25_trained")


def run(paper: str | None = None, ids: list[str] | None = None) -> list[dict]:
    C.load(EMPIRICS_LEDGER_MODULES)
    return C.run_claims(paper=paper, ids=ids)


def falsify(paper: str | None = None, ids: list[str] | None = None) -> list[dict]:
    C.load(EMPIRICS_LEDGER_MODULES)
    return C.run_falsifications(paper=paper, ids=ids)


def verdict_counts(records: list[dict]) -> str:
    """'50 claims: holds 30, fails 2, ...': every verdict, zeros included; definitional apart."""
    counts = ", ".join(f"{v} {sum(r['verdict'] == v for r in records)}" for v in C.VERDICTS if v != "definitional")
    evidence = sum(r["verdict"] in C.EVIDENCE_VERDICTS for r in records)
    return (f"{len(records)} claims: {counts}; definitional {sum(r['verdict'] == 'definitional' for r in records)} "
            f"(shown apart, not evidence); {evidence} count as evidence")


def _cell(text: str, width: int | None = None) -> str:
    text = str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def markdown(records: list[dict]) -> str:
    """The verdict counts, then one table per paper (claim, statement checked, verdict, the note with its
    numbers); definitional claims in a table of their own, since they are not evidence."""
    out = [verdict_counts(records), ""]
    evidence = [r for r in records if r["verdict"] != "definitional"]
    for paper in C.PAPERS:
        rows = [r for r in evidence if r["paper"] == paper]
        if rows:
            out += [f"**{paper}** ({len(rows)} claims)\n", *_table(rows)]
    definitional = [r for r in records if r["verdict"] == "definitional"]
    if definitional:
        out += [f"**Definitional** ({len(definitional)} claims: their checks cannot fail, so they are not "
                f"evidence)\n", *_table(definitional)]
    return "\n".join(out)


def _table(rows: list[dict]) -> list[str]:
    out = ["| id | statement checked | verdict | evidence |", "|---|---|---|---|"]
    for r in rows:
        tag = " [reconstruction]" if r["reconstruction"] else ""
        out.append(f"| `{r['id']}` | {_cell(r['statement'])}{tag} | **{r['verdict']}** | {_cell(r['note'])} |")
    return out + [""]
