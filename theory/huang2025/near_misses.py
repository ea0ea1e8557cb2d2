"""Near misses: C-RASP[periodic, local] programs that look as if they computed a task the paper labels
inexpressible (Huang et al. 2025, huang2025.md: APE "no"), and do not. The ledger's falsification cases
(theory.huang2025.ledger) claim each one computes its task; the verification against the theory-side
reference must reject it with a concrete counterexample. Each approximates the task the way the paper's
negative says C-RASP[periodic, local] cannot do exactly: periodic predicates see positions, not counts;
a local window sees a bounded stretch; an induction head needs unique keys.

Layouts as in theory.huang2025.token_programs (token tasks) and theory.huang2025.language_programs
(formal languages).
"""
from __future__ import annotations

from dataclasses import replace

from theory.huang2025.builder import Builder, Q, T, count, mod
from theory.huang2025.crasp import Program
from theory.huang2025.token_programs import BOS, EOS, SEP, copy_unique


def parity_of_length() -> Program:
    """Parity answered from the source LENGTH: <sep> sits at position n + 2, so n is odd iff [i mod 2 = 1];
    NEXT(o) := Q(<sep>) & [i mod 2 = 1], NEXT(e) := Q(<sep>) & [i mod 2 = 0]. Wrong whenever the number of
    1s and the length differ in parity (source "0")."""
    b = Builder("parity_of_length", [BOS, SEP, "0", "1", "e", "o"], parity_of_length.__doc__)
    seen_sep = b.let("seen_sep", count(Q(SEP)) >= 1)
    b.out("e", Q(SEP) & mod(2, 0))
    b.out("o", Q(SEP) & mod(2, 1))
    b.out(EOS, seen_sep & ~Q(SEP))
    return b.program()


def copy_repeat_induction_head() -> Program:
    """Copy over {a, b} with the induction head of copy with unique tokens: the key (the last copied
    token) occurs more than once, so several tokens follow it (source "ab a" -> after a: b and <sep>)."""
    return replace(copy_unique(symbols=("a", "b")), name="copy_repeat_induction_head",
                   doc=copy_repeat_induction_head.__doc__)


def tomita3_window() -> Program:
    """Tomita 3 (no odd run of 1s directly followed by an odd run of 0s) read through a window of four
    positions: only runs of length ONE are seen. bad(j) := x_{j-3} in {0, <bos>}, x_{j-2} = 1, x_{j-1} = 0,
    x_j = 1; ends10 := the prefix ends in (0|<bos>) 1 0. NEXT(0) := valid, NEXT(1) = NEXT(<eos>) :=
    valid & !ends10. Wrong on 1110 (a run of three 1s and one 0 is not a word). C-RASP[local]."""
    b = Builder("tomita3_window", [BOS, "0", "1"], tomita3_window.__doc__)
    at = lambda s, d: count(Q(s), [d]) >= 1  # noqa: E731  (x_{j-d} = s)
    bad = b.let("bad", Q("1") & at("0", 1) & at("1", 2) & (at("0", 3) | at(BOS, 3)))
    valid = b.let("valid", count(bad).eq(0))
    ends10 = b.let("ends10", Q("0") & at("1", 1) & (at("0", 2) | at(BOS, 2)))
    b.out("0", valid)
    b.out("1", valid & ~ends10)
    b.out(EOS, valid & ~ends10)
    return b.program()


def tomita5_even_length() -> Program:
    """Tomita 5 (even numbers of 0s and of 1s) answered from the length: every string is a prefix, and
    NEXT(<eos>) := [i mod 2 = 1] (the prefix length i - 1 is even). Wrong on 01. C-RASP[periodic]."""
    b = Builder("tomita5_even_length", [BOS, "0", "1"], tomita5_even_length.__doc__)
    b.out("0", T())
    b.out("1", T())
    b.out(EOS, mod(2, 1))
    return b.program()


def tomita6_equal_counts() -> Program:
    """Tomita 6 (#0 - #1 = 0 mod 3) with the nearest count comparison: NEXT(<eos>) := #0 == #1. Wrong on
    000. Plain C-RASP."""
    b = Builder("tomita6_equal_counts", [BOS, "0", "1"], tomita6_equal_counts.__doc__)
    b.out("0", T())
    b.out("1", T())
    b.out(EOS, count(Q("0")).eq(count(Q("1"))))
    return b.program()


def z012_02_window() -> Program:
    """{0,1,2}*02* (<eos> iff the last symbol other than 2 is 0) through a window of two: NEXT(<eos>) :=
    x_i = 0, or x_i = 2 and x_{i-1} = 0. Wrong on 022. C-RASP[local]."""
    b = Builder("z012_02_window", [BOS, "0", "1", "2"], z012_02_window.__doc__)
    for a in "012":
        b.out(a, T())
    b.out(EOS, Q("0") | (Q("2") & (count(Q("0"), [1]) >= 1)))
    return b.program()


NEAR_MISSES = {"h25.parity": parity_of_length, "h25.copy_repeat": copy_repeat_induction_head,
               "h25.tomita3": tomita3_window, "h25.tomita5": tomita5_even_length,
               "h25.tomita6": tomita6_equal_counts, "h25.z012_02": z012_02_window}
