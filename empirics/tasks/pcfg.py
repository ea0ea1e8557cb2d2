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
distributions of an English corpus; that resampling is not reproducible here. [reconstruction] We
sample that PCFG *conditioned on exactly n functions*, exactly: under it a tree with u unary and b
binary nodes (u + b = n) has probability proportional to 0.75^u * (0.25 * 0.75)^b, so a dynamic
program over the weighted number of trees T(n) = 0.75 T(n-1) + 0.1875 sum_i T(i) T(n-1-i), T(0) = 1,
gives the exact conditional distribution of the shape, drawn top-down. String arguments are drawn
independently (the original code also refused repeated string arguments across a whole dataset; we do
not).

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

from ..errors import PelgError
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


# ---- generator: the PCFG conditioned on the number of functions --------------------------------

@lru_cache(maxsize=8)
def _shape_tables(p_unary: float, p_function: float, n_max: int):
    """For n = 1..n_max: P(root is unary | n functions) and the CDF of the left subtree's function
    count i (right gets n-1-i) given a binary root."""
    a, c = p_unary, (1.0 - p_unary) * (1.0 - p_function)
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
    """PCFG SET; `length` = number of functions in the source."""

    kind = "tokens"
    paper = "kazemnejad2023"
    length_unit = "functions"
    k23_separator = True
    formats = FORMATS
    min_length = 1
    max_length = MAX_FUNCTIONS

    def __init__(self, format: str = "plain", p_unary: float = 0.75, p_function: float = 0.25,
                 min_arg: int = 2, max_arg: int = 5):
        for label, p in (("p_unary", p_unary), ("p_function", p_function)):
            if not 0.0 < p < 1.0:
                raise PelgError(f"PCFG {label} must lie strictly between 0 and 1, got {p!r}")
        if not (isinstance(min_arg, int) and isinstance(max_arg, int) and 1 <= min_arg <= max_arg):
            raise PelgError(f"PCFG string-argument lengths need 1 <= min_arg <= max_arg, got {min_arg!r}, {max_arg!r}")
        self.name = "k23.pcfg"
        self.description = "PCFG SET string-edit functions (Hupkes et al. 2020), productivity split by number of functions"
        self.set_format(format)
        self.p_unary, self.p_function = float(p_unary), float(p_function)
        self.min_arg, self.max_arg = min_arg, max_arg
        self.symbols = SYMBOLS
        self.vocab = Vocab([*FUNCTIONS, COMMA, *SYMBOLS, SOLVE])

    def sample(self, rng, length):
        n = self.check_length(length)
        unary_p, split_cdf = _shape_tables(self.p_unary, self.p_function, MAX_FUNCTIONS)
        # one draw per example: n shape uniforms, n function picks, n + 1 string lengths, symbols
        r = rng.random(3 * n + 1 + (n + 1) * self.max_arg)
        spans = np.array([12, self.max_arg - self.min_arg + 1, len(SYMBOLS)])
        picks = (r[n:] * np.repeat(spans, [n, n + 1, (n + 1) * self.max_arg])).astype(np.int64)
        picks[n: 2 * n + 1] += self.min_arg
        picks = picks.tolist()
        draws = {
            "u": iter(r[:n].tolist()),
            "f": iter(picks[:n]),                # uniform on 0..11: uniform mod 6 and mod 4
            "len": iter(picks[n: 2 * n + 1]),
            "sym": iter(picks[2 * n + 1:]),
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
