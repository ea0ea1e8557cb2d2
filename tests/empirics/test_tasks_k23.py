"""K23 algorithmic tasks (empirics.tasks.k23_algorithmic, k23_arithmetic, k23_reasoning; the scratchpad of
k23_scratchpad): every example passes its independent oracle, seeding, lengths, hand-worked examples in
K23's formats, scratchpad structure, errors, protocols."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from empirics.errors import PelgError
from empirics.tasks.base import Example, collate
from empirics.tasks.k23_algorithmic import TASKS
from empirics.tasks.k23_reasoning import SORT_ALPHABET
from empirics.tasks.k23_scratchpad import SCRATCHPAD_FORMATS
from empirics.tasks.protocols import task_protocol

COPY = ["k23.copy_rsc", "k23.copy_rdc", "k23.copy_rsc2x", "k23.copy_cmc", "k23.copy_cmc2x",
        "k23.reverse_mc", "k23.reverse_mc2x", "k23.reverse_mcrv"]
SCRATCH = ["k23.addition", "k23.polynomial", "k23.sort_single", "k23.sort_multi", "k23.summation",
           "k23.parity", "k23.lego"]
ALL = COPY + SCRATCH
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def words(text: str) -> list[str]:
    return text.split()


def top_length(task) -> int:
    return 40 if task.max_length is None else task.max_length


# ------------------------------------------------------------------------------------------------ registry
def test_registry_names_and_attributes():
    assert sorted(TASKS) == sorted(ALL)
    for name in ALL:
        task = TASKS[name]()
        assert task.name == name and task.paper == "kazemnejad2023" and task.kind == "tokens"
        assert task.formats[0] == "plain" and task.description and task.length_unit
        assert task.k23_separator == (name in COPY or name == "k23.summation")
    assert TASKS["k23.addition"]().formats == SCRATCHPAD_FORMATS
    for name in ("k23.sort_single", "k23.sort_multi", "k23.lego"):      # no variable update in K23
        assert set(TASKS[name]().formats) == set(SCRATCHPAD_FORMATS) - {"no_variable_update"}
    for name in COPY:
        assert TASKS[name]().formats == ("plain",)


@pytest.mark.parametrize("name", ALL)
def test_protocol_entry_matches_the_task(name):
    proto, task = task_protocol(name), TASKS[name]()
    lo, hi = proto["train_lengths"]
    assert lo == task.min_length and (proto["n_train"], proto["n_test"]) == (100000, 10000)
    assert hi == (20 if name in COPY else 8)
    buckets = proto["test_buckets"]
    assert buckets[0][0] == hi + 1 and buckets[-1][1] == 2 * hi
    assert all(a <= b for a, b in buckets) and all(b + 1 == c for (_, b), (c, _) in zip(buckets, buckets[1:]))


# ------------------------------------------------------------------------------- oracles, lengths, seeding
@pytest.mark.parametrize("name", ALL)
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_every_example_passes_its_oracle(name, seed, data):
    factory = TASKS[name]
    fmt = data.draw(st.sampled_from(factory().formats), label="format")
    task = factory(format=fmt)
    length = data.draw(st.integers(task.min_length, top_length(task)), label="length")
    rng = np.random.default_rng(seed)
    for _ in range(3):
        ex = task.sample(rng, length)
        assert ex.length == length
        assert task.verify(ex), (ex, task.oracle(ex))
        task.vocab.encode(ex.source)          # every word is in the vocabulary
        task.vocab.encode(ex.target)


@pytest.mark.parametrize("name", ALL)
def test_oracle_rejects_a_corrupted_target(name):
    task = TASKS[name](format=TASKS[name]().formats[-1])
    rng = np.random.default_rng(3)
    ex = task.sample(rng, task.min_length + 4)
    for pos in (0, len(ex.target) // 2, len(ex.target) - 2):
        bad = list(ex.target)
        bad[pos] = next(w for w in task.vocab.itos[5:] if w != bad[pos])
        assert not task.verify(Example(ex.source, bad, ex.length))
    assert not task.verify(Example(ex.source, ex.target[:-1], ex.length))


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_data_different_seed_different_data(name):
    task = TASKS[name](format=TASKS[name]().formats[-1])

    def draw(seed):
        rng = np.random.default_rng(seed)
        return [(e.source, e.target) for e in (task.sample(rng, n) for n in range(task.min_length, 12))]

    assert draw(7) == draw(7)
    assert draw(7) != draw(8)


@pytest.mark.parametrize("name", SCRATCH)
def test_scratchpad_ends_with_the_plain_target_of_the_same_problem(name):
    for fmt in TASKS[name]().formats[1:]:
        plain, scratch = TASKS[name](), TASKS[name](format=fmt)
        for length in (plain.min_length, 5, 11):
            a = plain.sample(np.random.default_rng(length), length)
            b = scratch.sample(np.random.default_rng(length), length)
            assert a.source == b.source
            assert b.target[-len(a.target):] == a.target
            assert b.target[:5] == words("Thinking step by step :")
            assert b.target[-len(a.target) - 3:-len(a.target)] == words(". Thus ,")


def test_scratchpad_step_counts():
    rng = np.random.default_rng(5)
    for name in ("k23.polynomial", "k23.sort_single", "k23.sort_multi", "k23.summation", "k23.parity"):
        task = TASKS[name](format="full")
        for n in range(1, 12):
            assert task.sample(rng, n).target.count("#") == n - 1
    add = TASKS["k23.addition"](format="full")
    for n in range(1, 12):
        ex = add.sample(rng, n)
        a, b = ex.source[1:ex.source.index("+")], ex.source[ex.source.index("+") + 1:-1]
        carry_out = len(str(int("".join(a)) + int("".join(b)))) > n
        assert ex.target.count("#") == n - 1 + carry_out
    lego = TASKS["k23.lego"](format="full")
    for n in range(2, 17):
        ex = lego.sample(rng, n)
        chain = [w for i, w in enumerate(ex.source[:-2]) if ex.source[i + 1] == "="]   # clause order = chain
        assert ex.target.count("#") == chain.index(ex.source[-2])                     # steps up to the query


def test_minimal_and_ablated_formats_keep_only_their_components():
    ex = {f: TASKS["k23.addition"](format=f).sample(np.random.default_rng(0), 4) for f in SCRATCHPAD_FORMATS}
    markers = {"in": "no_input", "comp": "no_computation", "out": "no_output", "[": "no_variable_update",
               "re": "no_remaining_input"}
    for marker, ablation in markers.items():
        assert marker in ex["full"].target and marker not in ex[ablation].target
        assert (marker in ex["minimal"].target) == (marker == "comp")
    assert "#" not in ex["plain"].target


# ------------------------------------------------------------------------------- hand-worked K23 examples
def check(name, source, target, fmt="plain", **params):
    task = TASKS[name](format=fmt, **params)
    ex = Example(words(source), words(target), 0)
    assert task.oracle(ex) == ex.target, " ".join(task.oracle(ex))


def test_addition_k23_string():
    # K23's prompt (paper, Fig. / addition_instance_processor.py). The answer the notes quote with it,
    # "5 5 6 4 3", is not 53726 + 19177 = 72903; the format is K23's, the sum is recomputed.
    check("k23.addition", "Compute 5 3 7 2 6 + 1 9 1 7 7 ?", "The answer is 7 2 9 0 3 .")
    task = TASKS["k23.addition"]()
    assert not task.verify(Example(words("Compute 5 3 7 2 6 + 1 9 1 7 7 ?"), words("The answer is 5 5 6 4 3 ."), 5))
    check("k23.addition", "Compute 0 + 0 ?", "The answer is 0 .")
    check("k23.addition", "Compute 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 + 1 ?",
          "The answer is 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 .")


def test_addition_full_scratchpad_by_hand():
    # 57 + 68: columns 7+8 = 15 (carry 1), 5+6+1 = 12 (carry 1), final carry column
    check("k23.addition", "Compute 5 7 + 6 8 ?",
          "Thinking step by step : "
          "in 7 , 8 comp 7 + 8 + carry = 15 + 0 = 15 out 5 [ carry : 1 ] re 5 + 6 # "
          "in 5 , 6 comp 5 + 6 + carry = 11 + 1 = 12 out 2 [ carry : 1 ] re + # "
          "in 0 , 0 comp 0 + 0 + carry = 0 + 1 = 1 out 1 [ carry : 0 ] re + "
          ". Thus , The answer is 1 2 5 .", fmt="full")
    # 5 + 363: the shorter operand is padded; K23 writes the padded rest as an integer ("0")
    check("k23.addition", "Compute 5 + 3 6 3 ?",
          "Thinking step by step : comp 5 + 3 + carry = 8 + 0 = 8 # comp 0 + 6 + carry = 6 + 0 = 6 # "
          "comp 0 + 3 + carry = 3 + 0 = 3 . Thus , The answer is 3 6 8 .", fmt="minimal")
    check("k23.addition", "Compute 5 + 3 6 3 ?",
          "Thinking step by step : in 5 , 3 out 8 [ carry : 0 ] re 0 + 3 6 # in 0 , 6 out 6 [ carry : 0 ] "
          "re 0 + 3 # in 0 , 3 out 3 [ carry : 0 ] re + . Thus , The answer is 3 6 8 .", fmt="no_computation")


def test_polynomial_k23_example():
    # poly_instance_processor.py's example: coeffs -2 -1 -3 -1 -3 -3, degrees 2 0 3 1 0 2, x = 1 -> -13 -> 7
    src = ("Evaluate at x = 1 in - 2 * x ** 2 + - 1 * x ** 0 + - 3 * x ** 3 + - 1 * x ** 1 + - 3 * x ** 0 "
           "+ - 3 * x ** 2 ?")
    check("k23.polynomial", src, "The answer is 7 .")
    check("k23.polynomial", "Evaluate at x = - 2 in 3 * x ** 3 + 0 * x ** 0 ?",
          "Thinking step by step : in 3 * x ** 3 comp 3 * - 2 ** 3 = 3 * - 8 out - 2 4 "
          "[ sum : 0 + - 2 4 = 6 ] re 0 * x ** 0 # in 0 * x ** 0 comp 0 * - 2 ** 0 = 0 * 1 out 0 "
          "[ sum : 6 + 0 = 6 ] re . Thus , The answer is 6 .", fmt="full")


def test_summation_k23_example():
    # sum_instance_processor.py's example: 3 3 1 8 6 1 2 1 9 8 1 -> 43 -> 3
    check("k23.summation", "Compute : 3 + 3 + 1 + 8 + 6 + 1 + 2 + 1 + 9 + 8 + 1 .", "The answer is 3 .")
    check("k23.summation", "Compute : 8 + 5 .",
          "Thinking step by step : in 8 comp 8 + sum = 8 + 0 = out 8 [ sum : 8 = 8 ] re 5 # "
          "in 5 comp 5 + sum = 5 + 8 = out 1 3 [ sum : 1 3 = 3 ] re . Thus , The answer is 3 .", fmt="full")


def test_parity_k23_example():
    # parity_instance_processor.py's example: 0 0 0 0 0 1 1 1 (three ones) -> odd -> No
    check("k23.parity", "Is the number of 1's even in the sequence [ 0 , 0 , 0 , 0 , 0 , 1 , 1 , 1 ] ?",
          "The answer is No .")
    check("k23.parity", "Is the number of 1's even in the sequence [ 1 , 1 ] ?",
          "Thinking step by step : in 1 comp 1 ** par = 1 ** 0 out 1 [ par : 1 ] re [ 1 ] # "
          "in 1 comp 1 ** par = 1 ** 1 out 0 [ par : 0 ] re [ ] . Thus , The answer is Yes .", fmt="full")


def test_lego_k23_example_with_permuted_clauses():
    # lego_instance_processor.py's example: clauses out of chain order, chain q -> t -> c -> f -> r
    src = "If c = + t , r = + f , t = - q , q = -1 , f = - c . Then , what is the value of c ?"
    check("k23.lego", src, "The answer is +1 .")
    check("k23.lego", src.replace("of c ?", "of r ?"), "The answer is -1 .")
    check("k23.lego", src,
          "Thinking step by step : in q comp out -1 re c = + t , r = + f , t = - q , f = - c # "
          "in t comp - q = - -1 out +1 re c = + t , r = + f , f = - c # "
          "in c comp + t = + +1 out +1 re r = + f , f = - c . Thus , The answer is +1 .", fmt="full")
    with pytest.raises(PelgError, match="resolved|chain"):
        check("k23.lego", "If a = + b , b = - a . Then , what is the value of a ?", "The answer is +1 .")


def test_sort_k23_examples():
    # sort_instance_processor.py's multi-digit example, selection sort with swaps
    check("k23.sort_multi", "Sort the following list [ 2 4 6 8 , 6 8 6 3 , 8 8 1 , 4 1 2 5 ] .",
          "Thinking step by step : "
          "in 2 4 6 8 comp The minimum of the unsorted portion out 8 8 1 re [ 6 8 6 3 , 2 4 6 8 , 4 1 2 5 ] # "
          "in 6 8 6 3 comp The minimum of the unsorted portion out 2 4 6 8 re [ 6 8 6 3 , 4 1 2 5 ] # "
          "in 6 8 6 3 comp The minimum of the unsorted portion out 4 1 2 5 re [ 6 8 6 3 ] # "
          "in 6 8 6 3 comp The minimum of the unsorted portion out 6 8 6 3 re [ ] "
          ". Thus , The sorted list is [ 8 8 1 , 2 4 6 8 , 4 1 2 5 , 6 8 6 3 ] .", fmt="full")
    # single tokens sort by vocabulary rank: digits < lower case < upper case
    check("k23.sort_single", "Sort the following list [ M , E , F , F , A , b , 3 ] .",
          "The sorted list is [ 3 , b , A , E , F , F , M ] .")
    assert len(SORT_ALPHABET) == 50 == len(set(SORT_ALPHABET))


def test_copy_and_reverse_variants_by_hand():
    check("k23.copy_rsc", "Copy : s4 s4 s4", "s4 s4 s4")
    check("k23.copy_rsc2x", "Copy : s4 s4", "s4 s4 s4 s4")
    check("k23.copy_rdc", "Replace s6 with s9 in s6 s6 s6", "s9 s9 s9")
    check("k23.copy_cmc", "Copy : s1 s2 s3", "s1 s2 s3")
    check("k23.copy_cmc2x", "Copy : s1 s2 s3", "s1 s2 s3 [NEXT] s1 s2 s3")
    check("k23.reverse_mc", "Reverse : s1 s2 s3", "s3 s2 s1")
    check("k23.reverse_mc2x", "Reverse : s1 s2 s3", "s3 s2 s1 [NEXT] s3 s2 s1")
    check("k23.reverse_mcrv", "Reverse : s1 s2 s3", "s3 s2 s1 [NEXT] s1 s2 s3")


# ------------------------------------------------------------------------------------- distributions
def test_generators_follow_k23_ranges():
    rng = np.random.default_rng(11)
    add = TASKS["k23.addition"]()
    for n in (1, 2, 8, 9, 16):
        pairs = set()
        for _ in range(300):
            src = add.sample(rng, n).source
            a, b = src[1:src.index("+")], src[src.index("+") + 1:-1]
            assert max(len(a), len(b)) == n and (len(a) == 1 or a[0] != "0") and (len(b) == 1 or b[0] != "0")
            pairs.add((len(a), len(b)))
        assert len(pairs) == 2 * n - 1          # every digit-count pair with that maximum turns up
    poly = TASKS["k23.polynomial"]()
    coeffs, degrees, xs = set(), set(), set()
    for _ in range(300):
        x, terms = poly._parse(poly.sample(rng, 6).source)
        xs.add(x)
        coeffs |= {c for c, _ in terms}
        degrees |= {d for _, d in terms}
    assert coeffs == set(range(-3, 4)) and degrees == set(range(4)) and xs == set(range(-2, 3))
    summ = TASKS["k23.summation"]()
    assert {w for _ in range(100) for w in summ.sample(rng, 8).source[2:-1:2]} == set("123456789")
    multi = TASKS["k23.sort_multi"]()
    nums = [int("".join(e)) for _ in range(200) for e in multi._parse(multi.sample(rng, 8).source)]
    assert 10 <= min(nums) < 200 and 9800 < max(nums) <= 9999
    single = TASKS["k23.sort_single"]()
    assert {w for _ in range(200) for w in single.sample(rng, 8).source[5:-2:2]} == set(SORT_ALPHABET)
    lego = TASKS["k23.lego"]()
    for n in (2, 3, 8, 9, 16):
        seen = set()
        for _ in range(200):
            src = lego.sample(rng, n).source
            chain = [w for i, w in enumerate(src) if i + 1 < len(src) and src[i + 1] == "="]
            assert len(chain) == len(set(chain)) == n
            seen.add(chain.index(src[-2]))
        first = n // 2 if n % 2 == 0 else n // 2 + 1
        assert seen == set(range(first, n))   # queries from the middle to the end
    # unpermuted sources open with the constant clause; permute=True shuffles the clauses
    assert all(lego.sample(rng, 8).source[3] in ("+1", "-1") for _ in range(50))
    perm = TASKS["k23.lego"](permute=True)
    firsts = [perm.sample(rng, 8).source[3] for _ in range(50)]
    assert {"+", "-"} & set(firsts) and {"+1", "-1"} & set(firsts)


def test_copy_symbol_inventories_match_k23_sizes():
    assert TASKS["k23.copy_cmc"]().n_symbols == 100 and TASKS["k23.reverse_mcrv"]().n_symbols == 100
    assert TASKS["k23.copy_rsc"]().n_symbols == 5750 and TASKS["k23.copy_rdc"]().n_symbols == 76
    rng = np.random.default_rng(2)
    task = TASKS["k23.copy_cmc"](n_symbols=7)
    seen = {w for _ in range(100) for w in task.sample(rng, 10).source[2:]}
    assert seen == {f"s{i}" for i in range(7)}
    rdc = TASKS["k23.copy_rdc"](n_symbols=2)
    assert {(e.source[1], e.source[3]) for e in (rdc.sample(rng, 3) for _ in range(50))} == {("s0", "s1"), ("s1", "s0")}


def test_collate_in_the_k23_layout():
    for name in ALL:
        task = TASKS[name](format=TASKS[name]().formats[-1])
        rng = np.random.default_rng(0)
        exs = [task.sample(rng, n) for n in (task.min_length, task.min_length + 3)]
        batch = collate(task, exs, layout="k23")
        sep = 1 if task.k23_separator else 0
        assert int(batch.sep_index[0]) == len(exs[0].source) - 1 + sep


# ------------------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("name", ALL)
def test_impossible_lengths_raise(name):
    task = TASKS[name]()
    for bad in (0, -1, 2.5, "3"):
        with pytest.raises(PelgError, match=f">= {task.min_length}"):
            task.sample(np.random.default_rng(0), bad)
    if task.max_length is not None:
        with pytest.raises(PelgError, match=f"<= {task.max_length}"):
            task.sample(np.random.default_rng(0), task.max_length + 1)


def test_lego_lengths():
    lego = TASKS["k23.lego"]()
    assert (lego.min_length, lego.max_length) == (2, 26)
    with pytest.raises(PelgError, match="variables"):
        lego.sample(np.random.default_rng(0), 1)
    assert lego.verify(lego.sample(np.random.default_rng(0), 26))


def test_unknown_formats_and_parameters_raise():
    with pytest.raises(PelgError, match="valid: full, minimal, no_computation"):
        TASKS["k23.addition"](format="scratch")
    with pytest.raises(PelgError, match="valid: full, minimal, no_computation, no_input, no_output, "
                                        "no_remaining_input, plain$"):
        TASKS["k23.lego"](format="no_variable_update")
    with pytest.raises(PelgError, match="valid: plain"):
        TASKS["k23.copy_cmc"](format="full")
    with pytest.raises(PelgError, match="valid: n_symbols"):
        TASKS["k23.copy_cmc"](vocab=3)
    with pytest.raises(PelgError, match="valid: permute"):
        TASKS["k23.lego"](n_symbols=3)
    with pytest.raises(PelgError, match="unknown parameter"):
        TASKS["k23.parity"](permute=True)
    with pytest.raises(PelgError, match="n_symbols"):
        TASKS["k23.copy_rdc"](n_symbols=1)
    with pytest.raises(PelgError, match="permute"):
        TASKS["k23.lego"](permute="yes")


def test_malformed_sources_raise():
    cases = {"k23.addition": "Compute 1 + ?",
             "k23.polynomial": "Evaluate at x = 1 in 3 x ** 2 ?",
             "k23.summation": "Compute 3 + 4 .",
             "k23.parity": "Is the number of 1's even in the sequence [ 2 ] ?",
             "k23.sort_single": "Sort the following list [ ZZ ] .",
             "k23.lego": "If a = 1 . Then , what is the value of a ?",
             "k23.copy_cmc": "Reverse : s1",
             "k23.copy_rdc": "Copy : s1"}
    for name, src in cases.items():
        with pytest.raises(PelgError):
            TASKS[name]().oracle(Example(words(src), [], 1))
