"""theory.chen2025.pola (Chen, Liang, Lin 2025 POLA / LRC, [reconstruction]): exact rational arithmetic against
sympy and against the numpy path, closed-form ranks, hand-worked criteria, the vectorized feature map
against the dict one, the inclusion check with its negative control, and the predictions contract."""
from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from theory.chen2025 import ape_inclusion, linalg, lrc, pola

S = tuple(range(1, lrc.N_TRAIN + 1))


# ---------------------------------------------------------------------------------------------------
# exact linear algebra
# ---------------------------------------------------------------------------------------------------

def _random_rows(rng: random.Random, m: int, p: int, density: float = 0.3):
    rows = []
    for _ in range(m):
        r = {k: Fraction(rng.randint(-3, 3), rng.randint(1, 4)) for k in range(p) if rng.random() < density}
        rows.append({k: v for k, v in r.items() if v})
    return rows


def _sym(rows, p):
    return sp.Matrix([[sp.Rational(r.get(k, 0).numerator, r.get(k, 0).denominator) if k in r else 0
                       for k in range(p)] for r in rows])


@pytest.mark.parametrize("seed", range(6))
def test_exact_rank_matches_sympy(seed):
    rng = random.Random(seed)
    m, p = rng.randint(3, 12), rng.randint(3, 10)
    rows = _random_rows(rng, m, p)
    rows += [{k: 2 * v for k, v in rows[0].items()}]                 # a dependent row
    assert linalg.rank(rows, exact=True) == _sym(rows, p).rank()


@pytest.mark.parametrize("seed", range(6))
def test_exact_min_norm_matches_sympy_pinv(seed):
    rng = random.Random(100 + seed)
    m, p = rng.randint(3, 8), rng.randint(4, 9)
    rows = _random_rows(rng, m, p, 0.5)
    M = _sym(rows, p)
    theta_true = sp.Matrix([sp.Rational(rng.randint(-3, 3), 2) for _ in range(p)])
    y = M * theta_true                                               # a representable target
    theta, ok = linalg.min_norm(rows, [Fraction(int(v.p), int(v.q)) for v in y], exact=True)
    assert ok
    want = M.pinv() * y
    assert all(Fraction(int(want[k].p), int(want[k].q)) == theta.get(k, 0) for k in range(p) if any(k in r for r in rows))


def test_min_norm_flags_a_target_outside_the_range():
    rows = [{"a": Fraction(1)}, {"a": Fraction(1)}]                  # the same row twice, two targets
    theta, ok = linalg.min_norm(rows, [Fraction(1), Fraction(3)], exact=True)
    assert not ok and theta["a"] == pytest.approx(2.0)               # least squares: the mean


# ---------------------------------------------------------------------------------------------------
# feature maps and ranks
# ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 2, 5, 9])
def test_closed_form_ranks(n):
    scales = range(1, n + 1)
    assert lrc.lrc("ape", "stream", scales) == n * (n + 1) // 2
    assert lrc.lrc("rpe", "stream", scales) == n
    assert lrc.lrc("sh", "stream", scales) == n                     # no segment: sh = rpe
    assert lrc.lrc("nope", "seq2seq", scales) == 1
    assert lrc.lrc("ipe", "seq2seq", scales) == min(n, 2)
    assert lrc.lrc("sh", "seq2seq", scales) == 2 * n - 1            # hinted offsets -(n-1)..n-1
    assert lrc.lrc("ape+sh", "seq2seq", scales) == n * n
    assert lrc.lrc("periodic", "stream", scales) == min(n, pola.PERIOD)


def test_scale_hint_feature_is_i_minus_j_minus_n_on_output_rows():
    for n in (1, 4, 7):
        for (i, j) in pola.pairs("seq2seq", n):
            assert pola.feature("sh", "seq2seq", n, i, j) == {("sh", i - j - n): 1}
        # padded: the hint restarts after 2n
        for (i, j) in pola.pairs("padded", n):
            assert pola.feature("sh", "padded", n, i, j) == {("sh", i - 2 * n - j): 1}


@pytest.mark.parametrize("layout", pola.LAYOUTS)
@pytest.mark.parametrize("pe", pola.PES)
def test_vectorized_feature_map_matches_the_dict_one(pe, layout):
    for n in (1, 3, 6):
        L = pola.layout_length(layout, n)
        rows, cols, vals, mask = ape_inclusion.feature_coo(pe, layout, n)
        # values per grid row, and the partition of grid rows induced by each column
        coo_vals, coo_groups = {}, {}
        for r, c, v in zip(rows, cols, vals):
            coo_vals.setdefault(r, []).append(round(float(v), 12))
            coo_groups.setdefault(c, set()).add(int(r))
        dict_vals, dict_groups = {}, {}
        for i, j in pola.pairs(layout, n):
            r = (i - 1) * L + (j - 1)
            for k, v in pola.feature(pe, layout, n, i, j).items():
                dict_vals.setdefault(r, []).append(round(float(v), 12))
                dict_groups.setdefault(k, set()).add(r)
        assert {k: sorted(v) for k, v in coo_vals.items()} == {k: sorted(v) for k, v in dict_vals.items()}
        assert sorted(map(sorted, coo_groups.values())) == sorted(map(sorted, dict_groups.values()))
        assert mask.sum() == len(pola.pairs(layout, n))


# ---------------------------------------------------------------------------------------------------
# exact vs numpy, criteria, hand-worked cases
# ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", list(pola.TARGETS))
def test_exact_and_numpy_agree_where_they_overlap(target):
    for pe in pola.PES:
        for n in lrc.TEST_SCALES:
            a = lrc.criterion(pe, target, S, n, exact=True)
            b = lrc.criterion(pe, target, S, n, exact=False)
            assert (a.rank_train, a.rank_joint, a.representable_train, a.min_norm_exact) == \
                   (b.rank_train, b.rank_joint, b.representable_train, b.min_norm_exact), (pe, n)
            assert a.max_abs_error == pytest.approx(b.max_abs_error, abs=1e-7)


@pytest.mark.parametrize("pe", ["ape", "rpe", "ipe", "sh", "lbpe"])
@pytest.mark.parametrize("layout", ["stream", "seq2seq"])
def test_rank_curves_exact_and_numpy_agree(pe, layout):
    assert lrc.lrc_curve(pe, layout, 12) == lrc.lrc_curve(pe, layout, 12, exact_max=0)


def test_copy_with_scale_hint_generalizes_with_one_feature():
    c = lrc.criterion("sh", "copy", S, 32)
    assert c.representable_train and c.min_norm_exact and c.max_abs_error == 0
    assert not c.rowspace_inclusion                                   # unseen hinted offsets at n = 32
    theta = lrc._train("sh", "copy", S, True)[1]
    assert theta[("sh", 0)] == 1 and all(v == 0 for k, v in theta.items() if k != ("sh", 0))
    assert lrc.target_lrc("sh", "copy", S) == (1, True)
    # RPE cannot even fit copy across scales: offset n means "read" at scale n and "skip" at n + 1
    assert not lrc.representable("rpe", "copy", [3, 4])
    assert lrc.representable("rpe", "copy", [3])


def test_every_interpolator_criterion_can_hold_and_fail():
    c = lrc.criterion("ipe", "prefix_sum", S, 16)                   # 2 features, both seen
    assert c.rowspace_inclusion and c.every_interpolator_generalizes
    c = lrc.criterion("rpe", "prefix_sum", S, 16)                   # offsets 8..15 unseen, needed = 1
    assert not c.rowspace_inclusion and not c.min_norm_generalizes and c.max_abs_error == 1
    c = lrc.criterion("nope", "prefix_mean", S, 32)
    assert c.every_interpolator_generalizes


def test_perturbed_target_is_not_representable():
    """Negative control: change one coefficient of copy at scale 3 and SH can no longer fit it."""
    rows = pola.phi_stack("sh", "seq2seq", [2, 3])
    vals = list(pola.target_values("copy", 2)) + list(pola.target_values("copy", 3))
    assert linalg.min_norm(rows, vals)[1]
    vals[-1] += 1
    assert not linalg.min_norm(rows, vals)[1]


def test_target_lrc_and_partition_counts():
    assert lrc.target_lrc("rpe", "window_sum", S) == (pola.WINDOW, True)
    assert lrc.target_lrc("ape", "first_token", S) == (lrc.N_TRAIN, True)
    assert lrc.target_lrc("rpe", "first_token", S) == (None, True)
    assert lrc.target_lrc("nope", "prefix_mean", S) == (1, True)
    value, exact = lrc.target_lrc("lbpe", "copy", S)
    assert value == 1 and exact is False                             # an upper bound over the parts
    assert lrc.target_lrc_curve("ipe", "copy", 10) == [1] * 10


# ---------------------------------------------------------------------------------------------------
# "PEs do not expand computational capabilities"
# ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", pola.LAYOUTS)
def test_inclusion_holds_and_its_control_fails(layout):
    for pe in pola.PES:
        for n in (1, 2, 7, 64):
            r = ape_inclusion.inclusion(pe, layout, n)
            assert r["included"] and r["ape_gram_identity"]
            assert r["rank_ape"] == len(pola.pairs(layout, n))
        assert not ape_inclusion.inclusion(pe, layout, 5, masked=False)["included"]


def test_across_scales_inclusion_fails_for_a_scale_dependent_target():
    assert ape_inclusion.joint_inclusion("sh", "copy", S) == (True, False)
    assert ape_inclusion.joint_inclusion("rpe", "shift_k", S) == (True, True)


# ---------------------------------------------------------------------------------------------------
# predictions contract and bad input
# ---------------------------------------------------------------------------------------------------

def test_predictions_contract():
    recs = lrc.predictions()
    assert len(recs) == len(pola.TARGETS) * len(pola.PES)
    for r in recs:
        assert r["theory"] == "lrc" and r["prediction"] in ("generalizes", "fails")
        assert r["pe"] in pola.PES and "[reconstruction]" in r["reason"] and "rowspace" in r["reason"]
    got = {(r["target"], r["pe"]) for r in recs if r["prediction"] == "generalizes"}
    assert got == {("shift_k", "rpe"), ("shift_k", "sh"), ("prefix_sum", "ipe"), ("prefix_sum", "periodic"),
                   ("prefix_mean", "nope"), ("prefix_mean", "lbpe"), ("window_sum", "rpe"), ("window_sum", "sh"),
                   ("copy", "ipe"), ("copy", "sh"), ("shift_k_seq", "sh")}
    tasks = {r["task"] for r in recs}
    assert {"c25.copy", "c25.reverse", "c25.shift_k", "c25.shift_scale", "c25.running_sum_tokens"} <= tasks


@pytest.mark.parametrize("call, msg", [
    (lambda: pola.check_pe("alibi"), "valid: ape"),
    (lambda: pola.check_target("sort"), "valid: shift_k"),
    (lambda: pola.pairs("grid", 3), "valid: stream"),
    (lambda: pola.pairs("stream", 0), "integer >= 1"),
])
def test_bad_input_names_the_valid_choices(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


def test_periodic_variants():
    assert lrc.lrc("periodic3", "stream", range(1, 9)) == 3
    assert np.isclose(lrc.prediction("prefix_sum", "periodic3")["min_norm_max_abs_error"]["16"], 0)


def test_union_dictionaries():
    """"lbpe:a+b" is the union of the named parts: the full list is lbpe itself, one part behaves as that
    part, and bad part lists are rejected."""
    full = "lbpe:" + "+".join(pola.LBPE_PARTS)
    assert pola.union_parts("lbpe") == pola.union_parts(full) == pola.LBPE_PARTS
    assert pola.phi(full, "seq2seq", 4) == pola.phi("lbpe", "seq2seq", 4)
    for target in ("shift_k", "copy", "prefix_sum"):
        one, part = lrc.prediction(target, "lbpe:rpe"), lrc.prediction(target, "rpe")
        assert (one["prediction"], one["lrc_train"], one["target_lrc"]) == (part["prediction"], part["lrc_train"],
                                                                            part["target_lrc"])
    assert lrc.prediction("copy", "lbpe:ipe+sh")["prediction"] == "generalizes"
    assert lrc.prediction("copy", "lbpe:rpe+sh")["prediction"] == "fails"      # redundant offsets spread theta*
    for bad in ("lbpe:ape", "lbpe:rpe+rpe", "lbpe:"):
        with pytest.raises(ValueError, match="union PE"):
            pola.check_pe(bad)


def test_no_expansion_check_fails_on_unmasked_maps():
    """The definitional inclusion entry: the same check code on the maps without the causal mask (not
    POLAs) returns 'fails', so the implementation is tested even though the claim cannot be false."""
    from theory.chen2025 import ledger

    v = ledger._no_expansion(masked=False)
    assert v.verdict == "fails" and v.evidence["n_failures"] > 0
    assert all("/" in f for f in v.evidence["failures"])

