"""C-RASP type checker and fragment checker (Huang et al. 2025; definition in theory.huang2025.crasp).

`types` assigns "bool" or "count" to every definition and rejects type and scoping errors; `check` decides
the fragment: C-RASP, C-RASP[local], C-RASP[periodic] or C-RASP[periodic, local] (the class of Huang et
al.'s theorem: PERIODIC and LOCAL), with ", hinted" appended for the pelg extension (relations on
Scale-Hint positions, outside the theorem). Non-periodic positional predicates (`pos<=k`) and non-local
relations (`(i - j) mod Delta`) are reported as errors.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theory.huang2025.crasp import (
    CMP_OPS, KEYWORDS, NAME_RE, SYMBOL_RE, Add, And, Cmp, Cond, Const, Count, CRaspError, Expr, Hinted, Local, ModRel,
    Not, Or, Periodic, PosCmp, Program, Ref, Sub, Sym, TrueB, _walk)
from theory.huang2025.printer import _set, print_expr


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
        if not SYMBOL_RE.fullmatch(s):
            raise CRaspError(f"symbol {s!r} contains whitespace or one of ()[]{{}},;")
    for name, e in p.defs:
        if not NAME_RE.match(name) or name in KEYWORDS:
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
        if not SYMBOL_RE.fullmatch(a):
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
