"""Ledger entries for Chen, Liang, Lin 2025 (arXiv 2510.04130), checked on OUR reconstruction of the
POLA / LRC and SRC definitions (`theory.chen2025.pola`, `theory.chen2025.lrc`, `theory.chen2025.ape_inclusion`,
`theory.chen2025.src_tasks`, `theory.chen2025.src`; shared/papers/chen2025.md). Every entry is
marked reconstruction=True: the paper's text is not available, only its abstract and one caption.

The gradient-descent side of the LRC criterion needs torch and is registered by `empirics.evidence.pola_train`
(claim "chen2025.lrc_criterion_vs_gd")."""
from __future__ import annotations

import numpy as np

from theory.chen2025 import ape_inclusion
from theory.chen2025 import lrc
from theory.chen2025 import pola
from theory.chen2025 import src
from theory.claims import Verdict, claim

INCLUSION_MAX = 64
JOINT_S = tuple(range(1, lrc.N_TRAIN + 1))


@claim(id="chen2025.pes_do_not_expand_capabilities", paper="chen2025",
       wording="PEs do not expand computational capabilities but structure learned computations across "
               "positions.",
       statement="[reconstruction] For every POLA PE (ape, rpe, nope, ipe, periodic, sh, ape+sh, lbpe), every "
                 "instance layout (stream, seq2seq, padded) and every scale n = 1..64: range(Phi_n^PE) is "
                 "contained in range(Phi_n^APE), the causal position-only maps on the layout's pairs, on the "
                 "full L x L coefficient grid.",
       check="APE's columns checked to be disjoint 0/1 indicators (Gram = I), so its range projector is the "
             "0/1 diagonal of the pairs it covers; inclusion = every non-zero of Phi_n^PE lies on a covered "
             "row (8 x 3 x 64 = 1536 checks). Negative control: the feature maps without the POLA's causal "
             "mask. Also reported: the across-scales reading (one theta for all n in S = 1..8).",
       reconstruction=True)
def _no_expansion() -> Verdict:
    fails, checks = [], 0
    for n in range(1, INCLUSION_MAX + 1):
        for layout in pola.LAYOUTS:
            for pe in pola.PES:
                checks += 1
                if not ape_inclusion.inclusion(pe, layout, n)["included"]:
                    fails.append(f"{pe}/{layout}/n={n}")
    controls = {pe: ape_inclusion.inclusion(pe, "stream", 8, masked=False)["included"] for pe in pola.PES}
    ranks8 = {pe: lrc.lrc(pe, "seq2seq", [8]) for pe in pola.PES}
    joint = []
    for target in pola.TARGETS:
        for pe in pola.PES:
            if pe == "ape":
                continue
            by_pe, by_ape = lrc._train(pe, target, JOINT_S, True)[2], lrc._train("ape", target, JOINT_S, True)[2]
            if by_pe and not by_ape:
                joint.append(f"{target}/{pe}")
    ok = not fails and not any(controls.values())
    return Verdict("holds" if ok else "fails",
                   {"checks": checks, "failures": fails, "unmasked_control_included": controls,
                    "rank_at_n8_seq2seq": ranks8, "rank_ape_at_n8_seq2seq": ranks8["ape"],
                    "across_scales_represented_by_pe_not_by_ape": joint},
                   f"All {checks} per-scale inclusions hold and every unmasked control fails, so the check can "
                   f"fail. The statement is close to definitional in a POLA: every PE only reparametrizes "
                   f"causal position-only coefficients (at n = 8, seq2seq, rank {ranks8['ape']} for APE vs "
                   f"{ranks8['rpe']} rpe, {ranks8['sh']} sh, {ranks8['lbpe']} lbpe). Across scales (one theta for "
                   f"all n in 1..8) the inclusion does NOT hold: plain APE does not see n, and "
                   f"{len(joint)} (target, PE) pairs are represented by the PE but not by APE "
                   f"({', '.join(joint)}): that is the 'structure across positions' half of the sentence.")


@claim(id="chen2025.lrc_exact_criterion", paper="chen2025",
       wording="Linear Representation Complexity characterizes when PEs enable length generalization.",
       statement="[reconstruction] For T representable on S = 1..8: every interpolating theta generalizes to "
                 "n = 16 iff rank([Phi_S; Phi_n]) = rank(Phi_S) and the minimum-norm interpolator is exact at "
                 "n; the minimum-norm interpolator Phi_S^+ T_S computed exactly (rationals) equals numpy's pinv.",
       check="for every (target, PE) with T_S in range(Phi_S): 20 random interpolators theta* + N z (N a basis "
             "of null(Phi_S) over the features of scales S and n, z ~ N(0, I)); 'all exact at n' (tolerance "
             "1e-8) must equal the exact criterion; exact theta* vs numpy pinv (max abs difference)",
       reconstruction=True)
def _criterion() -> Verdict:
    rng = np.random.default_rng(0)
    n, agree, total, worst_pinv, mismatches = 16, 0, 0, 0.0, []
    for target, t in pola.TARGETS.items():
        for pe in pola.PES:
            crit = lrc.criterion(pe, target, JOINT_S, n)
            if not crit.representable_train:
                continue
            total += 1
            rows_S = pola.phi_stack(pe, t.layout, JOINT_S)
            rows_n = list(pola.phi(pe, t.layout, n))
            seen = list(dict.fromkeys(k for r in rows_S for k in r))
            unseen = [k for k in dict.fromkeys(k for r in rows_n for k in r) if k not in set(seen)]
            col = {k: c for c, k in enumerate(seen + unseen)}

            def dense(rows, width):
                M = np.zeros((len(rows), width))
                for a, r in enumerate(rows):
                    for k, v in r.items():
                        M[a, col[k]] = float(v)
                return M

            A, B = dense(rows_S, len(seen)), dense(rows_n, len(col))
            y = np.array([float(v) for m in JOINT_S for v in pola.target_values(target, m)])
            yn = np.array([float(v) for v in pola.target_values(target, n)])
            _, s, vt = np.linalg.svd(A, full_matrices=True)
            r = int(np.sum(s > 1e-10 * s[0]))
            theta = np.zeros(len(col))
            theta[: len(seen)] = vt[:r].T @ ((vt[:r] @ A.T @ y) / s[:r] ** 2)   # pinv(A) y
            exact = lrc._train(pe, target, JOINT_S, True)[1]
            exact_vec = np.array([float(exact.get(k, 0)) for k in seen + unseen])
            worst_pinv = max(worst_pinv, float(np.abs(theta - exact_vec).max()))
            # null(Phi_S) over the features of S and n: the null space of A, plus every unseen feature
            null = np.zeros((len(col), len(seen) - r + len(unseen)))
            null[: len(seen), : len(seen) - r] = vt[r:].T
            null[len(seen):, len(seen) - r:] = np.eye(len(unseen))
            draws = [theta + null @ rng.normal(size=null.shape[1]) for _ in range(20)]
            observed = all(np.abs(B @ d - yn).max() <= 1e-8 for d in draws)
            if observed == crit.every_interpolator_generalizes:
                agree += 1
            else:
                mismatches.append(f"{target}/{pe}")
    ok = agree == total and worst_pinv < 1e-9
    return Verdict("holds" if ok else "fails",
                   {"test_scale": n, "representable_pairs": total, "agree": agree, "mismatches": mismatches,
                    "max_abs_exact_vs_pinv": worst_pinv},
                   f"For all {total} representable (target, PE) pairs, 20 random interpolators are all exact at "
                   f"n = {n} exactly when the rowspace criterion says so ({agree}/{total}); the exact minimum-norm "
                   f"interpolator matches numpy's pinv to {worst_pinv:.1e}. The criterion is linear algebra on "
                   f"our POLA, so this confirms our implementation of it, not the paper's proof.")


def _grows(curve: list) -> bool:
    return curve[-1] is not None and curve[-1] > curve[src.N_TRAIN - 1]


def _constant(curve: list, start: int = 2) -> bool:
    vals = curve[start - 1:]
    return all(v is not None for v in vals) and len(set(vals)) == 1


@claim(id="chen2025.src_parity_cot_caption", paper="chen2025",
       wording="Parity with chain of thought: IPE and RPE align positions across steps and scales, so each "
               "step computes the next token from the corresponding input token and the current token with one "
               "operator; APE needs a distinct operator at each step. IPE and RPE give circuits of "
               "non-increasing SRC; APE does not.",
       statement="[reconstruction] On c25.parity_cot (bits, <sep>, s_1..s_n), SRC_n(IPE) and SRC_n(RPE) are "
                 "constant for n = 2..64 while SRC_n(APE) grows with n.",
       check="theory.chen2025.src.src_curves for n = 1..64 on c25.parity_cot (two circuits: xor_chain, and one with a "
             "separate first step), plus the interleaved layout b_1 s_1 b_2 s_2 .. and the Scale Hint",
       reconstruction=True)
def _parity_caption() -> Verdict:
    task = "c25.parity_cot"
    c = {pe: src.src_curves(task, pe)["min"] for pe in src.PES}
    inter = {pe: src.src_curves("src.parity_cot_interleaved", pe)["min"] for pe in src.PES}
    ipe_ok, ape_grows = _constant(c["ipe"]), _grows(c["ape"])
    rpe_ok, rpe_inter_ok, sh_ok = _constant(c["rpe"]), _constant(inter["rpe"]), _constant(c["sh"])
    pick = (1, 2, 8, 16, 64)
    ev = {f"{pe}": {str(n): c[pe][n - 1] for n in pick} for pe in ("ape", "rpe", "ipe", "sh", "nope")}
    ev["interleaved"] = {pe: {str(n): inter[pe][n - 1] for n in pick} for pe in ("ape", "rpe", "ipe")}
    if ipe_ok and ape_grows and rpe_ok:
        verdict = "holds"
    elif ipe_ok and ape_grows and rpe_inter_ok and sh_ok:
        verdict = "holds with correction"
    else:
        verdict = "fails"
    return Verdict(verdict, {"src_n": ev, "ipe_constant": ipe_ok, "ape_grows": ape_grows,
                             "rpe_constant_c25_layout": rpe_ok, "rpe_constant_interleaved": rpe_inter_ok,
                             "rpe_on_hinted_positions_constant": sh_ok},
                   f"IPE: SRC_n = {c['ipe'][63]} at every n (the aligned read plus the current token); APE: "
                   f"SRC_n = n ({c['ape'][63]} at n = 64), one operator per step. RPE on the c25 layout: SRC_n = "
                   f"{c['rpe'][63]} at n = 64 -- the read of b_k from s_k sits at offset n + 1, a new name at every "
                   f"scale, and no circuit can avoid it (s_k must read b_k, the only token carrying it). RPE is "
                   f"invariant on the interleaved layout b_1 s_1 .. (SRC = {inter['rpe'][63]}, offsets 1 and 2) "
                   f"and with the Scale Hint (RPE on hinted positions: SRC = {c['sh'][63]}); on the interleaved "
                   f"layout IPE in turn has no valid circuit (s_(k-1) is an 'other' position). The caption's RPE "
                   f"half needs a layout where the aligned input sits at a scale-independent offset.")


SH_GAINS = ("c25.copy", "c25.shift_k")
SH_NO_GAIN = ("c25.reverse", "c25.shift_scale", "c25.addition_cot")


@claim(id="chen2025.scale_hint", paper="chen2025",
       wording="Scale Hint (allowing flexible instance scaling) enables length generalization where PEs fail; "
               "[third-party, low reliability] scale-hinted PEs beat baselines on copy and shift.",
       statement="[reconstruction] With the Scale Hint (positions re-indexed from the separator, "
                 "theory.encodings.scale_hint_positions 'align'), copy and shift-by-k in the source/target "
                 "format go from 'fails' (RPE) to 'generalizes' (RPE on hinted positions) under both the POLA "
                 "minimum-norm criterion and SRC invariance; reverse, shift by the scale inside the stream and "
                 "addition with CoT stay 'fails'; on single-stream targets SH coincides with RPE.",
       check="theory.chen2025.lrc.prediction and theory.chen2025.src.predictions for pe = rpe vs sh (and ape vs ape+sh)",
       reconstruction=True)
def _scale_hint() -> Verdict:
    src_pred = {(r["task"], r["pe"]): r["prediction"] for r in src.predictions(pes=("rpe", "sh", "ape", "ape+sh"))}
    lrc_pred = {(r["task"], r["pe"]): r["prediction"] for r in lrc.predictions(pes=("rpe", "sh", "ape", "ape+sh"))}
    lrc_pred.update({(task, pe): "n/a (no POLA target)" for task in SH_NO_GAIN for pe in ("rpe", "sh")
                     if (task, pe) not in lrc_pred})
    gains = {task: {"lrc": (lrc_pred[(task, "rpe")], lrc_pred[(task, "sh")]),
                    "src": (src_pred[(task, "rpe")], src_pred[(task, "sh")])} for task in SH_GAINS}
    no_gain = {task: {"lrc": lrc_pred[(task, "sh")], "src": src_pred[(task, "sh")]} for task in SH_NO_GAIN}
    stream_same = all(lrc.prediction(t, "sh")["prediction"] == lrc.prediction(t, "rpe")["prediction"]
                      and lrc.lrc("sh", "stream", range(1, 9)) == lrc.lrc("rpe", "stream", range(1, 9))
                      for t, tt in pola.TARGETS.items() if tt.layout == "stream")
    ape_sh = {task: src_pred[(task, "ape+sh")] for task in SH_GAINS}
    ok_gain = all(v == ("fails", "generalizes") for g in gains.values() for v in g.values())
    ok_none = all(v in ("fails", "n/a (no POLA target)") for g in no_gain.values() for v in g.values())
    ok = ok_gain and ok_none and stream_same
    return Verdict("holds" if ok else "fails",
                   {"rpe_vs_sh_on_gains": gains, "sh_on_no_gain_tasks": no_gain, "stream_targets_sh_equals_rpe":
                    stream_same, "ape_plus_sh_src": ape_sh},
                   "The hint makes the read of source u from target u a constant hinted offset (0 for copy, k for "
                   "shift), so RPE's single feature/operator serves every scale: copy and shift_k go from fails to "
                   "generalizes in both theories. It cannot help where the needed offset still depends on n or on "
                   "the step: reverse (hinted offset 2u - 1 - n), c25.shift_scale (offset n inside the hinted "
                   "stream) and addition-CoT (two operands, two target tokens per digit). APE on hinted positions "
                   f"still fails copy/shift in SRC ({ape_sh}): a hinted absolute position is new at every scale.")


@claim(id="chen2025.lbpe_pola", paper="chen2025",
       wording="A Learning-Based Position Embedding framework automatically learns positional relations.",
       statement="[reconstruction] In a POLA whose dictionary is the union of the rpe, nope, ipe, periodic and "
                 "sh features (LBPE as a linear dictionary), the minimum-norm interpolator (the limit of gradient "
                 "descent from zero) generalizes from 1..8 to 16 and 32 on every target where one of its parts "
                 "does.",
       check="theory.chen2025.lrc.predictions: lbpe vs its parts, for every target",
       reconstruction=True)
def _lbpe() -> Verdict:
    rows = []
    for target in pola.TARGETS:
        parts = [pe for pe in pola.LBPE_PARTS if lrc.prediction(target, pe)["prediction"] == "generalizes"]
        lb = lrc.prediction(target, "lbpe")
        if parts:
            rows.append({"target": target, "parts_that_generalize": parts, "lbpe": lb["prediction"],
                         "lbpe_max_abs_error": lb["min_norm_max_abs_error"]})
    won = sum(r["lbpe"] == "generalizes" for r in rows)
    lost = [f"{r['target']} (parts {'/'.join(r['parts_that_generalize'])}; lbpe error "
            f"{max(r['lbpe_max_abs_error'].values()):.2g})" for r in rows if r["lbpe"] != "generalizes"]
    return Verdict("holds" if won == len(rows) else "fails",
                   {"targets_with_a_generalizing_part": len(rows), "lbpe_generalizes_on": won, "details": rows},
                   f"The union dictionary generalizes on {won} of the {len(rows)} targets where some part does; it "
                   f"fails on {', '.join(lost)}. The minimum-norm solution spreads weight over redundant features "
                   f"(e.g. rpe offset n and the hinted offset 0 for copy), and the part that only exists at the "
                   f"training scales is lost at 16 and 32. This is the linear POLA reading of LBPE; the paper's LBPE "
                   f"is an MLP over relational features with a different implicit bias, tested by the Transformer runs.")
