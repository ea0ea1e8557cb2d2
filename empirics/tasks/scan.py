"""SCAN (Lake & Baroni 2018), regenerated offline from its grammar and interpretation function, with
the length splits used by Kazemnejad et al. 2023 (K23, kazemnejad2023.md) and by the original paper.

Grammar (Lake & Baroni 2018, appendix):
    C -> S and S | S after S | S
    S -> V twice | V thrice | V
    V -> D[1] opposite D[2] | D[1] around D[2] | D | U
    D -> U left | U right | turn left | turn right
    U -> walk | look | run | jump
`D[1] opposite D[2]` splits a D around the word: "walk opposite left", "turn around right". That gives
34 V phrases, 102 S phrases and 102 + 2 * 102**2 = 20,910 commands, every one distinct.

Interpretation: walk/look/run/jump -> I_WALK/I_LOOK/I_RUN/I_JUMP; "turn" alone does nothing;
"x left" -> I_TURN_LEFT x; "x opposite left" -> I_TURN_LEFT I_TURN_LEFT x; "x around left" ->
(I_TURN_LEFT x) four times; "s twice/thrice" repeats s; "s1 and s2" -> s1 s2; "s1 after s2" -> s2 s1.

`length` is the number of output actions. Lengths 1..48 occur except 23, 29, 31, 34, 35, 37..39 and
41..47; `check_length` rejects those. Measured counts (tests/empirics/test_tasks_scan_pcfg.py):
- original length split (`scan.length`): <= 22 actions 16,990 / 24..48 actions 3,920 (no command has
  exactly 23 actions, which is why the published test split starts at 24);
- K23 re-cut (`k23.scan`): <= 25 actions 17,774 / 26..48 actions 3,136. K23's 15,997 train + 888
  validation is this 17,774 with 10% (1,777) held out, of which half (888) is reported as validation
  and the other half (889) served as the I.I.D. set.

Targets of the pool come from the grammar enumeration (semantics composed while the commands are
built); `interpret` is a separate recursive-descent parser and is the task's oracle.

Formats: "plain" (the command's words) and "solve": the source starts with the one token "Solve:",
as in K23's paper runs (their `scan_bos` processor on the `mdlen_*` splits; with K23's layout there is
no <bos>, so the prefix takes its place). The prefix is a format, not a layout effect, because a task
does not know the layout it will be collated with; use format="solve" with layout="k23" to mirror K23.
K23 renamed the actions (Walk, Left, ...) for their T5 tokenizer; we keep the original spelling.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..errors import PelgError, unknown
from .base import Example, Task, Vocab, strip_prefix

PRIMITIVES = {"walk": "I_WALK", "look": "I_LOOK", "run": "I_RUN", "jump": "I_JUMP"}
TURNS = {"left": "I_TURN_LEFT", "right": "I_TURN_RIGHT"}
REPEATS = {"twice": 2, "thrice": 3}
CONJUNCTIONS = ("and", "after")
COMMAND_WORDS = (*PRIMITIVES, "turn", *TURNS, "opposite", "around", *REPEATS, *CONJUNCTIONS)
ACTIONS = (*PRIMITIVES.values(), *TURNS.values())
SOLVE = "Solve:"
FORMATS = ("plain", "solve")


# ---- route 1: enumerate the grammar, composing the meaning alongside ----------------------------

def _v_phrases() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The 34 V phrases (words, actions)."""
    out = [((u,), (a,)) for u, a in PRIMITIVES.items()]
    for d, turn in TURNS.items():
        for u, a in [*PRIMITIVES.items(), ("turn", None)]:
            act = () if a is None else (a,)
            out.append(((u, d), (turn, *act)))
            out.append(((u, "opposite", d), (turn, turn, *act)))
            out.append(((u, "around", d), (turn, *act) * 4))
    return out


@lru_cache(maxsize=1)
def _commands() -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """All 20,910 (command words, actions) pairs in a fixed order."""
    s = [(w + r, a * n) for w, a in _v_phrases() for r, n in (((), 1), (("twice",), 2), (("thrice",), 3))]
    out = list(s)
    for w1, a1 in s:
        for w2, a2 in s:
            out.append(((*w1, "and", *w2), a1 + a2))
            out.append(((*w1, "after", *w2), a2 + a1))
    return tuple(out)


@lru_cache(maxsize=1)
def _by_length() -> dict[int, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]]:
    groups: dict[int, list] = {}
    for pair in _commands():
        groups.setdefault(len(pair[1]), []).append(pair)
    return {n: tuple(groups[n]) for n in sorted(groups)}


def lengths() -> tuple[int, ...]:
    """The action counts that some command has (sorted)."""
    return tuple(_by_length())


def count(length: int) -> int:
    """How many commands have exactly `length` actions."""
    return len(_by_length().get(length, ()))


def _ranges(values) -> str:
    """[1, 2, 3, 5, 7, 8] -> '1-3, 5, 7-8'."""
    values, parts, i = sorted(values), [], 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        parts.append(str(values[i]) if i == j else f"{values[i]}-{values[j]}")
        i = j + 1
    return ", ".join(parts)


# ---- route 2: a recursive-descent parser with its own evaluation --------------------------------

def _bad(words, why) -> PelgError:
    return PelgError(f"not a SCAN command: {' '.join(words)!r} ({why})")


def _parse_v(words: list[str]) -> list[str]:
    head, *rest = words or [""]
    if head != "turn" and head not in PRIMITIVES:
        raise _bad(words, f"expected one of {', '.join([*PRIMITIVES, 'turn'])}, got {head!r}")
    act = [] if head == "turn" else [PRIMITIVES[head]]
    if not rest:
        if head == "turn":
            raise _bad(words, "'turn' needs a direction")
        return act
    modifier = rest[0] if rest[0] in ("opposite", "around") else None
    tail = rest[1:] if modifier else rest
    if len(tail) != 1 or tail[0] not in TURNS:
        raise _bad(words, "expected 'left' or 'right' to end the phrase")
    turn = [TURNS[tail[0]]]
    if modifier == "around":
        return (turn + act) * 4
    if modifier == "opposite":
        return turn + turn + act
    return turn + act


def _parse_s(words: list[str]) -> list[str]:
    if words and words[-1] in REPEATS:
        return _parse_v(words[:-1]) * REPEATS[words[-1]]
    return _parse_v(words)


def _parse_c(words: list[str]) -> list[str]:
    joins = [i for i, w in enumerate(words) if w in CONJUNCTIONS]
    if len(joins) > 1:
        raise _bad(words, "at most one 'and'/'after'")
    if not joins:
        return _parse_s(words)
    i = joins[0]
    left, right = _parse_s(words[:i]), _parse_s(words[i + 1:])
    return left + right if words[i] == "and" else right + left


def interpret(command: str) -> str:
    """The action sequence of a SCAN command, space-separated, in the original spelling.

    >>> interpret("jump opposite left after walk twice")
    'I_WALK I_WALK I_TURN_LEFT I_TURN_LEFT I_JUMP'
    """
    return " ".join(_parse_c(command.split()))


# ---- the task ------------------------------------------------------------------------------------

class ScanTask(Task):
    """SCAN with `length` = number of output actions; sampling is uniform among the commands with
    exactly that many actions, and `length_weights` weights each length by its number of commands, so
    a split drawn over a range of lengths is uniform over its commands (as the published splits, which
    hold every command once). The splits differ only in their protocol (protocols/scan_pcfg.toml)."""

    kind = "tokens"
    paper = "kazemnejad2023"
    length_unit = "output actions"
    k23_separator = True
    formats = FORMATS
    min_length = 1
    max_length = 48

    SPLITS = {
        "k23": ("k23.scan", "SCAN, K23 length re-cut (train <= 25 actions, test 26-48)"),
        "length": ("scan.length", "SCAN, Lake & Baroni 2018 length split (train <= 22 actions, test 24-48)"),
    }

    def __init__(self, format: str = "plain", split: str = "k23"):
        if split not in self.SPLITS:
            raise unknown("SCAN split", split, self.SPLITS)
        self.split = split
        self.name, self.description = self.SPLITS[split]
        self.set_format(format)
        self.vocab = Vocab([*COMMAND_WORDS, *ACTIONS, SOLVE])
        self.valid_lengths = lengths()

    def check_length(self, length: int) -> int:
        length = super().check_length(length)
        if count(length) == 0:
            raise PelgError(f"task {self.name!r}: no SCAN command has exactly {length} output actions; "
                            f"valid lengths: {_ranges(self.valid_lengths)}")
        return length

    def _example(self, words, actions) -> Example:
        source = [SOLVE, *words] if self.format == "solve" else list(words)
        return Example(source, list(actions), len(actions))

    def sample(self, rng, length):
        length = self.check_length(length)
        group = _by_length()[length]
        return self._example(*group[int(rng.integers(len(group)))])

    def length_weights(self, lengths):
        """Weights proportional to the number of commands at each length, so that a draw over a range
        is uniform over the split's commands, as the real SCAN splits are (K23's train set has 0.5% of
        its examples at 2 actions and 9.3% at 12; uniform lengths would give 4.2% each)."""
        return np.array([count(n) for n in lengths], dtype=float)

    def all_examples(self, lo: int = 1, hi: int = 48) -> list[Example]:
        """Every command with lo <= actions <= hi, in a fixed order (for n_train/n_test = "all")."""
        return [self._example(w, a) for n, group in _by_length().items() if lo <= n <= hi for w, a in group]

    def oracle(self, example):
        words = strip_prefix(example.source, SOLVE) if self.format == "solve" else list(example.source)
        return interpret(" ".join(words)).split()


TASKS = {
    "k23.scan": lambda format="plain", **params: ScanTask(format=format, split="k23", **params),
    "scan.length": lambda format="plain", **params: ScanTask(format=format, split="length", **params),
}
