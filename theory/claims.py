"""The claims ledger: every claim of the four papers as one checked entry.

An entry has an id, the paper, the seed's wording, the exact statement we check (our reading, labelled
as a reconstruction where the paper's text is not available), a description of the check, and a
function that runs the check and returns a verdict with the numbers behind it.

Verdicts: "holds", "fails", "ill-posed", "holds with correction", "not checkable", and
- "undecided": the evidence is models that did not fit their task (too few fit seeds);
- "no separation": an ordering whose intervals over seeds overlap (and no permutation test decides);
- "definitional": the check cannot be made to fail (it restates a definition or a construction); shown
  apart and never counted as evidence;
- "error": the check raised; `pelg claims` exits non-zero.

Every claim that is not definitional carries at least one falsification case (`falsify`): keyword
arguments that make the SAME check code run on a deliberately false variant (a mutated constant, a
swapped PE, a reversed inequality, a perturbed program). `run_falsifications` runs them; a variant whose
verdict is not "fails" is a check that could not catch a false claim.

Claim modules register entries with the `claim` decorator when imported: the theory modules listed in
`THEORY_MODULES`, and (for claims that need trained torch models) modules of `empirics` that the CLI
imports. `theory` itself never imports `empirics`.
"""
from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from typing import Callable

VERDICTS = ("holds", "fails", "ill-posed", "holds with correction", "not checkable", "undecided", "no separation",
            "definitional", "error")
EVIDENCE_VERDICTS = ("holds", "fails", "ill-posed", "holds with correction")  # what counts as evidence
PAPERS = ("li2025", "kazemnejad2023", "huang2025", "chen2025")
THEORY_MODULES: tuple[str, ...] = ("theory.kazemnejad2023.ledger", "theory.li2025.ledger_norms",
                                    "theory.li2025.ledger_extrapolation", "theory.huang2025.ledger",
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
    run: Callable[..., Verdict]
    falsify: dict = field(default_factory=dict)  # {description of the false variant: kwargs for `run`}
    definitional: bool = False


REGISTRY: dict[str, Claim] = {}


def claim(id: str, paper: str, wording: str, statement: str, check: str, reconstruction: bool = False,
          falsify: dict | None = None, definitional: bool = False):
    """Decorator: register `fn(**variant) -> Verdict` as the check of a claim. `fn()` checks the claim;
    `fn(**kwargs)` for each entry of `falsify` checks a false variant and must return "fails"."""
    if paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}; valid: {', '.join(PAPERS)}")
    if definitional and falsify:
        raise ValueError(f"claim {id!r}: a definitional claim has no falsification case")

    def register(fn: Callable[..., Verdict]) -> Callable[..., Verdict]:
        if id in REGISTRY:
            raise ValueError(f"claim id {id!r} registered twice")
        REGISTRY[id] = Claim(id, paper, wording, statement, check, reconstruction, fn, dict(falsify or {}),
                             definitional)
        return fn

    return register


def _run_one(fn: Callable[..., Verdict], kwargs: dict) -> Verdict:
    try:
        v = fn(**kwargs)
        if not isinstance(v, Verdict):
            raise TypeError(f"the check returned {type(v).__name__}, not a Verdict")
        return v
    except Exception as e:  # a broken check is a finding, not a crash of the ledger
        message = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        return Verdict("error", {"error": message}, f"the check raised {message}")


def load(modules: tuple[str, ...] = ()) -> dict[str, Claim]:
    """Import the theory ledger modules (and any extra modules) so that their claims register."""
    for name in THEORY_MODULES + tuple(modules):
        importlib.import_module(name)
    return REGISTRY


def _selected(paper: str | None, ids: list[str] | None) -> list[Claim]:
    if paper is not None and paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}; valid: {', '.join(PAPERS)}")
    return [c for c in REGISTRY.values() if not ((paper and c.paper != paper) or (ids and c.id not in ids))]


def run_claims(paper: str | None = None, ids: list[str] | None = None) -> list[dict]:
    """Run the selected checks; one JSON-able record per claim. A check that raises gets the verdict
    "error" with its message, never silently dropped; a definitional claim's check still runs (its numbers
    are shown) but its verdict is "definitional"."""
    records = []
    for c in _selected(paper, ids):
        start = time.perf_counter()
        v = _run_one(c.run, {})
        verdict = v.verdict
        evidence = dict(v.evidence)
        if c.definitional and verdict != "error":
            evidence["check_verdict"], verdict = verdict, "definitional"
        records.append({"id": c.id, "paper": c.paper, "wording": c.wording, "statement": c.statement,
                        "check": c.check, "reconstruction": c.reconstruction, "verdict": verdict,
                        "evidence": evidence, "note": v.note, "falsification_cases": len(c.falsify),
                        "seconds": round(time.perf_counter() - start, 3)})
    return records


def run_falsifications(paper: str | None = None, ids: list[str] | None = None) -> list[dict]:
    """Run every falsification case of the selected claims: one record per (claim, variant) with the
    verdict the check gave the false variant and whether it was caught (verdict "fails"). A claim that is
    neither definitional nor falsifiable gets one record with variant None, caught False."""
    records = []
    for c in _selected(paper, ids):
        if c.definitional:
            records.append({"id": c.id, "paper": c.paper, "variant": None, "verdict": "definitional",
                            "caught": None, "note": "definitional: no false variant exists"})
            continue
        if not c.falsify:
            records.append({"id": c.id, "paper": c.paper, "variant": None, "verdict": "missing",
                            "caught": False, "note": "no falsification case"})
        for description, kwargs in c.falsify.items():
            v = _run_one(c.run, kwargs)
            records.append({"id": c.id, "paper": c.paper, "variant": description, "verdict": v.verdict,
                            "caught": v.verdict == "fails", "note": v.note})
    return records
