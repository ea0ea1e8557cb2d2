"""Chen, Liang, Lin 2025 tasks (arXiv 2510.04130; notes: shared/papers/chen2025.md).

No code or data of the paper exist, so EVERY format below is our [reconstruction]: the targets are the
POLA target family of chen2025.md (shift by k, copy = shift by the scale, reverse, running sum) and the
canonical SRC circuits it names (parity with chain of thought s_k = s_{k-1} XOR b_k; addition with
carries in reversed digit order). All are kind "tokens" in the default layout
`<bos> source <sep> target <eos>`; `length` is the instance scale n (input symbols, or digits per operand
for addition). Symbols are one-character words; "_" is the blank of the shift tasks.

Exact formats (n = length, x_1..x_n the input symbols, 1-based):
- c25.copy         source x_1..x_n;              target x_1..x_n.
- c25.shift_k      source x_1..x_n;              target y_1..y_n, y_t = x_{t-k} for t > k, "_" for t <= k
                   (the POLA causal map "shift by k" on a stream of n positions: the last k symbols
                   fall off the end; k >= 1, default 1).
- c25.shift_scale  source x_1..x_n _^n (2n tokens); target _^n x_1..x_n (2n tokens): target_t =
                   source_{t-n}, "_" for t <= n. This is "copy = shift by the scale": the source IS the
                   POLA stream of 2n positions (input, then n empty slots) and output position t reads
                   input position t - n. It differs from c25.copy, whose target is the bare copy x_1..x_n
                   in its own segment (output k pairs with input k only by segment index, which is what
                   the Scale Hint aligns); here the pairing is a shift by n inside one stream.
- c25.reverse      source x_1..x_n;              target x_n..x_1.
- c25.parity_cot   source bits b_1..b_n;         target s_1..s_n, s_0 = 0, s_k = s_{k-1} XOR b_k
                   (the chain of thought; s_n is the answer). E.g. 1 0 1 1 -> 1 1 0 1.
- c25.addition_cot source a_1..a_n + b_1..b_n    (two n-digit operands, least significant digit first,
                   leading zeros allowed: every digit uniform on 0..9);
                   target d_1 c_1 d_2 c_2 .. d_n c_n = r_1 .. r_{n+1} where c_0 = 0,
                   d_i = (a_i + b_i + c_{i-1}) mod 10, c_i = (a_i + b_i + c_{i-1}) div 10 (the CoT: sum digit
                   then carry, per digit), and r_1..r_{n+1} = a + b in reversed digit order, width n + 1
                   (r_i = d_i for i <= n, r_{n+1} = c_n). E.g. 37 + 85 = 122: source 7 3 + 5 8;
                   target 2 1 2 1 = 2 2 1. Source 2n + 1 tokens, target 3n + 2.
- c25.running_sum_tokens source digits x_1..x_n; target (x_1 + .. + x_t) mod 10 for t = 1..n.

Copy, shift and reverse draw symbols uniformly from the first `n_symbols` of 0..9a..f (default 10).
Generators are vectorized per example (numpy); each oracle recomputes the target by a different route
(index loops; a scalar XOR / modular loop; Python integers for addition) and `verify` also checks that the
source is well formed (length, alphabet, the blank half of shift_scale).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import PelgError, unknown
from .base import Example, Task, Vocab

PAPER = "chen2025"
HEX = "0123456789abcdef"
DIGITS = HEX[:10]
BLANK = "_"
PLUS, EQUALS = "+", "="
_WORDS = np.array([*HEX, PLUS, EQUALS])   # index -> word (0..15 hex digits, 16 "+", 17 "=")
_PLUS_ID, _EQUALS_ID = 16, 17


def _words(indices: np.ndarray) -> list[str]:
    return _WORDS[indices].tolist()


class C25Task(Task):
    """Common base: paper, kind, formats and the well-formedness check used by `verify`. [reconstruction]

    Every target depends on where the source ends, so the K23 layout (if ever used) keeps its [SEP]."""

    kind = "tokens"
    paper = PAPER
    formats = ("plain",)
    min_length = 1
    length_unit = "input symbols (the scale n)"
    k23_separator = True
    PARAMS: tuple[str, ...] = ()

    def __init__(self, format: str = "plain"):
        self.set_format(format)

    def well_formed(self, example: Example) -> bool:
        """Source shape and alphabet for `example.length` (target checks are the oracle's job)."""
        raise NotImplementedError

    def verify(self, example: Example) -> bool:
        return self.well_formed(example) and super().verify(example)


# ---------------------------------------------------------------------------------------------------
# copy, shift by k, shift by the scale, reverse (random symbols)
# ---------------------------------------------------------------------------------------------------

class _SymbolTask(C25Task):
    PARAMS = ("n_symbols",)
    blank_in_vocab = False

    def __init__(self, format: str = "plain", n_symbols: int = 10):
        super().__init__(format)
        if not isinstance(n_symbols, int) or isinstance(n_symbols, bool) or not 2 <= n_symbols <= len(HEX):
            raise PelgError(f"task {self.name!r}: n_symbols must be an integer in 2..{len(HEX)}, got {n_symbols!r}")
        self.n_symbols = n_symbols
        self.symbols = list(HEX[:n_symbols])
        self.vocab = Vocab(self.symbols + ([BLANK] if self.blank_in_vocab else []))

    def _draw(self, rng: np.random.Generator, n: int) -> list[str]:
        return _words(rng.integers(0, self.n_symbols, size=n))

    def _source_ok(self, source, n: int) -> bool:
        return len(source) == n and all(s in self.symbols for s in source)

    def well_formed(self, example):
        return self._source_ok(example.source, example.length)


class Copy(_SymbolTask):
    """c25.copy: target = source (chen2025.md target family "copy"; format [reconstruction])."""

    name = "c25.copy"

    def __init__(self, format: str = "plain", n_symbols: int = 10):
        super().__init__(format, n_symbols)
        self.description = f"copy n random symbols ({n_symbols} types) [reconstruction]"

    def sample(self, rng, length):
        n = self.check_length(length)
        source = self._draw(rng, n)
        return Example(source, list(source), n)

    def oracle(self, example):
        return [example.source[i] for i in range(len(example.source))]


class Reverse(_SymbolTask):
    """c25.reverse: target = source reversed (chen2025.md target family "reverse"; [reconstruction])."""

    name = "c25.reverse"

    def __init__(self, format: str = "plain", n_symbols: int = 10):
        super().__init__(format, n_symbols)
        self.description = f"reverse n random symbols ({n_symbols} types) [reconstruction]"

    def sample(self, rng, length):
        n = self.check_length(length)
        source = self._draw(rng, n)
        return Example(source, source[::-1], n)

    def oracle(self, example):
        n = len(example.source)
        return [example.source[n - 1 - i] for i in range(n)]


class ShiftK(_SymbolTask):
    """c25.shift_k: the POLA map "shift by k" (chen2025.md) on a stream of n positions [reconstruction]:
    target_t = source_{t-k} for t > k and the blank "_" for t <= k (1-based), t = 1..n; the last k input
    symbols fall off. n <= k gives an all-blank target. k >= 1 is fixed per task instance (default 1)."""

    name = "c25.shift_k"
    PARAMS = ("k", "n_symbols")
    blank_in_vocab = True

    def __init__(self, format: str = "plain", k: int = 1, n_symbols: int = 10):
        super().__init__(format, n_symbols)
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise PelgError(f"task {self.name!r}: shift k must be an integer >= 1 (k = 0 is c25.copy), got {k!r}")
        self.k = k
        self.description = f"shift n random symbols right by k={k}, blank-filled [reconstruction]"

    def sample(self, rng, length):
        n = self.check_length(length)
        source = self._draw(rng, n)
        k = min(self.k, n)
        return Example(source, [BLANK] * k + source[: n - k], n)

    def oracle(self, example):
        src = example.source
        return [src[t - self.k] if t >= self.k else BLANK for t in range(len(src))]  # 0-based t


class ShiftScale(_SymbolTask):
    """c25.shift_scale: "copy = shift by the scale" (chen2025.md POLA target family) [reconstruction].

    The source is the whole POLA stream of 2n positions: x_1..x_n then n blanks; target_t =
    source_{t-n} (blank for t <= n), so output position t reads input position t - n and the second half
    of the target reproduces the input. Unlike c25.copy (target x_1..x_n in its own segment), the shift
    here is by the scale n inside one stream; `length` is n, the source has 2n tokens."""

    name = "c25.shift_scale"
    blank_in_vocab = True
    length_unit = "input symbols (the scale n; the source stream has 2n tokens)"

    def __init__(self, format: str = "plain", n_symbols: int = 10):
        super().__init__(format, n_symbols)
        self.description = "shift the stream x_1..x_n _^n right by n (copy = shift by the scale) [reconstruction]"

    def sample(self, rng, length):
        n = self.check_length(length)
        x = self._draw(rng, n)
        return Example(x + [BLANK] * n, [BLANK] * n + x, n)

    def well_formed(self, example):
        n, src = example.length, example.source
        return (len(src) == 2 * n and self._source_ok(src[:n], n)
                and all(s == BLANK for s in src[n:]))

    def oracle(self, example):
        src, n = example.source, len(example.source) // 2
        return [src[t - n] if t >= n else BLANK for t in range(2 * n)]  # 0-based t


# ---------------------------------------------------------------------------------------------------
# parity with chain of thought, running sum over tokens, addition with chain of thought
# ---------------------------------------------------------------------------------------------------

class ParityCoT(C25Task):
    """c25.parity_cot: bits b_1..b_n -> running parities s_1..s_n, s_k = s_{k-1} XOR b_k, s_0 = 0; s_n is
    the answer. The chain of thought of chen2025.md's parity figure (each step reads the aligned input
    token and the previous step); token format [reconstruction]."""

    name = "c25.parity_cot"
    length_unit = "input bits"
    description = "bits b_1..b_n -> chain of thought s_k = s_{k-1} XOR b_k (s_n = parity) [reconstruction]"

    def __init__(self, format: str = "plain"):
        super().__init__(format)
        self.vocab = Vocab(["0", "1"])

    def sample(self, rng, length):
        n = self.check_length(length)
        bits = rng.integers(0, 2, size=n)
        return Example(_words(bits), _words(np.bitwise_xor.accumulate(bits)), n)

    def well_formed(self, example):
        return len(example.source) == example.length and all(b in ("0", "1") for b in example.source)

    def oracle(self, example):
        out, state = [], 0
        for bit in example.source:
            state ^= 1 if bit == "1" else 0
            out.append("1" if state else "0")
        return out


class RunningSumTokens(C25Task):
    """c25.running_sum_tokens: digits x_1..x_n -> (x_1 + .. + x_t) mod 10 at every t (the POLA target
    "prefix sum / running sum" over tokens, chen2025.md; modulus and format [reconstruction])."""

    name = "c25.running_sum_tokens"
    length_unit = "input digits"
    description = "digits x_1..x_n -> running sums mod 10 at every position [reconstruction]"

    def __init__(self, format: str = "plain"):
        super().__init__(format)
        self.vocab = Vocab(list(DIGITS))

    def sample(self, rng, length):
        n = self.check_length(length)
        x = rng.integers(0, 10, size=n)
        return Example(_words(x), _words(np.cumsum(x) % 10), n)

    def well_formed(self, example):
        return len(example.source) == example.length and all(d in DIGITS for d in example.source)

    def oracle(self, example):
        out, total = [], 0
        for d in example.source:
            total = (total + DIGITS.index(d)) % 10
            out.append(DIGITS[total])
        return out


def _carries(pair: np.ndarray) -> np.ndarray:
    """Carry out of each digit position given pair_i = a_i + b_i (least significant first), vectorized:
    the carry out of i is the 'generate' bit (pair_j >= 10) of the last position j <= i that does not
    merely propagate (pair_j != 9); 0 if every position up to i propagates."""
    last = np.maximum.accumulate(np.where(pair != 9, np.arange(len(pair)), -1))
    # last == -1 (all propagate so far) indexes the appended 0: no carry
    return (np.append(pair, 0)[last] >= 10).astype(np.int64)


class AdditionCoT(C25Task):
    """c25.addition_cot: n-digit + n-digit addition in reversed digit order with a per-digit chain of
    thought (sum digit, carry), then "=" and the (n+1)-digit answer reversed. The canonical SRC circuit
    "addition with carries in reversed digit order" of chen2025.md; exact token format [reconstruction]
    (see the module docstring)."""

    name = "c25.addition_cot"
    length_unit = "digits per operand"
    description = ("a + b, n digits each, least significant first; CoT 'sum digit, carry' per digit, "
                   "then = and the reversed answer [reconstruction]")

    def __init__(self, format: str = "plain"):
        super().__init__(format)
        self.vocab = Vocab([*DIGITS, PLUS, EQUALS])

    def sample(self, rng, length):
        n = self.check_length(length)
        source = rng.integers(0, 10, size=2 * n + 1)   # a_1..a_n, (+), b_1..b_n
        source[n] = _PLUS_ID
        pair = source[:n] + source[n + 1:]
        carry = _carries(pair)
        digit = pair
        digit[1:] += carry[:-1]
        digit %= 10
        target = np.empty(3 * n + 2, dtype=np.int64)    # d_1 c_1 .. d_n c_n = r_1 .. r_{n+1}
        target[0: 2 * n: 2], target[1: 2 * n: 2] = digit, carry
        target[2 * n], target[2 * n + 1: 3 * n + 1], target[3 * n + 1] = _EQUALS_ID, digit, carry[-1]
        return Example(_words(source), _words(target), n)

    def well_formed(self, example):
        n, src = example.length, example.source
        return (len(src) == 2 * n + 1 and src[n] == PLUS
                and all(d in DIGITS for d in src[:n] + src[n + 1:]))

    def oracle(self, example):
        """Python integers: parse both reversed operands, add; sum digit i and carry i come from the
        integer sum and the sum of the low i digits, never from a digit-by-digit carry loop."""
        src = example.source
        n = (len(src) - 1) // 2
        a = int("".join(reversed(src[:n])))
        b = int("".join(reversed(src[n + 1:])))
        total = a + b
        out = []
        for i in range(1, n + 1):
            out.append(str(total // 10 ** (i - 1) % 10))
            out.append("1" if a % 10 ** i + b % 10 ** i >= 10 ** i else "0")
        return out + [EQUALS] + list(str(total).zfill(n + 1)[::-1])


# ---------------------------------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------------------------------

def _factory(cls: type[C25Task]) -> Callable[..., Task]:
    """factory(format="plain", **params); an unknown parameter raises a PelgError naming the valid ones."""

    def make(format: str = "plain", **params) -> Task:
        for key in params:
            if key not in cls.PARAMS:
                raise unknown(f"parameter of task {cls.name!r}", key, cls.PARAMS or ["(none)"])
        return cls(format=format, **params)

    make.__doc__ = cls.__doc__
    return make


TASKS: dict[str, Callable[..., Task]] = {cls.name: _factory(cls) for cls in (
    Copy, ShiftK, ShiftScale, Reverse, ParityCoT, AdditionCoT, RunningSumTokens)}
