"""theory.chen2025.src (Chen, Liang, Lin 2025 SRC, [reconstruction]): every circuit reproduces the c25 task
oracles (the theory never imports empirics; this test compares them), the PRFs (injectivity, the Scale
Hint's pairing, ambiguity of IPE's "other" and NoPE's "*"), hand-counted SRC values, the minimization
over circuits, negative controls and the predictions contract."""
from __future__ import annotations

import numpy as np
import pytest

from empirics.tasks.c25 import TASKS as C25
from theory.chen2025 import src, src_tasks

C25_TASKS = [t for t in src_tasks.TASKS if t.startswith("c25.")]


@pytest.mark.parametrize("task", C25_TASKS)
def test_circuits_reproduce_the_c25_oracle(task):
    gen = C25[task]()
    rng = np.random.default_rng(0)
    for n in list(range(1, 13)) + [20, 33]:
        for _ in range(6):
            ex = gen.sample(rng, n)
            assert gen.verify(ex)
            for circuit in src_tasks.TASKS[task].circuits:
                assert src_tasks.run_circuit(task, circuit, list(ex.source), n) == list(ex.target), (circuit, n)


@pytest.mark.parametrize("task", list(src_tasks.TASKS))
def test_circuits_reproduce_the_theory_sampler(task):
    tk = src_tasks.TASKS[task]
    rng = np.random.default_rng(1)
    for n in range(1, 10):
        source, target = tk.sample(rng, n)
        seq = src_tasks.sequence(task, source, target, n)
        assert len(seq) == tk.layout(n).length + 1
        for circuit in tk.circuits:
            assert src_tasks.run_circuit(task, circuit, source, n) == target


def test_a_wrong_circuit_is_caught():
    """Negative control for the semantic check: reading source u + 1 instead of u breaks copy."""
    tk = src_tasks.TASKS["c25.copy"]
    tk.circuits["wrong"] = lambda n: [src_tasks.Step(u, (min(u + 1, n),), "id") for u in range(1, n + 1)]
    try:
        ex = C25["c25.copy"]().sample(np.random.default_rng(3), 6)
        assert src_tasks.run_circuit("c25.copy", "wrong", list(ex.source), 6) != list(ex.target)
    finally:
        del tk.circuits["wrong"]


@pytest.mark.parametrize("task", list(src_tasks.TASKS))
def test_injective_prfs_name_every_earlier_position_differently(task):
    for n in (1, 3, 6):
        lay = src_tasks.TASKS[task].layout(n)
        for t in lay.targets:
            for pe in src.INJECTIVE:
                names = [src.prf(pe, lay, t, q) for q in range(1, t)]
                assert len(set(names)) == len(names), (pe, n, t)


def test_scale_hint_pairs_target_u_with_source_u():
    for n in (1, 5, 17):
        assert src_tasks.layout_hint_check(n)
        lay = src_tasks.standard_layout(n, n, n)
        t = lay.targets[2] if n >= 3 else lay.targets[0]
        u = 3 if n >= 3 else 1
        assert src.prf("sh", lay, t, u) == ("rel-sh", "src", 0)
        assert src.prf("rpe", lay, t, u) == ("rel", n + 1)          # the offset RPE sees grows with n


def test_ambiguous_names():
    lay = src_tasks.standard_layout(4, 4, 4)
    t = lay.targets[1]                                              # target 2 at position 7
    assert src.prf("ipe", lay, t, 2) == "aligned" and src.ambiguity("ipe", lay, t, 2) == 1
    assert src.prf("ipe", lay, t, 1) == "other" and src.ambiguity("ipe", lay, t, 1) == 4   # 1, 3, 4, <sep>
    assert src.prf("nope", lay, t, 5) == ("content", src_tasks.SEP) and src.ambiguity("nope", lay, t, 5) == 1
    assert src.ambiguity("nope", lay, t, 2) == 4
    with pytest.raises(ValueError, match="earlier position"):
        src.prf("ape", lay, t, t)


def test_hand_counted_src():
    n = 12
    assert [src.src("c25.parity_cot", "ape", k) for k in range(1, n + 1)] == list(range(1, n + 1))
    assert [src.src("c25.parity_cot", "rpe", k) for k in range(1, n + 1)] == list(range(1, n + 1))
    assert [src.src("c25.parity_cot", "ipe", k) for k in range(1, n + 1)] == [1] * n
    assert [src.src("c25.parity_cot", "sh", k) for k in range(1, n + 1)] == [1] * n
    assert src.src("c25.parity_cot", "nope", 1) == 1 and src.src("c25.parity_cot", "nope", 2) is None
    assert [src.src("src.parity_cot_interleaved", "rpe", k) for k in (1, 2, 30)] == [1, 2, 2]
    assert src.src("src.parity_cot_interleaved", "ipe", 3) is None
    assert [src.src("c25.shift_k", "sh", k) for k in (1, 2, 40)] == [1, 2, 2]
    assert src.src("c25.shift_k", "ipe", 2) is None
    assert src.src("c25.reverse", "sh", 8) == 15                    # hinted offsets 2u - 1 - n
    assert src.src("c25.copy", "ape+sh", 8) == 8


def test_minimum_over_circuits():
    cur = src.src_curves("c25.parity_cot", "sh", 20)
    assert cur["circuits"]["xor_chain"][-1] == 1
    assert cur["circuits"]["xor_chain_first_copy"][-1] == 2
    assert cur["min"][-1] == 1 and cur["best"] == "xor_chain"
    rpe = src.src_curves("c25.parity_cot", "rpe", 20)["circuits"]
    assert rpe["xor_chain"][-1] == 20 and rpe["xor_chain_first_copy"][-1] == 1 + 2 * 19  # n = 1: one step


def test_truth_tables_tell_operators_apart():
    xor = src.truth_table("c25.parity_cot", "xor", 2)
    assert len(xor) == 9 and xor != src.truth_table("c25.parity_cot", "add_mod10", 2)
    assert src.truth_table("c25.copy", "id", 1) == src_tasks.TASKS["c25.copy"].alphabet


def test_lg_prediction_follows_src():
    assert src.lg_prediction("c25.copy", "sh", 8, 32)
    assert not src.lg_prediction("c25.copy", "rpe", 8, 32)
    assert not src.lg_prediction("c25.copy", "nope", 8, 16)


def test_predictions_contract():
    recs = src.predictions()
    assert len(recs) == len(src_tasks.TASKS) * len(src.PES)
    for r in recs:
        assert r["theory"] == "src" and r["prediction"] in ("generalizes", "fails")
        assert "[reconstruction]" in r["reason"]
    gen = {(r["task"], r["pe"]) for r in recs if r["prediction"] == "generalizes"}
    assert gen == {("c25.parity_cot", "ipe"), ("c25.parity_cot", "sh"), ("c25.copy", "ipe"), ("c25.copy", "sh"),
                   ("c25.shift_k", "sh"), ("c25.running_sum_tokens", "ipe"), ("c25.running_sum_tokens", "sh"),
                   ("src.parity_cot_interleaved", "rpe"), ("src.parity_cot_interleaved", "sh")}
    with pytest.raises(ValueError, match="valid: c25"):
        src_tasks.check_task("c25.sort")
    with pytest.raises(ValueError, match="valid: ape"):
        src.check_pe("alibi")
