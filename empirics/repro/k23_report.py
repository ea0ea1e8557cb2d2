"""Tables and figures of the Kazemnejad et al. 2023 reproduction, written from its record (the rows and
the analysis of `empirics.repro.kazemnejad2023`); every number comes from the record."""
from __future__ import annotations

from pathlib import Path

from empirics.analysis.fit import bar_from_protocol
from empirics.evaluate import bucket_label
from empirics.evidence import k23_results as K
from empirics.plots.huang2025 import accuracy_by_bin
from empirics.plots.kazemnejad2023 import mrr_bars, mrr_by_category
from .common import markdown_table
from .k23_protocol import lengths

MRR_FIGURE = "kazemnejad2023_mrr.png"
CATEGORY_FIGURE = "kazemnejad2023_mrr_by_category.png"
LENGTH_FIGURE = "kazemnejad2023_accuracy_by_length.png"


def _num(x, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _paper(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, tuple):
        return f"{value[0]:.2f}–{value[1]:.2f}"
    return f"{value:.2f}"


def cell_text(cell: dict | None) -> str:
    """Mean OOD accuracy of the fit seeds (with its 95% interval when two or more fit), or why not."""
    if cell is None:
        return "not run"
    if not cell["decided"]:
        best = max(cell["id"]) if cell["id"] else None
        return f"{cell['label']}; ID {_num(best)}"
    iv = cell["interval"]
    if iv["n"] >= 2:
        return f"{iv['mean']:.2f} [{max(iv['lo'], 0):.2f}, {min(iv['hi'], 1):.2f}]"
    return f"{iv['mean']:.2f}"


def _overrides(p: dict) -> str:
    """The per task-split step budgets ([task_train]) and the scratchpad study's, as a parenthesis."""
    steps: dict[int, list[str]] = {}
    for task, over in p.get("task_train", {}).items():
        if "steps" in over:
            steps.setdefault(over["steps"], []).append(task.split(".", 1)[1])
    parts = [f"{n} for {', '.join(names)}" for n, names in sorted(steps.items())]
    pad = p.get("scratchpad", {}).get("train", {})
    if "steps" in pad:
        parts.append(f"{pad['steps']} in the scratchpad study")
    return f" ({'; '.join(parts)})" if parts else ""


def _settings(p: dict, record: dict) -> str:
    t, m, rate = p["train"], p["model"], record["fit_rate"]
    seeds = sorted({r["seed"] for r in record["runs"]})
    bar = bar_from_protocol("tokens", p)
    wall = record.get("wall_seconds")
    return (f"Profile `{p['profile']}`: {len(record['runs'])} runs, seeds {', '.join(map(str, seeds))} (K23's), "
            f"a T5-style decoder of {m['n_layer']} layers x {m['d_model']} ({m['n_head']} heads), up to "
            f"{t['steps']} steps of batch {t['batch_size']} at lr {t['lr']:g}{_overrides(p)} on a fixed training set of "
            f"{t['n_train']} examples per task-split (SCAN: its whole training pool), validation every "
            f"{t['eval_every']} steps on {t['val_samples']} held-out in-distribution examples with the best "
            f"checkpoint kept and an early stop at 100%, {p['eval_samples']} test examples per bucket. Fit gate: "
            f"{bar.text()}; {rate['fit']} of {rate['runs']} runs fit ({100 * rate['rate']:.0f}%). A cell is the "
            f"mean OOD accuracy (all buckets above the training lengths) of its fit seeds, or `undecided (j of n "
            f"fit)` with its best in-distribution accuracy (ID)."
            + (f" Wall time {wall / 60:.1f} min." if wall is not None else "")
            + (" The smoke profile's models are too small to decide anything: its numbers test the pipeline, "
               "not the paper." if p["profile"] == "smoke" else ""))


def _ood_table(p: dict, cells: dict) -> str:
    rows = []
    for task in p["tasks"]:
        train = record_lengths(p, task)
        rows.append([f"{task} ({train})", *[f"{cell_text(cells.get(task, {}).get(pe))} ({_paper(K.published_ood(task, pe))})"
                                            for pe in p["pes"]]])
    return markdown_table(["task-split (train lengths)", *[f"{K.LABELS[pe]} (paper)" for pe in p["pes"]]], rows)


def record_lengths(p: dict, task: str) -> str:
    train, test = lengths(p, task)
    return f"{train[0]}–{train[1]} / {test[0][0]}–{test[-1][1]}"


def _mrr_table(p: dict, mrr: dict) -> str:
    cols = [("all", "order", "K23 rule, all runs"), ("fit", "order", "K23 rule, fit units"),
            ("fit", "average", "ties shared, fit units")]
    header = ["PE", "published", *[f"{name} ({mrr[scope]['units']} units)" for scope, _, name in cols]]
    rows = []
    for pe in p["pes"]:
        vals = [mrr[scope].get(ties, {}).get("mrr", {}).get(pe) for scope, ties, _ in cols]
        rows.append([K.LABELS[pe], f"{K.PUBLISHED_MRR[pe]:.2f}", *[_num(v) for v in vals]])
    taus = []
    for scope, ties, _ in cols:
        entry = mrr[scope].get(ties)
        taus.append(_num(K.kendall_tau(entry["mrr"])) if entry else "—")
    rows.append(["Kendall tau vs published", "1.00", *taus])
    return markdown_table(header, rows)


def _category_table(p: dict, by_category: dict) -> str:
    rows = []
    for category, summary in by_category.items():
        entry = summary["all"].get("order")
        rows.append([category, str(summary["all"]["units"]),
                     *[_num(entry["mrr"][pe]) if entry else "—" for pe in p["pes"]]])
    return markdown_table(["category (K23 rule, all runs)", "units", *[K.LABELS[pe] for pe in p["pes"]]], rows)


def _verdict_lines(analysis: dict) -> list[str]:
    out = []
    r = analysis["ranking"]
    extra = (f" ({r['units']} units where every PE fit; {K.LABELS.get(r.get('rival'), r.get('rival'))} second; "
             f"Kendall tau {r['kendall_tau']:.2f} against the published ranking)" if "kendall_tau" in r
             else f" ({r.get('why')})")
    out.append(f"- **NoPE ranks first by MRR** (ties shared, units where every PE fit, reciprocal ranks compared "
               f"with a t-interval): **{r['verdict']}**{extra}.")
    full = analysis["mrr"]["all"]
    if "order" in full:
        out.append(f"- K23's rule over all runs gives Kendall tau {K.kendall_tau(full['order']['mrr']):.2f} against "
                   f"the published ranking (the success bar is tau >= 0.6), but it is not evidence: it includes "
                   f"runs that did not fit, and in {full['all_tied']} of its {full['units']} units all five PEs "
                   f"tie, where the tie order alone (Fig. 1's order) hands out the ranks.")
    for name, s in analysis["success"].items():
        detail = s.get("why") or (f"{s['n'][0]} vs {s['n'][1]} fit runs, means {s['comparison']['a']['mean']:.2f} "
                                  f"vs {s['comparison']['b']['mean']:.2f}")
        out.append(f"- {name.replace('sinusoidal', 'APE').replace('rope', 'Rotary')}: **{s['verdict']}** ({detail}).")
    return out


def _scratchpad_table(p: dict, table: dict, verdict: dict) -> str:
    if not table:
        return ""
    rows = []
    for task, by_fmt in table.items():
        for fmt in ["plain", *[f for f in by_fmt if f != "plain"]]:
            if fmt in by_fmt:
                rows.append([task, fmt, *[cell_text(by_fmt[fmt].get(pe)) for pe in p["pes"]]])
    paper = [K.PUBLISHED_ADDITION_FULL_SCRATCHPAD[K.PES.index(pe)] for pe in p["pes"]]
    rows.append(["k23.addition (paper)", "full", *[f"{v:.2f}" for v in paper]])
    own = p.get("scratchpad", {}).get("lengths", {})
    where = "; ".join(f"{t}: train {e['train'][0]}–{e['train'][1]}, test {e['test'][0][0]}–{e['test'][-1][1]}"
                      for t, e in own.items())
    why = verdict.get("why") or (f"{verdict['comparisons']} comparisons; helps: {', '.join(verdict['helps']) or 'none'}")
    return ((f"Lengths of the scratchpad study (every format, plain included): {where}.\n\n" if where else "")
            + markdown_table(["task", "format", *[K.LABELS[pe] for pe in p["pes"]]], rows)
            + f"\n\n- **Scratchpads are not universal** (some format and PE where the scratchpad does not separate "
              f"above no scratchpad): **{verdict['verdict']}** ({why}).")


def _attention_text(p: dict, attention: dict) -> str:
    d = attention.get("distance") or {}
    if not any(d.get("by_pe", {}).values()):
        return ""
    rows = []
    for pe, vs in [*d["by_pe"].items(), ("NoPE, another seed (baseline)", d.get("baseline") or [])]:
        for v in vs:
            rows.append([K.LABELS.get(pe, pe), f"{v['seeds'][0]} / {v['seeds'][1]}",
                         " ".join(f"{x:.3f}" for x in v["layers"]), "yes" if v["fit"] else "no"])
    verdict = K.attention_verdict(d)
    comps = "; ".join(f"T5 vs {K.LABELS[o]}: {c['verdict']}" for o, c in verdict["comparisons"].items())
    return (f"Distance to NoPE per layer on {d['task']} (min over all H x H head pairs of the mean JSD over "
            f"causal rows; K23: T5 about the NoPE-vs-NoPE baseline, APE and Rotary far):\n\n"
            + markdown_table(["PE", "seeds (NoPE / PE)", "per layer", "both fit"], rows)
            + f"\n\n- **NoPE's attention is closest to T5's** (mean over layers, fit pairs, over seeds): "
              f"**{verdict['verdict']}** ({comps}).")


def render_markdown(p: dict, record: dict) -> str:
    a = record["analysis"]
    parts = [_settings(p, record), "\n**OOD accuracy per task-split (published mean over 3 seeds in brackets)**\n",
             _ood_table(p, a["cells"]), "\n**MRR (Fig. 1)**\n", _mrr_table(p, a["mrr"]),
             "\n**MRR per task category (Fig. 2)**\n", _category_table(p, a["mrr_by_category"]), "",
             *_verdict_lines(a)]
    pad = _scratchpad_table(p, a["scratchpad"], a["scratchpad_verdict"])
    if pad:
        parts += ["\n**Scratchpad study (OOD accuracy)**\n", pad]
    att = _attention_text(p, record.get("attention") or {})
    if att:
        parts += ["\n**Attention (Sec. 5.2, Fig. 4)**\n", att]
    return "\n".join(parts)


def _length_panels(p: dict, cells: dict) -> dict:
    panels = {}
    for task in p["tasks"]:
        train, test = lengths(p, task)
        labels = [bucket_label(*b) for b in [train, *test]]
        lines = {}
        for pe in p["pes"]:
            c = cells.get(task, {}).get(pe)
            if c is None:
                continue
            means = [sum(c["buckets"][b]) / len(c["buckets"][b]) if c["decided"] and b in c["buckets"] else None
                     for b in labels]
            lines[pe] = {"label": K.LABELS[pe] + ("" if c["decided"] else f" ({c['label']})"), "mean": means,
                         "lo": [None] * len(labels), "hi": [None] * len(labels),
                         "seeds": [c["buckets"].get(b, []) for b in labels], "paper": None}
        panels[task] = {"bins": labels, "lines": lines}
    return panels


def render_figures(p: dict, record: dict, out_dir: Path) -> list[Path]:
    """MRR (Fig. 1), MRR per category (Fig. 2) and accuracy per length bucket, as PNG and PDF."""
    a, labels, paths = record["analysis"], [K.LABELS[pe] for pe in p["pes"]], []
    mrr = a["mrr"]
    series = {"published": [K.PUBLISHED_MRR[pe] for pe in p["pes"]]}
    notes = {}
    for scope, name in (("all", "pelg, all runs"), ("fit", "pelg, fit units")):
        entry = mrr[scope].get("order")
        series[name] = [entry["mrr"][pe] if entry else None for pe in p["pes"]]
        notes[name] = f"({mrr[scope]['units']} units)"
    cats = {c: [s["all"]["order"]["mrr"][pe] if "order" in s["all"] else None for pe in p["pes"]]
            for c, s in a["mrr_by_category"].items()}
    units = {c: s["all"]["units"] for c, s in a["mrr_by_category"].items()}
    for suffix in (".png", ".pdf"):
        f1 = Path(out_dir) / MRR_FIGURE.replace(".png", suffix)
        mrr_bars(labels, series, f1, title=f"K23 MRR per PE ({p['profile']} profile)", notes=notes)
        f2 = Path(out_dir) / CATEGORY_FIGURE.replace(".png", suffix)
        mrr_by_category(labels, cats, f2, title="K23 MRR per task category", units=units)
        f3 = Path(out_dir) / LENGTH_FIGURE.replace(".png", suffix)
        accuracy_by_bin(_length_panels(p, a["cells"]), f3, threshold=0.95,
                        title="K23: exact match per length bucket (first: in distribution; mean of fit seeds)")
        paths += [f1, f2, f3]
    return paths
