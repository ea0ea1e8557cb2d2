"""C-RASP programs for the formal languages of Huang et al. 2025 (huang2025.md, "Published results"; pelg
task kind "sets"). Token tasks are in theory.huang2025.token_programs, whose special symbols these share.

* Formal languages (kind "sets": `<bos> source`, a legal-next set per position): the program input is
  `<bos> w_1 .. w_t`; at position p (p = 1 is `<bos>`), NEXT(a) must hold iff a is in the task's target
  set after the prefix w_1 .. w_{p-1} (a symbol of the alphabet or `<eos>`). The programs here are total:
  they also give the oracle's (empty) sets after a prefix that no word extends, so they are verified on
  all strings, not only on words.
"""
from __future__ import annotations

from theory.huang2025.builder import F, Builder, Q, T, all_of, any_of, count, mod
from theory.huang2025.crasp import Program
from theory.huang2025.token_programs import BOS, EOS


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
