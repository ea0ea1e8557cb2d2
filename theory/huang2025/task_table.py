"""The Huang et al. 2025 task table: one TaskEntry per row of huang2025.md's results, with the paper's Pred
labels (APE, NoPE), the canonical C-RASP program (the paper-style construction) and further verified
programs, and for a negative label its reason and the communication evidence that bears on it
(theory.huang2025.commcomplexity).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from theory.huang2025.checker import check
from theory.huang2025.crasp import Program
from theory.huang2025.language_programs import (
    aa_bb_cc_dd_ee, aa_star, aaaa_star, ab_d_bc, abab_star, dyck, tomita1, tomita2, tomita4, tomita4_one_relation,
    tomita7)
from theory.huang2025.token_programs import (
    binary_majority, binary_majority_interleave, copy_hinted, copy_unique, copy_unique_nope, majority, sort)

COMM = "see theory.huang2025.commcomplexity"


@dataclass(frozen=True)
class TaskEntry:
    task: str                         # pelg task name
    kind: str                         # "tokens" | "sets"
    row: str                          # the row of huang2025.md
    paper: tuple[str, str]            # Pred column (APE, NoPE): "yes" | "no"
    program: Callable[..., Program] | None = None        # canonical (paper-style) construction
    alternatives: tuple[Callable[..., Program], ...] = ()  # further verified programs
    negative: str = ""                # why no C-RASP[periodic, local] program exists (APE "no")
    nope_reason: str = ""             # why the NoPE label is "no" when APE is "yes"
    comm: str = ""                    # which communication evidence bears on the negative
    params: dict = field(default_factory=dict)

    @property
    def programs(self) -> list[Callable[..., Program]]:
        """The canonical program (if any), then the alternatives."""
        return ([self.program] if self.program else []) + list(self.alternatives)

    @property
    def short(self) -> str:
        return self.task.split(".", 1)[1]


def _entries() -> list[TaskEntry]:
    E = TaskEntry
    modular = ("modular counting: the answer depends on a count modulo {m}; C-RASP[periodic, local] "
               "cannot count modulo a constant (periodic predicates see positions, not counts) "
               "[paper's label]")
    regular_cc = ("regular language: the communication matrix of the legal-next sets has rank at most the "
                  "number of DFA states, so the communication argument cannot show this negative")
    return [
        E("h25.binary_majority", "tokens", "Binary majority", ("yes", "yes"), binary_majority),
        E("h25.majority", "tokens", "Majority", ("yes", "yes"), majority),
        E("h25.binary_majority_interleave", "tokens", "Binary majority interleave", ("yes", "no"),
          binary_majority_interleave,
          nope_reason="string r consists of the positions = r + 2 mod 3; a program needs the periodic "
                      "predicate i mod 3, which plain C-RASP (no positions, no modular counting) lacks",
          params={"period": 3}),
        E("h25.sort", "tokens", "Sort", ("yes", "yes"), sort, params={"n_symbols": 150}),
        E("h25.copy_unique", "tokens", "Copy unique", ("yes", "no"), copy_unique, (copy_unique_nope,),
          nope_reason="the paper's construction is an induction head, whose previous-token step is a LOCAL "
                      "relation; NoPE has no relation",
          params={"n_symbols": 150}),
        E("h25.copy_repeat", "tokens", "Copy repeat", ("no", "no"), None, (copy_hinted,),
          negative="communication complexity: checking a copy transcript of x in {a,b}^m when one party "
                   "holds x and the other the copy is EQUALITY, rank 2^m (log2 rank linear in the length), "
                   "while every C-RASP[periodic, local] function has O(log N) communication",
          comm="copy_repeat"),
        E("h25.parity", "tokens", "Parity", ("no", "no"), negative=modular.format(m=2),
          comm="parity: rank 2 at every length, so communication does not show this negative"),
        E("h25.addition", "tokens", "Addition", ("no", "no"),
          negative="communication complexity: checking s = a + b with the sequence split in the middle has "
                   "log2 rank growing linearly in the length (O(log N) for C-RASP[periodic, local]) "
                   "[paper's label; our check]",
          comm="addition"),
        *[E(f"h25.d{n}", "sets", f"D-{n}", ("yes", "yes"), dyck, params={"depth": n}) for n in (2, 3, 4, 12)],
        E("h25.tomita1", "sets", "Tomita 1", ("yes", "yes"), tomita1),
        E("h25.tomita2", "sets", "Tomita 2", ("yes", "yes"), tomita2),
        E("h25.tomita3", "sets", "Tomita 3", ("no", "no"),
          negative="needs the parity of run lengths (an odd run of 1s followed by an odd run of 0s): "
                   + modular.format(m=2), comm=regular_cc),
        E("h25.tomita4", "sets", "Tomita 4", ("yes", "no"), tomita4, (tomita4_one_relation,),
          nope_reason="detecting 000 needs adjacency (the LOCAL relation i - j in {0,1,2}); plain C-RASP "
                      "has no relation"),
        E("h25.tomita5", "sets", "Tomita 5", ("no", "no"),
          negative="even number of 0s and of 1s: " + modular.format(m=2), comm=regular_cc),
        E("h25.tomita6", "sets", "Tomita 6", ("no", "no"),
          negative="#0 - #1 = 0 mod 3: " + modular.format(m=3), comm=regular_cc),
        E("h25.tomita7", "sets", "Tomita 7", ("yes", "yes"), tomita7),
        E("h25.aa_bb_cc_dd_ee", "sets", "aa*bb*cc*dd*ee*", ("yes", "yes"), aa_bb_cc_dd_ee),
        E("h25.ab_d_bc", "sets", "{a,b}*d{b,c}*", ("yes", "yes"), ab_d_bc),
        E("h25.z012_02", "sets", "{0,1,2}*02*", ("no", "no"),
          negative="<eos> is legal iff the last symbol other than 2 is 0 (a 'since' property: 0 once, then "
                   "only 2s), not expressible in C-RASP[periodic, local] [paper's label]", comm=regular_cc),
        E("h25.aa_star", "sets", "(aa)*", ("yes", "no"), aa_star,
          nope_reason="<eos> depends on the length mod 2: needs the periodic predicate i mod 2"),
        E("h25.aaaa_star", "sets", "(aaaa)*", ("yes", "no"), aaaa_star,
          nope_reason="<eos> depends on the length mod 4: needs the periodic predicate i mod 4"),
        E("h25.abab_star", "sets", "(abab)*", ("yes", "no"), abab_star,
          nope_reason="<eos> depends on the length mod 4: needs the periodic predicate i mod 4"),
    ]


ENTRIES: tuple[TaskEntry, ...] = tuple(_entries())
BY_TASK = {e.task: e for e in ENTRIES}
NEGATIVES = {e.task: e.negative for e in ENTRIES if e.paper[0] == "no"}


def build(entry: TaskEntry, which: Callable[..., Program] | None = None, **overrides) -> Program:
    """Build the entry's canonical program (or an alternative) with its parameters (overridable)."""
    fn = which or entry.program
    if fn is None:
        raise ValueError(f"{entry.task} has no program (negative label: {entry.negative})")
    params = {**entry.params, **overrides}
    names = fn.__code__.co_varnames[: fn.__code__.co_argcount]
    return fn(**{k: v for k, v in params.items() if k in names})


@lru_cache(maxsize=None)
def fragments(task: str) -> dict[str, dict]:
    """{program name: check report} for the canonical program and the alternatives (small vocabularies:
    the fragment does not depend on the vocabulary size)."""
    e = BY_TASK[task]
    small = {"n_symbols": 4} if "n_symbols" in e.params else {}
    out = {}
    for fn in e.programs:
        p = build(e, fn, **small)
        out[p.name] = check(p).as_dict()
    return out


def program_fn(task: str, name: str) -> Callable[..., Program]:
    """The function of an entry that builds the program called `name` (a program's name need not be its
    function's: dyck(depth=2) is 'd2')."""
    for program_name, fn in zip(fragments(task), BY_TASK[task].programs):
        if program_name == name:
            return fn
    raise KeyError(f"{task} has no program {name!r}; valid: {', '.join(fragments(task))}")


def ledger_id(task: str) -> str:
    return f"huang2025.crasp.{task.split('.', 1)[1]}"
