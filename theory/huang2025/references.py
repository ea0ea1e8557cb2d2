"""Theory-side references for the Huang et al. 2025 tasks, and the inputs the ledger verifies programs on.

The ledger (theory/) cannot import empirics, so the gold targets of the token tasks and the legal-next
sets of the formal languages are written out here independently; the tests compare them with the
empirics task oracles. `ledger_inputs` draws exhaustive small strings and random long ones.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from itertools import accumulate, groupby
from typing import Callable

import numpy as np

from theory.huang2025.task_table import TaskEntry
from theory.huang2025.token_programs import EOS, LETTERS


def reference_target(task: str, source: list[str], **params) -> list[str]:
    """The gold target of a token task (independent of empirics; tests compare it with the oracle)."""
    if task == "h25.binary_majority":
        return ["1" if 2 * source.count("1") > len(source) else "0"]
    if task == "h25.majority":
        (top, c1), *rest = Counter(source).most_common(2)
        if rest and rest[0][1] == c1:
            raise ValueError("no unique mode")
        return [top]
    if task == "h25.binary_majority_interleave":
        p = params.get("period", 3)
        return ["1" if 2 * source[r::p].count("1") > len(source[r::p]) else "0" for r in range(p)]
    if task == "h25.sort":
        return sorted(source, key=int)
    if task in ("h25.copy_unique", "h25.copy_repeat"):
        return list(source)
    if task == "h25.parity":
        return ["o" if source.count("1") % 2 else "e"]
    if task == "h25.addition":
        s = "".join(source)
        a, b = s.rstrip("=").split("+")
        return list(format(int(a, 2) + int(b, 2), "b"))
    raise KeyError(task)


@lru_cache(maxsize=1 << 18)
def _depth(s: str, n: int) -> int | None:
    """The depth #a - #b of s if every prefix depth lies in [0, n], else None (memoized on the prefix,
    so the legal-next sets of all prefixes of a string cost linear, not quadratic, time)."""
    if not s:
        return 0
    d = _depth(s[:-1], n)
    if d is None:
        return None
    d += 1 if s[-1] == "a" else -1
    return d if 0 <= d <= n else None


def _depths_ok(s: str, n: int) -> bool:
    if len(s) > 900:   # beyond the recursion limit of _depth: the direct scan
        return all(0 <= d <= n for d in accumulate(1 if c == "a" else -1 for c in s))
    return _depth(s, n) is not None


def _t3_ok(s: str, complete: bool) -> bool:
    runs = [(c, len(list(g))) for c, g in groupby(s)]
    last = len(runs) - 1 if complete else len(runs) - 2
    return not any(runs[i][0] == "1" and runs[i][1] % 2 and runs[i + 1][0] == "0" and runs[i + 1][1] % 2
                   for i in range(max(last, 0)))


def _rx(p):
    c = re.compile(p)
    return lambda s: c.fullmatch(s) is not None


def _languages() -> dict[str, tuple[str, Callable, Callable]]:
    L = {f"h25.d{n}": ("ab", (lambda n: lambda s: _depths_ok(s, n) and s.count("a") == s.count("b"))(n),
                       (lambda n: lambda s: _depths_ok(s, n))(n)) for n in (2, 3, 4, 12)}
    every = lambda s: True  # noqa: E731
    L.update({
        "h25.tomita1": ("01", _rx("1*"), _rx("1*")),
        "h25.tomita2": ("01", _rx("(10)*"), _rx("(10)*1?")),
        "h25.tomita3": ("01", lambda s: _t3_ok(s, True), lambda s: _t3_ok(s, False)),
        "h25.tomita4": ("01", lambda s: "000" not in s, lambda s: "000" not in s),
        "h25.tomita5": ("01", lambda s: s.count("0") % 2 == 0 and s.count("1") % 2 == 0, every),
        "h25.tomita6": ("01", lambda s: (s.count("0") - s.count("1")) % 3 == 0, every),
        "h25.tomita7": ("01", _rx("0*1*0*1*"), _rx("0*1*0*1*")),
        "h25.aa_bb_cc_dd_ee": ("abcde", _rx("a+b+c+d+e+"), _rx("(a+(b+(c+(d+e*)?)?)?)?")),
        "h25.ab_d_bc": ("abcd", _rx("[ab]*d[bc]*"), _rx("[ab]*(d[bc]*)?")),
        "h25.z012_02": ("012", _rx("[012]*02*"), every),
        "h25.aa_star": ("a", _rx("(aa)*"), _rx("a*")),
        "h25.aaaa_star": ("a", _rx("(aaaa)*"), _rx("a*")),
        "h25.abab_star": ("ab", _rx("(abab)*"), _rx("(ab)*a?")),
    })
    return L


LANGUAGES = _languages()


@lru_cache(maxsize=1 << 18)
def _legal(task: str, p: str) -> tuple[str, ...]:
    alphabet, is_word, is_prefix = LANGUAGES[task]
    legal = [c for c in alphabet if is_prefix(p + c)] if is_prefix(p) else []
    return tuple(sorted(legal + ([EOS] if is_word(p) else [])))


def reference_sets(task: str, source: list[str]) -> list[list[str]]:
    """Legal-next sets of a formal-language task at every prefix of `source` (also of non-words): a
    symbol c is legal after p iff p + c is a prefix of a word; <eos> iff p is a word."""
    s = "".join(source)
    return [list(_legal(task, s[:t])) for t in range(len(s) + 1)]


# ----------------------------------------------------------------------------------------------------
# theory-side inputs for the ledger: exhaustive small strings and random long ones
# ----------------------------------------------------------------------------------------------------


def all_strings(alphabet, max_len: int, min_len: int = 0):
    import itertools
    for n in range(min_len, max_len + 1):
        for t in itertools.product(alphabet, repeat=n):
            yield list(t)


def random_prefix(task: str, rng: np.random.Generator, n: int) -> list[str]:
    """A random valid prefix of length n of a language (each step uniform over the legal symbols)."""
    alphabet, _, is_prefix = LANGUAGES[task]
    s = ""
    for _ in range(n):
        legal = [c for c in alphabet if is_prefix(s + c)]
        s += legal[int(rng.integers(len(legal)))]
    return list(s)


def ledger_inputs(entry: TaskEntry, rng: np.random.Generator, *, exhaustive: int = 12, n_random: int = 60,
                  max_random: int = 150, params: dict | None = None) -> list:
    """(source, target) pairs or (source, sets) items from the theory-side references: exhaustive over
    all strings up to a length (binary alphabets: `exhaustive`; larger alphabets shorter), plus random
    strings up to `max_random`."""
    task = entry.task
    params = {**entry.params, **(params or {})}
    lengths = rng.integers(0, max_random + 1, size=n_random)
    if entry.kind == "sets":
        alphabet = LANGUAGES[task][0]
        top = {1: max_random, 2: exhaustive, 3: 8, 4: 6, 5: 5}[len(alphabet)]
        srcs = list(all_strings(alphabet, top))
        srcs += [random_prefix(task, rng, int(n)) for n in lengths]
        srcs += [list(rng.choice(list(alphabet), size=int(n))) for n in lengths[: n_random // 4]]
        return [(s, reference_sets(task, s)) for s in srcs]
    if task == "h25.binary_majority":
        srcs = list(all_strings("01", exhaustive, 1))
        srcs += [list(rng.choice(["0", "1"], size=max(1, int(n)))) for n in lengths]
    elif task == "h25.binary_majority_interleave":
        p = params.get("period", 3)
        srcs = [s for s in all_strings("01", exhaustive, p) if len(s) % p == 0]
        srcs += [list(rng.choice(["0", "1"], size=p * max(1, int(n) // p))) for n in lengths]
    elif task == "h25.majority":
        srcs = list(all_strings("abc", 7, 1))
        for n in lengths:
            srcs.append(list(rng.choice(list(LETTERS), size=max(1, int(n)))))
        srcs = [s for s in srcs if _unique_mode(s)]
    elif task == "h25.parity":
        srcs = list(all_strings("01", exhaustive, 1))
        srcs += [list(rng.choice(["0", "1"], size=max(1, int(n)))) for n in lengths]
    elif task == "h25.copy_repeat":
        srcs = list(all_strings("ab", exhaustive))
        srcs += [list(rng.choice(["a", "b"], size=int(n))) for n in lengths]
    elif task in ("h25.sort", "h25.copy_unique"):
        import itertools
        V = params.get("n_symbols", 150)
        small = [str(v) for v in range(min(V, 5))]
        srcs = [list(t) for k in range(len(small) + 1) for t in itertools.permutations(small, k)]
        srcs += [[str(v) for v in rng.permutation(V)[: min(int(n), V)]] for n in lengths]
    else:
        raise KeyError(task)
    return [(s, reference_target(task, s, **params)) for s in srcs]


def _unique_mode(s) -> bool:
    top = Counter(s).most_common(2)
    return len(top) == 1 or top[0][1] != top[1][1]
