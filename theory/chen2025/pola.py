"""Position-only linear attention (POLA), linear representation complexity (LRC) and the exact length-
generalization criterion of Chen, Liang, Lin 2025 (arXiv 2510.04130) — **[reconstruction]**.

Only the paper's abstract and one figure caption are available; every definition below is OUR
formalization (shared/papers/chen2025.md, "Our formalization"), not the paper's text.

POLA
----
Tokens x_1..x_L; y_i = sum_{j in D_i(n)} a_theta(i, j; n) x_j with coefficients that depend on positions
and the instance scale n only and are linear in theta:  a_theta(i, j; n) = <phi_PE(i, j; n), theta>.
Stacking the coefficients of all pairs (i, j) of the instance layout at scale n gives the linear map
Phi_n: theta -> (a_theta(i, j; n))_{(i, j)}; Phi_S stacks Phi_n over a set S of scales.

Instance layouts (the pairs (i, j) whose coefficient matters), 1-based positions:
* "stream"  (L = n):  every position is an input and an output; pairs j <= i <= n (causal).
* "seq2seq" (L = 2n): inputs x_1..x_n, then n output slots that carry no data; output position n + u
  (u = 1..n) reads the inputs: pairs (n + u, j), 1 <= j <= n. "Output position n + t reads input t" is
  copy = shift by the scale (chen2025.md). The outputs at input rows are not part of the target (as in
  c25.copy, whose target is the output segment only).
* "padded"  (L = 4n): the c25.shift_scale stream: source x_1..x_n _^n (data at 1..n, blanks after), then
  2n output slots; output 2n + u reads the data: pairs (2n + u, j), 1 <= j <= n.
The segment boundary b(n) (n for stream and seq2seq, 2n for padded) is where the Scale Hint restarts the
position count: h = theory.encodings.scale_hint_positions(L, sep_index=b-1, source_start=0, "align") + 1,
so output b + u gets hinted position u (the position of input u); stream positions are not re-indexed.

Feature maps phi_PE(i, j; n) (feature keys are tuples; `PES` lists the names)
* ape       1[(i, j)]                     one parameter per absolute pair (does not see n)
* rpe       1[i - j = d]
* nope      1/i  (one parameter times the causal average weight)
* ipe       1[j = r(i)] and 1[j != r(i)]  with the designated alignment r: r(i) = i on a stream, and
            r(b + u) = u (output u <-> input u, the Scale Hint's pairing) on segment layouts
* periodic  1[(i - j) mod Delta = c]      (Delta = PERIOD = 2; "periodic3" etc. select another Delta)
* sh        1[h(i) - h(j) = d]            RPE on hinted positions; on seq2seq output rows this is
                                          1[i - j - n = d]; on a stream, sh = rpe
* ape+sh    1[(h(i), h(j))]               APE on hinted positions
* lbpe      the union of rpe, nope, ipe, periodic and sh (the learner picks a combination). APE is
            left out: LBPE's features (theory.encodings.lbpe_features) are relational, never absolute.

Targets T = (T^(n))_n, causal position-only linear maps given by their coefficients t(i, j; n) on the
layout's pairs (see `TARGETS`): shift by k, prefix sum, prefix mean, window sum, first token (stream);
copy (= shift by the scale), reverse, shift by k and running sum between segments (seq2seq, the c25
token tasks); shift by the scale in the padded stream (c25.shift_scale).

LRC and the exact criterion
---------------------------
* LRC_S(PE) = rank(Phi_S); LRC_S(PE, T) = the fewest dictionary features representing T on every scale
  of S (for indicator dictionaries: the number of features carrying a non-zero value).
* Representable on S: T_S in range(Phi_S).
* Every interpolator on S generalizes to n  iff  T is representable on S, rowspace(Phi_n) is contained
  in rowspace(Phi_S) (rank([Phi_S; Phi_n]) = rank(Phi_S)), and the common value Phi_n theta equals T^(n).
* The minimum-norm interpolator theta* = Phi_S^+ T_S (the limit of gradient descent from zero on the
  squared loss) generalizes iff Phi_n theta* = T^(n).
Arithmetic: exact rationals (fractions.Fraction, sparse elimination; cross-checked against sympy in the
tests) when every scale involved is <= EXACT_MAX_SCALE = 32; numpy float64 beyond, with the tolerances
RANK_RTOL (a Gram eigenvalue counts iff > RANK_RTOL * largest) and MATCH_ATOL (|Phi_n theta - T| <=
MATCH_ATOL counts as equal). One exception: when T is NOT representable on S, the least-squares fit
Phi_S^+ T_S is computed in float64 in both modes (the prediction is "fails" whatever it does elsewhere;
its error is reported for information).

Predictions (`predictions`): S = {1..8}, test scales 16 and 32; "generalizes" iff T_S is in range(Phi_S)
and the minimum-norm interpolator is exact at both test scales; the reason also states the
every-interpolator (rowspace) criterion, LRC_S(PE) and LRC_S(PE, T).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Callable, Iterable

import numpy as np

from theory.encodings import scale_hint_positions

N_TRAIN = 8                 # training scales S = {1..N_TRAIN}
TEST_SCALES = (16, 32)      # 2N and 4N
EXACT_MAX_SCALE = 32        # exact rational arithmetic up to here, numpy beyond
LRC_MAX_SCALE = 64
RANK_RTOL = 1e-10           # numpy rank: Gram eigenvalues > RANK_RTOL * max eigenvalue count
MATCH_ATOL = 1e-8           # numpy equality of Phi_n theta and T^(n)
PERIOD = 2                  # Delta of the periodic PE
SHIFT_K = 1                 # k of the shift targets
WINDOW = 3                  # width of the window-sum target

LAYOUTS = ("stream", "seq2seq", "padded")
PES = ("ape", "rpe", "nope", "ipe", "periodic", "sh", "ape+sh", "lbpe")
LBPE_PARTS = ("rpe", "nope", "ipe", "periodic", "sh")
PARTITION_PES = ("ape", "rpe", "ipe", "periodic", "sh", "ape+sh")  # one indicator feature per pair

Row = dict  # feature key -> Fraction


# ---------------------------------------------------------------------------------------------------
# layouts
# ---------------------------------------------------------------------------------------------------

def _check_layout(layout: str) -> str:
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; valid: {', '.join(LAYOUTS)}")
    return layout


def _check_scale(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"scale n must be an integer >= 1, got {n!r}")
    return int(n)


def layout_length(layout: str, n: int) -> int:
    """L(n): stream n, seq2seq 2n, padded 4n."""
    return {"stream": 1, "seq2seq": 2, "padded": 4}[_check_layout(layout)] * _check_scale(n)


def boundary(layout: str, n: int) -> int:
    """Last position before the output segment (n for stream and seq2seq, 2n for padded)."""
    return {"stream": 1, "seq2seq": 1, "padded": 2}[_check_layout(layout)] * _check_scale(n)


@lru_cache(maxsize=None)
def pairs(layout: str, n: int) -> tuple[tuple[int, int], ...]:
    """The (i, j) pairs whose coefficient the layout uses at scale n, rows in order (1-based)."""
    n = _check_scale(n)
    if _check_layout(layout) == "stream":
        return tuple((i, j) for i in range(1, n + 1) for j in range(1, i + 1))
    b, L = boundary(layout, n), layout_length(layout, n)
    return tuple((i, j) for i in range(b + 1, L + 1) for j in range(1, n + 1))


@lru_cache(maxsize=None)
def hinted(layout: str, n: int) -> tuple[int, ...]:
    """Hinted positions h(1..L) (index 0 unused) from theory.encodings.scale_hint_positions ("align"),
    with the segment boundary as the separator and no <bos>; stream positions are unchanged."""
    L = layout_length(layout, n)
    h = scale_hint_positions(L, sep_index=boundary(layout, n) - 1, source_start=0, mode="align") + 1
    return (0, *map(int, h))


def aligned(layout: str, n: int, i: int) -> int | None:
    """IPE's designated alignment r(i): i itself on a stream; input u for output b + u elsewhere."""
    if layout == "stream":
        return i
    u = i - boundary(layout, n)
    return u if 1 <= u <= n else None


# ---------------------------------------------------------------------------------------------------
# feature maps
# ---------------------------------------------------------------------------------------------------

def _period(pe: str) -> int | None:
    m = re.fullmatch(r"periodic(\d*)", pe)
    if not m:
        return None
    delta = int(m.group(1) or PERIOD)
    if delta < 1:
        raise ValueError(f"periodic PE needs a period >= 1, got {pe!r}")
    return delta


def check_pe(pe: str) -> str:
    if pe in PES or _period(pe) is not None:
        return pe
    raise ValueError(f"unknown POLA PE {pe!r}; valid: {', '.join(PES)} (or periodic<Delta>)")


def feature(pe: str, layout: str, n: int, i: int, j: int) -> Row:
    """phi_PE(i, j; n) as a sparse dict {feature key: value} (see the module docstring)."""
    one = Fraction(1)
    if pe == "ape":
        return {("ape", i, j): one}
    if pe == "rpe":
        return {("rpe", i - j): one}
    if pe == "nope":
        return {("nope",): Fraction(1, i)}
    if pe == "ipe":
        return {("ipe", "aligned" if j == aligned(layout, n, i) else "other"): one}
    if pe == "sh":
        h = hinted(layout, n)
        return {("sh", h[i] - h[j]): one}
    if pe == "ape+sh":
        h = hinted(layout, n)
        return {("ape+sh", h[i], h[j]): one}
    if pe == "lbpe":
        out: Row = {}
        for part in LBPE_PARTS:
            out.update(feature(part, layout, n, i, j))
        return out
    delta = _period(pe)
    if delta is None:
        check_pe(pe)
    return {("periodic", delta, (i - j) % delta): one}


@lru_cache(maxsize=512)
def phi(pe: str, layout: str, n: int) -> tuple[Row, ...]:
    """Phi_n as sparse rows, one per pair of `pairs(layout, n)`."""
    check_pe(pe)
    return tuple(feature(pe, layout, n, i, j) for i, j in pairs(layout, n))


def phi_stack(pe: str, layout: str, scales: Iterable[int]) -> list[Row]:
    """Phi_S: the rows of Phi_n for every n in S, stacked in the order of S."""
    return [r for n in scales for r in phi(pe, layout, n)]


# ---------------------------------------------------------------------------------------------------
# targets
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """A family T^(n) of causal position-only linear maps, by its coefficient t(i, j; n) on the pairs
    of `layout`; `task` is the pelg task whose instances it abstracts (or a descriptive pola.* name)."""

    name: str
    task: str
    layout: str
    coef: Callable[[int, int, int], Fraction]
    description: str


def _ind(b: bool) -> Fraction:
    return Fraction(int(b))


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("shift_k", "pola.shift_k", "stream", lambda i, j, n: _ind(i - j == SHIFT_K),
           f"y_i = x_(i-{SHIFT_K}) on a stream of n positions"),
    Target("prefix_sum", "pola.prefix_sum", "stream", lambda i, j, n: Fraction(1),
           "y_i = x_1 + .. + x_i"),
    Target("prefix_mean", "pola.prefix_mean", "stream", lambda i, j, n: Fraction(1, i),
           "y_i = (x_1 + .. + x_i) / i"),
    Target("window_sum", "pola.window_sum", "stream", lambda i, j, n: _ind(i - j < WINDOW),
           f"y_i = x_(i-{WINDOW - 1}) + .. + x_i"),
    Target("first_token", "pola.first_token", "stream", lambda i, j, n: _ind(j == 1), "y_i = x_1"),
    Target("copy", "c25.copy", "seq2seq", lambda i, j, n: _ind(j == i - n),
           "output n + u reads input u (copy = shift by the scale)"),
    Target("reverse", "c25.reverse", "seq2seq", lambda i, j, n: _ind(j == 2 * n + 1 - i),
           "output n + u reads input n + 1 - u"),
    Target("shift_k_seq", "c25.shift_k", "seq2seq", lambda i, j, n: _ind(j == i - n - SHIFT_K),
           f"output n + u reads input u - {SHIFT_K} (0 for u <= {SHIFT_K})"),
    Target("running_sum_seq", "c25.running_sum_tokens", "seq2seq", lambda i, j, n: _ind(j <= i - n),
           "output n + u = x_1 + .. + x_u (the token task takes it mod 10)"),
    Target("shift_scale", "c25.shift_scale", "padded", lambda i, j, n: _ind(j == i - 3 * n),
           "stream x_1..x_n _^n; output 2n + u reads input u - n (0 for u <= n)"),
)}


def check_target(name: str) -> Target:
    if name not in TARGETS:
        raise ValueError(f"unknown POLA target {name!r}; valid: {', '.join(TARGETS)}")
    return TARGETS[name]


@lru_cache(maxsize=None)
def target_values(name: str, n: int) -> tuple[Fraction, ...]:
    """T^(n) on the pairs of the target's layout (same order as `phi`)."""
    t = check_target(name)
    return tuple(t.coef(i, j, n) for i, j in pairs(t.layout, _check_scale(n)))


def target_matrix(name: str, n: int) -> np.ndarray:
    """T^(n) as a dense float (L, L) matrix (zero outside the layout's pairs)."""
    t = check_target(name)
    L = layout_length(t.layout, n)
    out = np.zeros((L, L))
    for (i, j), v in zip(pairs(t.layout, n), target_values(name, n)):
        out[i - 1, j - 1] = float(v)
    return out


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


def _distinct(rows: Iterable[Row]) -> list[Row]:
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
    rows = _distinct(rows)
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
    return theta, _equal(apply(theta, rows), values, False)


def apply(theta: dict, rows: Iterable[Row]) -> list:
    """Phi theta: the coefficient of each row (features missing from theta count as 0)."""
    zero = Fraction(0) if all(isinstance(v, Fraction) for v in theta.values()) else 0.0
    return [sum((v * theta[k] for k, v in r.items() if k in theta), zero) for r in rows]


def _max_err(pred: list, target: Iterable[Fraction]) -> float:
    return max((abs(float(p - t)) if isinstance(p, Fraction) else abs(p - float(t))
                for p, t in zip(pred, target)), default=0.0)


def _equal(pred: list, target: Iterable[Fraction], exact: bool) -> bool:
    if exact:
        return all(p == t for p, t in zip(pred, target))
    return _max_err(pred, target) <= MATCH_ATOL


# ---------------------------------------------------------------------------------------------------
# LRC, representability and the criterion
# ---------------------------------------------------------------------------------------------------

def _auto_exact(exact: bool | None, scales: Iterable[int]) -> bool:
    return max(scales) <= EXACT_MAX_SCALE if exact is None else bool(exact)


def lrc(pe: str, layout: str, scales: Iterable[int], exact: bool | None = None) -> int:
    """LRC_S(PE) = rank(Phi_S)."""
    scales = list(scales)
    return rank(phi_stack(check_pe(pe), _check_layout(layout), scales), _auto_exact(exact, scales))


def _stacked_target(name: str, scales: list[int]) -> list[Fraction]:
    return [v for n in scales for v in target_values(name, n)]


def representable(pe: str, target: str, scales: Iterable[int], exact: bool | None = None) -> bool:
    """T_S in range(Phi_S)."""
    scales = list(scales)
    ex = _auto_exact(exact, scales)
    t = check_target(target)
    return min_norm(phi_stack(pe, t.layout, scales), _stacked_target(target, scales), ex)[1]


def target_lrc(pe: str, target: str, scales: Iterable[int]) -> tuple[int | None, bool]:
    """LRC_S(PE, T) and whether it is exact. Indicator (partition) dictionaries: T is representable iff
    its coefficient is constant on each feature's class, and the count is the number of classes with a
    non-zero value (exact). NoPE: 1 if t(i, j; n) * i is one constant c != 0 on all pairs. LBPE: the
    smallest count among its parts, an upper bound (flag False). None: not representable on S."""
    scales = list(scales)
    t = check_target(target)
    check_pe(pe)
    if pe == "lbpe":
        counts = [target_lrc(part, target, scales)[0] for part in LBPE_PARTS]
        counts = [c for c in counts if c is not None]
        return (min(counts) if counts else None), False
    if pe == "nope":
        cs = {v * i for n in scales for (i, j), v in zip(pairs(t.layout, n), target_values(target, n))}
        if len(cs) != 1:
            return None, True
        return (0 if cs == {0} else 1), True
    value: dict = {}
    for n in scales:
        for row, v in zip(phi(pe, t.layout, n), target_values(target, n)):
            (key,) = row
            if value.setdefault(key, v) != v:
                return None, True
    return sum(1 for v in value.values() if v != 0), True


@dataclass
class Criterion:
    """The numbers behind one (PE, target, S, test scale) prediction."""

    pe: str
    target: str
    train_scales: tuple[int, ...]
    test_scale: int
    exact: bool
    rank_train: int                   # LRC_S(PE) = rank Phi_S
    rank_joint: int                   # rank [Phi_S; Phi_n]
    representable_train: bool         # T_S in range(Phi_S)
    min_norm_exact: bool              # Phi_n Phi_S^+ T_S == T^(n)
    max_abs_error: float              # max |Phi_n theta* - T^(n)|

    @property
    def rowspace_inclusion(self) -> bool:
        return self.rank_joint == self.rank_train

    @property
    def every_interpolator_generalizes(self) -> bool:
        return self.representable_train and self.rowspace_inclusion and self.min_norm_exact

    @property
    def min_norm_generalizes(self) -> bool:
        return self.representable_train and self.min_norm_exact


@lru_cache(maxsize=None)
def _train(pe: str, target: str, scales: tuple[int, ...], exact: bool):
    t = check_target(target)
    rows = phi_stack(pe, t.layout, scales)
    vals = _stacked_target(target, list(scales))
    theta, fit = min_norm(rows, vals, exact)
    basis = None
    if exact:
        basis = RowBasis()
        for r in _distinct(rows):
            basis.add(r)
    return rows, theta, fit, basis


def criterion(pe: str, target: str, train_scales: Iterable[int], test_scale: int,
              exact: bool | None = None) -> Criterion:
    """Both LG criteria for training scales S and test scale n (see the module docstring)."""
    check_pe(pe)
    t = check_target(target)
    S = tuple(_check_scale(s) for s in train_scales)
    n = _check_scale(test_scale)
    ex = _auto_exact(exact, [*S, n])
    rows, theta, fit, basis = _train(pe, target, S, ex)
    test_rows = phi(pe, t.layout, n)
    if ex:
        # rank [Phi_S; Phi_n] = rank Phi_S + rank of the test rows reduced modulo the (reduced echelon)
        # training basis: the reduced rows vanish on every training pivot, so their span meets
        # rowspace(Phi_S) only in 0
        extra = RowBasis()
        for r in _distinct(test_rows):
            red = basis.reduce(r)
            if red:
                extra.add(red)
        r_train, r_joint = basis.rank, basis.rank + extra.rank
    else:
        r_train, r_joint = rank(rows, False), rank(list(rows) + list(test_rows), False)
    pred = apply(theta, test_rows)
    truth = target_values(target, n)
    equal = _equal(pred, truth, ex and fit)  # a float least-squares fit is compared with MATCH_ATOL
    return Criterion(pe, target, S, n, ex, r_train, r_joint, fit, equal, _max_err(pred, truth))


# ---------------------------------------------------------------------------------------------------
# "PEs do not expand computational capabilities"
# ---------------------------------------------------------------------------------------------------

def _grid(layout: str, n: int):
    """Every (i, j) of the full L x L grid (1-based, row-major) and the layout's pair mask."""
    L = layout_length(layout, n)
    i, j = np.divmod(np.arange(L * L), L)
    i, j = i + 1, j + 1
    if layout == "stream":
        mask = j <= i
    else:
        mask = (i > boundary(layout, n)) & (j <= n)
    return L, i, j, mask


def feature_coo(pe: str, layout: str, n: int, masked: bool = True):
    """Vectorized Phi_n over the FULL L x L grid as COO triplets (grid row r = (i-1) L + (j-1), column
    id, value); the same feature map as `feature` (a test compares them). The POLA's mask keeps only the
    layout's pairs (coefficients elsewhere are 0); masked=False evaluates the feature map everywhere,
    j > i included (the negative control of `inclusion`). Columns of different parts never collide."""
    check_pe(pe)
    L, i, j, mask = _grid(layout, n)
    h = np.asarray(hinted(layout, n))
    parts = LBPE_PARTS if pe == "lbpe" else (pe,)
    rows, cols, vals, offset = [], [], [], 0
    r = np.arange(L * L)
    for part in parts:
        if part == "nope":
            key, val = np.zeros_like(i), 1.0 / i
        elif part == "ape":
            key, val = i * (L + 1) + j, np.ones(L * L)
        elif part == "ape+sh":
            key, val = h[i] * (L + 1) + h[j], np.ones(L * L)
        elif part == "rpe":
            key, val = i - j, np.ones(L * L)
        elif part == "sh":
            key, val = h[i] - h[j], np.ones(L * L)
        elif part == "ipe":
            b = boundary(layout, n)
            al = i if layout == "stream" else np.where((i - b >= 1) & (i - b <= n), i - b, -1)
            key, val = (j == al).astype(np.int64), np.ones(L * L)
        else:
            delta = _period(part)
            key, val = (i - j) % delta, np.ones(L * L)
        keep = mask if masked else np.ones(L * L, bool)
        _, col = np.unique(key[keep], return_inverse=True)
        rows.append(r[keep])
        cols.append(col.ravel() + offset)
        vals.append(val[keep])
        offset += int(col.max()) + 1 if col.size else 0
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), mask


def inclusion(pe: str, layout: str, n: int, masked: bool = True) -> dict:
    """range(Phi_n^PE) within range(Phi_n^APE), both on the full L x L coefficient grid.
    Phi_n^APE is checked to have 0/1 columns with exactly one entry each, on distinct grid rows (its
    Gram matrix is the identity), so the orthogonal projector onto its range is P = diag(s) with s the
    0/1 indicator of the rows APE covers; the inclusion is P Phi_PE = Phi_PE, i.e. every non-zero
    entry of Phi_PE lies on a row APE covers. Exact: the check only compares supports."""
    ar, ac, av, mask = feature_coo("ape", layout, n)
    gram_identity = bool(np.all(av == 1) and len(np.unique(ac)) == len(ac) and len(np.unique(ar)) == len(ar))
    covered = np.zeros(mask.size, bool)
    covered[ar] = True
    br, _, bv, _ = feature_coo(pe, layout, n, masked=masked)
    outside = int(np.sum((bv != 0) & ~covered[br]))
    return {"pe": pe, "layout": layout, "n": n, "included": gram_identity and outside == 0,
            "ape_gram_identity": gram_identity, "rank_ape": int(len(ac)),
            "entries_outside_ape_range": outside}


def joint_inclusion(pe: str, target: str, scales: Iterable[int]) -> tuple[bool, bool]:
    """The across-scales reading: (T_S in range(Phi_S^PE), T_S in range(Phi_S^APE)) for one theta
    shared by all scales of S. Plain APE does not see n, so a scale-dependent family can be in the first
    range and not in the second (e.g. copy with sh or ipe)."""
    scales = list(scales)
    return representable(pe, target, scales), representable("ape", target, scales)


# ---------------------------------------------------------------------------------------------------
# curves and predictions
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


def lrc_curve(pe: str, layout: str, n_max: int = LRC_MAX_SCALE, exact_max: int = EXACT_MAX_SCALE) -> list[int]:
    """LRC_{1..n}(PE) = rank Phi_{1..n} for n = 1..n_max: exact for n <= exact_max, numpy beyond (both
    incremental; the numpy accumulator is fed every scale from 1, so it never depends on the exact one)."""
    check_pe(pe)
    _check_layout(layout)
    out = []
    ex = IncrementalRank(exact=True)
    fl = IncrementalRank(exact=False) if n_max > exact_max else None
    for n in range(1, n_max + 1):
        rows = [feature(pe, layout, n, i, j) for i, j in pairs(layout, n)]
        if n <= exact_max:
            ex.add(rows)
        if fl is not None:
            fl.add(rows)
        out.append(ex.rank if n <= exact_max else fl.rank)
    return out


def target_lrc_curve(pe: str, target: str, n_max: int = LRC_MAX_SCALE) -> list[int | None]:
    """LRC_{1..n}(PE, T) for n = 1..n_max (None once T is not representable on {1..n}); incremental
    version of `target_lrc` (exact rationals at every n: it only compares coefficient values)."""
    check_pe(pe)
    t = check_target(target)
    if pe == "lbpe":
        curves = [target_lrc_curve(part, target, n_max) for part in LBPE_PARTS]
        return [min((c[k] for c in curves if c[k] is not None), default=None) for k in range(n_max)]
    out: list = []
    value: dict = {}
    broken = False
    for n in range(1, n_max + 1):
        for (i, j) in pairs(t.layout, n):
            if broken:
                break
            v = t.coef(i, j, n)
            if pe == "nope":
                key, v = ("nope",), v * i
            else:
                (key,) = feature(pe, t.layout, n, i, j)
            if value.setdefault(key, v) != v:
                broken = True
        out.append(None if broken else sum(1 for v in value.values() if v != 0))
    return out


def _fmt_err(e: float) -> str:
    return "0" if e == 0 else f"{e:.3g}"


def prediction(target: str, pe: str, n_train: int = N_TRAIN, test_scales: tuple[int, ...] = TEST_SCALES) -> dict:
    """One record of `predictions` (cached; a fresh copy per call)."""
    return dict(_prediction(target, pe, int(n_train), tuple(int(n) for n in test_scales)))


@lru_cache(maxsize=None)
def _prediction(target: str, pe: str, n_train: int, test_scales: tuple[int, ...]) -> dict:
    """One record: "generalizes" iff T is representable on S = {1..n_train} and the minimum-norm
    interpolator is exact at every test scale; the reason also states the every-interpolator criterion
    (rowspace inclusion) and the LRCs."""
    t = check_target(target)
    S = tuple(range(1, n_train + 1))
    crits = [criterion(pe, target, S, n) for n in test_scales]
    c0 = crits[0]
    tl, tl_exact = target_lrc(pe, target, S)
    gen = all(c.min_norm_generalizes for c in crits)
    parts = [f"[reconstruction] POLA {t.layout}; S=1..{n_train}: LRC_S=rank Phi_S={c0.rank_train}, "
             f"T_S in range: {'yes' if c0.representable_train else 'no'}, LRC_S(PE,T)="
             f"{'-' if tl is None else ('' if tl_exact else '<=') + str(tl)}"]
    for c in crits:
        parts.append(f"n={c.test_scale}: rank[Phi_S;Phi_n]={c.rank_joint} (rowspace incl. "
                     f"{'yes' if c.rowspace_inclusion else 'no'}), min-norm max err {_fmt_err(c.max_abs_error)}")
    parts.append("every interpolator generalizes: " + ("yes" if all(c.every_interpolator_generalizes for c in crits) else "no"))
    return {
        "task": t.task, "pe": pe, "theory": "lrc", "prediction": "generalizes" if gen else "fails",
        "reason": "; ".join(parts), "target": target, "layout": t.layout, "train_scales": list(S),
        "test_scales": list(test_scales), "lrc_train": c0.rank_train, "target_lrc": tl,
        "target_lrc_exact": tl_exact, "representable_train": c0.representable_train,
        "rowspace_inclusion": {str(c.test_scale): c.rowspace_inclusion for c in crits},
        "min_norm_exact": {str(c.test_scale): c.min_norm_exact for c in crits},
        "min_norm_max_abs_error": {str(c.test_scale): c.max_abs_error for c in crits},
        "every_interpolator_generalizes": all(c.every_interpolator_generalizes for c in crits),
        "arithmetic": "exact rationals" if all(c.exact for c in crits) else f"numpy (atol {MATCH_ATOL})",
    }


def predictions(pes: Iterable[str] = PES, targets: Iterable[str] = tuple(TARGETS)) -> list[dict]:
    """LRC-criterion predictions, one record per (target, PE) (contract of `pelg predict`)."""
    return [prediction(t, pe) for t in targets for pe in pes]
