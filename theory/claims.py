"""The claims ledger: every claim of the four papers as one checked entry.

An entry has an id, the paper, the seed's wording, the exact statement we check (our reading, labelled
as a reconstruction where the paper's text is not available), a description of the check, and a
function that runs the check and returns a verdict with the numbers behind it.

Verdicts: "holds", "fails", "ill-posed", "holds with correction", "not checkable".

Claim modules register entries with the `claim` decorator when imported: the theory modules listed in
`THEORY_MODULES`, and (for claims that need trained torch models) modules of `empirics` that the CLI
imports. `theory` itself never imports `empirics`.
"""
from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from typing import Callable

VERDICTS = ("holds", "fails", "ill-posed", "holds with correction", "not checkable")
PAPERS = ("li2025", "kazemnejad2023", "huang2025", "chen2025")
THEORY_MODULES: tuple[str, ...] = ("theory.kazemnejad2023.ledger", "theory.li2025.ledger", "theory.huang2025.ledger",
                                    "theory.chen2025.ledger")


@dataclass
class Verdict:
    """The outcome of a check: one of VERDICTS, the numbers behind it, and a one-paragraph note."""

    verdict: str
    evidence: dict = field(default_factory=dict)
    note: str = ""

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}; valid: {', '.join(VERDICTS)}")


@dataclass(frozen=True)
class Claim:
    id: str
    paper: str
    wording: str          # the seed's (or paper's) words
    statement: str        # the exact statement checked
    check: str            # how it is checked
    reconstruction: bool  # True if `statement` is our reading of an unavailable text
    run: Callable[[], Verdict]


REGISTRY: dict[str, Claim] = {}


def claim(id: str, paper: str, wording: str, statement: str, check: str, reconstruction: bool = False):
    """Decorator: register `fn() -> Verdict` as the check of a claim."""
    if paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}; valid: {', '.join(PAPERS)}")

    def register(fn: Callable[[], Verdict]) -> Callable[[], Verdict]:
        if id in REGISTRY:
            raise ValueError(f"claim id {id!r} registered twice")
        REGISTRY[id] = Claim(id, paper, wording, statement, check, reconstruction, fn)
        return fn

    return register


def load(modules: tuple[str, ...] = ()) -> dict[str, Claim]:
    """Import the theory ledger modules (and any extra modules) so that their claims register."""
    for name in THEORY_MODULES + tuple(modules):
        importlib.import_module(name)
    return REGISTRY


def run_claims(paper: str | None = None, ids: list[str] | None = None) -> list[dict]:
    """Run the selected checks; one JSON-able record per claim. A check that raises is reported as
    "not checkable" with the error, never silently dropped."""
    if paper is not None and paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}; valid: {', '.join(PAPERS)}")
    records = []
    for c in REGISTRY.values():
        if (paper and c.paper != paper) or (ids and c.id not in ids):
            continue
        start = time.perf_counter()
        try:
            v = c.run()
        except Exception as e:  # a broken check is a finding, not a crash of the ledger
            v = Verdict("not checkable", {"error": f"{type(e).__name__}: {e}"}, "the check raised")
        records.append({"id": c.id, "paper": c.paper, "wording": c.wording, "statement": c.statement,
                        "check": c.check, "reconstruction": c.reconstruction, "verdict": v.verdict,
                        "evidence": v.evidence, "note": v.note,
                        "seconds": round(time.perf_counter() - start, 3)})
    return records
