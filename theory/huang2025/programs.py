"""The C-RASP program library for Huang et al. 2025, the negative labels with their reasons, and the
C-RASP predictions per (task, PE).

How a task maps to C-RASP (inputs and outputs)
----------------------------------------------
Positions are 1-based and the program reads exactly what the model reads.

* Token tasks (the eight algorithmic tasks; pelg layout `<bos> source <sep> target <eos>`): the program
  input is the model input, `<bos> x_1 .. x_n <sep> y_1 .. y_m` (the full sequence without its final
  `<eos>`); the program alphabet is the task vocabulary plus `<bos>` and `<sep>`. A program has one
  Boolean NEXT(a) per output symbol a (the task's target symbols and `<eos>`). It must be correct exactly
  where the model is trained and scored: at every position from `<sep>` (position n + 2) to the last one,
  NEXT(a) holds iff a is the next token of the gold sequence (y_1 at `<sep>`, y_{k+1} at y_k, `<eos>` at
  y_m). Other positions are unconstrained. Teacher forcing = the program sees the gold prefix.
* Formal languages (kind "sets": `<bos> source`, a legal-next set per position): the program input is
  `<bos> w_1 .. w_t`; at position p (p = 1 is `<bos>`), NEXT(a) must hold iff a is in the task's target
  set after the prefix w_1 .. w_{p-1} (a symbol of the alphabet or `<eos>`). The programs here are total:
  they also give the oracle's (empty) sets after a prefix that no word extends, so they are verified on
  all strings, not only on words.

Predictions
-----------
`predictions()` returns one record per (task, pe) for pe in PES = ("ape", "nope", "rpe", "ipe", "sh"):
* ape: C-RASP[periodic, local] (Huang et al.'s Limit-Transformer conditions PERIODIC and LOCAL);
* nope: plain C-RASP (no positional predicate and no relation);
* rpe [derived mapping, not in the paper]: C-RASP[local]. A relative PE adds a term phi(i - j) to the
  attention logits; under the theory's LOCAL condition its support is bounded, and with no absolute
  embedding p_i there is no periodic predicate. Predicted to generalize iff a program without periodic
  predicates is known.
* ipe [pelg extension, not in the paper; IPE as in chen2025.md]: IPE gives one designated relation r(i, j)
  its own logit term and every other pair a shared one, and no absolute position. Fragment: no periodic
  predicate and at most ONE distinct relation, local (`i-j in S`) or on Scale-Hint positions
  (`h(i)-h(j) in S`, the scale-dependent alignment that IPE designates for copy).
* sh [pelg extension, not in the paper; Scale Hint = RPE on hinted positions, as `sh` in theory.chen2025.src]: the
  logit term is phi(h(i) - h(j)) with h = theory.encodings.scale_hint_positions (what `pelg train --pe
  rope+sh` feeds the model). Fragment: no periodic predicate, any hinted relations (`h(i)-h(j) in S`);
  on formal languages (no separator) h is the identity, so a local relation is a hinted one.
Huang et al.'s theorem covers only ape (and nope); for rpe, ipe and sh "a program in the fragment =>
generalizes" is our extrapolation of it, and the records say so (`mapping`). A "fails" record states its
basis (`basis`): "paper negative" (the paper's label and reason; for a fragment inside C-RASP[periodic,
local] it follows from the APE label), "needs periodic" / "needs more relations" (every known program
uses what the PE lacks) or "no program known" (pelg found none; a conjecture, not a proof).

With `source="paper"` (the default) the APE and NoPE predictions reproduce the Pred column of
huang2025.md, derived from the canonical programs (the paper-style constructions) and the stored
negative labels. pelg also found a plain C-RASP program for copy with unique tokens (`copy_unique_nope`:
count the source tokens before the first occurrence of a, compare with the number of tokens copied so
far); it is verified like every other program, so C-RASP expressibility alone predicts NoPE to
generalize there, against the paper's label. That record carries `pelg_program_contradicts_label: True`
and the alternative program; `predictions(source="pelg")` uses every verified program instead.
"""
from __future__ import annotations

import re
import string
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, groupby
from typing import Callable

import numpy as np

from theory.huang2025.crasp import F, Builder, Program, Q, T, all_of, any_of, check, count, count_hinted, encode, mod, run

BOS, SEP, EOS = "<bos>", "<sep>", "<eos>"
LETTERS = tuple(string.ascii_lowercase)

# ----------------------------------------------------------------------------------------------------
# token tasks: common layout definitions
# ----------------------------------------------------------------------------------------------------


def _layout(b: Builder):
    """Region markers of `<bos> source <sep> target`: (seen_sep, in_src, in_tgt, k, n_src)."""
    seen_sep = b.let("seen_sep", count(Q(SEP)) >= 1)             # at or after <sep>
    in_src = b.let("in_src", ~seen_sep & ~Q(BOS))                 # a source token
    in_tgt = b.let("in_tgt", seen_sep & ~Q(SEP))                  # a target token
    k = b.let("k", count(in_tgt))                                 # target tokens up to here
    n_src = b.let("n_src", count(in_src))                         # source length (final after <sep>)
    return seen_sep, in_src, in_tgt, k, n_src


def binary_majority() -> Program:
    """NEXT(1) at <sep> iff #1 > #0 over the source (the oracle gives 0 on ties); then <eos>."""
    b = Builder("binary_majority", [BOS, SEP, "0", "1"], binary_majority.__doc__)
    seen_sep, in_src, in_tgt, k, n_src = _layout(b)
    ones = b.let("ones", count(Q("1") & in_src))
    zeros = b.let("zeros", count(Q("0") & in_src))
    b.out("0", Q(SEP) & ~(zeros < ones))
    b.out("1", Q(SEP) & (zeros < ones))
    b.out(EOS, in_tgt)
    return b.program()


def majority(letters=LETTERS) -> Program:
    """NEXT(a) at <sep> iff #b < #a for every other letter b (the unique mode); then <eos>."""
    letters = list(letters)
    b = Builder("majority", [BOS, SEP, *letters], majority.__doc__)
    seen_sep, in_src, in_tgt, k, n_src = _layout(b)
    c = {a: b.let(f"c_{a}", count(Q(a) & in_src)) for a in letters}
    for a in letters:
        b.out(a, Q(SEP) & all_of([c[x] < c[a] for x in letters if x != a]))
    b.out(EOS, in_tgt)
    return b.program()


def binary_majority_interleave(period: int = 3) -> Program:
    """Source token t (0-based) sits at position t + 2, so string r (t = r mod p) is the set of positions
    = (r + 2) mod p: a periodic predicate. With k target bits written, NEXT(1) iff string k has
    more 1s than 0s; <eos> once k = p."""
    b = Builder("binary_majority_interleave", [BOS, SEP, "0", "1"], binary_majority_interleave.__doc__)
    seen_sep, in_src, in_tgt, k, n_src = _layout(b)
    maj = []
    for r in range(period):
        on_r = b.let(f"on_{r}", mod(period, (r + 2) % period) & in_src)
        ones = b.let(f"ones_{r}", count(Q("1") & on_r))
        zeros = b.let(f"zeros_{r}", count(Q("0") & on_r))
        maj.append(b.let(f"maj_{r}", zeros < ones))
    b.out("0", seen_sep & any_of([k.eq(r) & ~maj[r] for r in range(period)]))
    b.out("1", seen_sep & any_of([k.eq(r) & maj[r] for r in range(period)]))
    b.out(EOS, seen_sep & k.eq(period))
    return b.program()


def _number_symbols(n_symbols: int) -> list[str]:
    return [str(v) for v in range(n_symbols)]


def sort(n_symbols: int = 150) -> Program:
    """With k tokens written, the next one is the present source token a with exactly k source tokens
    smaller than a: less_a := #[j<=i] (in_src & (Q(0) | .. | Q(a-1))), NEXT(a) := present_a & less_a == k;
    <eos> when k = n_src. Plain C-RASP (no positional predicate)."""
    syms = _number_symbols(n_symbols)
    b = Builder("sort", [BOS, SEP, *syms], sort.__doc__)
    seen_sep, in_src, in_tgt, k, n_src = _layout(b)
    lt = F()
    for v, a in enumerate(syms):
        less = b.let(f"less_{a}", count(in_src & lt)) if v else None
        present = b.let(f"present_{a}", count(in_src & Q(a)) >= 1)
        b.out(a, seen_sep & present & ((less.eq(k)) if v else k.eq(0)))
        if v + 1 < len(syms):
            lt = b.let(f"lt_{syms[v + 1]}", Q(a) if v == 0 else lt | Q(a))
    b.out(EOS, seen_sep & k.eq(n_src))
    return b.program()


def copy_unique(n_symbols: int = 150) -> Program:
    """The induction head (huang2025.md): prev_s(j) := #[j'<=j, j-j' in {1}] Q(s) >= 1 (a LOCAL relation);
    follows(s, a) := #[j<=i] (Q(a) & prev_s & (in_src | Q(<sep>))) >= 1, i.e. a follows s in the source
    (a = <sep>: s is the last source token). At <sep> the key is <bos>, at a target token s the key is s:
    NEXT(a) := OR_s (key_s & follows(s, a)); <eos> iff the key is followed by <sep>.
    C-RASP[local], (V+1)^2 counts for V symbols."""
    syms = _number_symbols(n_symbols)
    b = Builder("copy_unique", [BOS, SEP, *syms], copy_unique.__doc__)
    seen_sep, in_src, in_tgt, k, n_src = _layout(b)
    scope = b.let("scope", in_src | Q(SEP))
    keys = [BOS, *syms]
    prev = {s: b.let(f"prev_{_nm(s)}", count(Q(s), [1]) >= 1) for s in keys}
    key_here = {s: (Q(SEP) if s == BOS else Q(s)) for s in keys}
    for a in [*syms, SEP]:
        terms = []
        for s in keys:
            f = b.let(f"follows_{_nm(s)}_{_nm(a)}", count(Q(a) & prev[s] & scope) >= 1)
            terms.append(key_here[s] & f)
        b.out(EOS if a == SEP else a, seen_sep & any_of(terms))
    return b.program()


def copy_unique_nope(n_symbols: int = 150) -> Program:
    """A plain C-RASP program for copy with unique tokens (pelg's; no positional predicate, no relation):
    seen_a(j) := #[j'<=j] Q(a) >= 1; before_a := #[j<=i] (in_src & !seen_a) is the index of a in the
    source (the source tokens before its occurrence); with k tokens copied, NEXT(a) := present_a &
    before_a == k; <eos> when k = n_src."""
    syms = _number_symbols(n_symbols)
    b = Builder("copy_unique_nope", [BOS, SEP, *syms], copy_unique_nope.__doc__)
    seen_sep, in_src, in_tgt, k, n_src = _layout(b)
    for a in syms:
        seen = b.let(f"seen_{a}", count(Q(a)) >= 1)
        before = b.let(f"before_{a}", count(in_src & ~seen))
        present = b.let(f"present_{a}", count(in_src & Q(a)) >= 1)
        b.out(a, seen_sep & present & before.eq(k))
    b.out(EOS, seen_sep & k.eq(n_src))
    return b.program()


def copy_hinted(symbols=("a", "b")) -> Program:
    """Copy with repeated tokens using ONE relation on Scale-Hint positions (pelg extension,
    C-RASP[hinted]): R = [h(i) - h(j) in {-1, 1}], where target k shares source k's hinted position k.
    first(j) := in_src & #[R] Q(<bos>) >= 1 marks x_1 (the only source token next to <bos>). At <sep>:
    NEXT(a) := #[j<=i] (Q(a) & first) >= 1. At y_k the relation sees x_{k-1}, x_{k+1} and y_{k-1} =
    x_{k-1} (teacher forcing), so #[R] (Q(a) & in_src) - #[R] (Q(a) & in_tgt) = [x_{k+1} = a];
    <eos> when that difference, summed over symbols, is 0 (k = n)."""
    b = Builder("copy_hinted", [BOS, SEP, *symbols], copy_hinted.__doc__)
    seen_sep, in_src, in_tgt, k, n_src = _layout(b)
    R = (-1, 1)
    first = b.let("first", in_src & (count_hinted(Q(BOS), R) >= 1))
    ahead = b.let("ahead", count_hinted(in_src, R) - count_hinted(in_tgt, R))
    for a in symbols:
        nxt = b.let(f"next_{_nm(a)}", count_hinted(Q(a) & in_src, R) - count_hinted(Q(a) & in_tgt, R))
        b.out(a, (Q(SEP) & (count(Q(a) & first) >= 1)) | (in_tgt & (nxt >= 1)))
    b.out(EOS, (Q(SEP) & count(first).eq(0)) | (in_tgt & ahead.eq(0)))
    return b.program()


def _nm(s: str) -> str:
    return {BOS: "bos", SEP: "sep"}.get(s, s)


# ----------------------------------------------------------------------------------------------------
# formal languages (kind "sets")
# ----------------------------------------------------------------------------------------------------


def dyck(depth: int) -> Program:
    """D-n over a (open) / b (close): d := #a - #b; valid := no prefix with d < 0 or d > n;
    NEXT(a) := valid & d < n, NEXT(b) := valid & d > 0, NEXT(<eos>) := valid & d == 0. Plain C-RASP."""
    b = Builder(f"d{depth}", [BOS, "a", "b"], dyck.__doc__)
    d = b.let("d", count(Q("a")) - count(Q("b")))
    bad = b.let("bad", (d < 0) | (d > depth))
    valid = b.let("valid", count(bad).eq(0))
    b.out("a", valid & (d < depth))
    b.out("b", valid & (d > 0))
    b.out(EOS, valid & d.eq(0))
    return b.program()


def tomita1() -> Program:
    """1*: NEXT(1) = NEXT(<eos>) := no 0 so far; NEXT(0) := false."""
    b = Builder("tomita1", [BOS, "0", "1"], tomita1.__doc__)
    ok = b.let("ok", count(Q("0")).eq(0))
    b.out("0", F())
    b.out("1", ok)
    b.out(EOS, ok)
    return b.program()


def tomita2() -> Program:
    """(10)*: d := #1 - #0 must stay in {0, 1}; NEXT(1) := valid & d == 0, NEXT(0) := valid & d == 1,
    NEXT(<eos>) := valid & d == 0."""
    b = Builder("tomita2", [BOS, "0", "1"], tomita2.__doc__)
    d = b.let("d", count(Q("1")) - count(Q("0")))
    valid = b.let("valid", count((d < 0) | (d > 1)).eq(0))
    b.out("0", valid & d.eq(1))
    b.out("1", valid & d.eq(0))
    b.out(EOS, valid & d.eq(0))
    return b.program()


def tomita4() -> Program:
    """No 000: z3(j) := #[j'<=j, j-j' in {0,1,2}] Q(0) >= 3 (three 0s end at j; LOCAL); valid := no z3;
    ends00 := #[j<=i, i-j in {0,1}] Q(0) >= 2; NEXT(1) = NEXT(<eos>) := valid, NEXT(0) := valid & !ends00."""
    b = Builder("tomita4", [BOS, "0", "1"], tomita4.__doc__)
    z3 = b.let("z3", count(Q("0"), [0, 1, 2]) >= 3)
    valid = b.let("valid", count(z3).eq(0))
    ends00 = b.let("ends00", count(Q("0"), [0, 1]) >= 2)
    b.out("0", valid & ~ends00)
    b.out("1", valid)
    b.out(EOS, valid)
    return b.program()


def tomita4_one_relation() -> Program:
    """No 000 with a single relation R = [i - j in {0,1}] (what IPE's one designated relation can give):
    e2(j) := #[R] Q(0) >= 2 (0s at j-1 and j); z3(j) := #[R] e2 >= 2 (0s at j-2, j-1, j);
    valid := no z3; NEXT(1) = NEXT(<eos>) := valid, NEXT(0) := valid & !e2. C-RASP[local]."""
    b = Builder("tomita4_one_relation", [BOS, "0", "1"], tomita4_one_relation.__doc__)
    e2 = b.let("e2", count(Q("0"), [0, 1]) >= 2)
    z3 = b.let("z3", count(e2, [0, 1]) >= 2)
    valid = b.let("valid", count(z3).eq(0))
    b.out("0", valid & ~e2)
    b.out("1", valid)
    b.out(EOS, valid)
    return b.program()


def tomita7() -> Program:
    """0*1*0*1* = the strings without 1,0,1,0 as a (scattered) subsequence: s1 := seen 1,
    s10 := #(Q(0) & s1) >= 1, s101, s1010 likewise; NEXT(1) = NEXT(<eos>) := !s1010,
    NEXT(0) := !s1010 & !s101. Plain C-RASP."""
    b = Builder("tomita7", [BOS, "0", "1"], tomita7.__doc__)
    s1 = b.let("s1", count(Q("1")) >= 1)
    s10 = b.let("s10", count(Q("0") & s1) >= 1)
    s101 = b.let("s101", count(Q("1") & s10) >= 1)
    s1010 = b.let("s1010", count(Q("0") & s101) >= 1)
    b.out("0", ~s1010 & ~s101)
    b.out("1", ~s1010)
    b.out(EOS, ~s1010)
    return b.program()


def aa_bb_cc_dd_ee() -> Program:
    """aa*bb*cc*dd*ee*: bad(j) := a letter after a later letter, or a letter whose predecessor letter has
    not been seen; NEXT(x) := valid & seen(x-1) & !seen(x+1) (a: !seen(b); e: seen(d));
    NEXT(<eos>) := valid & seen(e). Plain C-RASP."""
    L = "abcde"
    b = Builder("aa_bb_cc_dd_ee", [BOS, *L], aa_bb_cc_dd_ee.__doc__)
    seen = {x: b.let(f"seen_{x}", count(Q(x)) >= 1) for x in L}
    bad = b.let("bad", any_of([Q(x) & any_of([seen[y] for y in L[i + 1:]]) for i, x in enumerate(L[:-1])]
                              + [Q(x) & ~seen[L[i - 1]] for i, x in enumerate(L) if i]))
    valid = b.let("valid", count(bad).eq(0))
    for i, x in enumerate(L):
        cond = [valid]
        if i:
            cond.append(seen[L[i - 1]])
        if i + 1 < len(L):
            cond.append(~seen[L[i + 1]])
        b.out(x, all_of(cond))
    b.out(EOS, valid & seen["e"])
    return b.program()


def ab_d_bc() -> Program:
    """{a,b}*d{b,c}*: bad := c before d, a after d, or a second d; NEXT(a) = NEXT(d) := valid & no d,
    NEXT(b) := valid, NEXT(c) = NEXT(<eos>) := valid & d seen. Plain C-RASP."""
    b = Builder("ab_d_bc", [BOS, "a", "b", "c", "d"], ab_d_bc.__doc__)
    nd = b.let("nd", count(Q("d")))
    bad = b.let("bad", (Q("c") & nd.eq(0)) | (Q("a") & (nd >= 1)) | (Q("d") & (nd >= 2)))
    valid = b.let("valid", count(bad).eq(0))
    b.out("a", valid & nd.eq(0))
    b.out("b", valid)
    b.out("c", valid & (nd >= 1))
    b.out("d", valid & nd.eq(0))
    b.out(EOS, valid & (nd >= 1))
    return b.program()


def aa_star() -> Program:
    """(aa)*: NEXT(a) := true; the prefix length is i - 1, so NEXT(<eos>) := [i mod 2 = 1] (PERIODIC)."""
    b = Builder("aa_star", [BOS, "a"], aa_star.__doc__)
    b.out("a", T())
    b.out(EOS, mod(2, 1))
    return b.program()


def aaaa_star() -> Program:
    """(aaaa)*: NEXT(a) := true, NEXT(<eos>) := [i mod 4 = 1] (PERIODIC)."""
    b = Builder("aaaa_star", [BOS, "a"], aaaa_star.__doc__)
    b.out("a", T())
    b.out(EOS, mod(4, 1))
    return b.program()


def abab_star() -> Program:
    """(abab)*: the symbol at position i must be a for even i, b for odd i (bad otherwise, PERIODIC);
    NEXT(a) := valid & [i odd], NEXT(b) := valid & [i even], NEXT(<eos>) := valid & [i mod 4 = 1]."""
    b = Builder("abab_star", [BOS, "a", "b"], abab_star.__doc__)
    valid = b.let("valid", count((Q("a") & mod(2, 1)) | (Q("b") & mod(2, 0))).eq(0))
    b.out("a", valid & mod(2, 1))
    b.out("b", valid & mod(2, 0))
    b.out(EOS, valid & mod(4, 1))
    return b.program()


# ----------------------------------------------------------------------------------------------------
# the task table: paper labels (huang2025.md, Pred column), programs, negative reasons
# ----------------------------------------------------------------------------------------------------

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
PES = ("ape", "nope", "rpe", "ipe", "sh")


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


# ----------------------------------------------------------------------------------------------------
# theory-side references (the ledger cannot import empirics; tests compare these with the task oracles)
# ----------------------------------------------------------------------------------------------------


def reference_target(task: str, source: list[str], **params) -> list[str]:
    """The gold target of a token task (independent of empirics; tests compare it with the oracle)."""
    if task == "h25.binary_majority":
        return ["1" if 2 * source.count("1") > len(source) else "0"]
    if task == "h25.majority":
        (top, c1), *rest = Counter(source).most_common(2)
        if rest and rest[0][1] == c1:
            raise ValueError("no unique mode")
        return [top]
    if task == "h25.binary_majority_interleave":
        p = params.get("period", 3)
        return ["1" if 2 * source[r::p].count("1") > len(source[r::p]) else "0" for r in range(p)]
    if task == "h25.sort":
        return sorted(source, key=int)
    if task in ("h25.copy_unique", "h25.copy_repeat"):
        return list(source)
    if task == "h25.parity":
        return ["o" if source.count("1") % 2 else "e"]
    if task == "h25.addition":
        s = "".join(source)
        a, b = s.rstrip("=").split("+")
        return list(format(int(a, 2) + int(b, 2), "b"))
    raise KeyError(task)


def _depths_ok(s: str, n: int) -> bool:
    return all(0 <= d <= n for d in accumulate(1 if c == "a" else -1 for c in s))


def _t3_ok(s: str, complete: bool) -> bool:
    runs = [(c, len(list(g))) for c, g in groupby(s)]
    last = len(runs) - 1 if complete else len(runs) - 2
    return not any(runs[i][0] == "1" and runs[i][1] % 2 and runs[i + 1][0] == "0" and runs[i + 1][1] % 2
                   for i in range(max(last, 0)))


def _rx(p):
    c = re.compile(p)
    return lambda s: c.fullmatch(s) is not None


def _languages() -> dict[str, tuple[str, Callable, Callable]]:
    L = {f"h25.d{n}": ("ab", (lambda n: lambda s: _depths_ok(s, n) and s.count("a") == s.count("b"))(n),
                       (lambda n: lambda s: _depths_ok(s, n))(n)) for n in (2, 3, 4, 12)}
    every = lambda s: True  # noqa: E731
    L.update({
        "h25.tomita1": ("01", _rx("1*"), _rx("1*")),
        "h25.tomita2": ("01", _rx("(10)*"), _rx("(10)*1?")),
        "h25.tomita3": ("01", lambda s: _t3_ok(s, True), lambda s: _t3_ok(s, False)),
        "h25.tomita4": ("01", lambda s: "000" not in s, lambda s: "000" not in s),
        "h25.tomita5": ("01", lambda s: s.count("0") % 2 == 0 and s.count("1") % 2 == 0, every),
        "h25.tomita6": ("01", lambda s: (s.count("0") - s.count("1")) % 3 == 0, every),
        "h25.tomita7": ("01", _rx("0*1*0*1*"), _rx("0*1*0*1*")),
        "h25.aa_bb_cc_dd_ee": ("abcde", _rx("a+b+c+d+e+"), _rx("(a+(b+(c+(d+e*)?)?)?)?")),
        "h25.ab_d_bc": ("abcd", _rx("[ab]*d[bc]*"), _rx("[ab]*(d[bc]*)?")),
        "h25.z012_02": ("012", _rx("[012]*02*"), every),
        "h25.aa_star": ("a", _rx("(aa)*"), _rx("a*")),
        "h25.aaaa_star": ("a", _rx("(aaaa)*"), _rx("a*")),
        "h25.abab_star": ("ab", _rx("(abab)*"), _rx("(ab)*a?")),
    })
    return L


LANGUAGES = _languages()


@lru_cache(maxsize=1 << 18)
def _legal(task: str, p: str) -> tuple[str, ...]:
    alphabet, is_word, is_prefix = LANGUAGES[task]
    legal = [c for c in alphabet if is_prefix(p + c)] if is_prefix(p) else []
    return tuple(sorted(legal + ([EOS] if is_word(p) else [])))


def reference_sets(task: str, source: list[str]) -> list[list[str]]:
    """Legal-next sets of a formal-language task at every prefix of `source` (also of non-words): a
    symbol c is legal after p iff p + c is a prefix of a word; <eos> iff p is a word."""
    s = "".join(source)
    return [list(_legal(task, s[:t])) for t in range(len(s) + 1)]


# ----------------------------------------------------------------------------------------------------
# verification of a program against targets
# ----------------------------------------------------------------------------------------------------


def token_input(source, target) -> list[str]:
    """The program input of a token task: `<bos> source <sep> target` (the model input)."""
    return [BOS, *source, SEP, *target]


def next_matrix(program: Program, seqs) -> list[np.ndarray]:
    """NEXT values per input sequence as bool arrays (len(seq), n_outputs), outputs in
    `program.output_symbols` order. Sequences are run in batches of similar length (padding at most
    doubles a batch), which matters for programs with many definitions."""
    seqs = [list(x) for x in seqs]
    syms = program.output_symbols
    result: list[np.ndarray | None] = [None] * len(seqs)
    buckets: dict[int, list[int]] = {}
    big = len(program.defs) > 1000      # one pass: the per-definition cost dominates the padding
    for k, x in enumerate(seqs):
        buckets.setdefault(0 if big else len(x).bit_length(), []).append(k)
    for ids in buckets.values():
        out = run(program, encode(program, [seqs[k] for k in ids]))
        stack = np.stack([out[a] for a in syms], axis=-1)
        for r, k in enumerate(ids):
            result[k] = stack[r, : len(seqs[k])]
    return result


def _compare(got: list[np.ndarray], want: list[np.ndarray], offsets: list[int], describe) -> dict:
    positions, bad, first = 0, 0, None
    for b, (g, w, off) in enumerate(zip(got, want, offsets)):
        g = g[off: off + len(w)]
        wrong = np.flatnonzero((g != w).any(axis=1))
        positions += len(w)
        bad += len(wrong)
        if len(wrong) and first is None:
            first = describe(b, int(wrong[0]), g[int(wrong[0])])
    return {"strings": len(got), "positions": positions, "mismatches": bad, "first_mismatch": first}


def _onehot(rows, index) -> np.ndarray:
    want = np.zeros((len(rows), len(index)), dtype=bool)
    for r, legal in enumerate(rows):
        for a in legal:
            if a not in index:
                raise ValueError(f"symbol {a!r} has no NEXT output")
            want[r, index[a]] = True
    return want


def verify_tokens(program: Program, pairs) -> dict:
    """Check NEXT on (source, target) pairs: at every position from <sep> on, exactly the gold next
    token (the target symbols, then <eos>) is true among the outputs. Returns counts and the first
    mismatch (position 1-based)."""
    pairs = [(list(s), list(t)) for s, t in pairs]
    syms = program.output_symbols
    index = {a: k for k, a in enumerate(syms)}
    got = next_matrix(program, [token_input(s, t) for s, t in pairs])
    want = [_onehot([[x] for x in [*t, EOS]], index) for _, t in pairs]

    def describe(b, r, g):
        s, t = pairs[b]
        return {"source": s, "target": t, "position": len(s) + 2 + r, "want": [*t, EOS][r],
                "got": [syms[k] for k in np.flatnonzero(g)]}

    return _compare(got, want, [len(s) + 1 for s, _ in pairs], describe)


def verify_sets(program: Program, items) -> dict:
    """Check NEXT against legal-next sets: items are (source, sets) with len(sets) = len(source) + 1;
    the program reads `<bos> source` and position p must give sets[p - 1]."""
    items = [(list(s), [sorted(x) for x in sets]) for s, sets in items]
    syms = program.output_symbols
    index = {a: k for k, a in enumerate(syms)}
    got = next_matrix(program, [[BOS, *s] for s, _ in items])
    want = [_onehot(sets, index) for _, sets in items]

    def describe(b, r, g):
        return {"source": items[b][0], "position": r + 1, "want": items[b][1][r],
                "got": sorted(syms[k] for k in np.flatnonzero(g))}

    return _compare(got, want, [0] * len(items), describe)


# ----------------------------------------------------------------------------------------------------
# theory-side inputs for the ledger: exhaustive small strings and random long ones
# ----------------------------------------------------------------------------------------------------


def all_strings(alphabet, max_len: int, min_len: int = 0):
    import itertools
    for n in range(min_len, max_len + 1):
        for t in itertools.product(alphabet, repeat=n):
            yield list(t)


def random_prefix(task: str, rng: np.random.Generator, n: int) -> list[str]:
    """A random valid prefix of length n of a language (each step uniform over the legal symbols)."""
    alphabet, _, is_prefix = LANGUAGES[task]
    s = ""
    for _ in range(n):
        legal = [c for c in alphabet if is_prefix(s + c)]
        s += legal[int(rng.integers(len(legal)))]
    return list(s)


def ledger_inputs(entry: TaskEntry, rng: np.random.Generator, *, exhaustive: int = 12, n_random: int = 60,
                  max_random: int = 150, params: dict | None = None) -> list:
    """(source, target) pairs or (source, sets) items from the theory-side references: exhaustive over
    all strings up to a length (binary alphabets: `exhaustive`; larger alphabets shorter), plus random
    strings up to `max_random`."""
    task = entry.task
    params = {**entry.params, **(params or {})}
    lengths = rng.integers(0, max_random + 1, size=n_random)
    if entry.kind == "sets":
        alphabet = LANGUAGES[task][0]
        top = {1: max_random, 2: exhaustive, 3: 8, 4: 6, 5: 5}[len(alphabet)]
        srcs = list(all_strings(alphabet, top))
        srcs += [random_prefix(task, rng, int(n)) for n in lengths]
        srcs += [list(rng.choice(list(alphabet), size=int(n))) for n in lengths[: n_random // 4]]
        return [(s, reference_sets(task, s)) for s in srcs]
    if task == "h25.binary_majority":
        srcs = list(all_strings("01", exhaustive, 1))
        srcs += [list(rng.choice(["0", "1"], size=max(1, int(n)))) for n in lengths]
    elif task == "h25.binary_majority_interleave":
        p = params.get("period", 3)
        srcs = [s for s in all_strings("01", exhaustive, p) if len(s) % p == 0]
        srcs += [list(rng.choice(["0", "1"], size=p * max(1, int(n) // p))) for n in lengths]
    elif task == "h25.majority":
        srcs = list(all_strings("abc", 7, 1))
        for n in lengths:
            srcs.append(list(rng.choice(list(LETTERS), size=max(1, int(n)))))
        srcs = [s for s in srcs if _unique_mode(s)]
    elif task == "h25.copy_repeat":
        srcs = list(all_strings("ab", exhaustive))
        srcs += [list(rng.choice(["a", "b"], size=int(n))) for n in lengths]
    elif task in ("h25.sort", "h25.copy_unique"):
        import itertools
        V = params.get("n_symbols", 150)
        small = [str(v) for v in range(min(V, 5))]
        srcs = [list(t) for k in range(len(small) + 1) for t in itertools.permutations(small, k)]
        srcs += [[str(v) for v in rng.permutation(V)[: min(int(n), V)]] for n in lengths]
    else:
        raise KeyError(task)
    return [(s, reference_target(task, s, **params)) for s in srcs]


def _unique_mode(s) -> bool:
    top = Counter(s).most_common(2)
    return len(top) == 1 or top[0][1] != top[1][1]


def verify_entry(entry: TaskEntry, which: Callable[..., Program] | None = None, *, seed: int = 0,
                 params: dict | None = None, **kw) -> dict:
    """Verify a program of an entry against the theory-side references (exhaustive + random); `params`
    overrides the task parameters (e.g. a smaller n_symbols)."""
    rng = np.random.default_rng(seed)
    program = build(entry, which, **(params or {}))
    items = ledger_inputs(entry, rng, params=params, **kw)
    res = (verify_sets if entry.kind == "sets" else verify_tokens)(program, items)
    res.update({"program": program.name, "check": check(program).as_dict()})
    res["check"].pop("errors")
    return res


# ----------------------------------------------------------------------------------------------------
# predictions
# ----------------------------------------------------------------------------------------------------


def _describe(name: str, rep: dict) -> str:
    bits = []
    if rep["uses_periodic"]:
        bits.append("periods " + ",".join(map(str, rep["periods"])))
    if rep["relations"]:
        bits.append("relations " + "; ".join(rep["relations"]))
    if not bits:
        bits.append("no positional predicate")
    return f"{rep['fragment']} program {name!r} ({'; '.join(bits)})"


def ledger_id(task: str) -> str:
    return f"huang2025.crasp.{task.split('.', 1)[1]}"


_MAPPING = {
    "rpe": "rpe -> C-RASP[local] [derived, not in the paper]",
    "ipe": "ipe -> C-RASP with no periodic predicate and one relation (local or hinted) [pelg extension]",
    "sh": "sh -> C-RASP with hinted relations, no periodic predicate (RPE on Scale-Hint positions) "
          "[pelg extension]",
}


def in_fragment(pe: str, rep: dict, kind: str) -> bool:
    """Does a program with check report `rep` lie in the fragment of `pe` (see the module docstring)?"""
    if not rep["ok"]:
        return False
    if pe == "ape":
        return rep["huang_class"]
    if pe == "nope":
        return rep["nope_compatible"]
    if rep["uses_periodic"]:
        return False
    if pe == "rpe":
        return not rep["uses_hinted"]
    if pe == "ipe":
        return len(rep["relations"]) <= 1
    if pe == "sh":   # without a separator (formal languages) hinted positions are the positions
        return kind == "sets" or not rep["uses_local"]
    raise ValueError(f"unknown PE {pe!r}; valid: {', '.join(PES)}")


def _failure(e: TaskEntry, pe: str, names: list[str], frags: dict) -> tuple[str, str]:
    """(basis, reason) of a "fails" record."""
    if pe == "nope" and e.paper[0] == "yes":
        return "no plain program", f"no plain C-RASP program ({e.nope_reason})"
    if e.paper[0] == "no":
        if pe in ("ape", "rpe"):
            return "paper negative", f"no C-RASP[periodic, local] program: {e.negative}"
        if e.kind == "sets":
            return "paper negative", ("no separator, so hinted relations are local ones and the PE's fragment "
                                      f"lies inside C-RASP[periodic, local]: {e.negative}")
        if e.task == "h25.parity":
            return "paper negative", ("one output token: from <sep> and the output, a finite hinted offset "
                                      "reaches only a bounded window of the source, so hinted relations add "
                                      "O(1) symbols to a C-RASP[local] program and the paper's negative ("
                                      f"{e.negative}) carries over [pelg argument]")
        return "no program known", ("no program in the fragment known to pelg [conjecture]; the paper's "
                                    f"negative is for C-RASP[periodic, local] ({e.negative})")
    if all(frags[n]["uses_periodic"] for n in names):
        return "needs periodic", ("every known program uses a periodic predicate and the PE gives no absolute "
                                  f"position ({e.nope_reason})")
    return "needs more relations", ("every known program without a periodic predicate uses a relation the PE "
                                    "does not give (IPE: more than one; SH: a local one across the separator)")


def predictions(source: str = "paper") -> list[dict]:
    """One record per (task, pe) for pe in PES; see the module docstring. source="paper": APE / NoPE
    from the canonical programs and the stored negatives (matches huang2025.md's Pred column);
    source="pelg": every verified program counts (copy unique then generalizes under NoPE). RPE, IPE
    and SH always use every verified program (they are our mappings, not the paper's labels)."""
    if source not in ("paper", "pelg"):
        raise ValueError(f"unknown source {source!r}; valid: 'paper', 'pelg'")
    records = []
    for e in ENTRIES:
        frags = fragments(e.task)
        names = list(frags)
        canon = names[0] if e.program else None
        for pe in PES:
            pool = [canon] if (source == "paper" and pe in ("ape", "nope")) else names
            pool = [n for n in pool if n is not None]
            found = [n for n in pool if in_fragment(pe, frags[n], e.kind)]
            alt_fits = [n for n in names if n != canon and in_fragment(pe, frags[n], e.kind)]
            if found:
                pred, basis = "generalizes", "program"
                reason = _describe(found[0], frags[found[0]]) + f", verified in the ledger ({ledger_id(e.task)})"
            else:
                pred = "fails"
                basis, reason = _failure(e, pe, names, frags)
            rec = {"task": e.task, "pe": pe, "theory": "crasp", "prediction": pred, "reason": reason,
                   "basis": basis, "fragment": frags[found[0]]["fragment"] if found else "none",
                   "program": found[0] if found else None, "label_source": source}
            if pe in ("ape", "nope"):
                label = e.paper[0 if pe == "ape" else 1]
                rec["paper_label"] = label
                rec["agrees_with_paper"] = (pred == "generalizes") == (label == "yes")
                if pred == "fails" and alt_fits:
                    rec["pelg_program_contradicts_label"] = True
                    rec["pelg_alternative"] = alt_fits[0]
                    rec["reason"] = (f"paper's label 'no' ({e.nope_reason}); BUT pelg's "
                                     f"{_describe(alt_fits[0], frags[alt_fits[0]])} is verified "
                                     f"({ledger_id(e.task)}), so C-RASP expressibility alone predicts "
                                     f"'generalizes' (source='pelg')")
            else:
                rec["mapping"] = _MAPPING[pe]
            records.append(rec)
    return records
