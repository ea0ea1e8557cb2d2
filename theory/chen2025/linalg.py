"""Exact sparse linear algebra over the rationals (with a numpy float64 fallback) for the LRC criterion of
Chen, Liang, Lin 2025 (arXiv 2510.04130) — **[reconstruction]**: ranks of stacked feature rows and the
minimum-norm interpolator theta* = Phi^+ T (used by `theory.chen2025.lrc` on the POLA of
`theory.chen2025.pola`).

A row is a sparse dict {feature key: value} (`Row`). Arithmetic: exact rationals (fractions.Fraction,
sparse elimination; cross-checked against sympy in the tests), or numpy float64 with the tolerances
RANK_RTOL (a Gram eigenvalue counts iff > RANK_RTOL * largest) and MATCH_ATOL (|Phi_n theta - T| <=
MATCH_ATOL counts as equal); which one a caller uses is its choice (`theory.chen2025.lrc` switches at
EXACT_MAX_SCALE). One exception: when T is NOT in the range, the least-squares fit Phi^+ T is computed
in float64 in both modes (`min_norm`).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Iterable

import numpy as np

RANK_RTOL = 1e-10           # numpy rank: Gram eigenvalues > RANK_RTOL * max eigenvalue count
MATCH_ATOL = 1e-8           # numpy equality of Phi_n theta and T^(n)

Row = dict  # feature key -> Fraction


# ---------------------------------------------------------------------------------------------------
# exact sparse linear algebra over the rationals
# ---------------------------------------------------------------------------------------------------

class RowBasis:
    """A fully reduced echelon basis of a row space (exact, sparse): each basis row has a pivot feature
    with coefficient 1 that no other basis row contains. `cols` indexes, per feature, the pivots whose
    rows contain it, so adding a row touches only the rows it must."""

    def __init__(self, avoid=None):
        self.rows: dict = {}   # pivot feature -> row
        self.cols: dict = {}   # feature -> set of pivots whose row has a non-zero there
        self.avoid = avoid     # a key chosen as pivot only when nothing else is left

    def copy(self) -> "RowBasis":
        out = RowBasis(self.avoid)
        out.rows = {k: dict(v) for k, v in self.rows.items()}
        out.cols = {k: set(v) for k, v in self.cols.items()}
        return out

    def reduce(self, row: Row) -> Row:
        r = {k: (v if isinstance(v, Fraction) else Fraction(v)) for k, v in row.items() if v != 0}
        for k in [k for k in r if k in self.rows]:
            c = r.get(k, 0)
            if c:
                for kk, vv in self.rows[k].items():
                    nv = r.get(kk, 0) - c * vv
                    if nv:
                        r[kk] = nv
                    else:
                        r.pop(kk, None)
        return r

    def _set(self, pivot, key, value) -> None:
        row = self.rows[pivot]
        if value:
            row[key] = value
            self.cols.setdefault(key, set()).add(pivot)
        elif key in row:
            del row[key]
            self.cols[key].discard(pivot)

    def add(self, row: Row) -> bool:
        """Add a row; True if it enlarged the span."""
        r = self.reduce(row)
        if not r:
            return False
        pivot = next((k for k in r if k != self.avoid), self.avoid)
        c = r[pivot]
        r = {k: v / c for k, v in r.items()}
        for other in list(self.cols.get(pivot, ())):
            a = self.rows[other][pivot]
            for kk, vv in r.items():
                self._set(other, kk, self.rows[other].get(kk, 0) - a * vv)
        self.rows[pivot] = {}
        for kk, vv in r.items():
            self._set(pivot, kk, vv)
        return True

    def contains(self, row: Row) -> bool:
        return not self.reduce(row)

    @property
    def rank(self) -> int:
        return len(self.rows)


def _row_key(row: Row) -> frozenset:
    return frozenset((k, v) for k, v in row.items() if v != 0)


def distinct_rows(rows: Iterable[Row]) -> list[Row]:
    seen, out = set(), []
    for r in rows:
        key = _row_key(r)
        if key and key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _components(rows: list[Row]) -> list[tuple[list, list[int]]]:
    """Connected components of the row-feature incidence graph: (features, row indices) per component.
    Rank and minimum-norm solutions decompose over them."""
    parent: dict = {}

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for r in rows:
        keys = [k for k, v in r.items() if v != 0]
        for k in keys:
            parent.setdefault(k, k)
        for k in keys[1:]:
            ra, rb = find(keys[0]), find(k)
            if ra != rb:
                parent[rb] = ra
    feats: dict = {}
    members: dict = {}
    for k in parent:
        feats.setdefault(find(k), []).append(k)
    for idx, r in enumerate(rows):
        keys = [k for k, v in r.items() if v != 0]
        if keys:
            members.setdefault(find(keys[0]), []).append(idx)
    return [(feats[root], members.get(root, [])) for root in feats]


def _solve_consistent(A: list[list[Fraction]], b: list[Fraction]) -> list[Fraction] | None:
    """A particular solution of A z = b (free variables 0) by exact Gauss-Jordan; None if inconsistent."""
    m, p = len(A), len(A[0]) if A else 0
    M = [list(row) + [bb] for row, bb in zip(A, b)]
    piv_cols, r = [], 0
    for c in range(p):
        pr = next((k for k in range(r, m) if M[k][c] != 0), None)
        if pr is None:
            continue
        M[r], M[pr] = M[pr], M[r]
        inv = 1 / M[r][c]
        M[r] = [v * inv for v in M[r]]
        for k in range(m):
            if k != r and M[k][c] != 0:
                f = M[k][c]
                M[k] = [vk - f * vr for vk, vr in zip(M[k], M[r])]
        piv_cols.append(c)
        r += 1
        if r == m:
            break
    if any(M[k][p] != 0 for k in range(r, m)):
        return None
    z = [Fraction(0)] * p
    for k, c in enumerate(piv_cols):
        z[c] = M[k][p]
    return z


def rank(rows: list[Row], exact: bool = True) -> int:
    """rank of the stacked rows: exact sparse elimination, or numpy per component (Gram eigenvalues
    > RANK_RTOL * largest)."""
    rows = distinct_rows(rows)
    if exact:
        basis = RowBasis()
        for r in rows:
            basis.add(r)
        return basis.rank
    total = 0
    for feats, idx in _components(rows):
        if len(feats) == 1:
            total += 1
            continue
        col = {k: c for c, k in enumerate(feats)}
        M = np.zeros((len(idx), len(feats)))
        for a, ri in enumerate(idx):
            for k, v in rows[ri].items():
                M[a, col[k]] = float(v)
        ev = np.linalg.eigvalsh(M.T @ M)
        total += int(np.sum(ev > RANK_RTOL * ev.max()))
    return total


_Y = ("__target__",)  # the augmented column of [Phi | T] in exact elimination


def _fit_exact(rows: list[Row], values: list) -> tuple[dict, bool]:
    """Exact minimum-norm interpolator per component: eliminate the augmented rows [phi | t] (a row
    reducing to t alone means T is not in the range), take the particular solution theta_p (free
    features 0) and project it onto rowspace(Phi) = null(Phi)^perp:
    theta = theta_p - N (N^T N)^{-1} N^T theta_p, N the null-space basis read off the reduced rows."""
    by_key: dict = {}
    for r, v in zip(rows, values):
        key = _row_key(r)
        if not key:
            if v != 0:
                return {}, False
            continue
        if by_key.setdefault(key, (r, Fraction(v)))[1] != v:
            return {}, False
    distinct = [rv for rv in by_key.values()]
    theta: dict = {}
    for feats, idx in _components([r for r, _ in distinct]):
        basis = RowBasis(avoid=_Y)
        for k in idx:
            r, v = distinct[k]
            aug = dict(r)
            aug[_Y] = v
            basis.add(aug)
            if _Y in basis.rows:
                return {}, False
        pivots = set(basis.rows)
        free = [f for f in feats if f not in pivots]
        th = {f: Fraction(0) for f in feats}
        for pv, row in basis.rows.items():
            th[pv] = Fraction(row.get(_Y, 0))
        if free:
            null = []
            for f in free:
                v = {f: Fraction(1)}
                for pv, row in basis.rows.items():
                    if f in row:
                        v[pv] = -row[f]
                null.append(v)
            NtN = [[sum((a[k] * b[k] for k in a if k in b), Fraction(0)) for b in null] for a in null]
            Ntt = [sum((a[k] * th[k] for k in a), Fraction(0)) for a in null]
            w = _solve_consistent(NtN, Ntt)
            for wk, vec in zip(w, null):
                if wk:
                    for k, x in vec.items():
                        th[k] -= wk * x
        theta.update(th)
    return theta, True


def _fit_numpy(rows: list[Row], values: list) -> dict:
    """float64 minimum-norm least squares per component (numpy lstsq)."""
    theta: dict = {}
    for feats, idx in _components(rows):
        col = {k: c for c, k in enumerate(feats)}
        M = np.zeros((len(idx), len(feats)))
        y = np.array([float(values[ri]) for ri in idx])
        for a, ri in enumerate(idx):
            for k, v in rows[ri].items():
                M[a, col[k]] = float(v)
        theta.update(zip(feats, np.linalg.lstsq(M, y, rcond=None)[0].tolist()))
    return theta


def min_norm(rows: list[Row], values: list, exact: bool = True) -> tuple[dict, bool]:
    """theta* = Phi^+ T and whether T is in range(Phi). If T is in the range, theta* is the minimum-norm
    interpolator (exact Fractions when exact=True). Otherwise theta* is the minimum-norm least-squares
    fit, computed in float64 in both modes (a non-representable target is predicted to fail whatever
    the fit does at other scales)."""
    if exact:
        theta, ok = _fit_exact(rows, values)
        if ok:
            return theta, True
        return _fit_numpy(rows, values), False
    theta = _fit_numpy(rows, values)
    return theta, values_match(apply(theta, rows), values, False)


def apply(theta: dict, rows: Iterable[Row]) -> list:
    """Phi theta: the coefficient of each row (features missing from theta count as 0)."""
    zero = Fraction(0) if all(isinstance(v, Fraction) for v in theta.values()) else 0.0
    return [sum((v * theta[k] for k, v in r.items() if k in theta), zero) for r in rows]


def max_abs_error(pred: list, target: Iterable[Fraction]) -> float:
    return max((abs(float(p - t)) if isinstance(p, Fraction) else abs(p - float(t))
                for p, t in zip(pred, target)), default=0.0)


def values_match(pred: list, target: Iterable[Fraction], exact: bool) -> bool:
    if exact:
        return all(p == t for p, t in zip(pred, target))
    return max_abs_error(pred, target) <= MATCH_ATOL


# ---------------------------------------------------------------------------------------------------
# incremental rank (the LRC curves)
# ---------------------------------------------------------------------------------------------------

class IncrementalRank:
    """rank of a growing stack of rows. Exact: a RowBasis over the distinct rows. Numpy: while every row
    has a single non-zero feature the rank is the number of distinct features (exact); otherwise a
    dense float64 Gram matrix G = sum r r^T over a growing feature index, and rank = #{eigenvalues of
    G > RANK_RTOL * largest} (duplicated rows do not change the rank of G)."""

    MAX_DENSE = 4000

    def __init__(self, exact: bool):
        self.exact = exact
        self.basis = RowBasis()
        self.seen: set = set()
        self.single: set = set()        # features of single-feature rows (numpy mode)
        self.index: dict = {}
        self.rows: list = []            # multi-feature rows not yet in G (numpy mode)
        self.G = np.zeros((0, 0))
        self.any_multi = False

    def add(self, rows: Iterable[Row]) -> None:
        for r in rows:
            items = [(k, v) for k, v in r.items() if v != 0]
            if not items:
                continue
            if self.exact:
                key = frozenset(items)
                if key not in self.seen:
                    self.seen.add(key)
                    self.basis.add(r)
                continue
            if len(items) > 1:
                self.any_multi = True
            self.rows.append(items)

    def _flush(self) -> None:
        if not self.any_multi:
            self.single.update(items[0][0] for items in self.rows)
            self.rows = []
            return
        if self.single:  # switch to the dense Gram: replay the single-feature rows seen so far
            self.rows = [[(k, Fraction(1))] for k in self.single] + self.rows
            self.single = set()
        for items in self.rows:
            for k, _ in items:
                self.index.setdefault(k, len(self.index))
        p = len(self.index)
        if p > self.MAX_DENSE:
            raise ValueError(f"numpy rank: {p} features exceed the dense limit {self.MAX_DENSE}")
        if p > self.G.shape[0]:
            G = np.zeros((p, p))
            G[: self.G.shape[0], : self.G.shape[0]] = self.G
            self.G = G
        if self.rows:
            cols = np.array([self.index[k] for items in self.rows for k, _ in items])
            vals = np.array([float(v) for items in self.rows for _, v in items])
            rid = np.repeat(np.arange(len(self.rows)), [len(items) for items in self.rows])
            M = np.zeros((len(self.rows), p))
            M[rid, cols] = vals
            self.G += M.T @ M
        self.rows = []

    @property
    def rank(self) -> int:
        if self.exact:
            return self.basis.rank
        self._flush()
        if not self.any_multi:
            return len(self.single)
        ev = np.linalg.eigvalsh(self.G)
        return int(np.sum(ev > RANK_RTOL * ev.max())) if ev.size else 0
