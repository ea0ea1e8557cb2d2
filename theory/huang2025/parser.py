"""C-RASP text syntax, parser (Huang et al. 2025, C-RASP[periodic, local] as restated in huang2025.md;
the printer is theory.huang2025.printer).

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
`#[j<=i, i-j mod D in {r,...}] atom`, `#[j<=i, h(i)-h(j) in {d,...}] atom` (d may be negative), a defined
name, `( expr )`. A symbol is any run of characters without whitespace or ``()[]{},;``.
"""
from __future__ import annotations

import re

from theory.huang2025.checker import types
from theory.huang2025.crasp import (
    CMP_OPS, KEYWORDS, Add, And, Cmp, Cond, Const, Count, CRaspError, Expr, Hinted, Local, ModRel, Not, Or, Periodic,
    PosCmp, Program, Ref, Sub, Sym, TrueB)

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
