"""C-RASP[periodic, local]: the definition and its representation (frozen dataclasses, one per node).

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

pelg extension [not in Huang et al.; our mapping for IPE and Scale Hint, see theory.huang2025.predictions]: the relation
`h(i) - h(j) in S` on Scale-Hint positions h (theory.encodings.scale_hint_positions, "align" mode: the
sequence is `<bos> source <sep> target`, target token k gets source token k's position; without a `<sep>`
h is the identity). S is a finite set of integers (negative offsets are possible: hinted positions are
not monotone). A program that uses it is in C-RASP[..., hinted], outside the class of the theorem.

The representation can also state two things that are NOT in the class, so that the checker has
something to reject: a non-periodic positional predicate `pos<=k` / `pos==k` / `pos>=k` (a threshold on
the absolute position violates PERIODIC) and the relation `(i - j) mod Delta in R` in a count (unbounded
support, violates LOCAL). The interpreter evaluates them all the same.

The other parts of the library: theory.huang2025.printer and theory.huang2025.parser (the text syntax),
theory.huang2025.checker (types and the fragment), theory.huang2025.builder (building programs in Python),
theory.huang2025.interpreter (vectorized evaluation).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Union

CMP_OPS = ("<=", "<", ">=", ">", "==", "!=")
POS_OPS = ("<=", "==", ">=")
SYMBOL_RE = re.compile(r"[^\s()\[\]{},;]+")


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
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


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
# traversal and abbreviations
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
