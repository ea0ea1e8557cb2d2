"""Huang et al. 2025 (huang2025.md, "Published results"): the eight algorithmic seq2seq tasks.

Formats follow the official code (github lacoco-lab/length_generalization, algorithmic/, HEAD b39b743),
read for facts only: the sequence is `<bos> x <sep> y <eos>` (pelg's default layout), `length` is the
input length |x| in tokens, and the training stream draws lengths uniformly in [0, 50] with each
dataset raising its own minimum (most to 1; interleave to 3; addition to 4). The samplers reproduce the
official distributions:

- binary majority: the number of zeros is uniform over the non-tie counts in [0, n], then the bits are
  shuffled (so the string is NOT uniform over {0,1}^n; balanced-ish strings are rarer than uniform).
- majority: n letters uniform over a..z, redrawn until the most frequent letter is unique.
- interleave: 3 independent binary-majority strings of length n/3 interleaved position by position
  (x[3j+i] = string_i[j]); the target is the 3 majority bits in string order.
- sort / copy unique: n distinct tokens drawn without replacement from "0".."149"; sort targets are
  in ascending numeric order (the official code sorts token ids, which equal the numbers).
- copy repeat: n tokens uniform over {a, b}.
- parity: the number of ones is uniform in [0, n], then shuffled; target "e" (even) or "o" (odd).
- addition: x = a + b = in binary without leading zeros (a one-digit operand may be 0); the length of
  a is uniform in [1, n-3], b takes the rest; target = the binary sum, most significant bit first.

Deviations (documented): length 0 is generated where the task defines it (copy, sort and parity of the
empty string) although the official copy/sort streams start at 1; addition keeps "=" at the end of x and
pelg's layout adds <sep> after it (the official sequence was `<bos> a + b = s <eos>` with no <sep>).
Interleave needs n to be a multiple of the period (3), n >= 3; the official code rounds a drawn length
to the nearest multiple of 3, while here other lengths raise a PelgError naming the valid ones.
"""
from __future__ import annotations

import string
from collections import Counter

import numpy as np

from ..errors import PelgError
from .base import Example, Task, Vocab


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise PelgError(f"parameter {name} must be a positive integer, got {value!r}")
    return int(value)


def _non_tie_count(rng: np.random.Generator, n: int) -> int:
    """Number of zeros, uniform over {0..n} minus the tie n/2 (the official rejection sampler, exactly)."""
    if n % 2:
        return int(rng.integers(0, n + 1))
    k = int(rng.integers(0, n))      # n values: skip the tie
    return k + 1 if k >= n // 2 else k


def _shuffled_bits(rng: np.random.Generator, n: int, zeros: int) -> np.ndarray:
    bits = np.ones(n, dtype=np.int8)
    bits[:zeros] = 0
    return rng.permutation(bits)


class H25Algorithmic(Task):
    """Common attributes of the Huang et al. 2025 algorithmic tasks."""

    kind = "tokens"
    paper = "huang2025"
    formats = ("plain",)
    length_unit = "input tokens"
    k23_separator = False
    symbols: list[str] = []
    PARAMS: tuple[str, ...] = ()

    def __init__(self, format: str = "plain", **params):
        bad = [k for k in params if k not in self.PARAMS]
        if bad:
            raise PelgError(f"task {self.name!r} has no parameter {bad[0]!r}; valid: "
                            f"{', '.join(self.PARAMS) or '(none)'}")
        self.setup(**params)
        self.vocab = Vocab(self.symbols)
        self.set_format(format)

    def setup(self) -> None:
        pass


class BinaryMajority(H25Algorithmic):
    name = "h25.binary_majority"
    description = "majority bit of a {0,1}^n string without ties (Huang et al. 2025)"
    min_length = 1
    symbols = ["0", "1"]

    def sample(self, rng, length):
        n = self.check_length(length)
        zeros = _non_tie_count(rng, n)
        src = [self.symbols[b] for b in _shuffled_bits(rng, n, zeros)]
        return Example(src, ["0" if 2 * zeros > n else "1"], n)

    def oracle(self, example):
        ones = sum(1 for s in example.source if s == "1")
        return ["1" if 2 * ones > len(example.source) else "0"]


class Majority(H25Algorithmic):
    name = "h25.majority"
    description = "most frequent letter of n letters over a..z with a unique mode (Huang et al. 2025)"
    min_length = 1
    symbols = list(string.ascii_lowercase)

    def sample(self, rng, length):
        n = self.check_length(length)
        k = len(self.symbols)
        while True:
            ids = rng.integers(0, k, size=n)
            counts = np.bincount(ids, minlength=k)
            top = counts.max()
            if (counts == top).sum() == 1:
                return Example([self.symbols[i] for i in ids], [self.symbols[int(counts.argmax())]], n)

    def oracle(self, example):
        (first, c1), *rest = Counter(example.source).most_common(2)
        if rest and rest[0][1] == c1:
            raise PelgError(f"{self.name}: the source has no unique mode")
        return [first]


class BinaryMajorityInterleave(H25Algorithmic):
    name = "h25.binary_majority_interleave"
    min_length = 3
    symbols = ["0", "1"]
    PARAMS = ("period",)

    def setup(self, period: int = 3):
        self.period = _positive_int("period", period)
        self.min_length = self.period
        self.description = (f"{self.period} interleaved {{0,1}} strings without ties -> their {self.period} "
                            f"majority bits (Huang et al. 2025)")

    def check_length(self, length):
        ok = isinstance(length, (int, np.integer)) and not isinstance(length, bool)
        if not ok or length < self.period or length % self.period:
            raise PelgError(f"task {self.name!r} needs length ({self.length_unit}) a multiple of "
                            f"{self.period} and >= {self.period} (valid: {self.period}, {2 * self.period}, "
                            f"{3 * self.period}, ...), got {length!r}")
        return int(length)

    def sample(self, rng, length):
        n = self.check_length(length)
        m, p = n // self.period, self.period
        grid = np.empty((m, p), dtype=np.int8)   # column i = string i; row-major order interleaves
        answers = []
        for i in range(p):
            zeros = _non_tie_count(rng, m)
            grid[:, i] = _shuffled_bits(rng, m, zeros)
            answers.append("0" if 2 * zeros > m else "1")
        return Example([self.symbols[b] for b in grid.reshape(-1)], answers, n)

    def oracle(self, example):
        out = []
        for i in range(self.period):
            part = example.source[i::self.period]
            out.append("1" if 2 * part.count("1") > len(part) else "0")
        return out


class _DistinctTokens(H25Algorithmic):
    """n distinct tokens drawn without replacement from "0".."(n_symbols-1)"."""

    min_length = 0
    PARAMS = ("n_symbols",)

    def setup(self, n_symbols: int = 150):
        self.n_symbols = _positive_int("n_symbols", n_symbols)
        self.max_length = self.n_symbols
        self.symbols = [str(i) for i in range(self.n_symbols)]

    def _draw(self, rng, length):
        n = self.check_length(length)
        return n, rng.choice(self.n_symbols, size=n, replace=False)


class Sort(_DistinctTokens):
    name = "h25.sort"
    description = "sort n distinct tokens (vocabulary 150) ascending (Huang et al. 2025)"

    def sample(self, rng, length):
        n, ids = self._draw(rng, length)
        return Example([self.symbols[i] for i in ids], [self.symbols[i] for i in np.sort(ids)], n)

    def oracle(self, example):
        present = set(example.source)   # counting sort over the vocabulary, in numeric order
        return [s for s in self.symbols if s in present]


class CopyUnique(_DistinctTokens):
    name = "h25.copy_unique"
    description = "copy n distinct tokens (vocabulary 150) (Huang et al. 2025)"

    def sample(self, rng, length):
        n, ids = self._draw(rng, length)
        src = [self.symbols[i] for i in ids]
        return Example(src, list(src), n)

    def oracle(self, example):
        return [s for s in example.source]


class CopyRepeat(H25Algorithmic):
    name = "h25.copy_repeat"
    description = "copy a string over {a, b} (repeated tokens) (Huang et al. 2025)"
    min_length = 0
    symbols = ["a", "b"]

    def sample(self, rng, length):
        n = self.check_length(length)
        src = [self.symbols[i] for i in rng.integers(0, 2, size=n)]
        return Example(src, list(src), n)

    def oracle(self, example):
        return [s for s in example.source]


class Parity(H25Algorithmic):
    name = "h25.parity"
    description = "parity of the ones in a {0,1}^n string -> e (even) / o (odd) (Huang et al. 2025)"
    min_length = 0
    symbols = ["0", "1", "e", "o"]

    def sample(self, rng, length):
        n = self.check_length(length)
        ones = int(rng.integers(0, n + 1))
        bits = 1 - _shuffled_bits(rng, n, ones)   # `ones` zeros flipped into ones
        return Example([self.symbols[b] for b in bits], ["o" if ones % 2 else "e"], n)

    def oracle(self, example):
        odd = False
        for s in example.source:
            odd ^= s == "1"
        return ["o" if odd else "e"]


class Addition(H25Algorithmic):
    name = "h25.addition"
    description = "binary addition a+b= without leading zeros -> binary sum (Huang et al. 2025)"
    min_length = 4
    length_unit = "input characters of a+b="
    symbols = ["0", "1", "+", "="]

    def _operand(self, rng, k):
        if k == 1:
            return [self.symbols[int(rng.integers(0, 2))]]
        return ["1"] + [self.symbols[i] for i in rng.integers(0, 2, size=k - 1)]

    def sample(self, rng, length):
        n = self.check_length(length)
        k1 = int(rng.integers(1, n - 2))     # uniform in [1, n-3]
        a, b = self._operand(rng, k1), self._operand(rng, n - 2 - k1)
        total = int("".join(a), 2) + int("".join(b), 2)
        return Example([*a, "+", *b, "="], list(format(total, "b")), n)

    def oracle(self, example):
        src = example.source
        if src.count("+") != 1 or src[-1:] != ["="]:
            raise PelgError(f"{self.name}: the source is not of the form a+b=")
        plus = src.index("+")
        a, b = src[:plus][::-1], src[plus + 1:-1][::-1]     # least significant digit first
        digits, carry = [], 0
        for i in range(max(len(a), len(b))):
            s = carry + (a[i] == "1" if i < len(a) else 0) + (b[i] == "1" if i < len(b) else 0)
            digits.append("1" if s % 2 else "0")
            carry = s // 2
        if carry:
            digits.append("1")
        while len(digits) > 1 and digits[-1] == "0":
            digits.pop()
        return digits[::-1]


def _factory(cls):
    def make(format: str = "plain", **params) -> Task:
        return cls(format=format, **params)
    return make


TASKS = {cls.name: _factory(cls) for cls in (BinaryMajority, Majority, BinaryMajorityInterleave, Sort,
                                             CopyUnique, CopyRepeat, Parity, Addition)}
