"""Kazemnejad et al. 2023 (kazemnejad2023.md, "Tasks and formats") reasoning tasks with K23's unified
scratchpad (see `k23_scratchpad` for the text conventions, formats and oracle policy): sorting
(single-token and multi-digit), parity, LEGO. The family registry `TASKS` is in `k23_algorithmic`.
"""
from __future__ import annotations

import numpy as np

from ..errors import PelgError
from .k23_scratchpad import (ANSWER, DIGITS, PLAIN, ScratchpadTask, expect_words, join_with, parse_num, split_at,
                             uniform_ints)


# ---------------------------------------------------------------------------------------------------- sort
SORT_ALPHABET = tuple("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN")
SORT_COMPUTATION = ("The", "minimum", "of", "the", "unsorted", "portion")


class _Sort(ScratchpadTask):
    """Shared by the two K23 sort tasks (sort_instance_processor.py): source ``Sort the following list
    [ e1 , e2 , ... ] .``, target ``The sorted list is [ ... ] .``. Scratchpad: selection sort, step i
    ``in <front of the unsorted part> comp The minimum of the unsorted portion out <its minimum>
    re [ <unsorted part after swapping the minimum to the front> ]`` (first occurrence of the minimum;
    no variable update in K23)."""

    has_variable = False
    length_unit = "list elements"
    _words = ("Sort", "the", "following", "list", "[", "]", ",", ".", "sorted", *SORT_COMPUTATION)

    def _elem(self, e) -> list[str]:
        raise NotImplementedError

    def _render(self, problem):
        items = problem
        src = ["Sort", "the", "following", "list", "[", *join_with([self._elem(e) for e in items], ","), "]", "."]
        return src, self._target(sorted(items))

    def _target(self, ordered):
        return ["The", "sorted", "list", "is", "[", *join_with([self._elem(e) for e in ordered], ","), "]", "."]

    def _steps(self, problem):
        state = list(problem)
        steps = []
        for i in range(len(state)):
            front = state[i]
            j = min(range(i, len(state)), key=state.__getitem__)
            state[i], state[j] = state[j], state[i]
            steps.append(([*self._elem(front)], list(SORT_COMPUTATION), [*self._elem(state[i])], None,
                          ["[", *join_with([self._elem(e) for e in state[i + 1:]], ","), "]"]))
        return steps

    def _parse(self, source):
        expect_words(source, 0, 5, ["Sort", "the", "following", "list", "["], self.name)
        expect_words(source, len(source) - 2, len(source), ["]", "."], self.name)
        body = source[5:-2]
        return [self._parse_elem(e) for e in split_at(body, ",")] if body else []

    def _solve(self, items):
        ordered = []
        remaining = list(items)
        while remaining:                        # repeated extraction of the smallest key
            best = remaining[0]
            for e in remaining[1:]:
                if self._key(e) < self._key(best):
                    best = e
            ordered.append(best)
            remaining.remove(best)
        return self._target_words(ordered)

    def _target_words(self, ordered):
        return ["The", "sorted", "list", "is", "[", *join_with([list(w) for w in ordered], ","), "]", "."]

    def _oracle_steps(self, items):
        state = [tuple(w) for w in items]
        steps = []
        for i in range(len(state)):
            front = state[i]
            smallest = min(self._key(e) for e in state[i:])
            j = next(k for k in range(i, len(state)) if self._key(state[k]) == smallest)
            state[i], state[j] = state[j], front
            steps.append((list(front), list(SORT_COMPUTATION), list(state[i]), None,
                          ["[", *join_with([list(e) for e in state[i + 1:]], ","), "]"]))
        return steps


class SortSingle(_Sort):
    """K23 single-token sort (make_sort_dataset.py --single_digit): `length` tokens drawn uniformly (with
    repeats) from a 50-token vocabulary, sorted by vocabulary rank. K23's 50 tokens were the first 50
    characters of ``0-9 a-z A-Z`` that t5-base keeps as one token each; pelg uses the first 50 of that
    string, ranked in that order (``0 < ... < 9 < a < ... < z < A < ... < N``). [reconstruction: which
    characters t5-base split is not recorded.]"""

    name = "k23.sort_single"
    description = "sort single tokens from a 50-token vocabulary by rank (K23)"
    words = (*_Sort._words, *SORT_ALPHABET)
    _rank = {w: i for i, w in enumerate(SORT_ALPHABET)}

    def _draw(self, rng, length):
        return uniform_ints(rng, length, len(SORT_ALPHABET)).tolist()

    def _elem(self, e):
        return [SORT_ALPHABET[e]]

    def _parse_elem(self, words):
        if len(words) != 1 or words[0] not in self._rank:
            raise PelgError(f"task {self.name!r}: not a sort token: {' '.join(words)!r}")
        return tuple(words)

    def _key(self, e):
        return self._rank[e[0]]


class SortMulti(_Sort):
    """K23 multi-digit sort (make_sort_dataset.py): `length` integers uniform in 10..9999 (repeats
    allowed), each written digit by digit, sorted numerically."""

    name = "k23.sort_multi"
    description = "sort integers 10..9999 written digit by digit (K23)"
    words = (*_Sort._words, *DIGITS)

    def _draw(self, rng, length):
        return (uniform_ints(rng, length, 9990) + 10).tolist()

    def _elem(self, e):
        return list(str(e))

    def _parse_elem(self, words):
        parse_num(words)
        return tuple(words)

    def _key(self, e):
        return parse_num(e)


# -------------------------------------------------------------------------------------------------- parity
class Parity(ScratchpadTask):
    """K23 parity (make_parity_dataset.py; parity_instance_processor.py): `length` random bits; source
    ``Is the number of 1's even in the sequence [ b1 , b2 , ... ] ?``, target ``The answer is Yes .`` when
    the number of ones is even, else ``No``.

    Scratchpad per bit: ``in b comp b ** par = b ** p out b^p [ par : b^p ] re [ <remaining bits> ]``
    (K23 writes XOR as ``**``)."""

    name = "k23.parity"
    description = "is the number of ones even? (K23)"
    length_unit = "bits"
    words = ("Is", "the", "number", "of", "1's", "even", "in", "sequence", "[", "]", ",", "?", ".", "Yes",
             "No", "**", "par", ":", "=", "0", "1")

    _PROMPT = ["Is", "the", "number", "of", "1's", "even", "in", "the", "sequence", "["]

    def _draw(self, rng, length):
        return uniform_ints(rng, length, 2).tolist()

    def _render(self, bits):
        return ([*self._PROMPT, *join_with([[str(b)] for b in bits], ","), "]", "?"],
                [*ANSWER, "No" if sum(bits) % 2 else "Yes", "."])

    def _steps(self, bits):
        steps, par = [], 0
        for i, b in enumerate(bits):
            new = b ^ par
            steps.append(([str(b)], [str(b), "**", "par", "=", str(b), "**", str(par)], [str(new)],
                          ["par", ":", str(new)], ["[", *join_with([[str(c)] for c in bits[i + 1:]], ","), "]"]))
            par = new
        return steps

    def _parse(self, source):
        n = len(self._PROMPT)
        expect_words(source, 0, n, self._PROMPT, self.name)
        expect_words(source, len(source) - 2, len(source), ["]", "?"], self.name)
        bits = [parse_num(w) for w in split_at(source[n:-2], ",")]
        if any(b not in (0, 1) for b in bits):
            raise PelgError(f"task {self.name!r}: bits must be 0 or 1")
        return bits

    def _solve(self, bits):
        return [*ANSWER, "Yes" if bits.count(1) % 2 == 0 else "No", "."]

    def _oracle_steps(self, bits):
        steps = []
        for i, b in enumerate(bits):
            before, after = sum(bits[:i]) % 2, sum(bits[:i + 1]) % 2
            steps.append(([str(b)], [str(b), "**", "par", "=", str(b), "**", str(before)], [str(after)],
                          ["par", ":", str(after)], ["[", *join_with([[str(c)] for c in bits[i + 1:]], ","), "]"]))
        return steps


# ---------------------------------------------------------------------------------------------------- LEGO
LEGO_VARS = tuple("abcdefghijklmnopqrstuvwxyz")
LEGO_VALUES = ("-1", "+1")


class Lego(ScratchpadTask):
    """K23 LEGO (make_lego_dataset.py, after Zhang et al.'s transformers-lego; lego_instance_processor.py).

    A chain of n distinct variables (a random subset and order of a..z): ``v0 = +1`` or ``-1``, then
    ``vi = + v(i-1)`` or ``- v(i-1)``, values uniform. The query is one of the variables from the middle
    to the end (index n//2 .. n-1 for even n, n//2+1 .. n-1 for odd n; K23 emitted every such query per
    chain, pelg draws one uniformly). Source ``If c1 , c2 , ... . Then , what is the value of q ?``,
    target ``The answer is +1 .`` (or ``-1``). `permute=True` shuffles the clause order (K23's
    ``len_tr8_ts16_perm`` split).

    n = 1 has no query in K23's rule (and K23's builder divides by n//2), so lengths start at 2;
    n <= 26 (the letters). [reconstruction: the task notes say n 1-8; n = 1 is impossible.]

    Scratchpad: one step per chain variable up to the query: ``in v comp <sign> u = <sign> <value of u>
    out <value of v> re <clauses not yet used>`` (empty computation for the constant clause; no variable
    update in K23).
    """

    name = "k23.lego"
    description = "resolve a chain of +/- variable assignments (K23 LEGO)"
    length_unit = "variables"
    has_variable = False
    min_length = 2
    max_length = len(LEGO_VARS)
    words = ("If", ",", ".", "Then", "what", "is", "the", "value", "of", "?", "=", "+", "-", *LEGO_VALUES,
             *LEGO_VARS)
    _QUESTION = [".", "Then", ",", "what", "is", "the", "value", "of"]

    def __init__(self, format: str = PLAIN, permute: bool = False):
        if not isinstance(permute, bool):
            raise PelgError(f"k23.lego: permute must be true or false, got {permute!r}")
        self.permute = permute
        super().__init__(format)

    def check_length(self, length: int) -> int:
        if not isinstance(length, (int, np.integer)):   # base.check_length compares before type-checking
            raise PelgError(f"task {self.name!r} needs length ({self.length_unit}) >= {self.min_length} "
                            f"and <= {self.max_length}, got {length!r}")
        return super().check_length(length)

    def _draw(self, rng, n):
        names = [LEGO_VARS[i] for i in rng.permutation(len(LEGO_VARS))[:n].tolist()]
        u = rng.random(n + 1)
        values = (u[:n] < 0.5).astype(np.int64).tolist()
        first = n // 2 if n % 2 == 0 else n // 2 + 1
        query = first + min(int(u[n] * (n - first)), n - first - 1)
        order = rng.permutation(n).tolist() if self.permute else list(range(n))
        return names, values, query, order

    def _clauses(self, names, values):
        clauses = [[names[0], "=", LEGO_VALUES[values[0]]]]
        for i in range(1, len(names)):
            clauses.append([names[i], "=", "+" if values[i] == values[i - 1] else "-", names[i - 1]])
        return clauses

    def _render(self, problem):
        names, values, query, order = problem
        clauses = self._clauses(names, values)
        source = ["If", *join_with([clauses[i] for i in order], ","), *self._QUESTION, names[query], "?"]
        return source, [*ANSWER, LEGO_VALUES[values[query]], "."]

    def _steps(self, problem):
        names, values, query, order = problem
        clauses = self._clauses(names, values)
        shown = [clauses[i] for i in order]
        steps = []
        for i in range(query + 1):
            comp = [] if i == 0 else [clauses[i][2], names[i - 1], "=", clauses[i][2], LEGO_VALUES[values[i - 1]]]
            done = set(names[:i + 1])
            steps.append(([names[i]], comp, [LEGO_VALUES[values[i]]], None,
                          join_with([c for c in shown if c[0] not in done], ",")))
        return steps

    def _parse(self, source):
        n = len(self._QUESTION)
        if len(source) < n + 3 or source[0] != "If" or source[-1] != "?" or source[-n - 2:-2] != self._QUESTION:
            raise PelgError(f"task {self.name!r}: malformed source {' '.join(source)!r}")
        clauses = split_at(source[1:-n - 2], ",")
        for c in clauses:
            ok = (len(c) == 3 and c[2] in LEGO_VALUES) or (len(c) == 4 and c[2] in ("+", "-") and c[3] in LEGO_VARS)
            if not ok or c[1] != "=" or c[0] not in LEGO_VARS:
                raise PelgError(f"task {self.name!r}: malformed clause {' '.join(c)!r}")
        if len({c[0] for c in clauses}) != len(clauses):
            raise PelgError(f"task {self.name!r}: a variable is assigned twice")
        return clauses, source[-2]

    @staticmethod
    def _evaluate(clauses) -> dict[str, int]:
        """Values by repeated substitution: sweep the clauses until nothing new resolves."""
        known: dict[str, int] = {}
        progress = True
        while progress:
            progress = False
            for c in clauses:
                if c[0] in known:
                    continue
                if len(c) == 3:
                    known[c[0]] = 1 if c[2] == "+1" else -1
                elif c[3] in known:
                    known[c[0]] = known[c[3]] * (1 if c[2] == "+" else -1)
                else:
                    continue
                progress = True
        return known

    def _value(self, clauses, var):
        known = self._evaluate(clauses)
        if var not in known:
            raise PelgError(f"task {self.name!r}: variable {var!r} cannot be resolved")
        return "+1" if known[var] > 0 else "-1"

    def _solve(self, problem):
        clauses, query = problem
        return [*ANSWER, self._value(clauses, query), "."]

    def _oracle_steps(self, problem):
        clauses, query = problem
        known = self._evaluate(clauses)
        by_rhs = {c[3]: c for c in clauses if len(c) == 4}
        chain = [c for c in clauses if len(c) == 3][:1]            # follow references from the constant
        while chain and chain[-1][0] != query:
            chain.append(by_rhs.get(chain[-1][0]))
            if chain[-1] is None:
                chain = []
        if not chain:
            raise PelgError(f"task {self.name!r}: the query {query!r} is not on the chain")
        steps, done = [], set()
        for c in chain:
            done.add(c[0])
            comp = [] if len(c) == 3 else [c[2], c[3], "=", c[2], "+1" if known[c[3]] > 0 else "-1"]
            steps.append(([c[0]], comp, ["+1" if known[c[0]] > 0 else "-1"], None,
                          join_with([d for d in clauses if d[0] not in done], ",")))
        return steps
