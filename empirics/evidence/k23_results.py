"""Kazemnejad et al. 2023 (kazemnejad2023.md): what a set of recorded runs says about the paper's claims.

Pure functions over the rows of a reproduction record (`empirics/repro/results/kazemnejad2023_quick.json`),
shared by `pelg repro kazemnejad2023` and the ledger entries `k23.*` (one source of truth for the rules):
- cells: per (task-split, PE), the seeds, their fit flags, in-distribution and OOD accuracies; a cell is
  decided when at least `min_seeds` seeds fit (issue 10's gate), and its OOD value is the mean over fit
  seeds with a 95% t-interval;
- MRR (Fig. 1): per (task-split, seed) the five PEs ranked by overall OOD accuracy, ties broken by PE
  order (K23's rule), over all runs and again over the units where every PE fit; also with ties shared,
  since at small scale many PEs tie at 0 and the tie order alone could make a ranking;
- orderings: "A beats B on these task-splits" from the OOD accuracies of fit runs, pooled over the
  task-splits and seeds named, decided only where the intervals separate (`empirics.analysis.stats`);
- the scratchpad table and its verdict.
"""
from __future__ import annotations

from scipy import stats as scipy_stats

from empirics.analysis.fit import cell_status
from empirics.analysis.selection import reciprocal_ranks
from empirics.analysis.stats import compare, mean_interval

PES = ("nope", "t5", "alibi", "rope", "sinusoidal")   # K23's five PEs, in Fig. 1's order (MRR tie order)
LABELS = {"nope": "NoPE", "t5": "T5 bias", "alibi": "ALiBi", "rope": "Rotary", "sinusoidal": "APE"}
PUBLISHED_MRR = {"nope": 0.69, "t5": 0.55, "alibi": 0.50, "rope": 0.33, "sinusoidal": 0.22}
# Mean OOD accuracy over 3 seeds recomputed from K23's logged runs (kazemnejad2023.md); addition as its
# seed range (lo, hi); task-splits the paper shows only qualitatively are absent.
PUBLISHED_OOD = {
    "k23.copy_rsc": (.986, .771, .289, .000, .000), "k23.copy_rdc": (.967, .939, .170, .016, .000),
    "k23.copy_rsc2x": (.974, .558, .194, .000, .000), "k23.copy_cmc": (.305, .420, .331, .011, .028),
    "k23.copy_cmc2x": (.431, .524, .569, .043, .040), "k23.reverse_mc": (.230, .242, .171, .077, .023),
    "k23.reverse_mc2x": (.473, .448, .195, .053, .011), "k23.reverse_mcrv": (.182, .140, .115, .000, .000),
    "k23.scan": (.797, .799, .438, .283, .057), "k23.pcfg": (.433, .439, .428, .439, .366),
    "k23.addition": ((.07, .11), (.06, .08), (.07, .08), (0, 0), (0, 0)),
}
PUBLISHED_ADDITION_FULL_SCRATCHPAD = (.166, .162, .117, .066, .075)
CATEGORIES = {   # K23 Fig. 2
    "copy & reverse": ("k23.copy_rsc", "k23.copy_rdc", "k23.copy_rsc2x", "k23.copy_cmc", "k23.copy_cmc2x",
                       "k23.reverse_mc", "k23.reverse_mc2x", "k23.reverse_mcrv"),
    "math & reasoning": ("k23.addition", "k23.polynomial", "k23.sort_single", "k23.sort_multi", "k23.summation",
                         "k23.parity", "k23.lego"),
    "SCAN & PCFG": ("k23.scan", "k23.pcfg"),
}
TASKS = tuple(t for group in CATEGORIES.values() for t in group)
COPY_TASKS = CATEGORIES["copy & reverse"][:5]
MIN_FIT_UNITS = 3   # an MRR ranking verdict needs at least this many units


def published_ood(task: str, pe: str):
    row = PUBLISHED_OOD.get(task)
    return None if row is None else row[PES.index(pe)]


def study_rows(rows: list[dict], study: str = "main") -> list[dict]:
    return [r for r in rows if r["key"][0] == study]


def cells(rows: list[dict], min_seeds: int = 1, study: str = "main", task_format: str | None = None) -> dict:
    """{task: {pe: cell}} for one study (and one format): a cell lists its seeds with fit flags, ID and
    OOD accuracies and per-bucket accuracies; decided cells carry the OOD interval over fit seeds."""
    out: dict = {}
    for r in study_rows(rows, study):
        _, task, fmt, pe, seed = r["key"]
        if task_format is not None and fmt != task_format:
            continue
        c = out.setdefault(task, {}).setdefault(pe, {"seeds": [], "fit": [], "id": [], "ood": [], "buckets": {}})
        c["seeds"].append(seed), c["fit"].append(bool(r["fit"])), c["id"].append(r["in_distribution"])
        c["ood"].append(r["ood"])
        if r["fit"]:
            for b, v in r["metrics"].items():
                c["buckets"].setdefault(b, []).append(v)
    for by_pe in out.values():
        for c in by_pe.values():
            decided, label = cell_status(c["fit"], min_seeds)
            fit_ood = [v for v, f in zip(c["ood"], c["fit"]) if f]
            c.update(decided=decided, label=label, fit_ood=fit_ood,
                     interval=mean_interval(fit_ood).to_dict() if decided else None)
    return out


def _units(rows: list[dict], pes, fit_only: bool) -> dict[tuple, dict[str, float]]:
    """{(task, seed): {pe: OOD accuracy}} over the main study's complete units (every PE ran; with
    `fit_only`, every PE's run fit)."""
    units: dict[tuple, dict] = {}
    for r in study_rows(rows):
        _, task, _, pe, seed = r["key"]
        units.setdefault((task, seed), {})[pe] = (r["ood"], bool(r["fit"]))
    return {u: {pe: v[0] for pe, v in by.items()} for u, by in units.items()
            if all(pe in by for pe in pes) and (not fit_only or all(by[pe][1] for pe in pes))}


def mrr_summary(rows: list[dict], pes=PES, tasks=None) -> dict:
    """MRR per PE by K23's rule (ties by PE order) and with shared ties, over all complete units and over
    units where every PE fit; `tasks` restricts the units (per-category MRR, Fig. 2)."""
    out = {}
    for scope, fit_only in (("all", False), ("fit", True)):
        units = {u: v for u, v in _units(rows, pes, fit_only).items() if tasks is None or u[0] in tasks}
        entry = {"units": len(units), "all_tied": sum(len(set(v.values())) == 1 for v in units.values())}
        for ties in ("order", "average"):
            if units:
                rr = reciprocal_ranks({pe: [units[u][pe] for u in units] for pe in pes}, ties)
                entry[ties] = {"mrr": {pe: sum(v) / len(v) for pe, v in rr.items()}, "rr": rr}
        out[scope] = entry
    return out


def kendall_tau(mrr: dict[str, float]) -> float:
    """Kendall tau between an MRR per PE and the published one (Fig. 1)."""
    pes = list(PUBLISHED_MRR)
    return float(scipy_stats.kendalltau([mrr[p] for p in pes], [PUBLISHED_MRR[p] for p in pes]).statistic)


def ranking_verdict(summary: dict, scope: str = "fit", ties: str = "average", claimed: str = "nope") -> dict:
    """The claim "`claimed` ranks first by MRR": holds when its MRR is the highest and its reciprocal ranks
    over units separate from the runner-up's; fails when another PE's separate above it; otherwise no
    separation; undecided with fewer than MIN_FIT_UNITS units."""
    entry = summary[scope]
    if entry["units"] < MIN_FIT_UNITS or ties not in entry:
        return {"verdict": "undecided", "units": entry["units"],
                "why": f"{entry['units']} unit(s) in scope {scope!r}; need {MIN_FIT_UNITS}"}
    mrr, rr = entry[ties]["mrr"], entry[ties]["rr"]
    rival = max((p for p in mrr if p != claimed), key=lambda p: mrr[p])
    c = compare(rr[claimed], rr[rival], lower_is_better=False)
    verdict = {"A better": "holds", "B better": "fails"}.get(c["result"], "no separation")
    return {"verdict": verdict, "units": entry["units"], "claimed": claimed, "rival": rival,
            "mrr": mrr, "comparison": c, "kendall_tau": kendall_tau(mrr)}


def beats(cell_map: dict, tasks, winner: str, loser: str) -> dict:
    """"`winner` has higher OOD accuracy than `loser` on `tasks`": fit runs' OOD accuracies pooled over
    the task-splits (and seeds) where both cells are decided; needs two values a side."""
    a = [v for t in tasks if t in cell_map and _both(cell_map[t], winner, loser) for v in cell_map[t][winner]["fit_ood"]]
    b = [v for t in tasks if t in cell_map and _both(cell_map[t], winner, loser) for v in cell_map[t][loser]["fit_ood"]]
    if len(a) < 2 or len(b) < 2:
        return {"verdict": "undecided", "winner": winner, "loser": loser, "n": [len(a), len(b)],
                "why": "fewer than two fit runs on a side"}
    c = compare(a, b, lower_is_better=False)
    verdict = {"A better": "holds", "B better": "fails"}.get(c["result"], "no separation")
    return {"verdict": verdict, "winner": winner, "loser": loser, "n": [len(a), len(b)], "comparison": c}


def _both(by_pe: dict, a: str, b: str) -> bool:
    return a in by_pe and b in by_pe and by_pe[a]["decided"] and by_pe[b]["decided"]


def success_checks(cell_map: dict) -> dict:
    """The issue's quick-scale success criterion: NoPE and T5 beat Rotary and APE on copy and SCAN OOD."""
    out = {}
    for name, tasks in (("copy", COPY_TASKS), ("SCAN", ("k23.scan",))):
        for w in ("nope", "t5"):
            for lo in ("rope", "sinusoidal"):
                out[f"{w} > {lo} on {name}"] = beats(cell_map, tasks, w, lo)
    return out


def scratchpad_cells(rows: list[dict], min_seeds: int = 1) -> dict:
    """{task: {format: {pe: cell}}}: the scratchpad study's runs, with the main study's plain runs unless
    the study ran its own plain format (at its own lengths)."""
    out: dict = {}
    formats = sorted({r["key"][2] for r in study_rows(rows, "scratchpad")})
    tasks = sorted({r["key"][1] for r in study_rows(rows, "scratchpad")})
    plain = cells(rows, min_seeds)
    for fmt in formats:
        for task, by_pe in cells(rows, min_seeds, "scratchpad", fmt).items():
            out.setdefault(task, {})[fmt] = by_pe
    for task in tasks:
        if task in plain and "plain" not in out.get(task, {}):
            out.setdefault(task, {})["plain"] = plain[task]
    return out


def scratchpad_verdict(table: dict) -> dict:
    """K23's "scratchpads are not universal": among (task, PE, format) comparisons of a scratchpad format
    against the plain format (OOD accuracy over fit seeds, two seeds a side), holds when at least one does
    not separate in the scratchpad's favour (plain above it, or no separation), fails when every one
    does; undecided without any comparison that has two fit seeds a side. `helps` lists where it does
    help (K23: on some tasks, in some formats)."""
    helps, not_helps, compared = [], [], []
    for task, by_fmt in table.items():
        plain = by_fmt.get("plain", {})
        for fmt, by_pe in by_fmt.items():
            if fmt == "plain":
                continue
            for pe, c in by_pe.items():
                if pe not in plain or len(c["fit_ood"]) < 2 or len(plain[pe]["fit_ood"]) < 2:
                    continue
                r = compare(c["fit_ood"], plain[pe]["fit_ood"], lower_is_better=False)
                compared.append((task, fmt, pe, r["result"]))
                (helps if r["result"] == "A better" else not_helps).append(f"{task}/{fmt}/{pe}")
    if not compared:
        return {"verdict": "undecided", "why": "no scratchpad cell and plain cell with two fit seeds each"}
    verdict = "holds" if not_helps else "fails"
    return {"verdict": verdict, "helps": helps, "does_not_help": not_helps, "comparisons": len(compared)}


def attention_verdict(distance: dict, claimed: str = "t5", versus=("sinusoidal", "rope")) -> dict:
    """K23 Sec. 5.2: "NoPE's attention resembles T5's": the distance of `claimed` to NoPE (mean over
    layers, per seed; only pairs of models that both fit) is below each of `versus`'s, with separated
    intervals over seeds; the NoPE-vs-NoPE seed baseline is reported beside it. Holds when every
    comparison separates in `claimed`'s favour, fails when one separates against it, else no separation;
    undecided with fewer than two fit seeds a side."""
    by_pe = distance.get("by_pe") or {}

    def values(pe):
        return [sum(v["layers"]) / len(v["layers"]) for v in by_pe.get(pe, []) if v["fit"]]

    base = [sum(v["layers"]) / len(v["layers"]) for v in distance.get("baseline") or [] if v["fit"]]
    out = {"claimed": claimed, "values": {pe: values(pe) for pe in by_pe}, "baseline": base, "comparisons": {}}
    results = []
    for other in versus:
        a, b = values(claimed), values(other)
        if len(a) < 2 or len(b) < 2:
            out["comparisons"][other] = {"verdict": "undecided", "n": [len(a), len(b)]}
            results.append("undecided")
            continue
        c = compare(a, b, lower_is_better=True)
        v = {"A better": "holds", "B better": "fails"}.get(c["result"], "no separation")
        out["comparisons"][other] = {"verdict": v, "n": [len(a), len(b)], "comparison": c}
        results.append(v)
    if "fails" in results:
        out["verdict"] = "fails"
    elif "undecided" in results:
        out["verdict"] = "undecided"
    else:
        out["verdict"] = "holds" if all(r == "holds" for r in results) else "no separation"
    return out
