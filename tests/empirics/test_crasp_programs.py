"""Huang et al. 2025: every C-RASP program of theory.huang2025.task_table against the empirics task oracles
(exhaustively on short strings, on task samples up to length 150), the theory-side references against
the same oracles, and the APE / NoPE predictions against the Pred column of huang2025.md.

Exhaustive over all strings of length L covers every shorter string too: programs are causal and the
oracle's set at prefix t depends only on the first t symbols, so the sets of a length-L string at
positions 0..L are those of all its prefixes."""
import itertools

import numpy as np
import pytest

from empirics.errors import PelgError
from empirics.tasks import TASKS, get_task
from empirics.tasks.base import Example
from theory.huang2025.interpreter import next_sets
from theory.huang2025.language_programs import dyck, tomita4
from theory.huang2025.near_misses import NEAR_MISSES
from theory.huang2025.predictions import PES, predictions
from theory.huang2025.references import LANGUAGES, reference_sets, reference_target
from theory.huang2025.task_table import ENTRIES, build, fragments
from theory.huang2025.token_programs import (
    binary_majority_interleave, copy_hinted, copy_unique, copy_unique_nope, sort, token_input)
from theory.huang2025.verify import verify_sets, verify_tokens

# huang2025.md, "Published results": Pred = predicted to generalize with APE / with NoPE (copied).
PAPER_PRED = {
    "Binary majority": "yes/yes",
    "Majority": "yes/yes",
    "Binary majority interleave": "yes/no",
    "Sort": "yes/yes",
    "Copy unique": "yes/no",
    "Copy repeat": "no/no",
    "Parity": "no/no",
    "Addition": "no/no",
    "D-2": "yes/yes", "D-3": "yes/yes", "D-4": "yes/yes", "D-12": "yes/yes",
    "Tomita 1": "yes/yes", "Tomita 2": "yes/yes",
    "Tomita 4": "yes/no",
    "Tomita 7": "yes/yes",
    "aa*bb*cc*dd*ee*": "yes/yes",
    "{a,b}*d{b,c}*": "yes/yes",
    "{0,1,2}*02*": "no/no",
    "(aa)*": "yes/no",
    "(aaaa)*": "yes/no",
    "(abab)*": "yes/no",
    "Tomita 3": "no/no", "Tomita 5": "no/no", "Tomita 6": "no/no",
}
ROW_TO_TASK = {
    "Binary majority": "h25.binary_majority", "Majority": "h25.majority",
    "Binary majority interleave": "h25.binary_majority_interleave", "Sort": "h25.sort",
    "Copy unique": "h25.copy_unique", "Copy repeat": "h25.copy_repeat", "Parity": "h25.parity",
    "Addition": "h25.addition", "D-2": "h25.d2", "D-3": "h25.d3", "D-4": "h25.d4", "D-12": "h25.d12",
    "Tomita 1": "h25.tomita1", "Tomita 2": "h25.tomita2", "Tomita 3": "h25.tomita3", "Tomita 4": "h25.tomita4",
    "Tomita 5": "h25.tomita5", "Tomita 6": "h25.tomita6", "Tomita 7": "h25.tomita7",
    "aa*bb*cc*dd*ee*": "h25.aa_bb_cc_dd_ee", "{a,b}*d{b,c}*": "h25.ab_d_bc", "{0,1,2}*02*": "h25.z012_02",
    "(aa)*": "h25.aa_star", "(aaaa)*": "h25.aaaa_star", "(abab)*": "h25.abab_star",
}
EXHAUSTIVE_LEN = {1: 150, 2: 12, 3: 8, 4: 6, 5: 5}   # by alphabet size (binary: 12, as required)
PROGRAMS = [(e, fn) for e in ENTRIES for fn in e.programs]


def _ids(pairs):
    return [f"{e.short}:{fn.__name__}" for e, fn in pairs]


# ----------------------------------------------------------------------------------------------------
# inputs from the empirics tasks
# ----------------------------------------------------------------------------------------------------

def _oracle_pairs(task, sources):
    out = []
    for s in sources:
        try:
            out.append((s, task.oracle(Example(list(s), None, len(s)))))
        except PelgError:      # outside the task's domain (e.g. no unique mode)
            pass
    return out


def _exhaustive_tokens(entry, task):
    if entry.task == "h25.binary_majority":
        return [list(t) for t in itertools.product("01", repeat=12)] + \
               [list(t) for n in range(1, 12, 2) for t in itertools.product("01", repeat=n)]
    if entry.task == "h25.binary_majority_interleave":
        return [list(t) for n in (3, 6, 9, 12) for t in itertools.product("01", repeat=n)]
    if entry.task == "h25.majority":
        return [list(t) for n in range(1, 8) for t in itertools.product("abc", repeat=n)]
    if entry.task == "h25.copy_repeat":
        return [list(t) for n in range(13) for t in itertools.product("ab", repeat=n)]
    if entry.task in ("h25.sort", "h25.copy_unique"):
        syms = task.symbols
        return [list(t) for k in range(len(syms) + 1) for t in itertools.permutations(syms, k)]
    raise KeyError(entry.task)


def _exhaustive_sets(task):
    alphabet = task.symbols
    L = EXHAUSTIVE_LEN[len(alphabet)]
    if len(alphabet) == 1:
        return [list(alphabet) * L]
    return [list(t) for t in itertools.product(alphabet, repeat=L)]


def _samples(task, rng, n, max_len=150):
    out = []
    while len(out) < n:
        length = int(rng.integers(0, max_len + 1))
        try:
            out.append(task.sample(rng, length).source)
        except PelgError:      # no word / invalid length for this task
            continue
    return out


# ----------------------------------------------------------------------------------------------------
# programs against the oracles
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("entry, fn", [p for p in PROGRAMS if p[0].kind == "tokens"],
                         ids=_ids([p for p in PROGRAMS if p[0].kind == "tokens"]))
def test_token_programs_match_the_oracle(entry, fn):
    rng = np.random.default_rng(0)
    small = {"n_symbols": 5} if "n_symbols" in entry.params else {}
    task = get_task(entry.task, **small)
    res = verify_tokens(build(entry, fn, **small), _oracle_pairs(task, _exhaustive_tokens(entry, task)))
    assert res["mismatches"] == 0, res["first_mismatch"]
    assert res["strings"] > 300
    # task samples up to length 150 with the paper's parameters (vocabulary 150)
    task = get_task(entry.task)
    n = 12 if entry.task == "h25.copy_unique" and fn is copy_unique else 60
    srcs = _samples(task, rng, n)
    assert max(map(len, srcs)) > 100
    res = verify_tokens(build(entry, fn), _oracle_pairs(task, srcs))
    assert res["mismatches"] == 0 and res["strings"] == n, res["first_mismatch"]


@pytest.mark.parametrize("entry, fn", [p for p in PROGRAMS if p[0].kind == "sets"],
                         ids=_ids([p for p in PROGRAMS if p[0].kind == "sets"]))
def test_language_programs_match_the_oracle(entry, fn):
    rng = np.random.default_rng(1)
    task = get_task(entry.task)
    program = build(entry, fn)
    srcs = _exhaustive_sets(task)
    srcs += _samples(task, rng, 40)                                              # words up to 150
    srcs += [list(rng.choice(task.symbols, size=int(n))) for n in rng.integers(0, 151, size=10)]  # any
    res = verify_sets(program, _oracle_pairs(task, srcs))
    assert res["mismatches"] == 0, res["first_mismatch"]
    assert res["strings"] == len(srcs)


def test_the_mapping_at_the_scored_positions():
    """<bos> x <sep> y: NEXT at <sep> is y_1, at y_k it is y_{k+1}, at y_m it is <eos>."""
    seq = token_input(["3", "1", "4"], ["3", "1", "4"])
    assert seq == ["<bos>", "3", "1", "4", "<sep>", "3", "1", "4"]
    for p in (copy_unique_nope(5), copy_unique(5)):
        nxt = next_sets(p, [seq])[0]
        assert nxt[4:] == [["3"], ["1"], ["4"], ["<eos>"]], p.name


# ----------------------------------------------------------------------------------------------------
# negative controls: the verification can fail
# ----------------------------------------------------------------------------------------------------

def test_wrong_programs_are_caught():
    rng = np.random.default_rng(2)
    d3 = get_task("h25.d3")
    assert verify_sets(dyck(2), _oracle_pairs(d3, _samples(d3, rng, 20)))["mismatches"] > 0
    t3 = get_task("h25.tomita3")
    srcs = [list(t) for t in itertools.product("01", repeat=8)]
    assert verify_sets(tomita4(), _oracle_pairs(t3, srcs))["mismatches"] > 0
    repeat = [(list(s), list(s)) for s in (["0", "1", "0", "2"], ["1", "1"], ["2", "0", "2", "0"])]
    assert verify_tokens(copy_unique(3), repeat)["mismatches"] > 0
    assert verify_tokens(copy_unique_nope(3), repeat)["mismatches"] > 0
    copy = get_task("h25.copy_unique", n_symbols=5)
    srcs = [list(t) for t in itertools.permutations(copy.symbols, 4)]
    assert verify_tokens(sort(5), _oracle_pairs(copy, srcs))["mismatches"] > 0
    interleave = get_task("h25.binary_majority_interleave")
    srcs = [list(t) for t in itertools.product("01", repeat=6)]
    assert verify_tokens(binary_majority_interleave(2), [
        (s, t) for s, t in _oracle_pairs(interleave, srcs)])["mismatches"] > 0


@pytest.mark.parametrize("task_name", sorted(NEAR_MISSES))
def test_near_misses_are_wrong_against_the_oracle(task_name):
    """The near misses that the ledger's falsification cases claim compute a negative task are wrong
    against the empirics oracle too (not only against the theory-side reference), and well-formed C-RASP
    [periodic, local] programs (so the variant is a claim of expressibility, rejected by a counterexample)."""
    from theory.huang2025.checker import check
    program = NEAR_MISSES[task_name]()
    assert check(program).huang_class
    task = get_task(task_name)
    if task.kind == "sets":
        res = verify_sets(program, _oracle_pairs(task, [list(t) for n in range(9)
                                                        for t in itertools.product(task.symbols, repeat=n)]))
    else:
        res = verify_tokens(program, _oracle_pairs(task, [list(t) for n in range(1, 9)
                                                          for t in itertools.product("ab" if "repeat" in task_name
                                                                                     else "01", repeat=n)]))
    assert res["mismatches"] > 0 and res["strings"] > 200


# ----------------------------------------------------------------------------------------------------
# theory-side references = empirics oracles (the ledger uses the references)
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.kind == "tokens"], ids=lambda e: e.short)
def test_token_references_match_the_oracle(entry):
    rng = np.random.default_rng(3)
    task = get_task(entry.task)
    srcs = _samples(task, rng, 60, max_len=60)
    for s, want in _oracle_pairs(task, srcs):
        assert reference_target(entry.task, s, **entry.params) == list(want)


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.kind == "sets"], ids=lambda e: e.short)
def test_language_references_match_the_oracle(entry):
    rng = np.random.default_rng(4)
    task = get_task(entry.task)
    assert "".join(task.symbols) == "".join(sorted(LANGUAGES[entry.task][0]))
    L = {1: 20, 2: 10, 3: 6, 4: 5, 5: 4}[len(task.symbols)]
    srcs = [list(t) for t in itertools.product(task.symbols, repeat=L)][:2000]
    srcs += _samples(task, rng, 10, max_len=60)
    for s, want in _oracle_pairs(task, srcs):
        assert reference_sets(entry.task, s) == want


# ----------------------------------------------------------------------------------------------------
# predictions
# ----------------------------------------------------------------------------------------------------

def test_predictions_match_the_paper_labels():
    recs = predictions(source="paper")   # the default differs at copy unique / NoPE (see the last test)
    assert {(r["task"], r["pe"]) for r in recs} == {(t, pe) for t in ROW_TO_TASK.values() for pe in PES}
    assert set(ROW_TO_TASK) == set(PAPER_PRED)
    by = {(r["task"], r["pe"]): r for r in recs}
    for row, label in PAPER_PRED.items():
        ape, nope = label.split("/")
        task = ROW_TO_TASK[row]
        assert task in TASKS, task
        assert by[(task, "ape")]["prediction"] == ("generalizes" if ape == "yes" else "fails"), row
        assert by[(task, "nope")]["prediction"] == ("generalizes" if nope == "yes" else "fails"), row
        assert by[(task, "ape")]["paper_label"] == ape and by[(task, "nope")]["paper_label"] == nope
    for r in recs:
        assert set(r) >= {"task", "pe", "theory", "prediction", "reason"} and r["theory"] == "crasp"
        assert r["prediction"] in ("generalizes", "fails") and r["reason"]
    # RPE (C-RASP[local], our mapping): programs without periodic predicates
    assert by[("h25.tomita4", "rpe")]["prediction"] == "generalizes"
    assert by[("h25.copy_unique", "rpe")]["prediction"] == "generalizes"
    assert by[("h25.aa_star", "rpe")]["prediction"] == "fails"
    assert by[("h25.binary_majority_interleave", "rpe")]["prediction"] == "fails"


def test_ipe_and_sh_predictions_follow_their_fragments():
    """pelg extension: IPE = no periodic predicate and one relation; SH = hinted relations."""
    recs = predictions()
    by = {(r["task"], r["pe"]): r for r in recs}
    assert {r["pe"] for r in recs} == {"ape", "nope", "rpe", "ipe", "sh"}
    for task in ROW_TO_TASK.values():
        for pe in ("ipe", "sh"):
            r = by[(task, pe)]
            assert r["mapping"].endswith("[pelg extension]") and r["basis"]
            if by[(task, "nope")]["prediction"] == "generalizes":   # a plain program fits every fragment
                assert r["prediction"] == "generalizes", (task, pe)
            if r["prediction"] == "generalizes":
                rep = fragments(task)[r["program"]]
                assert not rep["uses_periodic"]
                if pe == "ipe":
                    assert len(rep["relations"]) <= 1
    # copy with repeated tokens: a paper negative for APE, one hinted relation suffices
    for pe in ("ipe", "sh"):
        assert by[("h25.copy_repeat", pe)]["prediction"] == "generalizes"
        assert by[("h25.copy_repeat", pe)]["program"] == "copy_hinted"
    assert by[("h25.copy_repeat", "ape")]["prediction"] == "fails"
    assert by[("h25.tomita4", "ipe")]["program"] == "tomita4_one_relation"     # tomita4 itself uses two
    assert by[("h25.copy_unique", "ipe")]["program"] == "copy_unique"          # one local relation
    assert by[("h25.copy_unique", "sh")]["program"] == "copy_unique_nope"      # local: not on hinted positions
    for task in ("h25.aa_star", "h25.abab_star", "h25.binary_majority_interleave"):
        assert by[(task, "ipe")]["basis"] == by[(task, "sh")]["basis"] == "needs periodic"
    for task in ("h25.tomita3", "h25.z012_02", "h25.parity"):
        assert by[(task, "sh")]["prediction"] == "fails" and by[(task, "sh")]["basis"] == "paper negative"
    assert by[("h25.addition", "sh")]["basis"] == "no program known"


def test_hinted_copy_needs_the_hint():
    """Negative control: the same program with its hinted relation read as a local one is wrong."""
    from theory.huang2025.crasp import Count, Hinted, Local, Program

    def unhint(e):
        if isinstance(e, Count):
            rel = Local(tuple(abs(d) for d in e.rel.offsets)) if isinstance(e.rel, Hinted) else e.rel
            return Count(unhint(e.body), rel)
        if hasattr(e, "__dataclass_fields__"):
            return type(e)(*[unhint(getattr(e, f)) for f in e.__dataclass_fields__])
        return e

    p = copy_hinted()
    q = Program(p.name, p.alphabet, tuple((n, unhint(e)) for n, e in p.defs),
                tuple((a, unhint(e)) for a, e in p.outputs))
    pairs = [(list(t), list(t)) for t in itertools.product("ab", repeat=6)]
    assert verify_tokens(p, pairs)["mismatches"] == 0
    assert verify_tokens(q, pairs)["mismatches"] > 0


def test_the_disagreement_is_flagged_and_the_default_follows_the_programs():
    """The default (source="pelg", what `pelg predict` and the ledger use) applies the paper's rule to every
    verified program: copy unique / NoPE generalizes, against the paper's label, and says so; the paper
    source keeps the label and flags the alternative."""
    paper = {(r["task"], r["pe"]): r for r in predictions(source="paper")}
    default = {(r["task"], r["pe"]): r for r in predictions()}
    assert default == {(r["task"], r["pe"]): r for r in predictions(source="pelg")}
    for recs in (paper, default):
        flagged = [k for k, r in recs.items() if r.get("pelg_program_contradicts_label")]
        assert flagged == [("h25.copy_unique", "nope")]
        assert recs[("h25.copy_unique", "nope")]["pelg_alternative"] == "copy_unique_nope"
    assert paper[("h25.copy_unique", "nope")]["prediction"] == "fails"
    cu = default[("h25.copy_unique", "nope")]
    assert cu["prediction"] == "generalizes" and cu["program"] == "copy_unique_nope"
    assert cu["paper_label"] == "no" and cu["agrees_with_paper"] is False and "label is 'no'" in cu["reason"]
    changed = [k for k in paper if paper[k]["prediction"] != default[k]["prediction"]]   # ipe/sh: same pool
    assert changed == [("h25.copy_unique", "nope")]
    disagree = [k for k, r in default.items() if r.get("agrees_with_paper") is False]
    assert disagree == [("h25.copy_unique", "nope")]
    with pytest.raises(ValueError):
        predictions(source="nonsense")
