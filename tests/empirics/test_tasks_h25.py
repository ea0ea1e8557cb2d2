"""Huang et al. 2025 task family (empirics.tasks.h25_algorithmic, empirics.tasks.h25_languages):
generators against their independent oracles, exhaustive checks on short strings, exact uniformity of
the language samplers, hand-worked examples, impossible lengths, and the protocol table."""
from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from empirics.errors import PelgError
from empirics.tasks.base import EOS, Example, collate
from empirics.tasks.h25_algorithmic import TASKS as ALGO
from empirics.tasks.h25_languages import TASKS as LANGS
from empirics.tasks.h25_languages import _randbelow
from empirics.tasks.protocols import all_protocols

FAST = settings(max_examples=25, deadline=None)
ALGO_NAMES = ["h25.binary_majority", "h25.majority", "h25.binary_majority_interleave", "h25.sort",
              "h25.copy_unique", "h25.copy_repeat", "h25.parity", "h25.addition"]
LANG_NAMES = ["h25.d2", "h25.d3", "h25.d4", "h25.d12"] + [f"h25.tomita{i}" for i in range(1, 8)] + [
    "h25.aa_bb_cc_dd_ee", "h25.ab_d_bc", "h25.z012_02", "h25.aa_star", "h25.aaaa_star", "h25.abab_star"]
# the valid lengths of each language, written out independently of the DFAs
VALID = {
    **{f"h25.d{n}": lambda L: L % 2 == 0 for n in (2, 3, 4, 12)},
    "h25.tomita1": lambda L: True, "h25.tomita2": lambda L: L % 2 == 0, "h25.tomita3": lambda L: True,
    "h25.tomita4": lambda L: True, "h25.tomita5": lambda L: L % 2 == 0, "h25.tomita6": lambda L: L != 1,
    "h25.tomita7": lambda L: True, "h25.aa_bb_cc_dd_ee": lambda L: L >= 5, "h25.ab_d_bc": lambda L: L >= 1,
    "h25.z012_02": lambda L: L >= 1, "h25.aa_star": lambda L: L % 2 == 0, "h25.aaaa_star": lambda L: L % 4 == 0,
    "h25.abab_star": lambda L: L % 4 == 0,
}


def algo_valid(name, L):
    task = ALGO[name]()
    if L < task.min_length or (task.max_length is not None and L > task.max_length):
        return False
    return L % 3 == 0 if name == "h25.binary_majority_interleave" else True


def test_registry_names_and_attributes():
    assert list(ALGO) == ALGO_NAMES and list(LANGS) == LANG_NAMES
    for name, make in {**ALGO, **LANGS}.items():
        task = make()
        assert task.name == name and task.paper == "huang2025" and task.formats == ("plain",)
        assert task.kind == ("tokens" if name in ALGO else "sets")
        assert set(task.symbols) <= set(task.vocab.itos) and task.description


def test_protocols_cover_every_task_with_drawable_ranges():
    protocols = {k: v for k, v in all_protocols().items() if k.startswith("h25.")}
    assert set(protocols) == set(ALGO) | set(LANGS)
    for name, p in protocols.items():
        ok = (lambda L: algo_valid(name, L)) if name in ALGO else VALID[name]
        for lo, hi in [p["train_lengths"], *p["test_buckets"]]:
            assert any(ok(L) for L in range(lo, hi + 1)), (name, lo, hi)
        assert p["train_lengths"][0] >= (ALGO if name in ALGO else LANGS)[name]().min_length
        if name in ALGO:
            assert p["test_buckets"][1:] == [[51, 100], [101, 150]] and p["n_test"] == 2000


# ---------------------------------------------------------------- algorithmic tasks


@pytest.mark.parametrize("name", ALGO_NAMES)
@FAST
@given(seed=st.integers(0, 2**32 - 1), length=st.integers(0, 160))
def test_algorithmic_examples_pass_the_oracle(name, seed, length):
    task = ALGO[name]()
    if not algo_valid(name, length):
        with pytest.raises(PelgError):
            task.sample(np.random.default_rng(seed), length)
        return
    ex = task.sample(np.random.default_rng(seed), length)
    assert ex.length == length == len(ex.source)
    assert set(ex.source) | set(ex.target) <= set(task.symbols)
    assert task.verify(ex)
    again = task.sample(np.random.default_rng(seed), length)
    assert (again.source, again.target) == (ex.source, ex.target)


@pytest.mark.parametrize("name", ALGO_NAMES)
def test_algorithmic_seeds_differ_and_wrong_targets_are_caught(name):
    task = ALGO[name]()
    length = 30
    a, b = (task.sample(np.random.default_rng(s), length) for s in (1, 2))
    assert a.source != b.source
    bad = list(a.target)
    i = len(bad) // 2
    bad[i] = next(s for s in task.symbols if s != bad[i])
    assert not task.verify(Example(a.source, bad, a.length))


def test_algorithmic_hand_worked_examples():
    cases = {
        "h25.binary_majority": ("0 1 1", "1"),
        "h25.majority": ("b a b c", "b"),
        # strings: x[0::3] = 0 0 1 -> 0; x[1::3] = 1 1 0 -> 1; x[2::3] = 1 1 0 -> 1
        "h25.binary_majority_interleave": ("0 1 1 0 1 1 1 0 0", "0 1 1"),
        "h25.sort": ("10 2 149 33", "2 10 33 149"),          # numeric, not lexicographic, order
        "h25.copy_unique": ("7 3 149", "7 3 149"),
        "h25.copy_repeat": ("a b b a", "a b b a"),
        "h25.parity": ("1 0 1 1", "o"),
        "h25.addition": ("1 0 1 + 1 1 =", "1 0 0 0"),        # 5 + 3 = 8
    }
    for name, (src, tgt) in cases.items():
        task = ALGO[name]()
        ex = Example(src.split(), tgt.split(), len(src.split()))
        assert task.oracle(ex) == ex.target and task.verify(ex), name
    assert ALGO["h25.parity"]().oracle(Example([], ["e"], 0)) == ["e"]
    assert ALGO["h25.addition"]().oracle(Example("0 + 0 =".split(), ["0"], 4)) == ["0"]


def test_binary_majority_exhaustive_support_and_count_law():
    task, rng = ALGO["h25.binary_majority"](), np.random.default_rng(0)
    for n in range(1, 7):
        seen = Counter("".join(task.sample(rng, n).source) for _ in range(3000))
        expected = {"".join(w) for w in itertools.product("01", repeat=n) if 2 * w.count("1") != n}
        assert set(seen) == expected, n                   # every non-tie string, never a tie
    # the official law: the number of zeros is uniform over the non-tie counts (0..5 at n = 5)
    zeros = Counter(task.sample(rng, 5).source.count("0") for _ in range(6000))
    assert set(zeros) == set(range(6)) and max(zeros.values()) < 1.2 * min(zeros.values())
    even = Counter(  # n = 4: the tie count 2 never occurs
        task.sample(rng, 4).source.count("0") for _ in range(4000))
    assert set(even) == {0, 1, 3, 4}


def test_parity_and_addition_exhaustive():
    parity, add = ALGO["h25.parity"](), ALGO["h25.addition"]()
    for n in range(0, 9):
        for w in itertools.product("01", repeat=n):
            assert parity.oracle(Example(list(w), None, n)) == ["o" if w.count("1") % 2 else "e"]
    rng = np.random.default_rng(3)
    for n in range(4, 9):
        valid = set()
        for k in range(1, n - 2):
            ops = [[w for w in map("".join, itertools.product("01", repeat=m)) if m == 1 or w[0] == "1"]
                   for m in (k, n - 2 - k)]
            for a, b in itertools.product(*ops):
                src = f"{a}+{b}="
                valid.add(src)
                assert "".join(add.oracle(Example(list(src), None, n))) == format(int(a, 2) + int(b, 2), "b")
        seen = {"".join(add.sample(rng, n).source) for _ in range(1500)}
        assert seen == valid, n                            # full support, no leading zeros


def test_majority_and_distinct_token_tasks():
    rng = np.random.default_rng(4)
    maj = ALGO["h25.majority"]()
    for n in (1, 2, 3, 4, 26, 150):
        ex = maj.sample(rng, n)
        counts = Counter(ex.source).most_common()
        assert counts[0][0] == ex.target[0] and (len(counts) == 1 or counts[0][1] > counts[1][1])
    for name in ("h25.sort", "h25.copy_unique"):
        task = ALGO[name]()
        ex = task.sample(rng, 150)
        assert sorted(ex.source, key=int) == [str(i) for i in range(150)]   # all 150 distinct tokens
        assert task.sample(rng, 0).target == []
    small = ALGO["h25.sort"](n_symbols=5)
    assert small.max_length == 5 and len(small.vocab) == 5 + 5
    inter = ALGO["h25.binary_majority_interleave"](period=2)
    ex = inter.sample(rng, 8)
    assert len(ex.target) == 2 and inter.verify(ex)


def test_algorithmic_impossible_lengths_and_bad_arguments():
    rng = np.random.default_rng(0)
    cases = [("h25.binary_majority", 0, ">= 1"), ("h25.majority", 0, ">= 1"),
             ("h25.binary_majority_interleave", 4, "multiple of 3 and >= 3"),
             ("h25.binary_majority_interleave", 0, "valid: 3, 6, 9"), ("h25.sort", 151, "<= 150"),
             ("h25.copy_unique", 151, "<= 150"), ("h25.addition", 3, ">= 4"), ("h25.copy_repeat", -1, ">= 0"),
             ("h25.parity", 2.5, ">= 0")]
    for name, length, msg in cases:
        with pytest.raises(PelgError, match=msg.replace("(", r"\(")):
            ALGO[name]().sample(rng, length)
    with pytest.raises(PelgError, match="unknown format 'cot'; valid: plain"):
        ALGO["h25.sort"](format="cot")
    with pytest.raises(PelgError, match="has no parameter 'depth'; valid: n_symbols"):
        ALGO["h25.sort"](depth=3)
    with pytest.raises(PelgError, match="n_symbols must be a positive integer"):
        ALGO["h25.copy_unique"](n_symbols=0)


def test_algorithmic_collate_default_layout():
    task = ALGO["h25.addition"]()
    rng = np.random.default_rng(5)
    exs = [task.sample(rng, n) for n in (4, 9)]
    batch = collate(task, exs)
    v = task.vocab
    row = batch.inputs[1].tolist()
    assert v.decode(row[: 1 + 9 + 1]) == ["<bos>", *exs[1].source, "<sep>"]
    labels = [t for t in batch.labels[1].tolist() if t != -100]
    assert v.decode(labels) == [*exs[1].target, EOS]


# ---------------------------------------------------------------- formal languages


@pytest.mark.parametrize("name", LANG_NAMES)
@FAST
@given(seed=st.integers(0, 2**32 - 1), length=st.integers(0, 130))
def test_language_examples_are_words_and_pass_the_oracle(name, seed, length):
    task = LANGS[name]()
    if not VALID[name](length):
        with pytest.raises(PelgError, match="no word of length"):
            task.sample(np.random.default_rng(seed), length)
        return
    ex = task.sample(np.random.default_rng(seed), length)
    assert ex.length == length == len(ex.source) and len(ex.target) == length + 1
    assert set(ex.source) <= set(task.symbols)
    assert task.is_word(ex.source) and EOS in ex.target[-1]
    assert all(tok in legal for tok, legal in zip(ex.source, ex.target))   # each symbol was legal
    assert all(legal == sorted(legal) for legal in ex.target)
    assert task.verify(ex)
    again = task.sample(np.random.default_rng(seed), length)
    assert (again.source, again.target) == (ex.source, ex.target)


@pytest.mark.parametrize("name", LANG_NAMES)
def test_language_dfa_equals_the_oracle_on_every_short_string(name):
    task = LANGS[name]()
    alphabet = task.symbols
    top = {1: 14, 2: 11, 3: 7, 4: 6, 5: 6}[len(alphabet)]
    for n in range(top + 1):
        words = 0
        for w in itertools.product(alphabet, repeat=n):
            dfa = task.dfa_targets(list(w))
            word = task.is_word(list(w))
            assert (dfa is not None) == word, (name, w)
            if word:
                words += 1
                assert dfa == task.oracle(Example(list(w), None, n)), (name, w)
        assert words == task.n_words(n), (name, n)
        assert (words > 0) == VALID[name](n), (name, n)


@pytest.mark.parametrize("name,length", [("h25.d3", 8), ("h25.tomita4", 5), ("h25.tomita3", 6),
                                         ("h25.ab_d_bc", 4), ("h25.z012_02", 4), ("h25.aa_bb_cc_dd_ee", 8)])
def test_language_sampler_is_uniform_over_words(name, length):
    task, rng = LANGS[name](), np.random.default_rng(7)
    words = {"".join(w) for w in itertools.product(task.symbols, repeat=length) if task.is_word(list(w))}
    n = 300 * len(words)
    seen = Counter("".join(task.sample(rng, length).source) for _ in range(n))
    assert set(seen) == words
    expect = n / len(words)
    chi2 = sum((c - expect) ** 2 / expect for c in seen.values())
    df = len(words) - 1
    assert chi2 < df + 6 * (2 * df) ** 0.5, (chi2, df)


def test_language_hand_worked_examples():
    e = EOS
    cases = {
        "h25.d2": ("aabb", [[e, "a"], ["a", "b"], ["b"], ["a", "b"], [e, "a"]]),
        "h25.d12": ("ab", [[e, "a"], ["a", "b"], [e, "a"]]),
        # Tomita 3: "10" is an odd 1-run then an odd 0-run: only 0 may follow (the official code says none)
        "h25.tomita3": ("100", [["0", "1", e], ["0", "1", e], ["0"], ["0", "1", e]]),
        "h25.tomita4": ("1001", [["0", "1", e], ["0", "1", e], ["0", "1", e], ["1", e], ["0", "1", e]]),
        "h25.tomita5": ("0110", [["0", "1", e], ["0", "1"], ["0", "1"], ["0", "1"], ["0", "1", e]]),
        "h25.tomita6": ("000", [["0", "1", e], ["0", "1"], ["0", "1"], ["0", "1", e]]),
        "h25.tomita7": ("0101", [["0", "1", e], ["0", "1", e], ["0", "1", e], ["0", "1", e], ["1", e]]),
        "h25.aa_bb_cc_dd_ee": ("abcde", [["a"], ["a", "b"], ["b", "c"], ["c", "d"], ["d", "e"], [e, "e"]]),
        "h25.ab_d_bc": ("adb", [["a", "b", "d"], ["a", "b", "d"], [e, "b", "c"], [e, "b", "c"]]),
        # a prefix ending in 0 is a word: 2* may be empty (the official targets say otherwise)
        "h25.z012_02": ("120", [["0", "1", "2"], ["0", "1", "2"], ["0", "1", "2"], ["0", "1", "2", e]]),
        "h25.aa_star": ("aa", [[e, "a"], ["a"], [e, "a"]]),
        "h25.abab_star": ("abab", [[e, "a"], ["b"], ["a"], ["b"], [e, "a"]]),
    }
    for name, (word, target) in cases.items():
        task = LANGS[name]()
        ex = Example(list(word), target, len(word))
        assert task.oracle(ex) == target and task.dfa_targets(list(word)) == target, name
    # Tomita 6 at length 3: 000 and 111 are its only words (#0 - #1 = +-3)
    assert LANGS["h25.tomita6"]().n_words(3) == 2


def test_language_oracle_catches_wrong_targets_and_non_words():
    task = LANGS["h25.d4"]()
    ex = task.sample(np.random.default_rng(0), 20)
    bad = [list(s) for s in ex.target]
    bad[5] = bad[5][1:]
    assert not task.verify(Example(ex.source, bad, ex.length))
    src = list(ex.source)
    src[-1] = "a"                                   # no longer balanced: <eos> is not legal at the end
    assert not task.verify(Example(src, ex.target, ex.length)) and not task.is_word(src)


def test_language_seeds_and_counts():
    for name in LANG_NAMES:
        task = LANGS[name]()
        length = next(L for L in range(40, 48) if VALID[name](L))
        a, b = (task.sample(np.random.default_rng(s), length).source for s in (1, 2))
        single = task.n_words(length) == 1          # 1*, (10)*, (aa)*, (aaaa)*, (abab)*: one word per length
        assert (a == b) if single else (a != b), name
    assert LANGS["h25.d12"]().n_words(300) > 2**200    # exact big-integer counts at the protocol lengths
    big = 2**200 + 12345
    draws = [_randbelow(np.random.default_rng(i), big) for i in range(200)]
    assert all(0 <= d < big for d in draws) and np.mean([d > big // 2 for d in draws]) > 0.35


def test_language_impossible_lengths_name_the_valid_ones():
    rng = np.random.default_rng(0)
    cases = [("h25.aa_star", 3, "even lengths >= 0"), ("h25.aaaa_star", 6, "multiples of 4 >= 0"),
             ("h25.abab_star", 2, "multiples of 4 >= 0"), ("h25.tomita6", 1, "0 and any length >= 2"),
             ("h25.aa_bb_cc_dd_ee", 4, "any length >= 5"), ("h25.d2", 7, "even lengths >= 0"),
             ("h25.tomita5", 3, "even lengths >= 0"), ("h25.ab_d_bc", 0, "any length >= 1"),
             ("h25.tomita1", -1, "any length >= 0"), ("h25.z012_02", 1.0, "any length >= 1")]
    for name, length, msg in cases:
        with pytest.raises(PelgError, match=f"no word of length .*valid lengths \\(symbols\\): {msg}$"):
            LANGS[name]().sample(rng, length)
    with pytest.raises(PelgError, match="unknown format 'x'; valid: plain"):
        LANGS["h25.d2"](format="x")
    with pytest.raises(PelgError, match="has no parameter 'depth'"):
        LANGS["h25.d2"](depth=3)
    for name in LANG_NAMES:
        task = LANGS[name]()
        assert task.min_length == min(L for L in range(10) if VALID[name](L))


def test_language_collate_multi_hot_sets():
    task = LANGS["h25.ab_d_bc"]()
    rng = np.random.default_rng(1)
    exs = [task.sample(rng, 1), task.sample(rng, 5)]
    batch = collate(task, exs)
    v = task.vocab
    assert batch.inputs.shape == (2, 6) and batch.labels.shape == (2, 6, len(v))
    for b, ex in enumerate(exs):
        assert v.decode(batch.inputs[b, : ex.length + 1].tolist()) == ["<bos>", *ex.source]
        for t, legal in enumerate(ex.target):
            assert sorted(v.itos[i] for i in np.flatnonzero(batch.labels[b, t].numpy())) == sorted(legal)
    empty = LANGS["h25.d2"]().sample(rng, 0)
    assert empty.source == [] and empty.target == [[EOS, "a"]]
