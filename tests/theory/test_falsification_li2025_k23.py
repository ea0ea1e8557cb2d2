"""Issue 10, "every check can fail", for the theory ledgers of Li 2025 and Kazemnejad et al. 2023: every claim
checks to a non-error verdict, every falsification case (the same check code on a deliberately false variant)
gives "fails", and no claim lacks one unless it is marked definitional."""
from __future__ import annotations

import pytest

from theory.claims import REGISTRY, load, run_claims, run_falsifications
from theory.li2025 import ledger_extrapolation as LE

MODULES = ("theory.li2025.ledger_norms", "theory.li2025.ledger_extrapolation", "theory.kazemnejad2023.ledger")


def _ids() -> list[str]:
    load()
    return sorted(k for k, c in REGISTRY.items() if c.run.__module__ in MODULES)


def test_the_modules_register_the_thirteen_claims():
    ids = _ids()
    assert len(ids) == 13
    assert {REGISTRY[i].paper for i in ids} == {"li2025", "kazemnejad2023"}


@pytest.fixture(scope="module")
def falsifications():
    return run_falsifications(ids=_ids())


def test_every_claim_is_falsifiable_or_definitional(falsifications):
    for cid in _ids():
        c = REGISTRY[cid]
        assert c.definitional or c.falsify, f"{cid}: no falsification case and not definitional"
    assert not [r for r in falsifications if r["verdict"] == "missing"]


def test_every_false_variant_is_caught(falsifications):
    missed = [(r["id"], r["variant"], r["verdict"]) for r in falsifications if r["caught"] is False]
    assert not missed, missed
    assert sum(r["caught"] is True for r in falsifications) >= 13


def test_every_claim_checks_without_error():
    for r in run_claims(ids=_ids()):
        assert r["verdict"] not in ("error", "not checkable"), (r["id"], r["evidence"])


def test_the_difference_norm_check_can_also_hold():
    """The difference-norm claim's own verdict is "fails", so a caught false variant alone would not show that the
    check discriminates: the same check gives "holds" for a PE that settles at N_max (clamped Legendre)."""
    assert LE._decay_difference().verdict == "fails"
    assert LE._decay_difference(pes=("legendre_clamp",)).verdict == "holds"
