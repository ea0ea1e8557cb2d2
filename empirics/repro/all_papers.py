"""`pelg repro all --profile smoke|quick|full`: the four reproductions, the claims ledger and the
cross-theory scorecard in one job, with progress over the whole job and one results store.

Every training run goes through the store OUT/pelg.sqlite (`common.run_in_store`), so a second invocation
trains nothing; the ledger's records are cached in OUT/claims.json under a key that hashes every source
and recorded file it reads (`ledger_key`), so it is recomputed only when one changes. With `--publish`
(from the repository root) the job rewrites every generated table of ./paper_repro.md and every figure of
./figures/, and the quick profile's recorded summaries (empirics/repro/results/) that ledger entries read.
The ledger runs after the reproductions and reads this job's summaries (OUT/<paper>/summary.json, through
`fileio.recorded_results_from`), published or not; `pelg claims --rerun` uses the same path (`fresh_records`).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

from ..fileio import recorded_results_from, write_json, write_text
from .common import PAPER_REPRO, check_publishable, load_protocol, publish_figures, replace_block

ORDER = ("li2025", "huang2025", "kazemnejad2023", "chen2025")
BLOCKS = {"li2025": "li2025-table", "huang2025": "huang2025-table", "kazemnejad2023": "kazemnejad2023-table",
          "chen2025": "chen2025-table"}
SCORECARD_BLOCK = "scorecard"
SCORECARD_FIGURE = "scorecard.png"
SUMMARY_BLOCK = "repro-all"


def planned_runs(paper: str, profile: str) -> int:
    """Training runs a reproduction will start at most (rounds of seeds may stop earlier)."""
    from . import chen2025, huang2025, kazemnejad2023, li2025

    p = load_protocol(paper, profile)
    if paper == "kazemnejad2023":
        return len(kazemnejad2023.build_configs(p, None))
    return len({"li2025": li2025, "huang2025": huang2025, "chen2025": chen2025}[paper].build_configs(p))


class JobProgress:
    """Wraps a reproduction's log: counts finished runs over the whole job from the per-run progress
    lines of `run_many` ("[i/n] elapsed ...") and of the sweep engine ("[i/n] done ...", "... already
    done"), and prefixes each such line with the job's runs done / planned total and an ETA."""

    _RUN = re.compile(r"^\[\d+/\d+\] (elapsed|done|recovered)")
    _SKIPPED = re.compile(r"^sweep \S+: \d+ runs; (\d+) already done")

    def __init__(self, total: int, log=print, clock=time.time):
        self.total, self.log, self.clock = total, log, clock
        self.done = self.trained = 0
        self.start = clock()

    def __call__(self, msg: str) -> None:
        skipped = self._SKIPPED.match(msg)
        if skipped:
            self.done += int(skipped.group(1))
        elif self._RUN.match(msg):
            self.done += 1
            self.trained += 1
        else:
            self.log(msg)
            return
        self.log(f"[all {self.done}/{self.total}, eta {self.eta()}] {msg}")

    def eta(self) -> str:
        if not self.trained:
            return "?"
        left = max(0, self.total - self.done)
        return f"{(self.clock() - self.start) / self.trained * left / 60:.1f} min"


def record_names(out_dir: Path) -> dict[str, Path]:
    """The recorded-summary names the ledger reads (empirics/repro/results/<paper>_quick.json), each mapped to
    this job's summary OUT/<paper>/summary.json."""
    return {f"{paper}_quick.json": Path(out_dir) / paper / "summary.json" for paper in ORDER}


def ledger_key(records: dict[str, Path] | None = None) -> str:
    """sha256 over every file the ledger reads: the theory and empirics sources, protocols, recorded results
    and recorded models, and the summaries `records` puts in their place (a change to any of them recomputes
    the ledger)."""
    import empirics
    import theory

    h = hashlib.sha256()
    for root in (Path(theory.__file__).parent, Path(empirics.__file__).parent):
        for f in sorted(root.rglob("*")):
            if f.is_file() and f.suffix in (".py", ".toml", ".json", ".pt"):
                h.update(str(f.relative_to(root.parent)).encode())
                h.update(f.read_bytes())
    for name, path in sorted((records or {}).items()):
        h.update(name.encode())
        h.update(Path(path).read_bytes() if Path(path).is_file() else b"absent")
    return h.hexdigest()


def fresh_records(profile: str, out_dir: Path, workers: int | None = None, device: str = "auto",
                  publish: bool = False, log=print) -> tuple[dict, dict]:
    """Run the four reproductions into OUT/<paper>/ through one store OUT/pelg.sqlite (runs already there are
    read back, not retrained). Returns ({paper: its summary}, {paper: seconds}); with `log` a `JobProgress`,
    its lines cover the whole job."""
    from . import REPROS

    out_dir, records, walls = Path(out_dir), {}, {}
    for paper in ORDER:
        t0 = time.time()
        log(f"== {paper} ({profile})")
        REPROS[paper](profile, out_dir / paper, workers=workers, device=device, publish=publish,
                      log=log, store=out_dir / "pelg.sqlite")
        records[paper] = json.loads((out_dir / paper / "summary.json").read_text())
        walls[paper] = round(time.time() - t0, 1)
    return records, walls


def run_ledger(out_dir: Path, log=print) -> list[dict]:
    """The claims ledger's records over this job's summaries (`record_names`), from OUT/claims.json when its
    key still matches."""
    from empirics.evidence import ledger

    names = record_names(out_dir)
    cache, key = out_dir / "claims.json", ledger_key(names)
    if cache.is_file():
        try:
            saved = json.loads(cache.read_text())
            if saved.get("key") == key:
                log(f"claims ledger: reused {cache} (no source or recorded file changed)")
                return saved["records"]
        except (OSError, ValueError):
            pass
    start = time.time()
    with recorded_results_from(names):
        records = ledger.run()
    log(f"claims ledger: {len(records)} claims in {time.time() - start:.0f}s")
    write_json(cache, {"key": key, "records": records})
    return records


def verdict_line(paper: str, record: dict) -> tuple[str, str]:
    """(agrees | disagrees | undecided | too small to decide, why) of a reproduction against its paper."""
    p = record.get("protocol", {})
    if p.get("decides") is False or p.get("profile") == "smoke":
        return "too small to decide", f"profile {p.get('profile')} checks the pipeline only"
    if paper == "li2025":
        d = record["decision"]
        v = {"holds": "agrees", "fails": "disagrees"}.get(d["verdict"], "undecided")
        return v, f"{d['claimed']} best at length {d['length']} (vs {d['versus']}): {d['verdict']}"
    if paper == "huang2025":
        s = record["scorecard"]
        if not s["decided"]:
            return "undecided", f"0 of {s['cells']} cells decided"
        v = "agrees" if s["agree"] == s["decided"] else "disagrees"
        return v, f"{s['agree']} of {s['decided']} decided cells agree with C-RASP ({s['cells']} cells)"
    if paper == "kazemnejad2023":
        r = record["analysis"]["ranking"]
        v = {"holds": "agrees", "fails": "disagrees"}.get(r["verdict"], "undecided")
        return v, f"NoPE ranks first by MRR: {r['verdict']}" + (f" ({r['why']})" if r.get("why") else "")
    c = record["claims"]
    verdicts = (c["no_new_operators"]["verdict"], c["hint_widens"]["verdict"])
    v = ("disagrees" if "fails" in verdicts else "agrees" if set(verdicts) == {"holds"} else "undecided")
    s = record["scorecard"]
    return v, (f"no new operators when SRC grows: {verdicts[0]}; SH and LBPE widen LG: {verdicts[1]}; SRC "
               f"{s['src']['agree']} of {s['src']['scored']}, LRC {s['lrc']['agree']} of {s['lrc']['scored']} agree")


def run(profile: str, out_dir: Path, workers: int | None = None, device: str = "auto", publish: bool = False,
        log=print) -> dict:
    """Run every reproduction, the ledger and the scorecard; write OUT/<paper>/, OUT/claims.json,
    OUT/scorecard.{json,md,png,pdf} and OUT/summary.json; with `publish`, also ./paper_repro.md and
    ./figures/. Returns the summary."""
    from empirics.evidence import ledger
    from empirics.evidence import scorecard as S
    from empirics.plots import scorecard as scorecard_plot

    out_dir = Path(out_dir)
    if publish:
        for block in (*BLOCKS.values(), SCORECARD_BLOCK, SUMMARY_BLOCK, "claims"):
            check_publishable(block)
    store = out_dir / "pelg.sqlite"
    total = sum(planned_runs(paper, profile) for paper in ORDER)
    progress = JobProgress(total, log)
    log(f"repro all {profile}: {len(ORDER)} reproductions, at most {total} training runs; store {store}")
    start = time.time()
    records, walls = fresh_records(profile, out_dir, workers, device, publish, log=progress)
    records_claims = run_ledger(out_dir, log)
    card = S.build(huang=records["huang2025"], chen=records["chen2025"],
                   capacity=_capacity_from_ledger(records_claims) or {})
    write_json(out_dir / "scorecard.json", card)
    write_text(out_dir / "scorecard.md", S.markdown(card) + "\n")
    scorecard_plot.render(card, out_dir / SCORECARD_FIGURE)
    if publish:
        from .ledger_publish import publish_ledger

        text = publish_ledger(records_claims, PAPER_REPRO.read_text())
        write_text(PAPER_REPRO, replace_block(text, SCORECARD_BLOCK, S.markdown(card)))
        publish_figures(out_dir, [SCORECARD_FIGURE])
    verdicts = {paper: dict(zip(("verdict", "why"), verdict_line(paper, records[paper]))) for paper in ORDER}
    summary = {"profile": profile, "wall_seconds": round(time.time() - start, 1), "wall_seconds_by_part": walls,
               "runs_planned": total, "runs_trained": progress.trained, "claims": ledger.verdict_counts(records_claims),
               "training_span_by_part": {paper: records[paper].get("wall_seconds") for paper in ORDER},
               "scorecard": {t: {k: v[k] for k in ("decided", "agree", "rate")} for t, v in card["by_theory"].items()},
               "reproductions": verdicts}
    history = _history(out_dir) + [{k: summary[k] for k in ("wall_seconds", "wall_seconds_by_part", "runs_trained")}]
    summary["invocations"] = history
    write_json(out_dir / "summary.json", summary)
    if publish:
        write_text(PAPER_REPRO, replace_block(PAPER_REPRO.read_text(), SUMMARY_BLOCK, summary_markdown(summary)))
    log(render_summary(summary))
    return summary


def _history(out_dir: Path) -> list[dict]:
    """The wall times of earlier invocations on this output directory (from its summary.json)."""
    try:
        old = json.loads((out_dir / "summary.json").read_text())
    except (OSError, ValueError):
        return []
    if not isinstance(old, dict):
        return []
    if "invocations" in old:
        return list(old["invocations"])
    keys = ("wall_seconds", "wall_seconds_by_part", "runs_trained")   # a summary written before the history
    return [{k: old[k] for k in keys}] if all(k in old for k in keys) else []


def _order(paper: str) -> int:
    """A reproduction's place in the job (the history on disk keeps its parts in alphabetical order)."""
    return ORDER.index(paper) if paper in ORDER else len(ORDER)


def summary_markdown(s: dict) -> str:
    """The job's summary for paper_repro.md: wall time per part of the invocation that trained the runs and
    of the latest one, verdict counts, scorecard rates, and each reproduction against its paper."""
    trained = next((h for h in s.get("invocations", []) if h["runs_trained"]), None)

    def walls(h):
        return (f"{h['wall_seconds'] / 60:.1f} min in all: " + ", ".join(
            f"{p} {h['wall_seconds_by_part'][p] / 60:.1f}" for p in sorted(h["wall_seconds_by_part"], key=_order))
            + f" min; {h['runs_trained']} runs trained")
    lines = [f"Profile `{s['profile']}` on {os.cpu_count()} CPU cores."]
    if trained:
        lines.append(f"- The invocation that trained the runs: {walls(trained)}.")
    lines.append(f"- The latest invocation: {walls(s)} (the rest read from the store).")
    spans = {p: w for p, w in s.get("training_span_by_part", {}).items() if w is not None}
    if spans:
        lines.append("- Training time of each reproduction's runs (first start to last finish in the store, "
                     "whichever invocation trained them): " + ", ".join(f"{p} {w / 60:.1f}" for p, w in spans.items())
                     + f" min; {sum(spans.values()) / 60:.1f} min in all.")
    lines.append(f"- Claims ledger: {s['claims']}.")
    lines.append("- Scorecard: " + "; ".join(f"{t} {v['agree']} of {v['decided']} decided cells agree"
                                           for t, v in s["scorecard"].items()) + ".")
    lines += [f"- {paper}: **{v['verdict']}** ({v['why']})." for paper, v in s["reproductions"].items()]
    return "\n".join(lines)


def _capacity_from_ledger(records: list[dict]) -> dict | None:
    """li2025.capacity.ranking's per-PE gaps and proxies from the ledger's records (None if it has none)."""
    rec = next((r for r in records if r["id"] == "li2025.capacity.ranking"), None)
    per_pe = (rec or {}).get("evidence", {}).get("per_pe")
    if per_pe is None:
        return None
    return {task: {pe: {"gap": r["gap"], "proxy_local_test": r["proxy_local_test"], "fit": r["fit"]}
                   for pe, r in rows.items()} for task, rows in per_pe.items()}


def render_summary(s: dict) -> str:
    lines = [f"repro all {s['profile']}: {s['wall_seconds'] / 60:.1f} min ("
             + ", ".join(f"{p} {w / 60:.1f}" for p, w in s["wall_seconds_by_part"].items())
             + f" min); {s['runs_trained']} runs trained here, at most {s['runs_planned']} planned",
             s["claims"], "scorecard: " + "; ".join(
                 f"{t} {v['agree']} of {v['decided']} decided agree" for t, v in s["scorecard"].items())]
    for paper, v in s["reproductions"].items():
        lines.append(f"{paper}: {v['verdict']} ({v['why']})")
    return "\n".join(lines)

