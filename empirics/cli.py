"""The `pelg` command line. User errors print one line `pelg: error: ...` and exit with code 2."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from empirics.engine.cli import add_parsers as add_engine_parsers
from .cli_attention import add_parser as add_attention_parser
from .cli_bench import add_parser as add_bench_parser
from .cli_common import DefaultsFormatter, Parser
from .cli_train import add_parser as add_train_parser
from .errors import PelgError, require_int, require_positive, unknown
from .names import PAPER_ALIASES, paper_name

MAX_SEED = 2**63 - 1   # numpy and torch seeds
MAX_SHOW = 10**4       # `tasks show --n`


def cmd_pes(args) -> None:
    from .positions import PES, SCHEME_OPTIONS, SCHEMES

    rows = [(s.name, s.hook, s.formula, s.source, ", ".join(f"{k}={v}" for k, v in s.defaults().items()))
            for s in PES.values()] + [(s.name, "positions", s.formula, s.source, ", ".join(f"{k}={SCHEME_OPTIONS[k].default}" for k in s.options))
       for s in SCHEMES.values()]
    width = max(len(r[0]) for r in rows)
    for name, hook, formula, source, options in rows:
        print(f"{name:<{width}}  {hook:<9}  {formula}   [{source}]" + (f"  options: {options}" if options else ""))


def cmd_tasks(args) -> None:
    from .tasks import TASKS, get_task

    if args.tasks_command == "show":
        return cmd_tasks_show(args)
    rows = [get_task(name) for name in TASKS]
    paper = paper_name(args.paper, sorted({t.paper for t in rows}))
    rows = [t for t in rows if paper is None or t.paper == paper]
    width = max(len(t.name) for t in rows)
    for t in rows:
        print(f"{t.name:<{width}}  {t.kind:<10}  {t.paper:<15}  formats: {','.join(t.formats)}  "
              f"[length = {t.length_unit}]  {t.description}")


def cmd_tasks_show(args) -> None:
    from .datasets import example_row
    from .tasks import get_task
    from .tasks.protocols import task_protocol

    task = get_task(args.name, format=args.format)
    protocol = task_protocol(args.name)
    length = task.check_length(args.length if args.length is not None else protocol["train_lengths"][1])
    n = require_positive("--n", args.n, MAX_SHOW)
    rng = np.random.default_rng(require_int("--seed", args.seed, 0, MAX_SEED))
    print(f"# {task.name} ({task.paper}; {task.kind}; format {task.format}; length = {task.length_unit})")
    print(f"# protocol: train lengths {protocol['train_lengths']}, test buckets {protocol['test_buckets']}, "
          f"n_train {protocol['n_train']}, n_test {protocol['n_test']} ({protocol['source']})")
    for _ in range(n):
        row = example_row(task.sample(rng, length))
        print(f"[{row['length']}] {row['source']}  =>  {row['target']}")


def cmd_data(args) -> None:
    from . import datasets

    if args.data_command == "export":
        if args.n is not None:
            require_positive("--n", args.n, datasets.MAX_EXAMPLES)
        require_int("--seed", args.seed, 0, MAX_SEED)
        m = datasets.export(args.name, args.split, args.out, format=args.format, seed=args.seed, n=args.n)
        info = m["splits"][args.split]
        print(f"wrote {info['n']} examples to {args.out / info['file']} (sha256 {info['sha256'][:12]}...); "
              f"manifest {args.out / datasets.MANIFEST}")
    else:
        for split, status in datasets.check(args.dir).items():
            print(f"{split}: {status}")


def cmd_claims(args) -> int:
    from empirics.evidence import ledger
    from theory.claims import PAPERS

    args.paper = paper_name(args.paper, PAPERS)
    if args.rerun or args.record_models:
        from empirics.evidence import li2025_trained

        li2025_trained.RERUN = args.rerun
        if args.record_models:
            for d in li2025_trained.record_models():
                print(f"recorded {d}")
            return 0
    if args.falsify:
        return _cmd_falsify(args, ledger)
    if args.rerun:
        records = _rerun_ledger(args, ledger)
    else:
        records = ledger.run(paper=args.paper, ids=args.id)
    _check_ids(args.id, records)
    errors = [r for r in records if r["verdict"] == "error"]
    if args.publish:
        from .fileio import write_text
        from .repro.ledger_publish import publish_ledger

        doc = Path("paper_repro.md")
        if not doc.is_file():
            raise PelgError("--publish needs ./paper_repro.md (run it from the pelg repository root)")
        # the whole ledger also computes the chen2025-gd block and Li's model figures
        write_text(doc, publish_ledger(records, doc.read_text(), whole=not args.paper and not args.id))
    if args.json:
        _print_json_lines(records)
    elif args.markdown:
        print(ledger.markdown(records))
    else:
        width = max((len(r["id"]) for r in records), default=2)
        for r in records:
            print(f"{r['id']:<{width}}  {r['verdict']:<22}  {_cut(r['note'], 110)}")
        print(ledger.verdict_counts(records))
    for r in errors:
        print(f"pelg: error: claim {r['id']} raised: {r['evidence'].get('error', r['note'])}", file=sys.stderr)
    return 1 if errors else 0


def _rerun_ledger(args, ledger) -> list[dict]:
    """`pelg claims --rerun`: run the four reproductions at --rerun-profile into --rerun-out (one store, so a
    second call reads its runs back), then the ledger over those fresh summaries instead of the recorded ones."""
    from .fileio import recorded_results_from
    from .repro import all_papers
    from .repro.common import PROFILES

    if args.rerun_profile not in PROFILES:
        raise unknown("--rerun-profile", args.rerun_profile, PROFILES)
    out = Path(args.rerun_out or f"runs/claims-rerun/{args.rerun_profile}")
    all_papers.fresh_records(args.rerun_profile, out, log=lambda m: print(m, file=sys.stderr))
    with recorded_results_from(all_papers.record_names(out)):
        return ledger.run(paper=args.paper, ids=args.id)


def _print_json_lines(records: list[dict]) -> None:
    """JSON Lines: one JSON object per claim, one line each."""
    import json

    for r in records:
        print(json.dumps(r, sort_keys=True))


def _check_ids(ids, records) -> None:
    if ids and len({r["id"] for r in records}) < len(set(ids)):
        from theory.claims import REGISTRY

        missing = sorted(set(ids) - {r["id"] for r in records})
        raise unknown("claim id", missing[0], REGISTRY)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _cmd_falsify(args, ledger) -> int:
    records = ledger.falsify(paper=args.paper, ids=args.id)
    _check_ids(args.id, records)
    missed = [r for r in records if r["caught"] is False]
    if args.json:
        _print_json_lines(records)
    else:
        width = max((len(r["id"]) for r in records), default=2)
        for r in records:
            mark = {True: "caught", False: "MISSED", None: "-"}[r["caught"]]
            print(f"{r['id']:<{width}}  {mark:<7} {r['verdict']:<14} {_cut(str(r['variant']), 90)}")
        cases = [r for r in records if r["caught"] is not None]
        print(f"{len(cases)} false variants: {len(cases) - len(missed)} caught, {len(missed)} missed; "
              f"{sum(r['caught'] is None for r in records)} definitional claims")
    return 1 if missed else 0


PREDICTORS = {"crasp": "theory.huang2025.predictions", "src": "theory.chen2025.src", "lrc": "theory.chen2025.lrc"}


def cmd_predict(args) -> None:
    """Theory predictions per (task, PE class); each class with the `pelg train --pe` names that train it
    (`empirics.names.THEORY_PE_CLASSES`)."""
    import importlib
    import json

    from .names import trains_as

    theories = [args.theory] if args.theory else list(PREDICTORS)
    if args.theory and args.theory not in PREDICTORS:
        raise unknown("theory", args.theory, PREDICTORS)
    records = [r for t in theories for r in importlib.import_module(PREDICTORS[t]).predictions()]
    for key in ("pe", "task"):
        want = getattr(args, key)
        if want is not None:
            valid = sorted({r[key] for r in records})
            if want not in valid:
                raise unknown(key, want, valid)
            records = [r for r in records if r[key] == want]
    records = [{**r, "trains_as": trains_as(r["pe"])} for r in records]
    if args.json:
        print(json.dumps(records, indent=2))
        return
    names = {r["pe"]: "trains as: " + (", ".join(r["trains_as"]) or "(no pelg PE)") for r in records}
    w_pe, w_names = (max((len(x) for x in col), default=0) for col in (names, names.values()))
    for r in records:
        print(f"{r['theory']:<6} {r['task']:<32} {r['pe']:<{w_pe}}  {r['prediction']:<12} "
              f"{names[r['pe']]:<{w_names}}  {_cut(r['reason'], 90)}")


def cmd_sweep(args) -> int:
    import empirics.repro  # noqa: F401  (registers the papers' protocols for specs `protocol = "li2025"`)
    from empirics.engine.cli import cmd_sweep as run_sweep_command

    return run_sweep_command(args)


def cmd_repro(args) -> None:
    from .repro import check_options, get_repro
    from .runconfig import resolve_device

    name, run = get_repro(args.paper)
    check_options(name, args.seeds)
    if args.workers is not None:
        require_positive("--workers", args.workers)
    resolve_device(args.device)  # before any run starts: an unknown device, or cuda without a GPU
    out = args.out or Path("runs") / name / args.profile
    extra = {} if args.seeds is None else {"seeds": args.seeds}
    run(args.profile, Path(out), workers=args.workers, device=args.device, publish=args.publish, **extra)


class _ReproHelp(DefaultsFormatter):
    """`pelg repro --help` lists the reproductions registered when it is shown (empirics.repro), so a new
    one appears without an edit here; the registry is imported only then (it is slow to import)."""

    def _get_help_string(self, action):
        if action.dest != "paper":
            return super()._get_help_string(action)
        from . import repro

        aliases = ", ".join(f"{a} = {n}" for a, n in repro.ALIASES.items())
        every = getattr(repro, "ALL", None)
        return (f"one of: {', '.join(repro.REPROS)}" + (f"; aliases: {aliases}" if aliases else "")
                + (f"; {every}: every reproduction in turn" if every else ""))


def _papers_help(what: str) -> str:
    aliases = ", ".join(f"{a} = {p}" for a, p in PAPER_ALIASES.items())
    return f"only this paper's {what} (e.g. kazemnejad2023; aliases: {aliases})"


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="pelg", description="Positional encodings and length generalization: "
                                "theory checks and reproducible Transformer experiments.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("pes", help="list the positional encodings").set_defaults(fn=cmd_pes)
    tk = sub.add_parser("tasks", help="list the tasks, or show samples of one (`pelg tasks show NAME`)")
    tk.add_argument("--paper", help=_papers_help("tasks"))
    tk.set_defaults(fn=cmd_tasks, tasks_command=None)
    tks = tk.add_subparsers(dest="tasks_command")
    show = tks.add_parser("show", help="print samples of a task")
    show.add_argument("name")
    show.add_argument("--length", type=int, help="default: the longest training length")
    show.add_argument("--n", type=int, default=5, help=f"samples to print (at most {MAX_SHOW})")
    show.add_argument("--format", default="plain", help="plain or one of the task's scratchpad formats")
    show.add_argument("--seed", type=int, default=0, help="sampling seed")

    d = sub.add_parser("data", help="export a task's dataset (JSONL + manifest) or check an export")
    ds = d.add_subparsers(dest="data_command", required=True)
    ex = ds.add_parser("export", help="write SPLIT.jsonl and manifest.json")
    ex.add_argument("name")
    ex.add_argument("--split", required=True, help="train | iid_test | test")
    ex.add_argument("--out", type=Path, required=True, help="dataset directory")
    ex.add_argument("--format", default="plain", help="plain or one of the task's scratchpad formats")
    ex.add_argument("--seed", type=int, default=0, help="sampling seed")
    ex.add_argument("--n", type=int, help="examples (per bucket for test); default: the protocol's")
    ck = ds.add_parser("check", help="verify hashes and re-generate every split from the manifest")
    ck.add_argument("dir", type=Path, help="a dataset directory written by `pelg data export`")
    d.set_defaults(fn=cmd_data)

    add_train_parser(sub)

    c = sub.add_parser("claims", help="run the claims ledger: every paper claim with a verdict and numbers")
    c.add_argument("--paper", help=_papers_help("claims"))
    c.add_argument("--id", action="append", help="only this claim id (repeatable)")
    c.add_argument("--json", action="store_true", help="JSON Lines: one JSON object per claim, one per line")
    c.add_argument("--markdown", action="store_true", help="markdown tables per paper (for paper_repro.md)")
    c.add_argument("--publish", action="store_true", help="rewrite the ledger table in ./paper_repro.md")
    c.add_argument("--falsify", action="store_true",
                   help="run every claim's check on its deliberately false variants; exit 1 if one is not caught")
    c.add_argument("--rerun", action="store_true",
                   help="train the ledger's models afresh and re-run the four reproductions (at --rerun-profile) "
                        "instead of reading recorded or cached ones")
    c.add_argument("--rerun-profile", default="quick", help="with --rerun: smoke | quick | full (default quick)")
    c.add_argument("--rerun-out", type=Path,
                   help="with --rerun: the reproductions' output directory (default runs/claims-rerun/PROFILE)")
    c.add_argument("--record-models", action="store_true",
                   help="write the ledger's trained models into empirics/evidence/models/ (run from the repository root)")
    c.set_defaults(fn=cmd_claims)

    pr = sub.add_parser("predict", help="theory predictions per (task, PE): C-RASP, SRC, LRC")
    pr.add_argument("--theory", help="crasp | src | lrc (default: all)")
    pr.add_argument("--pe", help="only this PE class (e.g. ape, nope, rpe, ipe, sh); the output names the "
                    "`pelg train --pe` PEs of each class")
    pr.add_argument("--task", help="only this task")
    pr.add_argument("--json", action="store_true", help="a JSON array of the records (with trains_as)")
    pr.set_defaults(fn=cmd_predict)

    r = sub.add_parser("repro", help="reproduce a paper's experiment", formatter_class=_ReproHelp)
    r.add_argument("paper", help="(the reproductions)")
    r.add_argument("--profile", default="quick", help="smoke | quick | full")
    r.add_argument("--out", type=Path, help="output directory (default runs/PAPER/PROFILE)")
    r.add_argument("--workers", type=int, help="parallel training processes (default: the protocol's)")
    r.add_argument("--device", default="auto", help="auto | cpu | cuda")
    r.add_argument("--seeds", type=int, help="kazemnejad2023: use K23's first N seeds for every cell (1-3)")
    r.add_argument("--publish", action="store_true",
                   help="also update ./paper_repro.md and ./figures (run from the repository root)")
    r.set_defaults(fn=cmd_repro)
    add_attention_parser(sub)
    add_bench_parser(sub)
    add_engine_parsers(sub)  # sweep, results
    sub.choices["sweep"].set_defaults(fn=cmd_sweep)  # the engine's sweep, with the reproductions registered
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help (0) or a usage error, already printed as one line (2)
        return e.code if isinstance(e.code, int) else 2
    try:
        code = args.fn(args)
        sys.stdout.flush()  # a reader that went away shows here, not at exit
    except (PelgError, ValueError) as e:  # theory raises ValueError with one-line messages
        print(f"pelg: error: {str(e).splitlines()[0] if str(e) else type(e).__name__}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pelg: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`pelg results | head`): stop quietly, like SIGPIPE
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        except (AttributeError, OSError, ValueError):
            pass
        return 141
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
