"""C-RASP programs for the eight algorithmic token tasks of Huang et al. 2025 (huang2025.md, "Published
results"), and the layout they read. Formal languages are in theory.huang2025.language_programs, the task
table (paper labels, negative reasons) in theory.huang2025.task_table.

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

Every program here is verified against the theory-side references (theory.huang2025.verify) and, in the
tests, against the empirics task oracles.
"""
from __future__ import annotations

import string

from theory.huang2025.builder import F, Builder, Q, all_of, any_of, count, count_hinted, mod
from theory.huang2025.crasp import Program

BOS, SEP, EOS = "<bos>", "<sep>", "<eos>"
LETTERS = tuple(string.ascii_lowercase)

# ----------------------------------------------------------------------------------------------------
# token tasks: common layout definitions
# ----------------------------------------------------------------------------------------------------


def token_input(source, target) -> list[str]:
    """The program input of a token task: `<bos> source <sep> target` (the model input)."""
    return [BOS, *source, SEP, *target]


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


def copy_unique(n_symbols: int = 150, symbols=None) -> Program:
    """The induction head (huang2025.md): prev_s(j) := #[j'<=j, j-j' in {1}] Q(s) >= 1 (a LOCAL relation);
    follows(s, a) := #[j<=i] (Q(a) & prev_s & (in_src | Q(<sep>))) >= 1, i.e. a follows s in the source
    (a = <sep>: s is the last source token). At <sep> the key is <bos>, at a target token s the key is s:
    NEXT(a) := OR_s (key_s & follows(s, a)); <eos> iff the key is followed by <sep>.
    C-RASP[local], (V+1)^2 counts for V symbols (`symbols` replaces the vocabulary 0..n_symbols-1)."""
    syms = list(symbols) if symbols is not None else _number_symbols(n_symbols)
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
