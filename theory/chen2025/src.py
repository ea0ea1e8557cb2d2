"""Sequential representation complexity (SRC) of Chen, Liang, Lin 2025 (arXiv 2510.04130) —
**[reconstruction]**: positional relation functions, unit operators, SRC_n and the SRC-invariance
predictions of `pelg predict --theory src`, on the instances and circuits of `theory.chen2025.src_tasks`.

Only the abstract, one figure caption (parity with chain of thought) and third-party summaries are
available; the definitions below are OUR formalization (shared/papers/chen2025.md, "SRC").

Circuits and unit operators
---------------------------
Each generated token z_t is produced by one unit operator z_t = g(z_rho_1, .., z_rho_m) reading earlier
positions rho_k < t. The PE names each read through its positional relation function (PRF):
* every PE: rho = t - 1 is "current" (the token at the predicting position, read through the residual
  stream, not through attention);
* ape: ("abs", rho);   ape+sh: ("abs-sh", segment(rho), h(rho));
* rpe: ("rel", t - rho);   sh: ("rel-sh", segment(rho), h(t) - h(rho)), h = the Scale Hint positions
  (theory.encodings.scale_hint_positions, "align": target u shares source u's position; the segment
  (source / separator / target) is what the separator marks, and it keeps equal hinted positions of
  source u and target u apart);
* ipe: "aligned" for rho = r(t), the source token of the same index as the target token (target u <->
  source u, the parity figure's "corresponding input token"), "other" for every other position;
* nope: no positional name: a read is named by its content when that token occurs once in the layout
  (<sep>, "+"), otherwise "*".
A read is valid only if its name identifies it: no other earlier position has the same name (the
"other" of IPE and the "*" of NoPE name many positions at once, so a circuit needing them is invalid
from the first scale where the class has more than one member).
A unit operator is (tuple of read names, g as a truth table over the task alphabet, <sep> included).
SRC_n(task, PE) = min over the supplied circuits valid at every scale <= n of the number of distinct
unit operators used by all instances of scale <= n (None: no supplied circuit is valid). SRC_n is
non-decreasing in n. Prediction (the paper's conjecture): LG from training scales <= N to n iff
SRC_n = SRC_N (and finite).
"""
from __future__ import annotations

import itertools
from functools import lru_cache

from theory.chen2025.src_tasks import G_FUNCS, TASKS, SeqLayout, check_task

N_TRAIN = 8
TEST_SCALES = (16, 32)
SRC_MAX_SCALE = 64
PES = ("ape", "rpe", "nope", "ipe", "sh", "ape+sh")
INJECTIVE = ("ape", "rpe", "sh", "ape+sh")   # PRFs that name every earlier position differently


# ---------------------------------------------------------------------------------------------------
# positional relation functions
# ---------------------------------------------------------------------------------------------------

def prf(pe: str, lay: SeqLayout, t: int, rho: int):
    """The name PE gives to the read of position rho by the token at position t (rho < t)."""
    if not 1 <= rho < t:
        raise ValueError(f"a read must be an earlier position: rho={rho}, t={t}")
    if rho == t - 1:
        return "current"
    if pe == "ape":
        return ("abs", rho)
    if pe == "rpe":
        return ("rel", t - rho)
    if pe == "sh":
        return ("rel-sh", lay.segment[rho], lay.hinted[t] - lay.hinted[rho])
    if pe == "ape+sh":
        return ("abs-sh", lay.segment[rho], lay.hinted[rho])
    if pe == "ipe":
        return "aligned" if lay.aligned.get(t) == rho else "other"
    if pe == "nope":
        return ("content", lay.unique[rho]) if rho in lay.unique else "*"
    raise ValueError(f"unknown SRC PE {pe!r}; valid: {', '.join(PES)}")


def ambiguity(pe: str, lay: SeqLayout, t: int, rho: int) -> int:
    """How many earlier positions (rho included) carry the name of the read rho (1 = identified)."""
    name = prf(pe, lay, t, rho)
    if pe in INJECTIVE or name == "current":
        return 1
    return sum(1 for q in range(1, t) if prf(pe, lay, t, q) == name)


def check_pe(pe: str) -> str:
    if pe not in PES:
        raise ValueError(f"unknown SRC PE {pe!r}; valid: {', '.join(PES)}")
    return pe


# ---------------------------------------------------------------------------------------------------
# counting operators
# ---------------------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def truth_table(task: str, g: str, arity: int) -> tuple:
    """g as a truth table over the task alphabet (all alphabet^arity inputs, in product order)."""
    alphabet = check_task(task).alphabet
    return tuple(G_FUNCS[g](*args) for args in itertools.product(alphabet, repeat=arity))


def operators(task: str, circuit: str, pe: str, n: int):
    """The set of unit operators the circuit uses at scale n under PE, or (None, reason) if a read is
    not identified by its name."""
    tk = check_task(task)
    check_pe(pe)
    lay = tk.layout(n)
    ops = set()
    for st in tk.circuits[circuit](n):
        t = lay.targets[st.u - 1]
        names = []
        for rho in st.reads:
            k = ambiguity(pe, lay, t, rho)
            if k > 1:
                return None, (f"n={n}: target {st.u} reads position {rho}, named {prf(pe, lay, t, rho)!r} "
                              f"like {k - 1} other earlier position(s)")
            names.append(prf(pe, lay, t, rho))
        ops.add((tuple(names), truth_table(task, st.g, len(st.reads))))
    return ops, ""


@lru_cache(maxsize=None)
def src_curves(task: str, pe: str, n_max: int = SRC_MAX_SCALE) -> dict:
    """Per circuit: SRC_n for n = 1..n_max (None from the first scale where it is invalid), and the
    minimum over circuits ("min") with the circuit attaining it at n_max ("best")."""
    tk = check_task(task)
    per: dict = {}
    why: dict = {}
    for c in tk.circuits:
        seen, curve, reason = set(), [], ""
        for n in range(1, n_max + 1):
            if reason:
                curve.append(None)
                continue
            ops, reason = operators(task, c, pe, n)
            if ops is None:
                curve.append(None)
                continue
            seen |= ops
            curve.append(len(seen))
        per[c], why[c] = curve, reason
    mins = [min((per[c][k] for c in per if per[c][k] is not None), default=None) for k in range(n_max)]
    valid = [c for c in per if per[c][-1] is not None]
    best = min(valid, key=lambda c: per[c][-1]) if valid else None
    return {"circuits": per, "invalid_reason": why, "min": mins, "best": best}


def src(task: str, pe: str, n: int) -> int | None:
    """SRC_n(task, PE): min over the supplied circuits valid at every scale <= n (None if none)."""
    return src_curves(task, pe, max(n, 1))["min"][n - 1]


def lg_prediction(task: str, pe: str, n_train: int, n_test: int) -> bool:
    """The conjecture as a predicate: LG from scales <= n_train to n_test iff SRC_n_test = SRC_n_train
    (both finite)."""
    a, b = src(task, pe, n_train), src(task, pe, n_test)
    return a is not None and a == b


def predictions(pes=PES, tasks=tuple(TASKS), n_train: int = N_TRAIN, test_scales=TEST_SCALES) -> list[dict]:
    """SRC-invariance predictions, one record per (task, PE) (contract of `pelg predict`)."""
    out = []
    n_max = max(SRC_MAX_SCALE, *test_scales)
    shown = [n for n in (1, 2, 4, 8, 16, 32, 64) if n <= n_max]
    for task in tasks:
        for pe in pes:
            cur = src_curves(task, pe, n_max)
            values = {n: cur["min"][n - 1] for n in shown}
            gen = all(lg_prediction(task, pe, n_train, n) for n in test_scales)
            vals = ", ".join(f"{n}:{'inf' if v is None else v}" for n, v in values.items())
            if cur["min"][n_train - 1] is None:
                reasons = "; ".join(f"{c}: {r}" for c, r in cur["invalid_reason"].items())
                reason = f"[reconstruction] no supplied circuit identifies its reads under {pe} ({reasons})"
            else:
                best = min((c for c in cur["circuits"] if cur["circuits"][c][n_train - 1] is not None),
                           key=lambda c: cur["circuits"][c][max(test_scales) - 1] or 10 ** 9)
                reason = (f"[reconstruction] SRC_n (n: value) {vals}; LG {n_train}->"
                          f"{'/'.join(map(str, test_scales))} iff SRC_n = SRC_{n_train}; best circuit {best}")
            out.append({"task": task, "pe": pe, "theory": "src", "prediction": "generalizes" if gen else "fails",
                        "reason": reason, "src": {str(n): v for n, v in values.items()},
                        "train_scale": n_train, "test_scales": list(test_scales)})
    return out


def src_table(n_max: int = SRC_MAX_SCALE) -> dict:
    """SRC_n for n = 1..n_max for every task and PE (the figure's data)."""
    return {task: {pe: src_curves(task, pe, n_max)["min"] for pe in PES} for task in TASKS}


__all__ = ["PES", "prf", "ambiguity", "operators", "src", "src_curves", "lg_prediction", "predictions",
           "truth_table", "src_table"]
