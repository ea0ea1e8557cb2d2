"""Verification of a C-RASP program against targets (Huang et al. 2025; the task-to-C-RASP mapping is in
theory.huang2025.token_programs and theory.huang2025.language_programs): NEXT must be exactly the gold
next token (token tasks) or the legal-next set (formal languages) at every scored position.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from theory.huang2025.checker import check
from theory.huang2025.crasp import Program
from theory.huang2025.interpreter import encode, run
from theory.huang2025.references import ledger_inputs
from theory.huang2025.task_table import TaskEntry, build
from theory.huang2025.token_programs import BOS, EOS, token_input


def next_matrix(program: Program, seqs) -> list[np.ndarray]:
    """NEXT values per input sequence as bool arrays (len(seq), n_outputs), outputs in
    `program.output_symbols` order. Sequences are run in batches of similar length (padding at most
    doubles a batch), which matters for programs with many definitions."""
    seqs = [list(x) for x in seqs]
    syms = program.output_symbols
    result: list[np.ndarray | None] = [None] * len(seqs)
    buckets: dict[int, list[int]] = {}
    big = len(program.defs) > 1000      # one pass: the per-definition cost dominates the padding
    for k, x in enumerate(seqs):
        buckets.setdefault(0 if big else len(x).bit_length(), []).append(k)
    for ids in buckets.values():
        out = run(program, encode(program, [seqs[k] for k in ids]))
        stack = np.stack([out[a] for a in syms], axis=-1)
        for r, k in enumerate(ids):
            result[k] = stack[r, : len(seqs[k])]
    return result


def _compare(got: list[np.ndarray], want: list[np.ndarray], offsets: list[int], describe) -> dict:
    positions, bad, first = 0, 0, None
    for b, (g, w, off) in enumerate(zip(got, want, offsets)):
        g = g[off: off + len(w)]
        wrong = np.flatnonzero((g != w).any(axis=1))
        positions += len(w)
        bad += len(wrong)
        if len(wrong) and first is None:
            first = describe(b, int(wrong[0]), g[int(wrong[0])])
    return {"strings": len(got), "positions": positions, "mismatches": bad, "first_mismatch": first}


def _onehot(rows, index) -> np.ndarray:
    want = np.zeros((len(rows), len(index)), dtype=bool)
    for r, legal in enumerate(rows):
        for a in legal:
            if a not in index:
                raise ValueError(f"symbol {a!r} has no NEXT output")
            want[r, index[a]] = True
    return want


def verify_tokens(program: Program, pairs) -> dict:
    """Check NEXT on (source, target) pairs: at every position from <sep> on, exactly the gold next
    token (the target symbols, then <eos>) is true among the outputs. Returns counts and the first
    mismatch (position 1-based)."""
    pairs = [(list(s), list(t)) for s, t in pairs]
    syms = program.output_symbols
    index = {a: k for k, a in enumerate(syms)}
    got = next_matrix(program, [token_input(s, t) for s, t in pairs])
    want = [_onehot([[x] for x in [*t, EOS]], index) for _, t in pairs]

    def describe(b, r, g):
        s, t = pairs[b]
        return {"source": s, "target": t, "position": len(s) + 2 + r, "want": [*t, EOS][r],
                "got": [syms[k] for k in np.flatnonzero(g)]}

    return _compare(got, want, [len(s) + 1 for s, _ in pairs], describe)


def verify_sets(program: Program, items) -> dict:
    """Check NEXT against legal-next sets: items are (source, sets) with len(sets) = len(source) + 1;
    the program reads `<bos> source` and position p must give sets[p - 1]."""
    items = [(list(s), [sorted(x) for x in sets]) for s, sets in items]
    syms = program.output_symbols
    index = {a: k for k, a in enumerate(syms)}
    got = next_matrix(program, [[BOS, *s] for s, _ in items])
    want = [_onehot(sets, index) for _, sets in items]

    def describe(b, r, g):
        return {"source": items[b][0], "position": r + 1, "want": items[b][1][r],
                "got": sorted(syms[k] for k in np.flatnonzero(g))}

    return _compare(got, want, [0] * len(items), describe)


def verify_entry(entry: TaskEntry, which: Callable[..., Program] | None = None, *, seed: int = 0,
                 params: dict | None = None, **kw) -> dict:
    """Verify a program of an entry against the theory-side references (exhaustive + random); `params`
    overrides the task parameters (e.g. a smaller n_symbols)."""
    rng = np.random.default_rng(seed)
    program = build(entry, which, **(params or {}))
    items = ledger_inputs(entry, rng, params=params, **kw)
    res = (verify_sets if entry.kind == "sets" else verify_tokens)(program, items)
    res.update({"program": program.name, "check": check(program).as_dict()})
    res["check"].pop("errors")
    return res
