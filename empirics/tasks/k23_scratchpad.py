"""Kazemnejad et al. 2023 (kazemnejad2023.md, "Tasks and formats") arithmetic and reasoning tasks with
K23's unified scratchpad: addition, polynomial evaluation, sorting (single-token and multi-digit),
summation, parity and LEGO.

Facts taken from the official repository (McGill-NLP/length-generalization: `scripts/dataset_builders/
make_*_dataset.py`, `src/data/data_instance_processor/*.py`, `configs/data/minimal_template.jsonnet`,
`scripts/upload_pos_enc_exp_for_scratchpad_ds.py`); the code here is written anew.

Text. K23 wrote every example as a string and let the T5 SentencePiece tokenizer cut it. pelg uses one
word per token: the K23 string is split at spaces, and punctuation (``, : ? . [ ]``) is a word of its
own, e.g. ``"Compute 5 3 7 2 6 + 1 9 1 7 7 ?"`` -> ``The answer is 7 2 9 0 3 .``. Numbers written by
K23's ``number_to_string`` are one word per digit with a leading ``-`` word for negatives; numbers K23
wrote unspaced inside scratchpad computations (addition's ``13``) stay one word. [reconstruction:
the exact word boundaries are pelg's choice; the text is K23's.]

Scratchpad (K23's "minimal template", the one its scratchpad runs used): the target is
``Thinking step by step : STEP # STEP # ... . Thus , <plain target>`` where each STEP is
``in <input> comp <computation> out <output> [ <variable update> ] re <remaining input>``. Formats:
"plain" (no scratchpad), "full", "no_input", "no_computation", "no_output", "no_variable_update",
"no_remaining_input" (full minus one component) and "minimal" (computation only). Sort and LEGO never
carry a variable update in K23 (the repository forbids it), so for them "no_variable_update" would equal
"full" and is not offered. The computations are K23's "stripped" variants (minimal_template sets
``stripped: true``).

Oracles parse the source words back into the problem and recompute with Python integers; scratchpad
oracles rebuild every step from closed forms (digit k of a + b, prefix sums, the chain found by
following references) rather than from the generator's running state, so every step's arithmetic and
the final answer are checked.
"""
from __future__ import annotations

import numpy as np

from ..errors import PelgError
from .base import Example, Task, Vocab

PLAIN = "plain"
SCRATCHPAD_FORMATS = ("plain", "full", "no_input", "no_computation", "no_output", "no_variable_update",
                      "no_remaining_input", "minimal")
# which of (input, computation, output, variable update, remaining input) each format writes
_INCLUDE = {
    "full": (True, True, True, True, True),
    "no_input": (False, True, True, True, True),
    "no_computation": (True, False, True, True, True),
    "no_output": (True, True, False, True, True),
    "no_variable_update": (True, True, True, False, True),
    "no_remaining_input": (True, True, True, True, False),
    "minimal": (False, True, False, False, False),
}
SCRATCH_BEGIN = ("Thinking", "step", "by", "step", ":")
SCRATCH_END = (".", "Thus", ",")
STEP_SEP = "#"
MARK_IN, MARK_COMP, MARK_OUT, MARK_VAR_OPEN, MARK_VAR_CLOSE, MARK_REM = "in", "comp", "out", "[", "]", "re"
SCRATCH_WORDS = (*SCRATCH_BEGIN, *SCRATCH_END, STEP_SEP, MARK_IN, MARK_COMP, MARK_OUT, MARK_VAR_OPEN,
                 MARK_VAR_CLOSE, MARK_REM)
ANSWER = ("The", "answer", "is")
DIGITS = tuple("0123456789")


def num_words(n: int) -> list[str]:
    """K23's number_to_string: one word per digit, a leading "-" word for negatives."""
    return ["-", *str(-n)] if n < 0 else list(str(n))


_SMALL = {n: tuple(num_words(n)) for n in range(-100, 100)}


def _nw(n: int) -> tuple[str, ...]:
    """`num_words` as a tuple, cached for small numbers (generator hot path)."""
    return _SMALL[n] if -100 <= n < 100 else tuple(num_words(n))


def uniform_ints(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """n integers uniform in [0, k) from one `rng.random` call (several times faster than
    `rng.integers` with a size; k must be far below 2**53)."""
    return np.minimum((rng.random(n) * k).astype(np.int64), k - 1)


def parse_num(words) -> int:
    """Inverse of `num_words` (raises PelgError on anything but an optional "-" and digits)."""
    words = list(words)
    sign = -1 if words[:1] == ["-"] else 1
    digits = words[1:] if sign < 0 else words
    if not digits or any(w not in DIGITS for w in digits):
        raise PelgError(f"not a K23 number: {' '.join(words)!r}")
    return sign * int("".join(digits))


def _split(words, sep):
    """Split a word list at every `sep` word."""
    out, cur = [], []
    for w in words:
        if w == sep:
            out.append(cur)
            cur = []
        else:
            cur.append(w)
    out.append(cur)
    return out


def _join(parts, sep):
    out = []
    for i, p in enumerate(parts):
        if i:
            out.append(sep)
        out.extend(p)
    return out


def _expect(words, lo, hi, expected, task):
    if list(words[lo:hi]) != list(expected):
        raise PelgError(f"task {task!r}: malformed source near {' '.join(words[lo:hi])!r}")


def render_scratchpad(steps, include, answer) -> list[str]:
    """K23's unified scratchpad: steps (input, computation, output, variable, remaining) -> words."""
    inc_in, inc_comp, inc_out, inc_var, inc_rem = include
    out = list(SCRATCH_BEGIN)
    for k, (inp, comp, res, var, rem) in enumerate(steps):
        if k:
            out.append(STEP_SEP)
        if inc_in:
            out.append(MARK_IN)
            out += inp
        if inc_comp:
            out.append(MARK_COMP)
            out += comp
        if inc_out:
            out.append(MARK_OUT)
            out += res
        if inc_var:
            out.append(MARK_VAR_OPEN)
            out += var
            out.append(MARK_VAR_CLOSE)
        if inc_rem:
            out.append(MARK_REM)
            out += rem
    out += SCRATCH_END
    out += answer
    return out


class ScratchpadTask(Task):
    """A K23 task whose target may carry a scratchpad. Subclasses implement
    `_draw(rng, length) -> problem`, `_render(problem) -> (source, plain target)`, `_steps(problem)`
    (generator route), and `_parse(source) -> problem'`, `_solve(problem') -> plain target`,
    `_oracle_steps(problem')` (independent route)."""

    paper = "kazemnejad2023"
    has_variable = True          # K23 sort and LEGO steps have no variable update
    words: tuple[str, ...] = ()  # the task's own words (the vocabulary adds scratchpad words)

    def __init__(self, format: str = PLAIN):
        self.formats = SCRATCHPAD_FORMATS if self.has_variable else tuple(
            f for f in SCRATCHPAD_FORMATS if f != "no_variable_update")
        self.set_format(format)
        include = _INCLUDE.get(format)
        if include is not None and not self.has_variable:
            include = (*include[:3], False, include[4])
        self._include = include
        self.vocab = Vocab(list(dict.fromkeys([*ANSWER, *self.words, *SCRATCH_WORDS])))

    def sample(self, rng: np.random.Generator, length: int) -> Example:
        length = self.check_length(length)
        problem = self._draw(rng, length)
        source, answer = self._render(problem)
        if self._include is None:
            return Example(source, answer, length)
        return Example(source, render_scratchpad(self._steps(problem), self._include, answer), length)

    def oracle(self, example: Example) -> list[str]:
        problem = self._parse(list(example.source))
        answer = self._solve(problem)
        if self._include is None:
            return answer
        return render_scratchpad(self._oracle_steps(problem), self._include, answer)


# ----------------------------------------------------------------------------------------------- addition
class Addition(ScratchpadTask):
    """K23 decimal addition (make_addition_dataset.py; addition_instance_processor.py).

    Source ``Compute <a> + <b> ?``, target ``The answer is <a+b> .`` (digits spaced). An operand with d
    digits is uniform in [10^(d-1), 10^d) (d = 1: [0, 10)). `length` = max operand digits; K23 made every
    digit-count pair (da, db) equally often (train 1..8 x 1..8; test: pairs with at least one operand of
    9..16 digits). Here a length L picks one of the 2L-1 pairs with max(da, db) = L uniformly, so the
    pair distribution within a length matches K23's, while the mix of lengths is set by the caller.
    [reconstruction: K23 weighted lengths by their number of pairs.]

    Scratchpad (stripped): one step per column from the right, shorter operand padded with zeros:
    ``in x , y comp x + y + carry = (x+y) + c = s out s%10 [ carry : s//10 ] re <a rest> + <b rest>``,
    and one more step ``0 , 0`` when a carry is left. Remaining operands are written as integers, so
    padded zeros collapse to ``0`` as in K23.
    """

    name = "k23.addition"
    description = "decimal addition of two operands (K23), digits as words"
    length_unit = "max operand digits"
    words = ("Compute", "+", "?", ".", ",", ":", "=", "carry", *DIGITS, *(str(i) for i in range(10, 20)))

    def _draw(self, rng, length):
        k = min(int(rng.random() * (2 * length - 1)), 2 * length - 2)
        da, db = (length, k + 1) if k < length else (k - length + 1, length)
        u = rng.random(da + db)
        digits = np.minimum((u * 10).astype(np.int64), 9).tolist()
        for lead, d in ((0, da), (da, db)):     # a d-digit operand (d > 1) leads with 1..9
            if d > 1:
                digits[lead] = 1 + min(int(u[lead] * 9), 8)
        text = "".join(map(str, digits))
        return int(text[:da]), int(text[da:])

    def _render(self, problem):
        a, b = problem
        return (["Compute", *str(a), "+", *str(b), "?"], [*ANSWER, *str(a + b), "."])

    def _steps(self, problem):
        a, b = problem
        n = max(len(str(a)), len(str(b)))
        sa, sb = str(a).rjust(n, "0"), str(b).rjust(n, "0")
        steps, carry = [], 0
        for i in range(n - 1, -1, -1):
            x, y = int(sa[i]), int(sb[i])
            s = x + y + carry
            comp = [sa[i], "+", sb[i], "+", "carry", "=", str(x + y), "+", str(carry), "=", str(s)]
            carry = s // 10
            rest_a = list(str(int(sa[:i]))) if i else []
            rest_b = list(str(int(sb[:i]))) if i else []
            steps.append(([sa[i], ",", sb[i]], comp, [str(s % 10)], ["carry", ":", str(carry)],
                          [*rest_a, "+", *rest_b]))
        if carry:
            comp = ["0", "+", "0", "+", "carry", "=", "0", "+", str(carry), "=", str(carry)]
            steps.append((["0", ",", "0"], comp, [str(carry)], ["carry", ":", "0"], ["+"]))
        return steps

    def _parse(self, source):
        if len(source) < 5 or source[0] != "Compute" or source[-1] != "?" or source.count("+") != 1:
            raise PelgError(f"task {self.name!r}: malformed source {' '.join(source)!r}")
        plus = source.index("+")
        return parse_num(source[1:plus]), parse_num(source[plus + 1:-1])

    def _solve(self, problem):
        a, b = problem
        return [*ANSWER, *num_words(a + b), "."]

    def _oracle_steps(self, problem):
        a, b = problem
        n = max(len(str(a)), len(str(b)))
        total = a + b
        steps = []
        for k in range(n + (total >= 10 ** n)):
            p, q = 10 ** k, 10 ** (k + 1)
            x, y = a // p % 10, b // p % 10
            c_in = int(a % p + b % p >= p)       # carry into column k, in closed form
            c_out = int(a % q + b % q >= q)
            s = x + y + c_in
            digit = total // p % 10
            assert s % 10 == digit and s // 10 == c_out, "column arithmetic"
            rest = [num_words(v // q) if k + 1 < n else [] for v in (a, b)]
            steps.append(([str(x), ",", str(y)],
                          [str(x), "+", str(y), "+", "carry", "=", str(x + y), "+", str(c_in), "=", str(s)],
                          [str(digit)], ["carry", ":", str(c_out)], [*rest[0], "+", *rest[1]]))
        return steps


# ---------------------------------------------------------------------------------------------- polynomial
class Polynomial(ScratchpadTask):
    """K23 polynomial evaluation (make_poly_dataset.py; poly_instance_processor.py, modulo_factor 10).

    `length` terms, coefficients uniform in -3..3, degrees in 0..3, x in -2..2 (terms may repeat a
    degree, coefficients may be 0). Source ``Evaluate at x = <x> in <c> * x ** <d> + ... ?``, target
    ``The answer is <sum mod 10> .`` (Python's non-negative mod).

    Scratchpad (stripped) per term: ``in c * x ** d comp c * X ** d = c * X^d out c*X^d
    [ sum : <s> + <c*X^d> = <(s + c*X^d) mod 10> ] re <the remaining terms>``.
    """

    name = "k23.polynomial"
    description = "evaluate a polynomial at x, answer mod 10 (K23)"
    length_unit = "terms"
    words = ("Evaluate", "at", "x", "=", "in", "*", "**", "+", "-", "?", ".", ":", "sum", *DIGITS)

    def _draw(self, rng, length):
        u = rng.random(2 * length + 1)
        coeffs = (np.minimum((u[:length] * 7).astype(np.int64), 6) - 3).tolist()
        degrees = np.minimum((u[length:-1] * 4).astype(np.int64), 3).tolist()
        return coeffs, degrees, min(int(u[-1] * 5), 4) - 2

    @staticmethod
    def _term(c, d):
        return [*_nw(c), "*", "x", "**", *_nw(d)]

    def _render(self, problem):
        coeffs, degrees, x = problem
        terms = _join([self._term(c, d) for c, d in zip(coeffs, degrees)], "+")
        answer = sum(c * x ** d for c, d in zip(coeffs, degrees)) % 10
        return (["Evaluate", "at", "x", "=", *_nw(x), "in", *terms, "?"], [*ANSWER, str(answer), "."])

    def _steps(self, problem):
        coeffs, degrees, x = problem
        terms = [self._term(c, d) for c, d in zip(coeffs, degrees)]
        steps, acc = [], 0
        for i, (c, d) in enumerate(zip(coeffs, degrees)):
            value = c * x ** d
            new = (acc + value) % 10
            steps.append((terms[i],
                          [*_nw(c), "*", *_nw(x), "**", *_nw(d), "=", *_nw(c), "*",
                           *_nw(x ** d)],
                          _nw(value),
                          ["sum", ":", *_nw(acc), "+", *_nw(value), "=", *_nw(new)],
                          _join(terms[i + 1:], "+")))
            acc = new
        return steps

    def _parse(self, source):
        _expect(source, 0, 4, ["Evaluate", "at", "x", "="], self.name)
        if "in" not in source or source[-1] != "?":
            raise PelgError(f"task {self.name!r}: malformed source {' '.join(source)!r}")
        cut = source.index("in")
        x = parse_num(source[4:cut])
        terms = []
        for t in _split(source[cut + 1:-1], "+"):
            if "*" not in t:
                raise PelgError(f"task {self.name!r}: malformed term {' '.join(t)!r}")
            star = t.index("*")
            _expect(t, star, star + 3, ["*", "x", "**"], self.name)
            terms.append((parse_num(t[:star]), parse_num(t[star + 3:])))
        return x, terms

    def _solve(self, problem):
        x, terms = problem
        return [*ANSWER, *num_words(sum(c * pow(x, d) for c, d in terms) % 10), "."]

    def _oracle_steps(self, problem):
        x, terms = problem
        values = [c * pow(x, d) for c, d in terms]
        words = [self._term(c, d) for c, d in terms]
        steps = []
        for i, (c, d) in enumerate(terms):
            before, after = sum(values[:i]) % 10, sum(values[:i + 1]) % 10
            steps.append((words[i],
                          [*num_words(c), "*", *num_words(x), "**", *num_words(d), "=", *num_words(c), "*",
                           *num_words(pow(x, d))],
                          num_words(values[i]),
                          ["sum", ":", *num_words(before), "+", *num_words(values[i]), "=", *num_words(after)],
                          _join(words[i + 1:], "+")))
        return steps


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
        src = ["Sort", "the", "following", "list", "[", *_join([self._elem(e) for e in items], ","), "]", "."]
        return src, self._target(sorted(items))

    def _target(self, ordered):
        return ["The", "sorted", "list", "is", "[", *_join([self._elem(e) for e in ordered], ","), "]", "."]

    def _steps(self, problem):
        state = list(problem)
        steps = []
        for i in range(len(state)):
            front = state[i]
            j = min(range(i, len(state)), key=state.__getitem__)
            state[i], state[j] = state[j], state[i]
            steps.append(([*self._elem(front)], list(SORT_COMPUTATION), [*self._elem(state[i])], None,
                          ["[", *_join([self._elem(e) for e in state[i + 1:]], ","), "]"]))
        return steps

    def _parse(self, source):
        _expect(source, 0, 5, ["Sort", "the", "following", "list", "["], self.name)
        _expect(source, len(source) - 2, len(source), ["]", "."], self.name)
        body = source[5:-2]
        return [self._parse_elem(e) for e in _split(body, ",")] if body else []

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
        return ["The", "sorted", "list", "is", "[", *_join([list(w) for w in ordered], ","), "]", "."]

    def _oracle_steps(self, items):
        state = [tuple(w) for w in items]
        steps = []
        for i in range(len(state)):
            front = state[i]
            smallest = min(self._key(e) for e in state[i:])
            j = next(k for k in range(i, len(state)) if self._key(state[k]) == smallest)
            state[i], state[j] = state[j], front
            steps.append((list(front), list(SORT_COMPUTATION), list(state[i]), None,
                          ["[", *_join([list(e) for e in state[i + 1:]], ","), "]"]))
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


# ----------------------------------------------------------------------------------------------- summation
class Summation(ScratchpadTask):
    """K23 summation (make_sum_dataset.py --modular; sum_instance_processor.py S2SSum, modulo 10):
    `length` digits uniform in 1..9; source ``Compute : d1 + d2 + ... .``, target
    ``The answer is <sum mod 10> .``; K23 puts "[SEP]" between source and target.

    Scratchpad (stripped) per digit: ``in d comp d + sum = d + s = out <d+s> [ sum : <d+s> = <(d+s) mod
    10> ] re <remaining digits joined by +>``."""

    name = "k23.summation"
    description = "sum of digits 1..9 modulo 10 (K23)"
    length_unit = "digits"
    k23_separator = True
    words = ("Compute", ":", "+", ".", "=", "sum", *DIGITS)

    def _draw(self, rng, length):
        return (uniform_ints(rng, length, 9) + 1).tolist()

    def _render(self, values):
        return (["Compute", ":", *_join([[str(v)] for v in values], "+"), "."],
                [*ANSWER, str(sum(values) % 10), "."])

    def _steps(self, values):
        steps, acc = [], 0
        for i, v in enumerate(values):
            total = v + acc
            steps.append(([str(v)], [str(v), "+", "sum", "=", str(v), "+", str(acc), "="], _nw(total),
                          ["sum", ":", *_nw(total), "=", str(total % 10)],
                          _join([[str(w)] for w in values[i + 1:]], "+")))
            acc = total % 10
        return steps

    def _parse(self, source):
        _expect(source, 0, 2, ["Compute", ":"], self.name)
        _expect(source, len(source) - 1, len(source), ["."], self.name)
        return [parse_num(w) for w in _split(source[2:-1], "+")]

    def _solve(self, values):
        return [*ANSWER, *num_words(sum(values) % 10), "."]

    def _oracle_steps(self, values):
        steps = []
        for i, v in enumerate(values):
            before = sum(values[:i]) % 10
            steps.append(([str(v)], [str(v), "+", "sum", "=", str(v), "+", str(before), "="],
                          num_words(v + before), ["sum", ":", *num_words(v + before), "=",
                                                  str(sum(values[:i + 1]) % 10)],
                          _join([num_words(w) for w in values[i + 1:]], "+")))
        return steps


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
        return ([*self._PROMPT, *_join([[str(b)] for b in bits], ","), "]", "?"],
                [*ANSWER, "No" if sum(bits) % 2 else "Yes", "."])

    def _steps(self, bits):
        steps, par = [], 0
        for i, b in enumerate(bits):
            new = b ^ par
            steps.append(([str(b)], [str(b), "**", "par", "=", str(b), "**", str(par)], [str(new)],
                          ["par", ":", str(new)], ["[", *_join([[str(c)] for c in bits[i + 1:]], ","), "]"]))
            par = new
        return steps

    def _parse(self, source):
        n = len(self._PROMPT)
        _expect(source, 0, n, self._PROMPT, self.name)
        _expect(source, len(source) - 2, len(source), ["]", "?"], self.name)
        bits = [parse_num(w) for w in _split(source[n:-2], ",")]
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
                          ["par", ":", str(after)], ["[", *_join([[str(c)] for c in bits[i + 1:]], ","), "]"]))
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
        source = ["If", *_join([clauses[i] for i in order], ","), *self._QUESTION, names[query], "?"]
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
                          _join([c for c in shown if c[0] not in done], ",")))
        return steps

    def _parse(self, source):
        n = len(self._QUESTION)
        if len(source) < n + 3 or source[0] != "If" or source[-1] != "?" or source[-n - 2:-2] != self._QUESTION:
            raise PelgError(f"task {self.name!r}: malformed source {' '.join(source)!r}")
        clauses = _split(source[1:-n - 2], ",")
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
                          _join([d for d in clauses if d[0] not in done], ",")))
        return steps
