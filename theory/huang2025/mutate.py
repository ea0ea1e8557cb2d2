"""Point mutations of C-RASP programs (Huang et al. 2025; definition in theory.huang2025.crasp), for the
falsification cases of the ledger (theory.huang2025.ledger): a program with one changed comparison,
constant, relation, periodic predicate or symbol is run through the same verification as the original,
which must reject it against the task's reference.

A `Mutation` names a definition (or an output, as "NEXT(a)"), the kind of node to change, the new value,
and which node of that kind (`index`, 0-based in left-to-right preorder of the definition's expression):
* "op": a comparison's operator (`<` -> `<=`, ...);
* "const": a constant's value;
* "offsets": the offsets of a relation (local `i - j in S` or hinted `h(i) - h(j) in S`; the kind of
  relation is kept);
* "periodic": a periodic predicate's (period, residues);
* "symbol": the symbol of a Q(sigma).
A target or node that does not exist, or a mutation that changes nothing, is an error (a falsification
case that silently changed nothing would test nothing).
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from theory.huang2025.checker import types
from theory.huang2025.crasp import Cmp, Const, Count, CRaspError, Expr, Hinted, Local, Periodic, Program, Sym

KINDS = {"op": Cmp, "const": Const, "offsets": Count, "periodic": Periodic, "symbol": Sym}


@dataclass(frozen=True)
class Mutation:
    target: str        # a definition name, or "NEXT(a)" for the output of symbol a
    kind: str          # one of KINDS
    value: object      # the new operator / constant / offsets / (period, residues) / symbol
    index: int = 0     # which node of that kind in the target (preorder, left to right)

    def describe(self) -> str:
        return f"{self.target}: {self.kind} #{self.index} -> {self.value!r}"


def _changed(node: Expr, m: Mutation) -> Expr:
    if m.kind == "op":
        return replace(node, op=str(m.value))
    if m.kind == "const":
        return replace(node, value=int(m.value))
    if m.kind == "offsets":
        if not isinstance(node.rel, (Local, Hinted)):
            raise CRaspError(f"{m.describe()}: count #{m.index} has no local or hinted relation")
        return replace(node, rel=type(node.rel)(tuple(sorted({int(d) for d in m.value}))))
    if m.kind == "periodic":
        period, residues = m.value
        return Periodic(int(period), tuple(sorted({int(r) for r in residues})))
    return Sym(str(m.value))


def _rewrite(e: Expr, m: Mutation, seen: list[int]) -> Expr:
    """`e` with the m.index-th node of kind m.kind (preorder) changed; seen[0] counts the nodes passed."""
    want = KINDS[m.kind]
    if isinstance(e, want) and (m.kind != "offsets" or e.rel is not None):
        seen[0] += 1
        if seen[0] - 1 == m.index:
            return _changed(e, m)
    if not hasattr(e, "__dataclass_fields__"):
        return e
    kids = {f.name: getattr(e, f.name) for f in fields(e)}
    new = {k: (_rewrite(v, m, seen) if hasattr(v, "__dataclass_fields__") and not isinstance(v, (Local, Hinted))
               else v) for k, v in kids.items()}
    return e if all(new[k] is kids[k] for k in kids) else replace(e, **new)


def mutate(p: Program, m: Mutation) -> Program:
    """`p` with the mutation applied (same name, marked in the doc); raises CRaspError if the target or
    the node does not exist or the result does not type-check."""
    if m.kind not in KINDS:
        raise CRaspError(f"unknown mutation kind {m.kind!r}; valid: {', '.join(KINDS)}")
    seen = [0]
    if m.target.startswith("NEXT(") and m.target.endswith(")"):
        a = m.target[5:-1]
        if a not in p.output_symbols:
            raise CRaspError(f"{p.name!r} has no output {m.target}")
        outputs = tuple((s, _rewrite(e, m, seen) if s == a else e) for s, e in p.outputs)
        defs = p.defs
    else:
        if m.target not in dict(p.defs):
            raise CRaspError(f"{p.name!r} has no definition {m.target!r}")
        defs = tuple((n, _rewrite(e, m, seen) if n == m.target else e) for n, e in p.defs)
        outputs = p.outputs
    if seen[0] <= m.index:
        raise CRaspError(f"{m.describe()}: {m.target} has only {seen[0]} node(s) of kind {m.kind!r}")
    if defs == p.defs and outputs == p.outputs:
        raise CRaspError(f"{m.describe()}: the node already has this value (the mutation changes nothing)")
    q = Program(p.name, p.alphabet, defs, outputs, f"{p.doc}\n[mutated: {m.describe()}]")
    types(q)
    return q
