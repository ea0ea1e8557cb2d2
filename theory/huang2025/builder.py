"""Building C-RASP programs in Python (Huang et al. 2025, C-RASP[periodic, local]; definition in
theory.huang2025.crasp): `E` wraps an expression so that Python operators build nodes, `Q`, `T`, `F`,
`mod`, `pos`, `count`, `count_hinted` (pelg extension), `count_mod` (outside the class, for negative
controls), `ite`, `const`, `any_of`, `all_of` make the atoms, and `Builder` collects named definitions
and type-checks the program it returns.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from theory.huang2025.checker import types
from theory.huang2025.crasp import (
    BOOL_NODES, COUNT_NODES, Add, And, Cmp, Cond, Const, Count, CRaspError, Expr, Hinted, Local, ModRel, Not, Or,
    Periodic, PosCmp, Program, Ref, Sub, Sym, TrueB)
from theory.huang2025.printer import print_expr


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
