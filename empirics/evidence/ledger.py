"""The claims ledger as the CLI sees it: theory's claims plus the ones that need trained torch models
(registered by the empirics modules in `EMPIRICS_LEDGER_MODULES`), and its markdown rendering."""
from __future__ import annotations

from theory import claims as C

EMPIRICS_LEDGER_MODULES: tuple[str, ...] = ("empirics.evidence.li2025_models", "empirics.evidence.pola_train",
                                             "empirics.evidence.recorded")


def run(paper: str | None = None, ids: list[str] | None = None) -> list[dict]:
    C.load(EMPIRICS_LEDGER_MODULES)
    return C.run_claims(paper=paper, ids=ids)


def _cell(text: str, width: int | None = None) -> str:
    text = str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def markdown(records: list[dict]) -> str:
    """One table per paper: claim, statement checked, verdict, the note with its numbers."""
    out = []
    for paper in C.PAPERS:
        rows = [r for r in records if r["paper"] == paper]
        if not rows:
            continue
        out.append(f"**{paper}** ({len(rows)} claims)\n")
        out.append("| id | statement checked | verdict | evidence |")
        out.append("|---|---|---|---|")
        for r in rows:
            tag = " [reconstruction]" if r["reconstruction"] else ""
            out.append(f"| `{r['id']}` | {_cell(r['statement'])}{tag} | **{r['verdict']}** | {_cell(r['note'])} |")
        out.append("")
    return "\n".join(out)
