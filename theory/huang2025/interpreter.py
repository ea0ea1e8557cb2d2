"""The vectorized C-RASP interpreter (Huang et al. 2025, C-RASP[periodic, local]; definition in
theory.huang2025.crasp; the pelg `hinted` relation on theory.encodings.scale_hint_positions).

The interpreter evaluates a program on a batch of strings at once: symbols as an int array (B, T) with
-1 for right padding (every operation is causal, so padding never changes an earlier position),
Booleans as bool arrays and counts as int32 arrays, each definition one numpy operation over (B, T).
"""
from __future__ import annotations

import weakref
from typing import Iterable

import numpy as np

from theory.encodings import scale_hint_positions
from theory.huang2025.crasp import (
    HINT_SEPARATOR, Add, And, Cmp, Cond, Const, Count, CRaspError, Expr, Hinted, Local, ModRel, Not, Or, Periodic,
    PosCmp, Program, Ref, Sub, Sym, TrueB, _walk)


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
