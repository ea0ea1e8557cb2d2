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
    big = len(program.defs) > 1000      # few passes: the per-definition cost dominates the padding
    for k, x in enumerate(seqs):
        buckets.setdefault(int(len(x) > 16) if big else len(x).bit_length(), []).append(k)
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


def _prepare_tokens(pairs, syms) -> tuple:
    pairs = [(list(s), list(t)) for s, t in pairs]
    index = {a: k for k, a in enumerate(syms)}
    seqs = [token_input(s, t) for s, t in pairs]
    want = [_onehot([[x] for x in [*t, EOS]], index) for _, t in pairs]
    return pairs, seqs, want, [len(s) + 1 for s, _ in pairs]


def verify_tokens(program: Program, pairs, _prepared: tuple | None = None) -> dict:
    """Check NEXT on (source, target) pairs: at every position from <sep> on, exactly the gold next
    token (the target symbols, then <eos>) is true among the outputs. Returns counts and the first
    mismatch (position 1-based)."""
    syms = program.output_symbols
    pairs, seqs, want, offsets = _prepared or _prepare_tokens(pairs, syms)
    got = next_matrix(program, seqs)

    def describe(b, r, g):
        s, t = pairs[b]
        return {"source": s, "target": t, "position": len(s) + 2 + r, "want": [*t, EOS][r],
                "got": [syms[k] for k in np.flatnonzero(g)]}

    return _compare(got, want, offsets, describe)


def _prepare_sets(items, syms) -> tuple:
    items = [(list(s), [sorted(x) for x in sets]) for s, sets in items]
    index = {a: k for k, a in enumerate(syms)}
    seqs = [[BOS, *s] for s, _ in items]
    rows: dict[tuple, np.ndarray] = {}     # one-hot row per distinct legal set (there are few)
    for _, sets in items:
        for x in sets:
            t = tuple(x)
            if t not in rows:
                rows[t] = _onehot([x], index)[0]
    empty = np.zeros((0, len(syms)), dtype=bool)
    want = [np.array([rows[tuple(x)] for x in sets]) if sets else empty for _, sets in items]
    return items, seqs, want, [0] * len(items)


def verify_sets(program: Program, items, _prepared: tuple | None = None) -> dict:
    """Check NEXT against legal-next sets: items are (source, sets) with len(sets) = len(source) + 1;
    the program reads `<bos> source` and position p must give sets[p - 1]."""
    syms = program.output_symbols
    items, seqs, want, offsets = _prepared or _prepare_sets(items, syms)
    got = next_matrix(program, seqs)

    def describe(b, r, g):
        return {"source": items[b][0], "position": r + 1, "want": items[b][1][r],
                "got": sorted(syms[k] for k in np.flatnonzero(g))}

    return _compare(got, want, offsets, describe)


_INPUTS: dict = {}


def verify_entry(entry: TaskEntry, which: Callable[..., Program] | None = None, *, seed: int = 0,
                 params: dict | None = None, transform: Callable[[Program], Program] | None = None,
                 **kw) -> dict:
    """Verify a program of an entry against the theory-side references (exhaustive + random); `params`
    overrides the task parameters (e.g. a smaller n_symbols), `transform` changes the built program
    before it is checked and run (e.g. a point mutation, theory.huang2025.mutate)."""
    rng = np.random.default_rng(seed)
    program = build(entry, which, **(params or {}))
    if transform is not None:
        program = transform(program)
    # the inputs and targets are deterministic in this key: drawn once per process (a ledger run verifies
    # many programs of a task, its falsification cases mutated ones)
    key = (entry.task, tuple(sorted({**entry.params, **(params or {})}.items())), seed, tuple(sorted(kw.items())),
           program.output_symbols)
    prepared = _INPUTS.get(key)
    if prepared is None:
        items = ledger_inputs(entry, rng, params=params, **kw)
        prepared = _INPUTS[key] = (_prepare_sets if entry.kind == "sets" else _prepare_tokens)(
            items, program.output_symbols)
    res = (verify_sets if entry.kind == "sets" else verify_tokens)(program, None, prepared)
    res.update({"program": program.name, "check": check(program).as_dict(),
                "params": {k: v for k, v in {**entry.params, **(params or {})}.items()}})
    res["check"].pop("errors")
    return res
