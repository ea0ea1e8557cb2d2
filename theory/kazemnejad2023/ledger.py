"""Ledger entries for Kazemnejad et al. 2023, theorems 1 and 2 (appendix C), checked by running the
explicit constructions of `theory.kazemnejad2023.nope`.

Each check takes keyword arguments that break the construction (see `nope.theorem1_weights` and
`nope.theorem2_weights`); `fn()` runs the appendix-C construction, and each `falsify` case runs the same
check code on a broken one, which must give "fails".
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from theory.kazemnejad2023 import nope
from theory.claims import Verdict, claim

T_CHECK = 512  # positions checked in float64
T_EXACT = 12   # positions checked in exact arithmetic


def _exact_equal(value: sp.Expr, target: sp.Rational) -> bool:
    """value == target exactly (rationals compare directly; anything else is simplified first)."""
    if value.is_Rational:
        return value == target
    return sp.simplify(value - target) == 0


@claim(id="k23.theorem1", paper="kazemnejad2023",
       wording="NoPE can represent absolute positions: the first layer can recover the absolute position "
               "[t] of each token (Theorem 1).",
       statement="With the appendix-C weights, the first causal-softmax head outputs exactly 1/t at every "
                 "position t = 1..T+1 (not only at <bos>), and a one-hidden-layer ReLU MLP maps 1/t to t "
                 "for t <= T.",
       check=f"forward pass of the explicit weights through causal softmax, for T = {T_CHECK} in float64 and "
             f"T = {T_EXACT} in exact arithmetic (sympy: rational logits, exact exp and division); MLP built "
             "by piecewise-linear interpolation of (1/t, t)",
       falsify={"keys single out <bos> (W_K[0, 1] = 1/2): the causal-softmax weights are not uniform":
                {"key_bos_logit": 0.5},
                "the value reads the constant-one dim instead of the <bos> flag": {"value_dim": 0},
                f"the MLP interpolates (1/t, t) only for t <= {T_CHECK // 2}": {"mlp_range": T_CHECK // 2}})
def _theorem1(key_bos_logit: float = 0.0, value_dim: int = 1, mlp_range: int | None = None) -> Verdict:
    variant = {"key_bos_logit": key_bos_logit, "value_dim": value_dim}
    h = nope.theorem1_forward(T_CHECK, **variant)
    t = np.arange(1, T_CHECK + 2)
    err_head = float(np.abs(h[:, 2] - 1.0 / t).max())
    exact = nope.theorem1_exact(T_EXACT, **variant)
    exact_ok = [_exact_equal(v, sp.Rational(1, k)) for k, v in enumerate(exact, start=1)]
    distinct = len(np.unique(np.round(h[:, 2], 12))) == len(t)
    mlp = nope.inverse_mlp(T_CHECK + 1 if mlp_range is None else mlp_range)
    err_mlp = float(np.abs(nope.mlp_apply(h[:, 2], **mlp) - t).max())
    ok = err_head < 1e-12 and all(exact_ok) and distinct and err_mlp < 1e-6
    n_exact_ok = sum(exact_ok)
    return Verdict("holds" if ok else "fails",
                   {"T": T_CHECK, "max_abs_error_head_vs_1_over_t": err_head, "exact_T": T_EXACT,
                    "exact_match": all(exact_ok), "exact_positions_equal_1_over_t": n_exact_ok,
                    "exact_head_outputs_t_1_to_4": [str(v) for v in exact[:4]],
                    "all_positions_distinct": distinct, "mlp_hidden_units": int(mlp["W1"].shape[0]),
                    "max_abs_error_mlp_vs_t": err_mlp, "variant": variant | {"mlp_range": mlp_range}},
                   f"Float64: max |head output - 1/t| over the {T_CHECK + 1} positions is {err_head:.1e}. Exact "
                   f"arithmetic (the constructed weights run through causal softmax): the output equals 1/t at "
                   f"{n_exact_ok} of {T_EXACT + 1} positions (t = 1..4: {', '.join(str(v) for v in exact[:4])}). "
                   f"All positions get distinct values: {distinct}"
                   f"{' (so the construction does not only encode <bos>)' if distinct else ''}. An MLP with "
                   f"{mlp['W1'].shape[0]} ReLU units maps the head's output to t with max error {err_mlp:.1e}; its "
                   f"size grows with T, so 'any length' needs a width that grows with the range.")


@claim(id="k23.theorem2", paper="kazemnejad2023",
       wording="NoPE can represent relative positions: attention logits can depend on t - i (Theorem 2).",
       statement="Given hidden states with dim 0 = 1 and dim 2 = t, W_Q rows (e_0, -e_2) and W_K rows "
                 "(e_2, e_0) give logits q_t . k_i = -(t - i) + (A x_t) . (B x_i) exactly.",
       check="random content (n = 64, 5 content dims, 3 content rows in W_Q, W_K), compare logits with "
             "-(t - i) + content term; shift invariance of the position-only logits",
       falsify={"query row +e_2 instead of -e_2 (logits i + t)": {"position_sign": 1.0},
                "key rows (e_0, e_2) instead of (e_2, e_0) (logits 1 - t i)": {"swap_key_rows": True}})
def _theorem2(position_sign: float = -1.0, swap_key_rows: bool = False) -> Verdict:
    variant = {"position_sign": position_sign, "swap_key_rows": swap_key_rows}
    rng = np.random.default_rng(0)
    n, c = 64, 5
    x, A, B = rng.normal(size=(n, c)), rng.normal(size=(3, c)), rng.normal(size=(3, c))
    pos = np.arange(1, n + 1)
    logits = nope.theorem2_logits(pos, x, A, B, **variant)
    expected = -(pos[:, None] - pos[None, :]) + (x @ A.T) @ (x @ B.T).T
    err = float(np.abs(logits - expected).max())
    pure = nope.theorem2_logits(pos, np.zeros((n, c)), A, B, **variant)
    shift_invariant = float(np.abs(pure[1:, 1:] - pure[:-1, :-1]).max())
    ok = err < 1e-9 and shift_invariant == 0.0
    return Verdict("holds" if ok else "fails",
                   {"n": n, "max_abs_error": err, "position_only_logits_shift_invariance": shift_invariant,
                    "variant": variant},
                   f"Logits differ from -(t - i) + content by at most {err:.1e}; without content, shifting both "
                   f"positions by one changes the logits by at most {shift_invariant} (0 means they depend on "
                   f"t - i only).")
