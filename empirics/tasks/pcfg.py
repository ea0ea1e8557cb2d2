"""PCFG SET (Hupkes et al. 2020, "Compositionality decomposed"), productivity split as used by
Kazemnejad et al. 2023 (K23, kazemnejad2023.md): `length` = number of functions, train 1-8, test 9-35.

Sources are prefix expressions over ten string-edit functions, binary arguments separated by ",":
    unary   copy x -> x;  reverse x -> x reversed;  shift x -> x[1:] x[0];
            swap_first_last x -> x[-1] x[1:-1] x[0];  repeat x -> x x;  echo x -> x x[-1]
    binary  append x , y -> x y;  prepend x , y -> y x;  remove_first x , y -> y;  remove_second x , y -> x
e.g. "append swap_first_last F G H , repeat I J" -> "H G F I J I J" and
"echo remove_first D K , E F" -> "E F F" (the paper's examples). String arguments are 2-5 symbols
from a 520-symbol alphabet, the letters A-Z with an index 1-20 ("A1" ... "Z20"), as in the published
data. Since every argument has at least 2 symbols and no function returns fewer symbols than its
shortest argument, every intermediate string has >= 2 symbols ("swap_first_last" on one symbol, which
the original code would double, never arises; `interpret` leaves a one-symbol string unchanged).

Generator. The original generator draws a tree top-down: the root is a function; a function is unary
with P(unary) = 0.75 (else binary), the function uniform within its class; every argument slot holds
a function with P(function) = 0.25, else a string whose length is uniform on 2-5 and whose symbols are
uniform. The published set was then resampled ("naturalised") to match the depth and length
distributions of an English corpus; that resampling procedure is not reproducible here, but its
outcome is published, and distribution="published" (the default) matches it on three statistics
measured on the released data (tables below, each number's source in its comment):
- the number of functions n (the `length`): `length_weights` returns the published marginal, so a
  split drawn over 1-8 has 1.8% of its examples at 1 function, a peak at 3-4 and 5.6% at 8, and one
  drawn over 9-35 has 28.5% at 9 and 6.8% at >= 17 (uniform lengths would give 12.5% at each of 1-8
  and 50% at >= 17 under four equal buckets);
- string-argument lengths 2/3/4/5 with probabilities 0.16/0.30/0.27/0.27 (not uniform);
- the share of binary functions given n, which falls with n in the published data (0.39 at 9, 0.26 at
  20); the raw PCFG conditioned on n keeps it near 0.4 (0.40 at 9, 0.42 at 20).
Shapes are exact: with u unary and b binary nodes (u + b = n) the PCFG gives a tree the weight
p_u^u ((1 - p_u)(1 - p_f))^b up to a factor of n alone (p_u = P(unary), p_f = P(function)), so
conditioning on n leaves P(b | n) proportional to N(n, b) r^b, N(n, b) the number of shapes,
r = (1 - p_u)(1 - p_f) / p_u, and every shape with the same (n, b) equally likely.
"published" keeps this family and solves, per n, for the r(n) whose mean binary share equals the
target (an exponential tilt of P(b | n); exact, by bisection over an exact count table); "pcfg" uses
the original r = 0.25 for every n, uniform string lengths and uniform function counts. Given r, the
shape is drawn top-down from the weighted tree counts T(m) = T(m-1) + r sum_i T(i) T(m-1-i), T(0) = 1.
[reconstruction] Everything the naturalisation changed beyond these three statistics (e.g. the depth
given n and b) follows the conditional PCFG. String arguments are drawn independently (the original
code also refused repeated string arguments across a whole dataset; we do not).

Targets are computed while the tree is built; the oracle re-derives them with `interpret`, a separate
recursive-descent parser of the source text.

Formats: "plain", and "solve" (source prefixed by the one token "Solve:", as K23 did on the
`md_productivity` split; see empirics/tasks/scan.py for why this is a format).
"""
from __future__ import annotations

import string
from bisect import bisect_right
from functools import lru_cache

import numpy as np

from ..errors import PelgError, unknown
from .base import Example, Task, Vocab, strip_prefix

UNARY = {
    "copy": lambda x: x,
    "reverse": lambda x: x[::-1],
    "shift": lambda x: x[1:] + x[:1],
    "swap_first_last": lambda x: x[-1:] + x[1:-1] + x[:1] if len(x) > 1 else x,
    "repeat": lambda x: x + x,
    "echo": lambda x: x + x[-1:],
}
BINARY = {
    "append": lambda x, y: x + y,
    "prepend": lambda x, y: y + x,
    "remove_first": lambda x, y: y,
    "remove_second": lambda x, y: x,
}
FUNCTIONS = {**UNARY, **BINARY}
COMMA = ","
SYMBOLS = tuple(f"{letter}{i}" for letter in string.ascii_uppercase for i in range(1, 21))  # 520
from .scan import SOLVE  # K23's prompt prefix, one definition
FORMATS = ("plain", "solve")
DISTRIBUTIONS = ("published", "pcfg")
MAX_FUNCTIONS = 64   # generator cap; K23's test split stops at 35


# ---- interpret: recursive descent over the source text -----------------------------------------

def _parse(tokens: list[str], pos: int) -> tuple[list[str], int]:
    """Parse one argument starting at tokens[pos]; return its value and the next position."""
    if pos >= len(tokens):
        raise PelgError("PCFG source ends where an argument was expected")
    head = tokens[pos]
    if head in UNARY:
        value, pos = _parse(tokens, pos + 1)
        return UNARY[head](value), pos
    if head in BINARY:
        first, pos = _parse(tokens, pos + 1)
        if pos >= len(tokens) or tokens[pos] != COMMA:
            raise PelgError(f"PCFG binary function {head!r} needs ' , ' between its two arguments")
        second, pos = _parse(tokens, pos + 1)
        return BINARY[head](first, second), pos
    end = pos
    while end < len(tokens) and tokens[end] != COMMA and tokens[end] not in FUNCTIONS:
        end += 1
    if end == pos:
        raise PelgError(f"PCFG source has {head!r} where a function or a string was expected")
    return tokens[pos:end], end


def interpret(source: str) -> str:
    """Evaluate a PCFG SET source in the original syntax; symbols are any other words.

    >>> interpret("echo remove_first D K , E F")
    'E F F'
    """
    tokens = source.split()
    value, pos = _parse(tokens, 0)
    if pos != len(tokens):
        raise PelgError(f"PCFG source has trailing words from position {pos}: {' '.join(tokens[pos:])!r}")
    return " ".join(value)


# ---- the published productivity split (Hupkes et al. 2020's data, as K23 used it) --------------
# Source: github i-machine-think/am-i-compositional, data/pcfgset (statistics counted by us from the
# released files). The productivity split pools PCFG SET's train (82,622) and test (9,721) sets and cuts
# the 92,343 examples by number of functions: 81,010 with 1-8 (K23: 72,909 train + 4,050 validation +
# the rest) and 11,333 with 9-35 (productivity/test.src, released whole).
# - 9-23 functions: exact counts of productivity/test.src (every n here has >= 34 examples).
# - 24-35: the published 71 examples (18, 28, 5, 6, 5, 2, 4, 0, 2, 0, 0, 1) are spread over a geometric
#   tail with ratio TAIL_RATIO (maximum-likelihood fit to those 71) [reconstruction]; the tail goes on
#   past 35 up to MAX_FUNCTIONS (beyond the published split) [reconstruction].
# - 1-8: productivity/train.src is not in the released copy we read, but pcfgset/test.src is a random
#   10.5% sample of the same pool (its 1,170 examples with >= 9 functions all occur in
#   productivity/test.src); its 8,551 examples with 1-8 functions give these counts, scaled to 81,010
#   [estimate from a sample, not the full train file].
TRAIN_SAMPLE_COUNTS = {1: 154, 2: 1243, 3: 1920, 4: 1793, 5: 1336, 6: 994, 7: 631, 8: 480}
TRAIN_TOTAL = 81010
TEST_COUNTS = {9: 3232, 10: 2296, 11: 1738, 12: 1175, 13: 811, 14: 631, 15: 411, 16: 271, 17: 225,
               18: 154, 19: 103, 20: 68, 21: 67, 22: 46, 23: 34}
TAIL_START, TAIL_COUNT, TAIL_RATIO = 24, 71, 0.66
# String-argument lengths 2, 3, 4, 5: published shares 16.6/29.1/27.6/26.8% (productivity test, 54,779
# arguments) and 16.0/29.7/27.3/27.0% (the 1-8 sample, 23,848 arguments), rounded.
ARG_LENGTH_PROBS = {2: 0.16, 3: 0.30, 4: 0.27, 5: 0.27}
# Mean share of binary functions among the n functions of a source:
# - 1-8: measured on the 1-8 sample above; 9-23: measured on productivity/test.src (0.392 at 9, 0.259 at 20).
# - n >= 24 (fewer than 30 published examples per n): BINARY_FIT[0] + BINARY_FIT[1] / n, the least-squares
#   fit to the published 9-35 values weighted by their numbers of functions [reconstruction].
BINARY_SHARE = {1: 0.143, 2: 0.290, 3: 0.410, 4: 0.420, 5: 0.454, 6: 0.443, 7: 0.429, 8: 0.420,
                9: 0.392, 10: 0.375, 11: 0.345, 12: 0.319, 13: 0.314, 14: 0.288, 15: 0.277, 16: 0.269,
                17: 0.264, 18: 0.255, 19: 0.238, 20: 0.259, 21: 0.229, 22: 0.225, 23: 0.244}
BINARY_FIT = (0.1065, 2.611)


def published_count(n: int) -> float:
    """Expected number of examples with n functions in the published pool of 92,343 (tables above)."""
    if n in TRAIN_SAMPLE_COUNTS:
        return TRAIN_SAMPLE_COUNTS[n] * TRAIN_TOTAL / sum(TRAIN_SAMPLE_COUNTS.values())
    if n in TEST_COUNTS:
        return float(TEST_COUNTS[n])
    if TAIL_START <= n <= MAX_FUNCTIONS:
        q = TAIL_RATIO
        norm = (1 - q ** (35 - TAIL_START + 1)) / (1 - q)   # the 71 fill 24..35 exactly
        return TAIL_COUNT * q ** (n - TAIL_START) / norm
    return 0.0


def binary_share(n: int) -> float:
    """The target mean share of binary functions in a source with n functions (tables above)."""
    return BINARY_SHARE.get(n, BINARY_FIT[0] + BINARY_FIT[1] / n)


@lru_cache(maxsize=1)
def shape_counts(n_max: int = MAX_FUNCTIONS) -> np.ndarray:
    """N[n, b]: the number of tree shapes with n functions of which b are binary (b + 1 string leaves),
    from N(n) = N(n-1) [unary root] + x sum_i N(i) N(n-1-i) [binary root], as polynomials in x."""
    counts = np.zeros((n_max + 1, n_max + 1))
    counts[0, 0] = 1.0
    for n in range(1, n_max + 1):
        binary = sum(np.convolve(counts[i], counts[n - 1 - i])[: n_max + 1] for i in range(n))
        counts[n] = counts[n - 1]
        counts[n, 1:] += binary[:-1]
    return counts


def mean_binary_share(n: int, r: float) -> float:
    """E[b] / n when P(b | n) is proportional to N(n, b) r^b."""
    b = np.arange(n + 1)
    logw = np.log(shape_counts()[n, : n + 1]) + b * np.log(r)
    w = np.exp(logw - logw.max())
    return float((w * b).sum() / w.sum() / n)


@lru_cache(maxsize=None)
def binary_weight(n: int) -> float:
    """The r(n) whose mean binary share at n functions is `binary_share(n)` (bisection on log r; the
    mean is increasing in r)."""
    target, lo, hi = binary_share(n), -20.0, 20.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if mean_binary_share(n, float(np.exp(mid))) < target else (lo, mid)
    return float(np.exp(0.5 * (lo + hi)))


# ---- generator: trees with exactly n functions, drawn top-down ---------------------------------

@lru_cache(maxsize=128)
def _shape_tables(unary_w: float, binary_w: float, n_max: int):
    """For m = 1..n_max, trees weighted unary_w^u binary_w^b: P(root is unary | m functions) and the
    CDF of the left subtree's function count i (right gets m-1-i) given a binary root."""
    a, c = unary_w, binary_w
    t = [1.0]
    unary, split_cdf = [0.0], [[]]
    for n in range(1, n_max + 1):
        pairs = np.array([t[i] * t[n - 1 - i] for i in range(n)])
        total = a * t[n - 1] + c * pairs.sum()
        t.append(total)
        unary.append(float(a * t[n - 1] / total))
        split_cdf.append((np.cumsum(pairs) / pairs.sum()).tolist())
    return tuple(unary), tuple(split_cdf)


_UNARY_NAMES, _BINARY_NAMES = tuple(UNARY), tuple(BINARY)


def _grow(n, draws, unary_p, split_cdf, out):
    """Append the source words of a subtree with n functions to `out`; return its value."""
    if n == 0:
        length = next(draws["len"])
        value = [SYMBOLS[next(draws["sym"])] for _ in range(length)]
        out.extend(value)
        return value
    u, f = next(draws["u"]), next(draws["f"])
    if u < unary_p[n]:
        name = _UNARY_NAMES[f % 6]
        out.append(name)
        return UNARY[name](_grow(n - 1, draws, unary_p, split_cdf, out))
    name = _BINARY_NAMES[f % 4]
    i = min(bisect_right(split_cdf[n], (u - unary_p[n]) / (1.0 - unary_p[n])), n - 1)
    out.append(name)
    first = _grow(i, draws, unary_p, split_cdf, out)
    out.append(COMMA)
    second = _grow(n - 1 - i, draws, unary_p, split_cdf, out)
    return BINARY[name](first, second)


class PcfgTask(Task):
    """PCFG SET; `length` = number of functions in the source. `distribution` "published" follows the
    released productivity split (function counts, argument lengths, binary share given n); "pcfg" is the
    original PCFG conditioned on n (options p_unary, p_function, min_arg, max_arg apply to it only)."""

    kind = "tokens"
    paper = "kazemnejad2023"
    length_unit = "functions"
    k23_separator = True
    formats = FORMATS
    min_length = 1
    max_length = MAX_FUNCTIONS

    def __init__(self, format: str = "plain", distribution: str = "published", p_unary: float = 0.75,
                 p_function: float = 0.25, min_arg: int = 2, max_arg: int = 5):
        if distribution not in DISTRIBUTIONS:
            raise unknown("PCFG distribution", distribution, DISTRIBUTIONS)
        for label, p in (("p_unary", p_unary), ("p_function", p_function)):
            if not 0.0 < p < 1.0:
                raise PelgError(f"PCFG {label} must lie strictly between 0 and 1, got {p!r}")
        if not (isinstance(min_arg, int) and isinstance(max_arg, int) and 1 <= min_arg <= max_arg):
            raise PelgError(f"PCFG string-argument lengths need 1 <= min_arg <= max_arg, got {min_arg!r}, {max_arg!r}")
        if distribution == "published" and (p_unary, p_function, min_arg, max_arg) != (0.75, 0.25, 2, 5):
            raise PelgError("PCFG options p_unary, p_function, min_arg, max_arg apply to distribution='pcfg' only; "
                            "'published' follows the released data")
        self.name = "k23.pcfg"
        self.description = "PCFG SET string-edit functions (Hupkes et al. 2020), productivity split by number of functions"
        self.set_format(format)
        self.distribution = distribution
        self.p_unary, self.p_function = float(p_unary), float(p_function)
        self.min_arg, self.max_arg = min_arg, max_arg
        if distribution == "published":
            self.arg_cdf = np.cumsum(list(ARG_LENGTH_PROBS.values()))
        else:
            self.arg_cdf = np.arange(1, max_arg - min_arg + 2) / (max_arg - min_arg + 1)
        self.symbols = SYMBOLS
        self.vocab = Vocab([*FUNCTIONS, COMMA, *SYMBOLS, SOLVE])

    def length_weights(self, lengths):
        """The published marginal of the number of functions ("published"); uniform ("pcfg")."""
        if self.distribution == "pcfg":
            return None
        return np.array([published_count(n) for n in lengths])

    def _tables(self, n):
        if self.distribution == "published":
            return _shape_tables(1.0, binary_weight(n), n)
        return _shape_tables(self.p_unary, (1.0 - self.p_unary) * (1.0 - self.p_function), MAX_FUNCTIONS)

    def sample(self, rng, length):
        n = self.check_length(length)
        unary_p, split_cdf = self._tables(n)
        # one draw per example: n shape uniforms, n function picks, n + 1 string lengths, symbols
        r = rng.random(3 * n + 1 + (n + 1) * self.max_arg)
        lens = np.minimum(np.searchsorted(self.arg_cdf, r[2 * n: 3 * n + 1], side="right"), len(self.arg_cdf) - 1)
        syms = (r[3 * n + 1:] * len(SYMBOLS)).astype(np.int64)
        draws = {
            "u": iter(r[:n].tolist()),
            "f": iter((r[n: 2 * n] * 12).astype(np.int64).tolist()),  # uniform on 0..11: uniform mod 6 and mod 4
            "len": iter((lens + self.min_arg).tolist()),
            "sym": iter(syms.tolist()),
        }
        source = [SOLVE] if self.format == "solve" else []
        target = _grow(n, draws, unary_p, split_cdf, source)
        return Example(source, target, n)

    def oracle(self, example):
        words = strip_prefix(example.source, SOLVE) if self.format == "solve" else list(example.source)
        return interpret(" ".join(words)).split()


def count_functions(source) -> int:
    """Number of function words in a source (a string or a list of words)."""
    words = source.split() if isinstance(source, str) else source
    return sum(w in FUNCTIONS for w in words)


TASKS = {"k23.pcfg": lambda format="plain", **params: PcfgTask(format=format, **params)}
