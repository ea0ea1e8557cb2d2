"""C-RASP text syntax, printer: one expression or program as text (Huang et al. 2025, C-RASP[periodic,
local] as restated in huang2025.md; the grammar is in theory.huang2025.parser's docstring, and
`parse_program(print_program(p)) == p` holds for every program)."""
from __future__ import annotations

from theory.huang2025.crasp import (
    Add, And, Cmp, Cond, Const, Count, CRaspError, Expr, Hinted, Local, Not, Or, Periodic, PosCmp, Program, Ref, Sub,
    Sym, TrueB)

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
