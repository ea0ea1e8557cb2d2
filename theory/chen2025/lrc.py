"""Linear representation complexity (LRC) and the exact length-generalization criterion of Chen, Liang,
Lin 2025 (arXiv 2510.04130) — **[reconstruction]**, on the POLA of `theory.chen2025.pola`; the
predictions of `pelg predict --theory lrc`.

Only the paper's abstract and one figure caption are available; every definition below is OUR
formalization (shared/papers/chen2025.md, "Our formalization"), not the paper's text.

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

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Iterable

from theory.chen2025.linalg import (MATCH_ATOL, IncrementalRank, RowBasis, apply, distinct_rows, max_abs_error,
                                    min_norm, rank, values_match)
from theory.chen2025.pola import (PES, TARGETS, check_layout, check_pe, check_scale, check_target, feature, pairs,
                                  phi, phi_stack, target_values, union_parts)

N_TRAIN = 8                 # training scales S = {1..N_TRAIN}
TEST_SCALES = (16, 32)      # 2N and 4N
EXACT_MAX_SCALE = 32        # exact rational arithmetic up to here, numpy beyond
LRC_MAX_SCALE = 64


# ---------------------------------------------------------------------------------------------------
# LRC, representability and the criterion
# ---------------------------------------------------------------------------------------------------

def _auto_exact(exact: bool | None, scales: Iterable[int]) -> bool:
    return max(scales) <= EXACT_MAX_SCALE if exact is None else bool(exact)


def lrc(pe: str, layout: str, scales: Iterable[int], exact: bool | None = None) -> int:
    """LRC_S(PE) = rank(Phi_S)."""
    scales = list(scales)
    return rank(phi_stack(check_pe(pe), check_layout(layout), scales), _auto_exact(exact, scales))


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
    if union_parts(pe) is not None:
        counts = [target_lrc(part, target, scales)[0] for part in union_parts(pe)]
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
        for r in distinct_rows(rows):
            basis.add(r)
    return rows, theta, fit, basis


def criterion(pe: str, target: str, train_scales: Iterable[int], test_scale: int,
              exact: bool | None = None) -> Criterion:
    """Both LG criteria for training scales S and test scale n (see the module docstring)."""
    check_pe(pe)
    t = check_target(target)
    S = tuple(check_scale(s) for s in train_scales)
    n = check_scale(test_scale)
    ex = _auto_exact(exact, [*S, n])
    rows, theta, fit, basis = _train(pe, target, S, ex)
    test_rows = phi(pe, t.layout, n)
    if ex:
        # rank [Phi_S; Phi_n] = rank Phi_S + rank of the test rows reduced modulo the (reduced echelon)
        # training basis: the reduced rows vanish on every training pivot, so their span meets
        # rowspace(Phi_S) only in 0
        extra = RowBasis()
        for r in distinct_rows(test_rows):
            red = basis.reduce(r)
            if red:
                extra.add(red)
        r_train, r_joint = basis.rank, basis.rank + extra.rank
    else:
        r_train, r_joint = rank(rows, False), rank(list(rows) + list(test_rows), False)
    pred = apply(theta, test_rows)
    truth = target_values(target, n)
    equal = values_match(pred, truth, ex and fit)  # a float least-squares fit is compared with MATCH_ATOL
    return Criterion(pe, target, S, n, ex, r_train, r_joint, fit, equal, max_abs_error(pred, truth))


# ---------------------------------------------------------------------------------------------------
# curves and predictions
# ---------------------------------------------------------------------------------------------------

def lrc_curve(pe: str, layout: str, n_max: int = LRC_MAX_SCALE, exact_max: int = EXACT_MAX_SCALE) -> list[int]:
    """LRC_{1..n}(PE) = rank Phi_{1..n} for n = 1..n_max: exact for n <= exact_max, numpy beyond (both
    incremental; the numpy accumulator is fed every scale from 1, so it never depends on the exact one)."""
    check_pe(pe)
    check_layout(layout)
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
    if union_parts(pe) is not None:
        curves = [target_lrc_curve(part, target, n_max) for part in union_parts(pe)]
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
