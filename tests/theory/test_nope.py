"""Kazemnejad et al. 2023 theorems 1-2: the explicit constructions, run forward."""
import numpy as np
import sympy as sp
from hypothesis import given, settings, strategies as st

from theory.kazemnejad2023 import nope
from theory.claims import load, run_claims


@given(st.integers(1, 300))
@settings(max_examples=30, deadline=None)
def test_theorem1_head_outputs_one_over_t_everywhere(T):
    h = nope.theorem1_forward(T)
    t = np.arange(1, T + 2)
    np.testing.assert_allclose(h[:, 2], 1.0 / t, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(h[:, :2], nope.theorem1_embeddings(T)[:, :2])  # residual untouched


def test_theorem1_is_exact_in_rationals():
    assert nope.theorem1_exact(7) == [sp.Rational(1, t) for t in range(1, 9)]


def test_exact_attention_runs_the_weights():
    """The exact half computes softmax from the logits: keys that single out <bos> give exp(a) / (exp(a) + t - 1)."""
    out = nope.theorem1_exact(4, key_bos_logit=0.5)
    a = sp.Rational(1, 2)
    for t, v in enumerate(out, start=1):
        assert sp.simplify(v - sp.exp(a) / (sp.exp(a) + t - 1)) == 0
    assert out[1] != sp.Rational(1, 2)


def test_exact_attention_matches_float_attention():
    rng = np.random.default_rng(3)
    w = {k: np.round(rng.normal(size=(4, 4)), 1) for k in ("W_Q", "W_K", "W_V", "W_O")}
    h = nope.theorem1_embeddings(5)
    exact = nope.causal_attention_exact(nope._exact(h), **{k: nope._exact(v) for k, v in w.items()})
    np.testing.assert_allclose(np.array(exact.evalf(30), dtype=float), nope.causal_attention(h, **w), atol=1e-12)


def test_theorem1_needs_equal_keys():
    """Negative control: random keys break the uniform weights, so the check can fail."""
    w = nope.theorem1_weights()
    w["W_K"] = np.random.default_rng(0).normal(size=w["W_K"].shape)
    h = nope.theorem1_embeddings(10)
    out = h + nope.causal_attention(h, **w)
    assert np.abs(out[:, 2] - 1.0 / np.arange(1, 12)).max() > 1e-3


@given(st.integers(2, 200))
@settings(max_examples=30, deadline=None)
def test_inverse_mlp_recovers_t_on_its_range(T):
    m = nope.inverse_mlp(T)
    t = np.arange(1, T + 1)
    np.testing.assert_allclose(nope.mlp_apply(1.0 / t, **m), t, rtol=1e-9, atol=1e-8)
    assert m["W1"].shape[0] == T - 1


@given(st.integers(2, 40), st.integers(1, 6), st.integers(0, 2**31 - 1))
@settings(max_examples=30, deadline=None)
def test_theorem2_logits_are_relative_plus_content(n, c, seed):
    rng = np.random.default_rng(seed)
    x, A, B = rng.normal(size=(n, c)), rng.normal(size=(2, c)), rng.normal(size=(2, c))
    pos = np.arange(1, n + 1)
    expected = -(pos[:, None] - pos[None, :]) + (x @ A.T) @ (x @ B.T).T
    np.testing.assert_allclose(nope.theorem2_logits(pos, x, A, B), expected, atol=1e-9)


def test_theorem2_broken_query_is_not_relative():
    pos = np.arange(1, 9)
    A = B = np.zeros((1, 1))
    good = nope.theorem2_logits(pos, np.zeros((8, 1)), A, B)
    bad = nope.theorem2_logits(pos, np.zeros((8, 1)), A, B, position_sign=1.0)
    np.testing.assert_array_equal(good, -(pos[:, None] - pos[None, :]))
    np.testing.assert_array_equal(bad, pos[:, None] + pos[None, :])


def test_k23_ledger_entries_hold():
    load()
    records = {r["id"]: r for r in run_claims(paper="kazemnejad2023")}
    assert records["k23.theorem1"]["verdict"] == "holds" and records["k23.theorem2"]["verdict"] == "holds"
    assert records["k23.theorem1"]["evidence"]["all_positions_distinct"] is True
