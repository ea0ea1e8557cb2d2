"""Huang et al. 2025 ledger: every claim can fail (its falsification cases are caught), the ledger and
`pelg predict` (theory.huang2025.predictions.predictions) agree for every (task, PE), and programs are
verified at the vocabulary the check's text states."""
import re

import pytest

from theory.claims import REGISTRY, load, run_claims, run_falsifications
from theory.huang2025.crasp import CRaspError
from theory.huang2025.mutate import Mutation, mutate
from theory.huang2025.predictions import PES, predictions
from theory.huang2025.task_table import BY_TASK, ENTRIES, ledger_id
from theory.huang2025.language_programs import dyck
from theory.huang2025.verify import verify_entry

load(("theory.huang2025.ledger",))
IDS = [ledger_id(e.task) for e in ENTRIES] + ["huang2025.crasp.ipe_sh"]


@pytest.fixture(scope="module")
def ledger():
    return {r["id"]: r for r in run_claims(paper="huang2025")}


def test_every_claim_has_falsification_cases_and_all_are_caught():
    claims = [c for c in REGISTRY.values() if c.paper == "huang2025"]
    assert sorted(c.id for c in claims) == sorted(IDS)
    for c in claims:
        assert not c.definitional and c.falsify, c.id
    records = run_falsifications(paper="huang2025")
    assert {r["id"] for r in records} == set(IDS)
    missed = [(r["id"], r["variant"], r["verdict"], r["note"][:200]) for r in records if r["verdict"] != "fails"]
    assert not missed
    assert all(r["caught"] is True for r in records)
    assert len(records) >= len(IDS)


def test_no_entry_errors_and_the_verdicts_are_evidence(ledger):
    assert set(ledger) == set(IDS)
    for r in ledger.values():
        assert r["verdict"] in ("holds", "holds with correction", "not checkable"), (r["id"], r["note"])
    assert ledger["huang2025.crasp.copy_unique"]["verdict"] == "holds with correction"


def test_ledger_and_pelg_predict_agree_for_every_task_and_pe(ledger):
    recs = predictions()
    assert {(r["task"], r["pe"]) for r in recs} == {(e.task, pe) for e in ENTRIES for pe in PES}
    for r in recs:
        led = ledger[ledger_id(r["task"])]["evidence"]["predicted"][r["pe"]]
        assert led["prediction"] == r["prediction"], (r["task"], r["pe"], led, r["reason"])
        assert led["program"] == r["program"], (r["task"], r["pe"])
    # the verdict on the Pred column: "holds with correction" exactly where a record contradicts the label
    for e in ENTRIES:
        rec = ledger[ledger_id(e.task)]
        disagree = [r for r in recs if r["task"] == e.task and r["pe"] in ("ape", "nope") and not r["agrees_with_paper"]]
        assert (rec["verdict"] == "holds with correction") == bool(disagree), e.task
    by = {(r["task"], r["pe"]): r for r in recs}
    cu = by[("h25.copy_unique", "nope")]
    assert cu["prediction"] == "generalizes" and cu["program"] == "copy_unique_nope"
    assert cu["paper_label"] == "no" and cu["agrees_with_paper"] is False and cu["pelg_program_contradicts_label"]
    # a plain program is in every fragment: whenever NoPE generalizes, so does every other PE
    for e in ENTRIES:
        if by[(e.task, "nope")]["prediction"] == "generalizes":
            assert all(by[(e.task, pe)]["prediction"] == "generalizes" for pe in PES), e.task
    # the extension entry reads the same predictions
    ext = ledger["huang2025.crasp.ipe_sh"]["evidence"]["counts"]
    for pe in ("ipe", "sh"):
        assert ext[pe]["generalizes"] == sum(by[(e.task, pe)]["prediction"] == "generalizes" for e in ENTRIES)


def test_the_paper_source_reproduces_the_pred_column_and_differs_at_one_cell():
    paper = {(r["task"], r["pe"]): r for r in predictions(source="paper")}
    default = {(r["task"], r["pe"]): r for r in predictions()}
    for e in ENTRIES:
        for pe, label in zip(("ape", "nope"), e.paper):
            assert paper[(e.task, pe)]["prediction"] == ("generalizes" if label == "yes" else "fails"), (e.task, pe)
    assert [k for k in paper if paper[k]["prediction"] != default[k]["prediction"]] == [("h25.copy_unique", "nope")]


def test_programs_are_verified_at_the_vocabulary_the_check_states(ledger):
    for task in ("h25.sort", "h25.copy_unique"):
        rec = ledger[ledger_id(task)]
        stated = {int(x) for x in re.findall(r"vocabulary (\d+)", rec["check"])}
        used = {rec["evidence"]["program"]["vocabulary"], *(a["vocabulary"] for a in rec["evidence"]["alternatives"])}
        assert stated == used == {BY_TASK[task].params["n_symbols"]} == {150}, (task, stated, used)
        # the random sources really use the large vocabulary: more scored positions than 5-token strings give
        assert rec["evidence"]["program"]["positions"] > 326 * 6


def test_the_check_fails_on_a_wrong_program_with_a_counterexample(ledger):
    c = REGISTRY["huang2025.crasp.tomita4"]
    v = c.run(mutation=Mutation("z3", "offsets", (0, 1, 2, 3)))
    assert v.verdict == "fails" and v.evidence["program"]["mismatches"] > 0
    s = v.evidence["program"]["first_mismatch"]["source"]
    assert "000" not in "".join(s)                   # a word of Tomita 4 that the mutated program rejects
    assert c.run().verdict == "holds"                # the unmutated check is unaffected (no stale cache)


def test_mutations_change_exactly_the_named_node():
    p = dyck(2)
    q = mutate(p, Mutation("bad", "const", 3, index=1))
    assert q.defs != p.defs and q.outputs == p.outputs
    assert [n for (n, a), (_, b) in zip(p.defs, q.defs) if a != b] == ["bad"]
    assert mutate(p, Mutation("NEXT(a)", "const", 3)).output("a") != p.output("a")
    for bad in (Mutation("NEXT(a)", "const", 2),                      # no change: d < 2 alreadyMutation("nope", "const", 1), Mutation("bad", "const", 1, index=5), Mutation("NEXT(c)", "op", "<"),
                Mutation("bad", "offsets", (1,)), Mutation("bad", "colour", 1)):
        with pytest.raises(CRaspError):
            mutate(p, bad)
    e = BY_TASK["h25.d2"]
    assert verify_entry(e)["mismatches"] == 0
    assert verify_entry(e, transform=lambda x: mutate(x, Mutation("bad", "const", 3, index=1)))["mismatches"] > 0
