"""C-RASP[periodic, local]: programs, a text syntax, a type checker and a vectorized interpreter.

Huang et al. 2025 ("A Formal Framework for Understanding Length Generalization in Transformers", ICLR
2025; notes in huang2025.md): a function expressible in C-RASP[periodic, local] is expressible by a Limit
Transformer that satisfies PERIODIC and LOCAL, and is therefore predicted to length-generalize with
learned absolute positional embeddings (APE). A program with no positional predicate at all is plain
C-RASP and is the prediction for NoPE. The definition below is the one restated in huang2025.md:

Booleans (one value per position i)              Counts (one integer per position i)
  Q_sigma(i)        the symbol at i is sigma       #[j <= i, psi(i, j)] P(j)   psi local or always-true
  not P, P1 and P2                                 P(i) ? C1(i) : C2(i)
  true                                             C1 + C2, C1 - C2
  phi(i) = [i mod Delta in R]     (periodic)       constant 1
  C1(i) <= C2(i)

Counting is causal and includes j = i. A local relation is psi(i, j) = [i - j in S] for a finite set S
of non-negative offsets. Positions are 1-based: position 1 holds the first symbol of the string (for the
pelg tasks that is <bos>), so #[j <= i] true = i.

Abbreviations, accepted by the checker because each is a fixed combination of the primitives (see
`desugar`): P1 or P2 = not(not P1 and not P2); C1 < C2 = not(C2 <= C1); C1 >= C2 = C2 <= C1;
C1 > C2 = not(C1 <= C2); C1 == C2 = (C1 <= C2) and (C2 <= C1); C1 != C2 = not(C1 == C2); the constant
k >= 0 = 1 + ... + 1 (0 = 1 - 1).

pelg extension [not in Huang et al.; our mapping for IPE and Scale Hint, see crasp_programs]: the relation
`h(i) - h(j) in S` on Scale-Hint positions h (theory.encodings.scale_hint_positions, "align" mode: the
sequence is `<bos> source <sep> target`, target token k gets source token k's position; without a `<sep>`
h is the identity). S is a finite set of integers (negative offsets are possible: hinted positions are
not monotone). A program that uses it is in C-RASP[..., hinted], outside the class of the theorem.

The representation can also state two things that are NOT in the class, so that the checker has
something to reject: a non-periodic positional predicate `pos<=k` / `pos==k` / `pos>=k` (a threshold on
the absolute position violates PERIODIC) and the relation `(i - j) mod Delta in R` in a count (unbounded
support, violates LOCAL). The interpreter evaluates them all the same.

Text syntax (one definition per line; `print_program` / `parse_program` round-trip exactly):

    program example
    alphabet <bos> <sep> 0 1
    # a comment line
    ones := #[j<=i] Q(1)
    zeros := #[j<=i] Q(0)
    prev_is_1 := #[j<=i, i-j in {1}] Q(1) >= 1
    odd := mod(2){1}
    NEXT(1) := Q(<sep>) & (zeros < ones)
    NEXT(0) := Q(<sep>) & !(zeros < ones)

Operators by increasing precedence: `P ? C1 : C2`; `|`; `&`; `!`; comparisons `<= < >= > == !=`
(non-associative); `+ -` (left-associative); atoms: an integer, `true`, `Q(symbol)`, `mod(D){r,...}`,
`pos<=k` (also `pos==k`, `pos>=k`), `#[j<=i] atom`, `#[j<=i, i-j in {d,...}] atom`,
`#[j<=i, i-j mod D in {r,...}] atom`, `#[j<=i, h(i)-h(j) in {d,...}] atom` (d may be negative), a defined name, `( expr )`. A symbol is any run of characters
without whitespace or ``()[]{},;``.

The interpreter evaluates a program on a batch of strings at once: symbols as an int array (B, T) with
-1 for right padding (every operation is causal, so padding never changes an earlier position),
Booleans as bool arrays and counts as int32 arrays, each definition one numpy operation over (B, T).
"""
from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from typing import Iterable, Union

import numpy as np

from theory.encodings import scale_hint_positions

# ----------------------------------------------------------------------------------------------------
# representation
# ----------------------------------------------------------------------------------------------------

CMP_OPS = ("<=", "<", ">=", ">", "==", "!=")
POS_OPS = ("<=", "==", ">=")
_SYMBOL_RE = re.compile(r"[^\s()\[\]{},;]+")


class CRaspError(ValueError):
    """A malformed program, a type error, or text that does not parse."""


@dataclass(frozen=True)
class Sym:
    """Q_sigma(i): the symbol at position i is `symbol`."""
    symbol: str


@dataclass(frozen=True)
class TrueB:
    """The constant true."""


@dataclass(frozen=True)
class Periodic:
    """phi(i) = [i mod period in residues] (PERIODIC; positions 1-based)."""
    period: int
    residues: tuple[int, ...]


@dataclass(frozen=True)
class PosCmp:
    """[i op k] on the absolute position: representable but NOT periodic, so the checker rejects it."""
    op: str
    k: int


@dataclass(frozen=True)
class Not:
    arg: "Expr"


@dataclass(frozen=True)
class And:
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Or:
    """Abbreviation: not(not left and not right)."""
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Cmp:
    """C1(i) op C2(i); "<=" is primitive, the other operators are abbreviations."""
    op: str
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Local:
    """psi(i, j) = [i - j in offsets], a finite set of non-negative offsets (LOCAL)."""
    offsets: tuple[int, ...]


@dataclass(frozen=True)
class Hinted:
    """psi(i, j) = [h(i) - h(j) in offsets] on Scale-Hint positions h (pelg extension, not in Huang et al.;
    see the module docstring): a finite set of integers, negative allowed."""
    offsets: tuple[int, ...]


HINT_SEPARATOR = "<sep>"   # the symbol whose first occurrence starts the target segment


@dataclass(frozen=True)
class ModRel:
    """psi(i, j) = [(i - j) mod period in residues]: unbounded support, NOT local (checker rejects)."""
    period: int
    residues: tuple[int, ...]


@dataclass(frozen=True)
class Count:
    """#[j <= i, rel(i, j)] body(j); rel None = always true."""
    body: "Expr"
    rel: Union[Local, Hinted, ModRel, None] = None


@dataclass(frozen=True)
class Cond:
    """test(i) ? then(i) : other(i) on counts."""
    test: "Expr"
    then: "Expr"
    other: "Expr"


@dataclass(frozen=True)
class Add:
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Sub:
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Const:
    """A non-negative integer constant (abbreviation for a sum of the constant 1)."""
    value: int


@dataclass(frozen=True)
class Ref:
    """A reference to an earlier definition."""
    name: str


Expr = Union[Sym, TrueB, Periodic, PosCmp, Not, And, Or, Cmp, Count, Cond, Add, Sub, Const, Ref]
BOOL_NODES = (Sym, TrueB, Periodic, PosCmp, Not, And, Or, Cmp)
COUNT_NODES = (Count, Cond, Add, Sub, Const)
KEYWORDS = {"true", "Q", "mod", "pos", "NEXT", "program", "alphabet"}
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class Program:
    """An ordered list of named definitions and one Boolean output NEXT(a) per output symbol a.

    `alphabet` lists the input symbols (Q(s) must use one of them); `outputs` maps an output symbol to a
    Boolean expression (usually a Ref). Equality is structural, so parse(print(p)) == p is checkable."""
    name: str
    alphabet: tuple[str, ...]
    defs: tuple[tuple[str, Expr], ...]
    outputs: tuple[tuple[str, Expr], ...]
    doc: str = field(default="", compare=False)

    def output(self, symbol: str) -> Expr:
        return dict(self.outputs)[symbol]

    @property
    def output_symbols(self) -> tuple[str, ...]:
        return tuple(a for a, _ in self.outputs)


# ----------------------------------------------------------------------------------------------------
# builder
# ----------------------------------------------------------------------------------------------------


def _expr(x) -> Expr:
    if isinstance(x, E):
        return x.node
    if isinstance(x, bool):
        raise CRaspError("use T() for the constant true; Python bools are not expressions")
    if isinstance(x, (int, np.integer)):
        return Const(int(x))
    if isinstance(x, BOOL_NODES + COUNT_NODES + (Ref,)):
        return x
    raise CRaspError(f"not a C-RASP expression: {x!r}")


class E:
    """Thin operator wrapper for building expressions in Python:
    `&`, `|`, `~` on Booleans; `+`, `-`, `<=`, `<`, `>=`, `>`, `.eq()`, `.ne()` on counts (ints coerce to
    constants). Types are checked when the program is built (`Builder.program`)."""

    __slots__ = ("node",)

    def __init__(self, node: Expr):
        self.node = node

    def __and__(self, o): return E(And(self.node, _expr(o)))
    def __rand__(self, o): return E(And(_expr(o), self.node))
    def __or__(self, o): return E(Or(self.node, _expr(o)))
    def __ror__(self, o): return E(Or(_expr(o), self.node))
    def __invert__(self): return E(Not(self.node))
    def __add__(self, o): return E(Add(self.node, _expr(o)))
    def __radd__(self, o): return E(Add(_expr(o), self.node))
    def __sub__(self, o): return E(Sub(self.node, _expr(o)))
    def __rsub__(self, o): return E(Sub(_expr(o), self.node))
    def __le__(self, o): return E(Cmp("<=", self.node, _expr(o)))
    def __lt__(self, o): return E(Cmp("<", self.node, _expr(o)))
    def __ge__(self, o): return E(Cmp(">=", self.node, _expr(o)))
    def __gt__(self, o): return E(Cmp(">", self.node, _expr(o)))
    def eq(self, o): return E(Cmp("==", self.node, _expr(o)))
    def ne(self, o): return E(Cmp("!=", self.node, _expr(o)))
    __hash__ = None  # comparisons build expressions; an E is not a dict key

    def __repr__(self):
        return f"E({print_expr(self.node)})"


def Q(symbol: str) -> E:
    return E(Sym(symbol))


def T() -> E:
    return E(TrueB())


def F() -> E:
    return E(Not(TrueB()))


def mod(period: int, *residues: int) -> E:
    return E(Periodic(int(period), tuple(sorted({int(r) for r in residues}))))


def pos(op: str, k: int) -> E:
    return E(PosCmp(op, int(k)))


def count(body, offsets: Iterable[int] | None = None) -> E:
    """#[j <= i] body(j), or with offsets: #[j <= i, i - j in offsets] body(j)."""
    rel = None if offsets is None else Local(tuple(sorted({int(d) for d in offsets})))
    return E(Count(_expr(body), rel))


def count_hinted(body, offsets: Iterable[int]) -> E:
    """#[j <= i, h(i) - h(j) in offsets] body(j) on Scale-Hint positions (pelg extension)."""
    return E(Count(_expr(body), Hinted(tuple(sorted({int(d) for d in offsets})))))


def count_mod(body, period: int, *residues: int) -> E:
    """#[j <= i, (i - j) mod period in residues] body(j) -- NOT local; for negative controls."""
    return E(Count(_expr(body), ModRel(int(period), tuple(sorted({int(r) for r in residues})))))


def ite(test, then, other) -> E:
    return E(Cond(_expr(test), _expr(then), _expr(other)))


def const(k: int) -> E:
    return E(Const(int(k)))


def any_of(items) -> E:
    items = [_expr(x) for x in items]
    if not items:
        return F()
    out = items[0]
    for x in items[1:]:
        out = Or(out, x)
    return E(out)


def all_of(items) -> E:
    items = [_expr(x) for x in items]
    if not items:
        return T()
    out = items[0]
    for x in items[1:]:
        out = And(out, x)
    return E(out)


class Builder:
    """Collects named definitions in order: `b.let(name, expr)` returns an E referring to the name;
    `b.out(symbol, expr)` sets NEXT(symbol); `b.program()` type-checks and returns the Program."""

    def __init__(self, name: str, alphabet: Iterable[str], doc: str = ""):
        self.name, self.alphabet, self.doc = name, tuple(alphabet), doc
        self.defs: list[tuple[str, Expr]] = []
        self.outs: list[tuple[str, Expr]] = []
        self._names: set[str] = set()

    def let(self, name: str, expr) -> E:
        if name in self._names:
            raise CRaspError(f"{name!r} defined twice")
        self._names.add(name)
        self.defs.append((name, _expr(expr)))
        return E(Ref(name))

    def out(self, symbol: str, expr) -> None:
        self.outs.append((symbol, _expr(expr)))

    def program(self) -> Program:
        p = Program(self.name, self.alphabet, tuple(self.defs), tuple(self.outs), self.doc)
        types(p)
        return p


# ----------------------------------------------------------------------------------------------------
# types and the fragment checker
# ----------------------------------------------------------------------------------------------------


_CHILDREN = {
    Not: lambda e: (e.arg,), And: lambda e: (e.left, e.right), Or: lambda e: (e.left, e.right),
    Add: lambda e: (e.left, e.right), Sub: lambda e: (e.left, e.right), Cmp: lambda e: (e.left, e.right),
    Count: lambda e: (e.body,), Cond: lambda e: (e.test, e.then, e.other),
}
_LEAF = lambda e: ()  # noqa: E731


def _children(e: Expr) -> tuple:
    return _CHILDREN.get(type(e), _LEAF)(e)


def _walk(e: Expr):
    stack = [e]
    while stack:
        x = stack.pop()
        yield x
        stack.extend(_children(x))


def _type(e: Expr, env: dict[str, str], alphabet=None) -> str:
    """"bool" or "count"; raises CRaspError on a type error (and, given `alphabet`, on a symbol outside
    it)."""
    def need(x, t, where):
        got = _type(x, env, alphabet)
        if got != t:
            raise CRaspError(f"{where} needs a {t}, got a {got}: {print_expr(x)}")

    if isinstance(e, Ref):
        if e.name not in env:
            raise CRaspError(f"{e.name!r} is used before it is defined")
        return env[e.name]
    if isinstance(e, Sym):
        if alphabet is not None and e.symbol not in alphabet:
            raise CRaspError(f"Q({e.symbol}) uses a symbol outside the alphabet")
        return "bool"
    if isinstance(e, (TrueB, Periodic, PosCmp)):
        return "bool"
    if isinstance(e, Not):
        need(e.arg, "bool", "not")
        return "bool"
    if isinstance(e, (And, Or)):
        need(e.left, "bool", type(e).__name__.lower())
        need(e.right, "bool", type(e).__name__.lower())
        return "bool"
    if isinstance(e, Cmp):
        if e.op not in CMP_OPS:
            raise CRaspError(f"unknown comparison {e.op!r}")
        need(e.left, "count", f"'{e.op}'")
        need(e.right, "count", f"'{e.op}'")
        return "bool"
    if isinstance(e, Count):
        need(e.body, "bool", "a count")
        return "count"
    if isinstance(e, Cond):
        need(e.test, "bool", "the test of '?'")
        need(e.then, "count", "'?'")
        need(e.other, "count", "'?'")
        return "count"
    if isinstance(e, (Add, Sub)):
        need(e.left, "count", "'+'/'-'")
        need(e.right, "count", "'+'/'-'")
        return "count"
    if isinstance(e, Const):
        return "count"
    raise CRaspError(f"not a C-RASP expression: {e!r}")


def types(p: Program) -> dict[str, str]:
    """The type of every definition; raises CRaspError on any type or scoping error, on an unknown
    symbol, on an output that is not Boolean, or on a duplicate name."""
    env: dict[str, str] = {}
    alphabet = set(p.alphabet)
    if len(alphabet) != len(p.alphabet):
        raise CRaspError(f"program {p.name!r}: the alphabet lists a symbol twice")
    for s in p.alphabet:
        if not _SYMBOL_RE.fullmatch(s):
            raise CRaspError(f"symbol {s!r} contains whitespace or one of ()[]{{}},;")
    for name, e in p.defs:
        if not _NAME_RE.match(name) or name in KEYWORDS:
            raise CRaspError(f"{name!r} is not a valid definition name")
        if name in env:
            raise CRaspError(f"{name!r} defined twice")
        try:
            env[name] = _type(e, env, alphabet)
        except CRaspError as err:
            raise CRaspError(f"{name}: {err}") from None
    seen = set()
    for a, e in p.outputs:
        if a in seen:
            raise CRaspError(f"NEXT({a}) defined twice")
        seen.add(a)
        if not _SYMBOL_RE.fullmatch(a):
            raise CRaspError(f"output symbol {a!r} contains whitespace or one of ()[]{{}},;")
        try:
            t = _type(e, env, alphabet)
        except CRaspError as err:
            raise CRaspError(f"NEXT({a}): {err}") from None
        if t != "bool":
            raise CRaspError(f"NEXT({a}) must be Boolean")
    return env


@dataclass
class CheckReport:
    """The checker's verdict: `ok` (a well-formed program: C-RASP[periodic, local], possibly with the
    pelg `hinted` relation), the fragment it lies in, and why not when it does not. `huang_class` is ok
    without hinted relations: the class of Huang et al.'s theorem."""
    ok: bool
    fragment: str               # "C-RASP", "C-RASP[local]", "C-RASP[periodic]", "C-RASP[periodic, local]",
    #                             with ", hinted" appended when a hinted relation occurs
    nope_compatible: bool       # no positional predicate and no relation at all
    uses_periodic: bool
    uses_local: bool
    periods: tuple[int, ...]
    max_offset: int
    n_defs: int
    errors: list[str]
    uses_hinted: bool = False
    relations: tuple[str, ...] = ()   # the distinct relations, as printed (e.g. "i-j in {1}")

    @property
    def huang_class(self) -> bool:
        return self.ok and not self.uses_hinted

    def as_dict(self) -> dict:
        return {"ok": self.ok, "fragment": self.fragment, "nope_compatible": self.nope_compatible,
                "uses_periodic": self.uses_periodic, "uses_local": self.uses_local,
                "uses_hinted": self.uses_hinted, "huang_class": self.huang_class,
                "relations": list(self.relations), "periods": list(self.periods),
                "max_offset": self.max_offset, "n_defs": self.n_defs, "errors": list(self.errors)}


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def check(p: Program) -> CheckReport:
    """Type-check `p` and decide its fragment. Every positional predicate must be periodic with a finite
    period (Periodic with period >= 1 and residues in [0, period)); every relation must be local (a
    finite set of non-negative integer offsets). A program with neither is NoPE-compatible (plain
    C-RASP). Non-periodic predicates (`pos<=k`) and non-local relations (`mod` relations) are errors."""
    errors: list[str] = []
    try:
        types(p)
    except CRaspError as e:
        errors.append(f"type error: {e}")
    periods: set[int] = set()
    uses_local, uses_hinted, max_off = False, False, 0
    relations: set[str] = set()
    exprs = [(n, e) for n, e in p.defs] + [(f"NEXT({a})", e) for a, e in p.outputs]
    for name, e in exprs:
        for x in _walk(e):
            if isinstance(x, Periodic):
                if not _is_int(x.period) or x.period < 1:
                    errors.append(f"{name}: period {x.period!r} is not a positive integer")
                    continue
                if not isinstance(x.residues, tuple) or not all(_is_int(r) and 0 <= r < x.period
                                                                for r in x.residues):
                    errors.append(f"{name}: residues {x.residues!r} not a finite subset of [0, {x.period})")
                    continue
                periods.add(int(x.period))
            elif isinstance(x, PosCmp):
                errors.append(f"{name}: pos{x.op}{x.k} is not periodic (a threshold on the absolute "
                              f"position violates PERIODIC)")
            elif isinstance(x, Count) and isinstance(x.rel, Local):
                offs = x.rel.offsets
                if not isinstance(offs, tuple) or not all(_is_int(d) for d in offs):
                    errors.append(f"{name}: offsets {offs!r} are not a finite set of integers")
                elif any(d < 0 for d in offs):
                    errors.append(f"{name}: negative offset in {offs} (j <= i: offsets must be >= 0)")
                elif len(set(offs)) != len(offs):
                    errors.append(f"{name}: offsets {offs} repeat an offset")
                else:
                    uses_local = True
                    max_off = max([max_off, *offs])
                    relations.add(f"i-j in {_set(sorted(offs))}")
            elif isinstance(x, Count) and isinstance(x.rel, Hinted):
                offs = x.rel.offsets
                if not isinstance(offs, tuple) or not offs or not all(_is_int(d) for d in offs):
                    errors.append(f"{name}: hinted offsets {offs!r} are not a non-empty finite set of integers")
                elif len(set(offs)) != len(offs):
                    errors.append(f"{name}: hinted offsets {offs} repeat an offset")
                else:
                    uses_hinted = True
                    relations.add(f"h(i)-h(j) in {_set(sorted(offs))}")
            elif isinstance(x, Count) and isinstance(x.rel, ModRel):
                errors.append(f"{name}: (i-j) mod {x.rel.period} relation has unbounded support "
                              f"(violates LOCAL)")
            elif isinstance(x, Count) and x.rel is not None:
                errors.append(f"{name}: unknown relation {x.rel!r}")
            elif isinstance(x, Const) and (not _is_int(x.value) or x.value < 0):
                errors.append(f"{name}: constant {x.value!r} is not a non-negative integer")
            elif isinstance(x, Cmp) and x.op not in CMP_OPS:
                errors.append(f"{name}: unknown comparison {x.op!r}")
    uses_periodic = bool(periods)
    parts = [w for w, on in (("periodic", uses_periodic), ("local", uses_local), ("hinted", uses_hinted)) if on]
    frag = f"C-RASP[{', '.join(parts)}]" if parts else "C-RASP"
    ok = not errors
    return CheckReport(ok, frag if ok else "none", ok and not (uses_periodic or uses_local or uses_hinted),
                       uses_periodic, uses_local, tuple(sorted(periods)), max_off, len(p.defs), errors,
                       uses_hinted, tuple(sorted(relations)))


def desugar(p: Program) -> Program:
    """The same program with every abbreviation expanded into the primitives of the table (or, <, >=,
    >, ==, !=, constants k != 1); used to test that the abbreviations mean what they say."""
    one = Const(1)

    def const(k):
        if k == 0:
            return Sub(one, one)
        out = one
        for _ in range(k - 1):
            out = Add(out, one)
        return out

    def go(e):
        if isinstance(e, Not):
            return Not(go(e.arg))
        if isinstance(e, And):
            return And(go(e.left), go(e.right))
        if isinstance(e, Or):
            return Not(And(Not(go(e.left)), Not(go(e.right))))
        if isinstance(e, Cmp):
            a, b = go(e.left), go(e.right)
            le = lambda x, y: Cmp("<=", x, y)  # noqa: E731
            return {"<=": lambda: le(a, b), "<": lambda: Not(le(b, a)), ">=": lambda: le(b, a),
                    ">": lambda: Not(le(a, b)), "==": lambda: And(le(a, b), le(b, a)),
                    "!=": lambda: Not(And(le(a, b), le(b, a)))}[e.op]()
        if isinstance(e, Count):
            return Count(go(e.body), e.rel)
        if isinstance(e, Cond):
            return Cond(go(e.test), go(e.then), go(e.other))
        if isinstance(e, Add):
            return Add(go(e.left), go(e.right))
        if isinstance(e, Sub):
            return Sub(go(e.left), go(e.right))
        if isinstance(e, Const):
            return e if e.value == 1 else const(e.value)
        return e

    return Program(p.name, p.alphabet, tuple((n, go(e)) for n, e in p.defs),
                   tuple((a, go(e)) for a, e in p.outputs), p.doc)


# ----------------------------------------------------------------------------------------------------
# text syntax: printer
# ----------------------------------------------------------------------------------------------------

_ATOMS = (Sym, TrueB, Periodic, PosCmp, Const, Ref, Count)


def _set(xs) -> str:
    return "{" + ",".join(str(x) for x in xs) + "}"


def _paren(e: Expr) -> str:
    s = print_expr(e)
    return s if isinstance(e, _ATOMS) else f"({s})"


def print_expr(e: Expr) -> str:
    """One expression in the text syntax; every compound operand is parenthesized."""
    if isinstance(e, Sym):
        return f"Q({e.symbol})"
    if isinstance(e, TrueB):
        return "true"
    if isinstance(e, Periodic):
        return f"mod({e.period}){_set(e.residues)}"
    if isinstance(e, PosCmp):
        return f"pos{e.op}{e.k}"
    if isinstance(e, Const):
        return str(e.value)
    if isinstance(e, Ref):
        return e.name
    if isinstance(e, Count):
        if e.rel is None:
            head = "#[j<=i]"
        elif isinstance(e.rel, Local):
            head = f"#[j<=i, i-j in {_set(e.rel.offsets)}]"
        elif isinstance(e.rel, Hinted):
            head = f"#[j<=i, h(i)-h(j) in {_set(e.rel.offsets)}]"
        else:
            head = f"#[j<=i, i-j mod {e.rel.period} in {_set(e.rel.residues)}]"
        return f"{head} {_paren(e.body)}"
    if isinstance(e, Not):
        return f"!{_paren(e.arg)}"
    if isinstance(e, And):   # left-associative chains print flat: a & b & c = And(And(a, b), c)
        left = print_expr(e.left) if isinstance(e.left, And) else _paren(e.left)
        return f"{left} & {_paren(e.right)}"
    if isinstance(e, Or):
        left = print_expr(e.left) if isinstance(e.left, Or) else _paren(e.left)
        return f"{left} | {_paren(e.right)}"
    if isinstance(e, Cmp):
        return f"{_paren(e.left)} {e.op} {_paren(e.right)}"
    if isinstance(e, (Add, Sub)):   # left-associative: a - b + c = Add(Sub(a, b), c)
        left = print_expr(e.left) if isinstance(e.left, (Add, Sub)) else _paren(e.left)
        return f"{left} {'+' if isinstance(e, Add) else '-'} {_paren(e.right)}"
    if isinstance(e, Cond):
        return f"{_paren(e.test)} ? {_paren(e.then)} : {_paren(e.other)}"
    raise CRaspError(f"not a C-RASP expression: {e!r}")


def print_program(p: Program) -> str:
    lines = [f"program {p.name}", "alphabet " + " ".join(p.alphabet)]
    lines += [f"{n} := {print_expr(e)}" for n, e in p.defs]
    lines += [f"NEXT({a}) := {print_expr(e)}" for a, e in p.outputs]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------------
# text syntax: parser
# ----------------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"\s*(?:"
    r"(?P<count>#\[\s*j\s*<=\s*i\s*(?P<crel>,\s*(?:(?P<chint>h\(\s*i\s*\)\s*-\s*h\(\s*j\s*\))|i\s*-\s*j)\s*"
    r"(?:mod\s*(?P<cmod>\d+)\s*)?in\s*"
    r"\{\s*(?P<coffs>-?\d+(?:\s*,\s*-?\d+)*)?\s*\})?\s*\])"
    r"|(?P<mod>mod\(\s*(?P<mperiod>\d+)\s*\)\s*\{\s*(?P<mres>\d+(?:\s*,\s*\d+)*)?\s*\})"
    r"|(?P<pos>pos\s*(?P<pop><=|==|>=)\s*(?P<pk>\d+))"
    r"|(?P<sym>Q\((?P<symbol>[^\s()\[\]{},;]+)\))"
    r"|(?P<op><=|>=|==|!=|<|>|\+|-|&|\||!|\?|:|\(|\))"
    r"|(?P<int>\d+)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r")")


def _ints(s: str | None) -> tuple[int, ...]:
    return tuple(int(x) for x in s.split(",")) if s else ()


def _tokenize(text: str) -> list[tuple[str, object]]:
    out, k = [], 0
    text = text.rstrip()
    while k < len(text):
        m = _TOKEN_RE.match(text, k)
        if not m or m.end() == k:
            raise CRaspError(f"cannot read {text[k:k + 20]!r}")
        k = m.end()
        if m.group("count") is not None:
            offs = _ints(m.group("coffs"))
            if m.group("crel") is None:
                out.append(("count", None))
            elif m.group("chint") is not None:
                if m.group("cmod") is not None:
                    raise CRaspError("a hinted relation takes an offset set, not a mod")
                out.append(("count", Hinted(offs)))
            elif m.group("cmod") is not None:
                out.append(("count", ModRel(int(m.group("cmod")), offs)))
            else:
                out.append(("count", Local(offs)))
        elif m.group("mod") is not None:
            out.append(("atom", Periodic(int(m.group("mperiod")), _ints(m.group("mres")))))
        elif m.group("pos") is not None:
            out.append(("atom", PosCmp(m.group("pop"), int(m.group("pk")))))
        elif m.group("sym") is not None:
            out.append(("atom", Sym(m.group("symbol"))))
        elif m.group("op") is not None:
            out.append(("op", m.group("op")))
        elif m.group("int") is not None:
            out.append(("atom", Const(int(m.group("int")))))
        else:
            name = m.group("name")
            if name == "true":
                out.append(("atom", TrueB()))
            elif name in KEYWORDS:
                raise CRaspError(f"keyword {name!r} used as a name")
            else:
                out.append(("atom", Ref(name)))
    return out


class _Parser:
    def __init__(self, tokens):
        self.t, self.k = tokens, 0

    def peek(self, value=None):
        if self.k >= len(self.t):
            return None
        kind, v = self.t[self.k]
        if value is None:
            return (kind, v)
        return (kind, v) if kind == "op" and v == value else None

    def take(self, value):
        if not self.peek(value):
            got = self.t[self.k][1] if self.k < len(self.t) else "end of line"
            raise CRaspError(f"expected {value!r}, got {got!r}")
        self.k += 1

    def expr(self):
        test = self.or_()
        if self.peek("?"):
            self.k += 1
            then = self.expr()
            self.take(":")
            other = self.expr()
            return Cond(test, then, other)
        return test

    def or_(self):
        e = self.and_()
        while self.peek("|"):
            self.k += 1
            e = Or(e, self.and_())
        return e

    def and_(self):
        e = self.not_()
        while self.peek("&"):
            self.k += 1
            e = And(e, self.not_())
        return e

    def not_(self):
        if self.peek("!"):
            self.k += 1
            return Not(self.not_())
        return self.cmp()

    def cmp(self):
        e = self.sum()
        for op in CMP_OPS:
            if self.peek(op):
                self.k += 1
                e = Cmp(op, e, self.sum())
                if any(self.peek(o) for o in CMP_OPS):
                    raise CRaspError("comparisons do not chain; parenthesize")
                return e
        return e

    def sum(self):
        e = self.atom()
        while self.peek("+") or self.peek("-"):
            op = self.t[self.k][1]
            self.k += 1
            e = (Add if op == "+" else Sub)(e, self.atom())
        return e

    def atom(self):
        tok = self.peek()
        if tok is None:
            raise CRaspError("unexpected end of line")
        kind, v = tok
        if kind == "atom":
            self.k += 1
            return v
        if kind == "count":
            self.k += 1
            return Count(self.atom(), v)
        if kind == "op" and v == "(":
            self.k += 1
            e = self.expr()
            self.take(")")
            return e
        if kind == "op" and v == "!":  # allow !x inside an operand position
            self.k += 1
            return Not(self.atom())
        raise CRaspError(f"unexpected {v!r}")


def parse_expr(text: str) -> Expr:
    p = _Parser(_tokenize(text))
    e = p.expr()
    if p.k != len(p.t):
        raise CRaspError(f"unexpected {p.t[p.k][1]!r} after a complete expression")
    return e


_DEF_RE = re.compile(r"\s*(?:NEXT\((?P<out>[^\s()\[\]{},;]+)\)|(?P<name>[A-Za-z_][A-Za-z0-9_]*))\s*:=(?P<e>.*)\Z")


def parse_program(text: str) -> Program:
    """Parse the text syntax (see the module docstring); the result is type-checked."""
    name, alphabet, defs, outs = None, None, [], []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            if line.startswith("program ") or line == "program":
                name = line[len("program"):].strip()
                continue
            if line.startswith("alphabet ") or line == "alphabet":
                alphabet = tuple(line[len("alphabet"):].split())
                continue
            m = _DEF_RE.match(line)
            if not m:
                raise CRaspError("expected 'name := expr' or 'NEXT(symbol) := expr'")
            e = parse_expr(m.group("e"))
            if m.group("out") is not None:
                outs.append((m.group("out"), e))
            else:
                defs.append((m.group("name"), e))
        except CRaspError as err:
            raise CRaspError(f"line {lineno}: {err}") from None
    if name is None or alphabet is None:
        raise CRaspError("a program needs a 'program NAME' line and an 'alphabet ...' line")
    p = Program(name, alphabet, tuple(defs), tuple(outs))
    types(p)
    return p


# ----------------------------------------------------------------------------------------------------
# interpreter
# ----------------------------------------------------------------------------------------------------


def encode(p: Program, strings: Iterable[Iterable[str]]) -> np.ndarray:
    """Strings (lists of symbols) -> int array (B, T) of alphabet indices, -1 as right padding. A symbol
    outside the alphabet is an error."""
    index = {s: k for k, s in enumerate(p.alphabet)}
    strings = [list(s) for s in strings]
    T = max((len(s) for s in strings), default=0)
    X = np.full((len(strings), T), -1, dtype=np.int16 if len(index) < 32000 else np.int32)
    for b, s in enumerate(strings):
        try:
            X[b, : len(s)] = [index[c] for c in s]
        except KeyError as e:
            raise CRaspError(f"symbol {e.args[0]!r} is not in the alphabet of {p.name!r}") from None
    return X


# Internally every array is laid out positions-first, (T, B) or (T, 1): a prefix sum is then T
# vector additions over the batch, several times faster than numpy's cumsum along a row.


def _shift(A: np.ndarray, d: int) -> np.ndarray:
    """out[i] = A[i - d] along positions (zero where i - d < 0)."""
    out = np.zeros(A.shape, dtype=np.int32)
    if d < A.shape[0]:
        out[d:] = A[: A.shape[0] - d]
    return out


def _prefix_sum(A: np.ndarray) -> np.ndarray:
    """Inclusive prefix sum along positions, int32."""
    if A.shape[1] < 64:
        return np.cumsum(A, axis=0, dtype=np.int32)
    out = A.astype(np.int32)
    for t in range(1, out.shape[0]):
        np.add(out[t - 1], out[t], out=out[t])
    return out


def _count(body: np.ndarray, rel, T: int) -> np.ndarray:
    body = np.asarray(body)
    if body.ndim == 0:
        body = np.full((T, 1), body)
    if rel is None:
        return _prefix_sum(body)
    A = body.astype(np.int32)
    if isinstance(rel, Local):
        if any(d < 0 for d in rel.offsets):
            raise CRaspError(f"local offsets must be >= 0, got {rel.offsets}")
        out = np.zeros(A.shape, dtype=np.int32)
        for d in rel.offsets:
            if d < T:
                out[d:] += A[: T - d]
        return out
    if isinstance(rel, ModRel):   # D[i] = A[i] + A[i - P] + ...; count = sum_r D[i - r]
        P = rel.period
        pad = (-T) % P
        Z = np.concatenate([A, np.zeros((pad,) + A.shape[1:], np.int32)], axis=0)
        Z = Z.reshape(((T + pad) // P, P) + A.shape[1:]).cumsum(axis=0, dtype=np.int32)
        Z = Z.reshape((T + pad,) + A.shape[1:])[:T]
        out = np.zeros(A.shape, dtype=np.int32)
        for r in rel.residues:
            out += _shift(Z, r)
        return out
    raise CRaspError(f"unknown relation {rel!r}")


def hint_positions(XT: np.ndarray, sep: int | None) -> np.ndarray:
    """Scale-Hint positions (T, B) of a positions-first batch, 0 at `<bos>`: theory.encodings.
    scale_hint_positions in "align" mode with the first occurrence of symbol index `sep` as the
    separator (none, or no such symbol: the identity)."""
    T, B = XT.shape
    if sep is None:
        return np.broadcast_to(np.arange(T, dtype=np.int64)[:, None], (T, B))
    is_sep = XT == sep
    first = np.where(is_sep.any(axis=0), is_sep.argmax(axis=0), T)     # (B,)
    H = np.empty((T, B), dtype=np.int64)
    for s in np.unique(first):
        cols = first == s
        H[:, cols] = scale_hint_positions(T, sep_index=int(s), source_start=min(1, int(s)),
                                          mode="align")[:, None]
    return H


def _count_hinted(body: np.ndarray, offsets, H: np.ndarray) -> np.ndarray:
    """out[i] = sum over j <= i with H[i] - H[j] in offsets of body[j], per column; (T, B) int32.
    One pass over positions keeps, per column, the running sum of body by hinted value (acc[b, v]);
    position i is added before it is read, so j = i counts."""
    T, B = H.shape
    A = np.broadcast_to(np.asarray(body).astype(np.int32), (T, B))
    out = np.zeros((T, B), dtype=np.int32)
    if T == 0 or B == 0:
        return out
    V = int(H.max()) + 1
    acc = np.zeros((B, V), dtype=np.int32)
    cols = np.arange(B)
    for i in range(T):
        acc[cols, H[i]] += A[i]
        for d in offsets:
            v = H[i] - d
            inside = (v >= 0) & (v < V)
            out[i] += np.where(inside, acc[cols, np.clip(v, 0, V - 1)], 0)
    return out


_CMP = {"<=": np.less_equal, "<": np.less, ">=": np.greater_equal, ">": np.greater, "==": np.equal,
        "!=": np.not_equal}
_POS = {"<=": np.less_equal, "==": np.equal, ">=": np.greater_equal}


class _Eval:
    """Evaluates expressions on a positions-first batch; dispatch on the node type."""

    def __init__(self, XT: np.ndarray, p: Program):
        self.X, self.T = XT, XT.shape[0]          # positions first: (T, B)
        self.index = {s: k for k, s in enumerate(p.alphabet)}
        self.pos = np.arange(1, self.T + 1, dtype=np.int32)[:, None]
        self.env: dict[str, np.ndarray] = {}
        self.H: np.ndarray | None = None          # Scale-Hint positions, computed on first use
        self.table = {
            Ref: lambda e: self.env[e.name],
            Sym: lambda e: self.X == self.index[e.symbol],
            TrueB: lambda e: np.ones((self.T, 1), dtype=bool),
            Periodic: lambda e: np.isin(self.pos % e.period, e.residues),
            PosCmp: lambda e: _POS[e.op](self.pos, e.k),
            Not: lambda e: ~self(e.arg),
            And: lambda e: self(e.left) & self(e.right),
            Or: lambda e: self(e.left) | self(e.right),
            Cmp: lambda e: _CMP[e.op](self(e.left), self(e.right)),
            Count: self._count,
            Cond: lambda e: np.where(self(e.test), self(e.then), self(e.other)).astype(np.int32),
            Add: lambda e: np.add(self(e.left), self(e.right), dtype=np.int32),
            Sub: lambda e: np.subtract(self(e.left), self(e.right), dtype=np.int32),
            Const: lambda e: np.int32(e.value),
        }

    def _count(self, e: Count) -> np.ndarray:
        if isinstance(e.rel, Hinted):
            if self.H is None:
                self.H = hint_positions(self.X, self.index.get(HINT_SEPARATOR))
            return _count_hinted(self(e.body), e.rel.offsets, self.H)
        return _count(self(e.body), e.rel, self.T)

    def __call__(self, e: Expr):
        f = self.table.get(type(e))
        if f is None:
            raise CRaspError(f"not a C-RASP expression: {e!r}")
        return f(e)


def _refs(e: Expr) -> set[str]:
    return {x.name for x in _walk(e) if isinstance(x, Ref)}


_PLANS: dict[int, tuple] = {}


def _plan(p: Program):
    """Per definition the names whose last use it is (freed after it), cached per Program object."""
    hit = _PLANS.get(id(p))
    if hit is not None and hit[0]() is p:
        return hit[1]
    refs = [_refs(e) for _, e in p.defs]
    last: dict[str, int] = {}
    for k, rs in enumerate(refs):
        for r in rs:
            last[r] = k
    for _, e in p.outputs:
        for r in _refs(e):
            last[r] = len(p.defs)
    free = [[r for r in rs if last.get(r) == k] for k, rs in enumerate(refs)]
    if len(_PLANS) > 64:
        _PLANS.clear()
    _PLANS[id(p)] = (weakref.ref(p), free)
    return free


def run(p: Program, X: np.ndarray, keep: Iterable[str] = ()) -> dict[str, np.ndarray]:
    """Evaluate `p` on the encoded batch X (B, T); returns {output symbol: bool array (B, T)} plus the
    definitions named in `keep`. Definitions are evaluated in order and freed after their last use, so
    programs with tens of thousands of definitions run in bounded memory."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise CRaspError("X must be a 2-D array (batch, positions)")
    keep = set(keep)
    free = _plan(p)
    ev = _Eval(np.ascontiguousarray(X.T), p)
    for k, (name, e) in enumerate(p.defs):
        ev.env[name] = ev(e)
        for r in free[k]:
            if r not in keep:
                ev.env.pop(r, None)
    B, T = X.shape
    full = lambda v: np.ascontiguousarray(np.broadcast_to(v, (T, B)).T)  # noqa: E731
    out = {a: full(ev(e)) for a, e in p.outputs}
    out.update({n: full(ev.env[n]) for n in keep if n in ev.env})
    return out


def evaluate(p: Program, strings: Iterable[Iterable[str]], keep: Iterable[str] = ()) -> dict[str, np.ndarray]:
    """`run` on a list of strings (lists of symbols); positions past a string's end are padding."""
    return run(p, encode(p, strings), keep)


def next_sets(p: Program, strings: Iterable[Iterable[str]]) -> list[list[list[str]]]:
    """Per string and position, the sorted list of output symbols a with NEXT(a) true."""
    strings = [list(s) for s in strings]
    out = evaluate(p, strings)
    syms = list(p.output_symbols)
    stack = np.stack([out[a] for a in syms], axis=-1)   # (B, T, A)
    return [[sorted(syms[k] for k in np.flatnonzero(stack[b, t])) for t in range(len(s))]
            for b, s in enumerate(strings)]
