"""Huang et al. 2025 (huang2025.md, "Formal languages"): next-symbol-set prediction on regular languages.

Task kind "sets": `source` is a word of the language, `target[t]` is the sorted list of the symbols that
may follow the prefix source[:t] inside the language (a symbol s is legal when prefix+s is still the
prefix of some word), plus "<eos>" when the prefix is itself a word. This is the character-prediction
task of the official code (github lacoco-lab/length_generalization, formal_lang_suite/, HEAD b39b743,
read for facts only), with one uniform encoding for all languages: the official per-language targets
("legal 0 / legal 1" for Tomita 1-4 and 7, membership only for Tomita 5/6 and {0,1,2}*02*, "a / b legal"
for Dyck, next-letter for aa*bb*cc*dd*ee*, ...) are all functions of these sets.

Languages (alphabets as in the official generators; Dyck uses a = open, b = close):
- d2, d3, d4, d12: Dyck-1 of depth at most n (balanced a/b strings whose running depth stays in [0, n]).
- Tomita 1: 1*; 2: (10)*; 3: no odd run of 1s immediately followed by an odd run of 0s (maximal runs);
  4: no 000; 5: even number of 0s and of 1s; 6: #0 - #1 = 0 mod 3; 7: 0*1*0*1*.
- aa*bb*cc*dd*ee* (each letter at least once, in order), {a,b}*d{b,c}*, {0,1,2}*02*, (aa)*, (aaaa)*,
  (abab)*.

Sampling is EXACTLY uniform over the words of the requested length: each language is a hand-written
DFA, the number of accepted completions of every length from every state is counted with Python
integers, a uniform integer below the number of words is drawn from the numpy generator (64-bit words,
rejection), and the word with that rank is read off the counts. (The official generators are not
uniform: e.g. Dyck strings via a recursive length heuristic, Tomita 7 always at the window's upper
length; pelg samples the length from the protocol and the word uniformly.) A length with no word (odd
lengths for Dyck, (aa)*, Tomita 2 and 5; length 1 for Tomita 6; ...) raises a PelgError naming the valid
lengths.

The oracle is independent of the DFAs: a regular expression (`re.fullmatch`) for membership and a
second, hand-written expression for "is a prefix of some word", or direct counting (Dyck depth, Tomita
5/6 counts, Tomita 3 run lengths).

Known defects of the official targets that pelg does not reproduce: Tomita 3 marks the state "odd 1s then
odd 0s" as dead, so after "1" the symbol 0 is labelled illegal although "100" is a word; {0,1,2}*02*
labels a prefix ending in 0 as not final although 2* may be empty.
"""
from __future__ import annotations

import re
from itertools import accumulate, groupby

import numpy as np

from ..errors import PelgError
from .base import EOS, Example, Task, Vocab


def _randbelow(rng: np.random.Generator, n: int) -> int:
    """A uniform integer in [0, n) for an arbitrarily large Python int n, from the numpy generator."""
    if n <= 1:
        return 0
    bits = (n - 1).bit_length()
    words = (bits + 63) // 64
    while True:
        raw = rng.integers(0, 2**64, size=words, dtype=np.uint64, endpoint=False)
        u = int.from_bytes(raw.tobytes(), "little") >> (64 * words - bits)
        if u < n:
            return u


class Language:
    """A regular language given twice: a DFA (for sampling and targets) and independent predicates
    `is_word` / `is_prefix` on strings (for the oracle)."""

    def __init__(self, name, description, alphabet, start, delta, accept, is_word, is_prefix, lengths_doc):
        self.name, self.description = name, description
        self.alphabet = list(alphabet)
        self.start, self.delta, self.accept = start, delta, set(accept)
        self.is_word, self.is_prefix = is_word, is_prefix
        self.lengths_doc = lengths_doc


def _re(pattern: str):
    compiled = re.compile(pattern)
    return lambda s: compiled.fullmatch(s) is not None


def _dyck(n: int) -> Language:
    delta = {d: {**({"a": d + 1} if d < n else {}), **({"b": d - 1} if d > 0 else {})} for d in range(n + 1)}

    def depths_ok(s):
        return all(0 <= d <= n for d in accumulate(1 if c == "a" else -1 for c in s))

    return Language(f"h25.d{n}", f"bounded-depth Dyck-1 D-{n} over a (open) / b (close), depth <= {n}",
                    "ab", 0, delta, {0},
                    is_word=lambda s: depths_ok(s) and s.count("a") == s.count("b"),
                    is_prefix=depths_ok, lengths_doc="even lengths >= 0")


def _tomita3_runs(s):
    return [(c, len(list(g))) for c, g in groupby(s)]


def _tomita3_bad(runs, i):
    return runs[i][0] == "1" and runs[i][1] % 2 and runs[i + 1][0] == "0" and runs[i + 1][1] % 2


def _tomita3_word(s):
    runs = _tomita3_runs(s)
    return not any(_tomita3_bad(runs, i) for i in range(len(runs) - 1))


def _tomita3_prefix(s):
    runs = _tomita3_runs(s)   # an odd 0-run after an odd 1-run is fatal only once a 1 follows it
    return not any(_tomita3_bad(runs, i) for i in range(len(runs) - 2))


_ALL = lambda s: True  # noqa: E731  (every string over the alphabet is a prefix of a word)


def _languages() -> list[Language]:
    L = [_dyck(n) for n in (2, 3, 4, 12)]
    L.append(Language("h25.tomita1", "Tomita 1: 1*", "01", 0, {0: {"1": 0}}, {0},
                      _re("1*"), _re("1*"), "any length >= 0"))
    L.append(Language("h25.tomita2", "Tomita 2: (10)*", "01", 0, {0: {"1": 1}, 1: {"0": 0}}, {0},
                      _re("(10)*"), _re("(10)*1?"), "even lengths >= 0"))
    # Tomita 3 states: E free, O inside an odd 1-run, Z1 / Z2 odd / even 0-run right after an odd 1-run
    L.append(Language("h25.tomita3", "Tomita 3: no odd run of 1s followed by an odd run of 0s", "01", "E",
                      {"E": {"0": "E", "1": "O"}, "O": {"0": "Z1", "1": "E"}, "Z1": {"0": "Z2"},
                       "Z2": {"0": "Z1", "1": "O"}}, {"E", "O", "Z2"},
                      _tomita3_word, _tomita3_prefix, "any length >= 0"))
    L.append(Language("h25.tomita4", "Tomita 4: no 000", "01", 0,   # state = trailing zeros
                      {0: {"0": 1, "1": 0}, 1: {"0": 2, "1": 0}, 2: {"1": 0}}, {0, 1, 2},
                      lambda s: "000" not in s, lambda s: "000" not in s, "any length >= 0"))
    L.append(Language("h25.tomita5", "Tomita 5: even number of 0s and even number of 1s", "01", (0, 0),
                      {(z, o): {"0": (1 - z, o), "1": (z, 1 - o)} for z in (0, 1) for o in (0, 1)}, {(0, 0)},
                      lambda s: s.count("0") % 2 == 0 and s.count("1") % 2 == 0, _ALL, "even lengths >= 0"))
    L.append(Language("h25.tomita6", "Tomita 6: #0 - #1 = 0 mod 3", "01", 0,
                      {r: {"0": (r + 1) % 3, "1": (r - 1) % 3} for r in range(3)}, {0},
                      lambda s: (s.count("0") - s.count("1")) % 3 == 0, _ALL, "0 and any length >= 2"))
    L.append(Language("h25.tomita7", "Tomita 7: 0*1*0*1*", "01", 0,   # state = block of the pattern
                      {0: {"0": 0, "1": 1}, 1: {"1": 1, "0": 2}, 2: {"0": 2, "1": 3}, 3: {"1": 3}},
                      {0, 1, 2, 3}, _re("0*1*0*1*"), _re("0*1*0*1*"), "any length >= 0"))
    letters = "abcde"   # state = last letter read ("" at the start)
    L.append(Language("h25.aa_bb_cc_dd_ee", "aa*bb*cc*dd*ee*", letters, "",
                      {"": {"a": "a"}, **{c: {c: c, **({letters[i + 1]: letters[i + 1]} if i < 4 else {})}
                                          for i, c in enumerate(letters)}}, {"e"},
                      _re("a+b+c+d+e+"), _re("|a+|a+b+|a+b+c+|a+b+c+d+e*"), "any length >= 5"))
    L.append(Language("h25.ab_d_bc", "{a,b}*d{b,c}*", "abcd", "pre",
                      {"pre": {"a": "pre", "b": "pre", "d": "post"}, "post": {"b": "post", "c": "post"}},
                      {"post"}, _re("[ab]*d[bc]*"), _re("[ab]*(d[bc]*)?"), "any length >= 1"))
    # state: is the last symbol other than 2 a 0?
    L.append(Language("h25.z012_02", "{0,1,2}*02*", "012", False,
                      {q: {"0": True, "1": False, "2": q} for q in (False, True)}, {True},
                      _re("[012]*02*"), _ALL, "any length >= 1"))
    L.append(Language("h25.aa_star", "(aa)*", "a", 0, {0: {"a": 1}, 1: {"a": 0}}, {0},
                      _re("(aa)*"), _re("a*"), "even lengths >= 0"))
    L.append(Language("h25.aaaa_star", "(aaaa)*", "a", 0, {r: {"a": (r + 1) % 4} for r in range(4)}, {0},
                      _re("(aaaa)*"), _re("a*"), "multiples of 4 >= 0"))
    L.append(Language("h25.abab_star", "(abab)*", "ab", 0, {r: {"abab"[r]: (r + 1) % 4} for r in range(4)},
                      {0}, _re("(abab)*"), _re("(abab)*(a|ab|aba)?"), "multiples of 4 >= 0"))
    return L


class H25Language(Task):
    """Uniform words of a regular language with their per-position legal-next-symbol sets."""

    kind = "sets"
    paper = "huang2025"
    formats = ("plain",)
    length_unit = "symbols"
    k23_separator = False

    def __init__(self, language: Language, format: str = "plain"):
        self.lang = language
        self.name, self.description = language.name, f"{language.description} (Huang et al. 2025)"
        self.symbols = sorted(language.alphabet)
        self.vocab = Vocab(self.symbols)
        self.set_format(format)
        states, todo = {language.start}, [language.start]
        while todo:      # states reachable from the start
            for nxt in language.delta.get(todo.pop(), {}).values():
                if nxt not in states:
                    states.add(nxt)
                    todo.append(nxt)
        self._states = sorted(states, key=repr)
        # per state: (symbol, next state) pairs in symbol order; completions counted per length
        self._moves = {q: sorted(language.delta.get(q, {}).items()) for q in self._states}
        self._counts = [{q: int(q in language.accept) for q in self._states}]
        live = {q for q in self._states if q in language.accept}
        changed = True
        while changed:   # co-reachable states: some word can still be completed from them
            changed = False
            for q in self._states:
                if q not in live and any(n in live for _, n in self._moves[q]):
                    live.add(q)
                    changed = True
        self._legal = {q: sorted([s for s, n in self._moves[q] if n in live]
                                 + ([EOS] if q in language.accept else [])) for q in self._states}
        lengths = [n for n in range(200) if self.n_words(n)]
        self.min_length = lengths[0]

    def n_words(self, length: int) -> int:
        """How many words of this length the language has (exact)."""
        while len(self._counts) <= length:
            prev = self._counts[-1]
            self._counts.append({q: sum(prev[n] for _, n in self._moves[q]) for q in self._states})
        return self._counts[length][self.lang.start]

    def check_length(self, length):
        ok = isinstance(length, (int, np.integer)) and not isinstance(length, bool) and length >= 0
        if not ok or self.n_words(int(length)) == 0:
            raise PelgError(f"task {self.name!r} has no word of length {length!r}; valid lengths "
                            f"({self.length_unit}): {self.lang.lengths_doc}")
        return int(length)

    def sample(self, rng, length):
        n = self.check_length(length)
        rank = _randbelow(rng, self.n_words(n))
        q, src, target = self.lang.start, [], []
        counts = self._counts
        for t in range(n):
            target.append(list(self._legal[q]))
            rest = counts[n - t - 1]
            for s, nxt in self._moves[q]:
                c = rest[nxt]
                if rank < c:
                    break
                rank -= c
            src.append(s)
            q = nxt
        target.append(list(self._legal[q]))
        return Example(src, target, n)

    def dfa_targets(self, source) -> list[list[str]] | None:
        """The generator's route on a given string: its legal-next sets by the DFA, or None if the DFA
        rejects the string (for tests that compare the DFA with the oracle on every short string)."""
        q, out = self.lang.start, []
        for c in source:
            out.append(list(self._legal[q]))
            q = dict(self._moves[q]).get(c)
            if q is None:
                return None
        out.append(list(self._legal[q]))
        return out if q in self.lang.accept else None

    def oracle(self, example):
        s = "".join(example.source)
        out = []
        for t in range(len(s) + 1):
            p = s[:t]
            legal = [c for c in self.lang.alphabet if self.lang.is_prefix(p + c)]
            out.append(sorted(legal + ([EOS] if self.lang.is_word(p) else [])))
        return out

    def is_word(self, source) -> bool:
        """Membership of a whole string, by the oracle's independent predicate."""
        return self.lang.is_word("".join(source))


def _factory(language: Language):
    def make(format: str = "plain", **params) -> Task:
        if params:
            raise PelgError(f"task {language.name!r} has no parameter {next(iter(params))!r}; valid: (none)")
        return H25Language(language, format)
    return make


LANGUAGES = {lang.name: lang for lang in _languages()}
TASKS = {name: _factory(lang) for name, lang in LANGUAGES.items()}
