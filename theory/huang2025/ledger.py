"""Ledger entries for Huang et al. 2025: one per task and formal language of the paper's tables
(huang2025.md, "Published results", Pred column = predicted to generalize with APE / with NoPE).

* A "yes" label is checked by a C-RASP program (theory.huang2025.token_programs and
  theory.huang2025.language_programs, run by theory.huang2025.verify) verified against the theory-side
  reference at the paper's vocabulary (150 tokens for sort and copy with unique tokens, 26 letters for
  majority) on every string up to a length (12 for binary alphabets) and on 60 random strings up to 150,
  with its fragment from the type checker: a plain C-RASP program supports "yes" for NoPE, a
  C-RASP[periodic, local] one "yes" for APE. -> "holds"; "holds with correction" where a verified program
  contradicts a "no" label; "fails" where the program the entry names does not compute the task (a
  counterexample) or lies outside C-RASP[periodic, local].
* A "no/no" label is a negative with a stored reason. -> "fails" if a verified C-RASP[periodic, local]
  program among the entry's programs computes the task (a witness refutes the negative); "holds" where
  the communication-matrix rank (theory.huang2025.commcomplexity) grows linearly (log-rank lower bound
  beats the O(log N) of C-RASP[periodic, local]); "not checkable" where the rank stays bounded (parity,
  regular languages), i.e. communication complexity cannot show the negative.
* The NoPE "no" of a yes/no task rests on the absence of a plain program (not proven); the entry says so.
* Every entry records `predicted`: per PE of theory.huang2025.predictions.PES, "generalizes" iff a program
  the entry verified lies in the PE's fragment (`in_fragment`). `pelg predict` (predictions()) must give
  the same (tests/theory/test_crasp_ledger.py).
* `huang2025.crasp.ipe_sh` [pelg extension, reconstruction]: the C-RASP predictions for IPE and Scale Hint
  (theory.huang2025.predictions, module docstring) are not the paper's; the entry checks that every
  "generalizes" among them rests on a verified program inside the PE's fragment.

Falsification cases (theory.claims): each entry runs its own check on a false variant that must come
out "fails": a point mutation of the program (theory.huang2025.mutate: a comparison, constant, relation
or periodic predicate), a near miss claimed to compute a negative task (theory.huang2025.near_misses), the
negative claimed for a related task that has a program, or IPE's rule applied to APE's predictions.
"""
from __future__ import annotations

from dataclasses import replace

from theory.huang2025 import commcomplexity as cc
from theory.huang2025.mutate import Mutation, mutate
from theory.huang2025.near_misses import NEAR_MISSES
from theory.huang2025.predictions import PES, in_fragment, predictions
from theory.huang2025.references import LANGUAGES
from theory.huang2025.task_table import BY_TASK, ENTRIES, TaskEntry, ledger_id, program_fn
from theory.huang2025.verify import verify_entry
from theory.claims import Verdict, claim

RANK_FAMILY = {"h25.copy_repeat": "copy_repeat", "h25.addition": "addition", "h25.parity": "parity",
               "h25.binary_majority": "majority", "h25.copy_unique": "copy_unique_V2"}
_CACHE: dict = {}
_REPORT_KEYS = ("ok", "fragment", "nope_compatible", "huang_class", "uses_periodic", "uses_local", "uses_hinted",
                "relations", "periods")


def _verify(entry: TaskEntry, fn, mutation: Mutation | None = None) -> dict:
    """Verify program `fn` of `entry` (at the entry's parameters: the paper's vocabulary) against the
    theory-side reference, optionally after a point mutation; memoized per (task, program, parameters,
    mutation), so that entries sharing a program verify it once per process."""
    key = (entry.task, fn.__module__, fn.__qualname__, tuple(sorted(entry.params.items())), mutation)
    if key not in _CACHE:
        r = verify_entry(entry, fn, transform=(lambda p: mutate(p, mutation)) if mutation else None)
        _CACHE[key] = {"program": r["program"], **{k: r["check"][k] for k in _REPORT_KEYS},
                       "vocabulary": r["params"].get("n_symbols"), "strings": r["strings"],
                       "positions": r["positions"], "mismatches": r["mismatches"],
                       "first_mismatch": r["first_mismatch"],
                       **({"mutation": mutation.describe()} if mutation else {})}
    return dict(_CACHE[key])


def _correct(v: dict) -> bool:
    return v["ok"] and v["mismatches"] == 0


def _predicted(entry: TaskEntry, verified: list[dict]) -> dict[str, dict]:
    """{pe: {"prediction", "program"}}: "generalizes" iff a verified program lies in the PE's fragment."""
    out = {}
    for pe in PES:
        fit = [v["program"] for v in verified if _correct(v) and in_fragment(pe, v, entry.kind)]
        out[pe] = {"prediction": "generalizes" if fit else "fails", "program": fit[0] if fit else None}
    return out


def _where(v: dict) -> str:
    voc = f", vocabulary {v['vocabulary']}" if v.get("vocabulary") else ""
    return f"{v['strings']} strings / {v['positions']} scored positions{voc}"


def _positive(entry: TaskEntry, mutation: Mutation | None = None) -> Verdict:
    ape, nope = entry.paper
    main = _verify(entry, entry.program, mutation)
    alts = [_verify(entry, fn) for fn in entry.alternatives]
    ev = {"paper_label": f"{ape}/{nope}", "program": main, "alternatives": alts,
          "predicted": _predicted(entry, [main, *alts])}
    if main["mismatches"]:
        return Verdict("fails", ev, f"The program {main['program']!r} does not compute the task: "
                                    f"{main['mismatches']} of {main['positions']} scored positions wrong "
                                    f"({main['strings']} strings); first: {main['first_mismatch']}.")
    if not main["huang_class"]:
        return Verdict("fails", ev, f"The program {main['program']!r} matches the reference but is "
                                    f"{main['fragment']}, outside C-RASP[periodic, local]: it does not "
                                    f"support the APE 'yes'.")
    plain_alt = [a for a in alts if _correct(a) and a["nope_compatible"]]
    where = _where(main)
    if nope == "yes" and not main["nope_compatible"]:
        return Verdict("not checkable", ev, f"{main['program']!r} ({main['fragment']}) is verified but uses "
                                            f"positional predicates; no plain program supplied for NoPE")
    if nope == "no" and plain_alt:
        a = plain_alt[0]
        return Verdict("holds with correction", ev,
                       f"APE 'yes' holds: the {main['fragment']} program {main['program']!r} matches the "
                       f"reference on {where}. NoPE 'no' does not follow from C-RASP: pelg's plain C-RASP "
                       f"program {a['program']!r} (no positional predicate, no relation) matches on "
                       f"{_where(a)}, so expressibility predicts 'generalizes' for NoPE too, and "
                       f"`pelg predict` says so (the paper's NoPE runs fail: 100/18.0/0).")
    if nope == "yes":
        note = (f"A plain C-RASP program {main['program']!r} (no positional predicate) matches the reference "
                f"on {where}: predicted to generalize with APE and NoPE, as labelled.")
    else:
        note = (f"The {main['fragment']} program {main['program']!r} matches the reference on {where}: APE "
                f"'yes' holds. NoPE 'no': {entry.nope_reason} (the absence of a plain program is the "
                f"paper's label, not proven here).")
    return Verdict("holds", ev, note)


def _negative(entry: TaskEntry) -> Verdict:
    pool = [_verify(entry, fn) for fn in entry.programs]
    ev = {"paper_label": "/".join(entry.paper), "reason": entry.negative, "programs": pool,
          "predicted": _predicted(entry, pool)}
    witness = [v for v in pool if _correct(v) and v["huang_class"]]
    if witness:
        w = witness[0]
        return Verdict("fails", ev, f"The {w['fragment']} program {w['program']!r} computes the task "
                                    f"({_where(w)}, 0 wrong): the negative is refuted.")
    outside = "; ".join(f"{v['program']!r} computes it but is {v['fragment']}, outside the theorem's class"
                        for v in pool if _correct(v))
    outside = f" ({outside})" if outside else ""
    fam = RANK_FAMILY.get(entry.task)
    if fam in ("copy_repeat", "addition"):
        rows = cc.rank_table([fam])[fam]
        inc = cc.increments(rows)
        ev["ranks"] = [{"n": r["n"], "rank": r["rank"], "log2_rank": round(r["log2_rank"], 4),
                        "rank_mod_p": r["rank_mod_p"]} for r in rows]
        ev["log2_rank_increments"] = [round(x, 4) for x in inc]
        # linear: at least one more bit per step of the size parameter (copy: +2 tokens, addition: +3),
        # over the whole range past the first size (the first addition size is degenerate: rank 1)
        tail = inc[1:] if fam == "addition" else inc
        linear = bool(tail) and min(tail) >= 1.0 - 1e-9
        exact = all(r["rank"] == r["rank_mod_p"] for r in rows)
        top = rows[-1]
        logs = ", ".join(f"{r['log2_rank']:.2f}" for r in rows)
        ns = ", ".join(str(r["n"]) for r in rows)
        note = (f"Transcript-check matrix, split in the middle: log2 rank = {logs} at n = {ns} "
                f"(increments >= {min(tail):.2f} bit per step; rank {top['rank']} at n = {top['n']}, "
                f"exact over Q {'and equal' if exact else 'but not equal'} mod p)")
        if linear and exact:
            return Verdict("holds", ev, note + ": linear growth, while every C-RASP[periodic, local] function "
                                              f"has log2 rank O(log N){outside}.")
        return Verdict("not checkable", ev, note + ": not linear, so the log-rank argument does not show "
                                                   f"the negative{outside}.")
    if fam == "parity":
        rows = cc.rank_table(["parity"])["parity"]
        ev["ranks"] = [{"n": r["n"], "rank": r["rank"]} for r in rows]
        return Verdict("not checkable", ev,
                       f"Parity's communication matrix has rank {max(r['rank'] for r in rows)} at every n up "
                       f"to {rows[-1]['n']} (1 bit suffices), so the log-rank argument cannot show this "
                       f"negative; it rests on the paper's inexpressibility of modular counting{outside}.")
    ns = range(2, 9, 2) if len(LANGUAGES[entry.task][0]) > 2 else range(2, 13, 2)
    ranks = [cc.exact_rank(cc.membership(entry.task, n)) for n in ns]
    ev["membership_ranks"] = dict(zip(map(str, ns), ranks))
    return Verdict("not checkable", ev,
                   f"Regular language: the membership (<eos>) matrix has rank {ranks} at n = {list(ns)}, "
                   f"bounded by the number of DFA states, so communication complexity cannot show the "
                   f"negative; it rests on the paper's label ({entry.negative}){outside}.")


def inputs_text(entry: TaskEntry) -> str:
    """What theory.huang2025.references.ledger_inputs draws for this entry, in words."""
    t, p = entry.task, entry.params
    if entry.kind == "sets":
        k = len(LANGUAGES[t][0])
        top = {1: 150, 2: 12, 3: 8, 4: 6, 5: 5}[k]
        return (f"all strings up to length {top} over the {k}-symbol alphabet, 60 random valid prefixes and 15 "
                f"random strings of length up to 150")
    if t in ("h25.sort", "h25.copy_unique"):
        return (f"vocabulary {p['n_symbols']} (the paper's): all permutations of up to 5 of the tokens 0-4 and "
                f"60 random distinct-token sources of length up to 150")
    if t == "h25.majority":
        return ("all strings up to length 7 over a, b, c and 60 random sources of length up to 150 over the 26 "
                "letters (unique mode only)")
    if t == "h25.binary_majority_interleave":
        return f"all sources up to length 12 of length a multiple of {p['period']} and 60 random ones up to 150"
    return "all sources up to length 12 over the binary alphabet and 60 random ones of length up to 150"


def _statement(entry: TaskEntry) -> tuple[str, str]:
    ape, nope = entry.paper
    if ape == "no":
        return ("No C-RASP[periodic, local] program computes the task's next-token (or legal-next-set) "
                f"function: {entry.negative}.",
                "no program of the entry (if any) may be a verified C-RASP[periodic, local] program (a witness "
                "refutes the negative); communication-matrix rank of the transcript check "
                "(theory.huang2025.commcomplexity), exact over Q, for the family where it applies; otherwise "
                "the rank that shows why it does not")
    args = ", ".join(f"{k}={v}" for k, v in entry.params.items())
    name = f"{entry.program.__name__}({args})"
    if nope == "yes":
        st = (f"pelg's plain C-RASP program {name} (no positional predicate, no relation) has NEXT outputs "
              "equal to the task's targets at every scored position, so APE and NoPE are predicted to generalize.")
    else:
        st = (f"pelg's C-RASP[periodic, local] program {name} has NEXT outputs equal to the task's targets at "
              "every scored position (APE predicted to generalize); NoPE is labelled 'no' because the program "
              f"needs a positional predicate ({entry.nope_reason}).")
    ck = ("the program's fragment by theory.huang2025.checker.check; NEXT compared with the theory-side reference "
          f"on {inputs_text(entry)}; mismatches must be 0")
    return st, ck


# ----------------------------------------------------------------------------------------------------
# falsification cases: one point mutation per program (a comparison, constant, relation or periodic
# predicate), near misses for the negatives, and the negative claimed for a related task with a program
# ----------------------------------------------------------------------------------------------------

M = Mutation
MUTATIONS: dict[str, tuple[str, Mutation]] = {
    "h25.binary_majority": ("NEXT(1) fires on ties: #0 < #1 -> #0 <= #1", M("NEXT(1)", "op", "<=")),
    "h25.majority": ("NEXT(a)'s first comparison reversed: #b < #a -> #b >= #a", M("NEXT(a)", "op", ">=")),
    "h25.binary_majority_interleave": ("string 0 read from the residue of string 2: i mod 3 = 2 -> 1",
                                       M("on_0", "periodic", (3, (1,)))),
    "h25.sort": ("<eos> once k <= n_src: == -> <=", M("NEXT(<eos>)", "op", "<=")),
    "h25.copy_unique": ("the <bos> key reads two back: previous-token relation i-j in {1} -> {2}",
                        M("prev_bos", "offsets", (2,))),
    **{f"h25.d{n}": (f"'a' legal at depth {n}: d < {n} -> d < {n + 1}", M("NEXT(a)", "const", n + 1))
       for n in (2, 3, 4, 12)},
    "h25.tomita1": ("one 0 allowed: #0 == 0 -> #0 == 1", M("ok", "const", 1)),
    "h25.tomita2": ("#1 - #0 may reach 2: d > 1 -> d > 2", M("valid", "const", 2, index=1)),
    "h25.tomita4": ("three 0s within a window of four: i-j in {0,1,2} -> {0,1,2,3}", M("z3", "offsets", (0, 1, 2, 3))),
    "h25.tomita7": ("s1010 needs two 0s after 101: >= 1 -> >= 2", M("s1010", "const", 2)),
    "h25.aa_bb_cc_dd_ee": ("<eos> needs two e's: seen_e >= 1 -> >= 2", M("seen_e", "const", 2)),
    "h25.ab_d_bc": ("a second d allowed: nd >= 2 -> nd >= 3", M("bad", "const", 3, index=2)),
    "h25.aa_star": ("<eos> on the wrong residue: i mod 2 = 1 -> 0", M("NEXT(<eos>)", "periodic", (2, (0,)))),
    "h25.aaaa_star": ("the (aa)* period: i mod 4 = 1 -> i mod 2 = 1", M("NEXT(<eos>)", "periodic", (2, (1,)))),
    "h25.abab_star": ("<eos> after ab: i mod 4 = 1 -> i mod 2 = 1", M("NEXT(<eos>)", "periodic", (2, (1,)))),
}
RELATED = {"h25.copy_repeat": "h25.copy_unique", "h25.parity": "h25.binary_majority",
           "h25.addition": "h25.binary_majority"}


def _falsify(entry: TaskEntry) -> dict:
    out = {}
    if entry.task in MUTATIONS:
        text, m = MUTATIONS[entry.task]
        out[f"{entry.program.__name__} with one mutation ({text}) claimed to compute the task"] = {"mutation": m}
    if entry.task in NEAR_MISSES:
        fn = NEAR_MISSES[entry.task]
        out[f"the near miss {fn.__name__!r} (theory.huang2025.near_misses) claimed to compute the task "
            f"(APE 'yes')"] = {"claimed": fn}
    if entry.task in RELATED:
        other = BY_TASK[RELATED[entry.task]]
        out[f"the same negative claimed for {other.row} (which pelg's {other.programs[0].__name__!r} "
            f"computes)"] = {"task": other.task}
    return out


def _register(entry: TaskEntry) -> None:
    st, ck = _statement(entry)
    ape, nope = entry.paper

    @claim(id=ledger_id(entry.task), paper="huang2025",
           wording=f"{entry.row}: predicted to generalize with APE: {ape}; with NoPE: {nope} (Pred column).",
           statement=st, check=ck, falsify=_falsify(entry))
    def _check(entry=entry, mutation: Mutation | None = None, claimed=None, task: str | None = None) -> Verdict:
        """`mutation`: verify the program after a point mutation; `claimed`: a false variant that claims the
        program `claimed` computes the task (APE 'yes'); `task`: the same negative, claimed for that task."""
        if claimed is not None:
            entry = replace(entry, paper=("yes", "no"), program=claimed, alternatives=(),
                            nope_reason="a falsification variant")
        if task is not None:
            other = BY_TASK[task]
            entry = replace(other, paper=entry.paper, negative=entry.negative, program=None,
                            alternatives=tuple(other.programs), comm="")
        return _positive(entry, mutation) if entry.program is not None else _negative(entry)


for _entry in ENTRIES:
    _register(_entry)


EXTENSION_PES = ("ipe", "sh")


@claim(id="huang2025.crasp.ipe_sh", paper="huang2025",
       wording="A function with a C-RASP[periodic, local] program is predicted to length-generalize "
               "(the paper's rule, for APE and NoPE), extended by pelg to IPE and Scale Hint.",
       statement="Every IPE / SH 'generalizes' prediction of `pelg predict --theory crasp` rests on a program "
                 "that the checker places in the PE's fragment (IPE: no periodic predicate, one relation; "
                 "SH: hinted relations, no periodic predicate) and whose NEXT outputs match the reference "
                 "on every tested string; copy with repeated tokens, a paper negative for APE, has such a "
                 "program (one hinted relation).",
       check="theory.huang2025.checker.check on each program behind an IPE or SH 'generalizes' "
             "(theory.huang2025.predictions.in_fragment of the PE); theory.huang2025.verify.verify_entry on it at "
             "the task's vocabulary (exhaustive up to length 12 on binary alphabets plus 60 random strings up "
             "to 150), shared with the per-task entries",
       reconstruction=True,
       falsify={"IPE's rule applied to APE's 'generalizes' predictions (they use periodic predicates and "
                "several relations)": {"records_of": {"ipe": "ape"}},
                "copy_hinted with its hinted relation h(i)-h(j) in {-1,1} -> {1} behind the copy-repeat "
                "predictions": {"mutations": {"copy_hinted": M("ahead", "offsets", (1,))}}})
def _ipe_sh(records_of: dict | None = None, mutations: dict | None = None) -> Verdict:
    """`records_of`: {rule PE: PE whose predictions it checks} (a swap is a false variant); `mutations`:
    {program name: Mutation} applied before verification."""
    every = predictions()
    records_of, mutations = dict(records_of or {}), dict(mutations or {})
    checked, bad = [], []
    table = {}
    for pe in EXTENSION_PES:
        src = records_of.get(pe, pe)
        recs = [r for r in every if r["pe"] == src]
        table[pe] = {"generalizes": sum(r["prediction"] == "generalizes" for r in recs),
                     "fails": sum(r["prediction"] == "fails" for r in recs), "records_of": src}
        for r in recs:
            if r["prediction"] != "generalizes":
                continue
            entry = BY_TASK[r["task"]]
            fn = program_fn(r["task"], r["program"])
            v = _verify(entry, fn, mutations.get(r["program"]))
            row = {"pe": pe, "task": r["task"], "program": v["program"], "fragment": v["fragment"],
                   "in_fragment": in_fragment(pe, v, entry.kind), "strings": v["strings"],
                   "mismatches": v["mismatches"]}
            checked.append(row)
            if row["mismatches"] or not row["in_fragment"] or not v["ok"]:
                bad.append(row)
    repeat = {r["pe"]: r["prediction"] for r in every if r["task"] == "h25.copy_repeat" and r["pe"] in EXTENSION_PES}
    ev = {"counts": table, "checked": checked, "wrong": bad, "copy_repeat": repeat,
          "bases": sorted({r["basis"] for r in every if r["pe"] in EXTENSION_PES})}
    own = sorted({(c["program"], c["fragment"], c["strings"], c["mismatches"]) for c in checked
                  if c["program"] not in {r["program"] for r in every if r["pe"] in ("ape", "nope")}})
    ev["extension_programs"] = [{"program": p, "fragment": f, "strings": s, "mismatches": m} for p, f, s, m in own]
    desc = "; ".join(f"{p} ({f}, {s} strings, {m} wrong)" for p, f, s, m in own)
    counts = ", ".join(f"{pe}: {t['generalizes']} generalize / {t['fails']} fail" for pe, t in table.items())
    if bad or not checked:
        what = "; ".join(f"{b['pe']} {b['task']} {b['program']} ({b['fragment']}, in fragment: {b['in_fragment']}, "
                         f"{b['mismatches']} wrong)" for b in bad[:4])
        return Verdict("fails", ev, f"{len(bad)} of {len(checked)} 'generalizes' predictions do not rest on a "
                                    f"correct program in the PE's fragment: {what}")
    if repeat != {"ipe": "generalizes", "sh": "generalizes"}:
        return Verdict("fails", ev, f"copy with repeated tokens is not predicted to generalize with IPE and SH: "
                                    f"{repeat}")
    return Verdict("holds", ev, f"{counts} over {len(ENTRIES)} tasks; all {len(checked)} 'generalizes' rest on "
                                f"a verified program in the fragment; programs only the extension uses: {desc}. "
                                f"Copy repeat (APE/NoPE 'no' in the paper) is predicted to generalize "
                                f"with IPE and SH.")
