"""The C-RASP predictions of Huang et al. 2025 per (task, PE), and pelg's mappings for RPE, IPE and SH.

Predictions
-----------
`predictions()` returns one record per (task, pe) for pe in PES = ("ape", "nope", "rpe", "ipe", "sh"):
* ape: C-RASP[periodic, local] (Huang et al.'s Limit-Transformer conditions PERIODIC and LOCAL);
* nope: plain C-RASP (no positional predicate and no relation);
* rpe [derived mapping, not in the paper]: C-RASP[local]. A relative PE adds a term phi(i - j) to the
  attention logits; under the theory's LOCAL condition its support is bounded, and with no absolute
  embedding p_i there is no periodic predicate. Predicted to generalize iff a program without periodic
  predicates is known.
* ipe [pelg extension, not in the paper; IPE as in chen2025.md]: IPE gives one designated relation r(i, j)
  its own logit term and every other pair a shared one, and no absolute position. Fragment: no periodic
  predicate and at most ONE distinct relation, local (`i-j in S`) or on Scale-Hint positions
  (`h(i)-h(j) in S`, the scale-dependent alignment that IPE designates for copy).
* sh [pelg extension, not in the paper; Scale Hint = RPE on hinted positions, as `sh` in theory.chen2025.src]: the
  logit term is phi(h(i) - h(j)) with h = theory.encodings.scale_hint_positions (what `pelg train --pe
  rope+sh` feeds the model). Fragment: no periodic predicate, any hinted relations (`h(i)-h(j) in S`);
  on formal languages (no separator) h is the identity, so a local relation is a hinted one.
Huang et al.'s theorem covers only ape (and nope); for rpe, ipe and sh "a program in the fragment =>
generalizes" is our extrapolation of it, and the records say so (`mapping`). A "fails" record states its
basis (`basis`): "paper negative" (the paper's label and reason; for a fragment inside C-RASP[periodic,
local] it follows from the APE label), "needs periodic" / "needs more relations" (every known program
uses what the PE lacks) or "no program known" (pelg found none; a conjecture, not a proof).

Sources. The default, `source="pelg"`, applies the paper's rule to every program pelg has verified (in
the per-task ledger entries, theory.huang2025.ledger, and against the empirics oracles in the tests):
a program in the PE's fragment => "generalizes". It agrees with the ledger for every (task, PE)
(tests/theory/test_crasp_ledger.py). For APE and NoPE it reproduces the Pred column of huang2025.md
except at one cell: pelg found a plain C-RASP program for copy with unique tokens (`copy_unique_nope`:
count the source tokens before the first occurrence of a, compare with the number of tokens copied so
far), so C-RASP expressibility predicts NoPE to generalize there, against the paper's label "no" (whose
reason is that the paper's construction, an induction head, needs a local relation). The rule, not the
label, is the paper's theory, and the same program already supports every PE whose fragment contains
plain C-RASP (RPE, IPE, SH), so the NoPE record says "generalizes" and carries `paper_label: "no"`,
`agrees_with_paper: False`, `pelg_program_contradicts_label: True` and the program; the ledger entry
`huang2025.crasp.copy_unique` is "holds with correction" for the same reason. (The paper's own NoPE runs
fail on copy unique: 100/18.0/0, so this cell is a miss of the theory as pelg applies it.)
`source="paper"` uses only the canonical (paper-style) program for APE and NoPE and reproduces the Pred
column exactly; its copy-unique NoPE record says "fails" and flags the alternative.
"""
from __future__ import annotations

from theory.huang2025.task_table import ENTRIES, TaskEntry, fragments, ledger_id

PES = ("ape", "nope", "rpe", "ipe", "sh")


def _describe(name: str, rep: dict) -> str:
    bits = []
    if rep["uses_periodic"]:
        bits.append("periods " + ",".join(map(str, rep["periods"])))
    if rep["relations"]:
        bits.append("relations " + "; ".join(rep["relations"]))
    if not bits:
        bits.append("no positional predicate")
    return f"{rep['fragment']} program {name!r} ({'; '.join(bits)})"


_MAPPING = {
    "rpe": "rpe -> C-RASP[local] [derived, not in the paper]",
    "ipe": "ipe -> C-RASP with no periodic predicate and one relation (local or hinted) [pelg extension]",
    "sh": "sh -> C-RASP with hinted relations, no periodic predicate (RPE on Scale-Hint positions) "
          "[pelg extension]",
}


def in_fragment(pe: str, rep: dict, kind: str) -> bool:
    """Does a program with check report `rep` lie in the fragment of `pe` (see the module docstring)?"""
    if not rep["ok"]:
        return False
    if pe == "ape":
        return rep["huang_class"]
    if pe == "nope":
        return rep["nope_compatible"]
    if rep["uses_periodic"]:
        return False
    if pe == "rpe":
        return not rep["uses_hinted"]
    if pe == "ipe":
        return len(rep["relations"]) <= 1
    if pe == "sh":   # without a separator (formal languages) hinted positions are the positions
        return kind == "sets" or not rep["uses_local"]
    raise ValueError(f"unknown PE {pe!r}; valid: {', '.join(PES)}")


def _failure(e: TaskEntry, pe: str, names: list[str], frags: dict) -> tuple[str, str]:
    """(basis, reason) of a "fails" record."""
    if pe == "nope" and e.paper[0] == "yes":
        return "no plain program", f"no plain C-RASP program ({e.nope_reason})"
    if e.paper[0] == "no":
        if pe in ("ape", "rpe"):
            return "paper negative", f"no C-RASP[periodic, local] program: {e.negative}"
        if e.kind == "sets":
            return "paper negative", ("no separator, so hinted relations are local ones and the PE's fragment "
                                      f"lies inside C-RASP[periodic, local]: {e.negative}")
        if e.task == "h25.parity":
            return "paper negative", ("one output token: from <sep> and the output, a finite hinted offset "
                                      "reaches only a bounded window of the source, so hinted relations add "
                                      "O(1) symbols to a C-RASP[local] program and the paper's negative ("
                                      f"{e.negative}) carries over [pelg argument]")
        return "no program known", ("no program in the fragment known to pelg [conjecture]; the paper's "
                                    f"negative is for C-RASP[periodic, local] ({e.negative})")
    if all(frags[n]["uses_periodic"] for n in names):
        return "needs periodic", ("every known program uses a periodic predicate and the PE gives no absolute "
                                  f"position ({e.nope_reason})")
    return "needs more relations", ("every known program without a periodic predicate uses a relation the PE "
                                    "does not give (IPE: more than one; SH: a local one across the separator)")


def predictions(source: str = "pelg") -> list[dict]:
    """One record per (task, pe) for pe in PES; see the module docstring. source="pelg" (default): every
    verified program counts, the ledger's rule (copy unique then generalizes under NoPE, against the
    paper's label); source="paper": APE / NoPE from the canonical programs and the stored negatives
    (matches huang2025.md's Pred column). RPE, IPE and SH always use every verified program (they are our
    mappings, not the paper's labels)."""
    if source not in ("paper", "pelg"):
        raise ValueError(f"unknown source {source!r}; valid: 'paper', 'pelg'")
    records = []
    for e in ENTRIES:
        frags = fragments(e.task)
        names = list(frags)
        canon = names[0] if e.program else None
        for pe in PES:
            pool = [canon] if (source == "paper" and pe in ("ape", "nope")) else names
            pool = [n for n in pool if n is not None]
            found = [n for n in pool if in_fragment(pe, frags[n], e.kind)]
            alt_fits = [n for n in names if n != canon and in_fragment(pe, frags[n], e.kind)]
            if found:
                pred, basis = "generalizes", "program"
                reason = _describe(found[0], frags[found[0]]) + f", verified in the ledger ({ledger_id(e.task)})"
            else:
                pred = "fails"
                basis, reason = _failure(e, pe, names, frags)
            rec = {"task": e.task, "pe": pe, "theory": "crasp", "prediction": pred, "reason": reason,
                   "basis": basis, "fragment": frags[found[0]]["fragment"] if found else "none",
                   "program": found[0] if found else None, "label_source": source}
            if pe in ("ape", "nope"):
                label = e.paper[0 if pe == "ape" else 1]
                rec["paper_label"] = label
                rec["agrees_with_paper"] = (pred == "generalizes") == (label == "yes")
                if label == "no" and (found or alt_fits):
                    alt = found[0] if found else alt_fits[0]
                    rec["pelg_program_contradicts_label"] = True
                    rec["pelg_alternative"] = alt
                    if found:
                        rec["reason"] += (f"; the paper's label is 'no' ({e.nope_reason}), but the rule predicts "
                                          f"'generalizes' from this program")
                    else:
                        rec["reason"] = (f"paper's label 'no' ({e.nope_reason}); BUT pelg's "
                                         f"{_describe(alt, frags[alt])} is verified "
                                         f"({ledger_id(e.task)}), so C-RASP expressibility alone predicts "
                                         f"'generalizes' (the default, source='pelg')")
            else:
                rec["mapping"] = _MAPPING[pe]
            records.append(rec)
    return records
