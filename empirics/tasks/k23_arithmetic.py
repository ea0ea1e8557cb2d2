"""Kazemnejad et al. 2023 (kazemnejad2023.md, "Tasks and formats") arithmetic tasks with K23's unified
scratchpad (see `k23_scratchpad` for the text conventions, formats and oracle policy): decimal addition,
polynomial evaluation mod 10, summation of digits mod 10. The family registry `TASKS` is in
`k23_algorithmic`.
"""
from __future__ import annotations

import numpy as np

from ..errors import PelgError
from .k23_scratchpad import (ANSWER, DIGITS, ScratchpadTask, expect_words, join_with, num_tuple, num_words,
                             parse_num, split_at, uniform_ints)


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
        return [*num_tuple(c), "*", "x", "**", *num_tuple(d)]

    def _render(self, problem):
        coeffs, degrees, x = problem
        terms = join_with([self._term(c, d) for c, d in zip(coeffs, degrees)], "+")
        answer = sum(c * x ** d for c, d in zip(coeffs, degrees)) % 10
        return (["Evaluate", "at", "x", "=", *num_tuple(x), "in", *terms, "?"], [*ANSWER, str(answer), "."])

    def _steps(self, problem):
        coeffs, degrees, x = problem
        terms = [self._term(c, d) for c, d in zip(coeffs, degrees)]
        steps, acc = [], 0
        for i, (c, d) in enumerate(zip(coeffs, degrees)):
            value = c * x ** d
            new = (acc + value) % 10
            steps.append((terms[i],
                          [*num_tuple(c), "*", *num_tuple(x), "**", *num_tuple(d), "=", *num_tuple(c), "*",
                           *num_tuple(x ** d)],
                          num_tuple(value),
                          ["sum", ":", *num_tuple(acc), "+", *num_tuple(value), "=", *num_tuple(new)],
                          join_with(terms[i + 1:], "+")))
            acc = new
        return steps

    def _parse(self, source):
        expect_words(source, 0, 4, ["Evaluate", "at", "x", "="], self.name)
        if "in" not in source or source[-1] != "?":
            raise PelgError(f"task {self.name!r}: malformed source {' '.join(source)!r}")
        cut = source.index("in")
        x = parse_num(source[4:cut])
        terms = []
        for t in split_at(source[cut + 1:-1], "+"):
            if "*" not in t:
                raise PelgError(f"task {self.name!r}: malformed term {' '.join(t)!r}")
            star = t.index("*")
            expect_words(t, star, star + 3, ["*", "x", "**"], self.name)
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
                          join_with(words[i + 1:], "+")))
        return steps


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
        return (["Compute", ":", *join_with([[str(v)] for v in values], "+"), "."],
                [*ANSWER, str(sum(values) % 10), "."])

    def _steps(self, values):
        steps, acc = [], 0
        for i, v in enumerate(values):
            total = v + acc
            steps.append(([str(v)], [str(v), "+", "sum", "=", str(v), "+", str(acc), "="], num_tuple(total),
                          ["sum", ":", *num_tuple(total), "=", str(total % 10)],
                          join_with([[str(w)] for w in values[i + 1:]], "+")))
            acc = total % 10
        return steps

    def _parse(self, source):
        expect_words(source, 0, 2, ["Compute", ":"], self.name)
        expect_words(source, len(source) - 1, len(source), ["."], self.name)
        return [parse_num(w) for w in split_at(source[2:-1], "+")]

    def _solve(self, values):
        return [*ANSWER, *num_words(sum(values) % 10), "."]

    def _oracle_steps(self, values):
        steps = []
        for i, v in enumerate(values):
            before = sum(values[:i]) % 10
            steps.append(([str(v)], [str(v), "+", "sum", "=", str(v), "+", str(before), "="],
                          num_words(v + before), ["sum", ":", *num_words(v + before), "=",
                                                  str(sum(values[:i + 1]) % 10)],
                          join_with([num_words(w) for w in values[i + 1:]], "+")))
        return steps
