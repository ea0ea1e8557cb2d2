"""Kazemnejad et al. 2023 (kazemnejad2023.md, "Tasks and formats"): K23's unified scratchpad, its number
words and the base class `ScratchpadTask` of the arithmetic and reasoning tasks, which live in
`k23_arithmetic` (addition, polynomial evaluation, summation) and `k23_reasoning` (sorting, single-token
and multi-digit; parity; LEGO).

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


def num_tuple(n: int) -> tuple[str, ...]:
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


def split_at(words, sep):
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


def join_with(parts, sep):
    """Join word lists with a `sep` word between consecutive ones."""
    out = []
    for i, p in enumerate(parts):
        if i:
            out.append(sep)
        out.extend(p)
    return out


def expect_words(words, lo, hi, expected, task):
    """words[lo:hi] must equal `expected`, else a PelgError naming the task."""
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
