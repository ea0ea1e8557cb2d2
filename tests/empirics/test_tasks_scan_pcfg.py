"""SCAN and PCFG SET tasks (empirics/tasks/scan.py, empirics/tasks/pcfg.py): published examples and
counts, a second evaluator written differently from each module's, the generators against their
oracles, and the protocol file."""
from __future__ import annotations

import random
import re
import tomllib
from collections import Counter, deque
from importlib import resources

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcfg_shapes import collapse
from empirics.errors import PelgError
from empirics.tasks import collate
from empirics.tasks import pcfg, scan

FAST = settings(max_examples=60, deadline=None)
SCAN_LENGTHS = scan.lengths()


# ---- SCAN: published examples and counts ----------------------------------------------------------

# Lake & Baroni 2018 (Fig. 1 and the appendix's interpretation rules), and K23's in-code example
# (their "Left Left Jump ..." spelling mapped back to the original actions).
SCAN_EXAMPLES = {
    "jump": "I_JUMP",
    "turn left": "I_TURN_LEFT",
    "jump left": "I_TURN_LEFT I_JUMP",
    "jump twice": "I_JUMP I_JUMP",
    "jump thrice": "I_JUMP I_JUMP I_JUMP",
    "turn left twice": "I_TURN_LEFT I_TURN_LEFT",
    "turn opposite right": "I_TURN_RIGHT I_TURN_RIGHT",
    "turn around left": "I_TURN_LEFT I_TURN_LEFT I_TURN_LEFT I_TURN_LEFT",
    "walk opposite left": "I_TURN_LEFT I_TURN_LEFT I_WALK",
    "walk around left": "I_TURN_LEFT I_WALK I_TURN_LEFT I_WALK I_TURN_LEFT I_WALK I_TURN_LEFT I_WALK",
    "jump around right": "I_TURN_RIGHT I_JUMP I_TURN_RIGHT I_JUMP I_TURN_RIGHT I_JUMP I_TURN_RIGHT I_JUMP",
    "walk and look": "I_WALK I_LOOK",
    "walk after look": "I_LOOK I_WALK",
    "walk after turn right": "I_TURN_RIGHT I_WALK",
    "jump opposite left and walk thrice": "I_TURN_LEFT I_TURN_LEFT I_JUMP I_WALK I_WALK I_WALK",
    "jump opposite left after walk around left":
        "I_TURN_LEFT I_WALK I_TURN_LEFT I_WALK I_TURN_LEFT I_WALK I_TURN_LEFT I_WALK I_TURN_LEFT I_TURN_LEFT I_JUMP",
    "run right thrice after look opposite left twice":
        "I_TURN_LEFT I_TURN_LEFT I_LOOK I_TURN_LEFT I_TURN_LEFT I_LOOK "
        "I_TURN_RIGHT I_RUN I_TURN_RIGHT I_RUN I_TURN_RIGHT I_RUN",
    "jump opposite left twice and look around right twice":
        "I_TURN_LEFT I_TURN_LEFT I_JUMP I_TURN_LEFT I_TURN_LEFT I_JUMP" + " I_TURN_RIGHT I_LOOK" * 8,
}


@pytest.mark.parametrize("command", SCAN_EXAMPLES)
def test_scan_interpret_matches_hand_worked_examples(command):
    assert scan.interpret(command) == SCAN_EXAMPLES[command]


def test_scan_counts_match_the_published_splits():
    total = sum(scan.count(n) for n in SCAN_LENGTHS)
    assert total == len(scan._commands()) == 20910
    assert len({c for c, _ in scan._commands()}) == 20910          # every command distinct
    assert scan.count(23) == 0                                     # why the original test starts at 24
    short = sum(scan.count(n) for n in SCAN_LENGTHS if n <= 22)
    assert (short, total - short) == (16990, 3920)                 # Lake & Baroni 2018 length split
    k23_train = sum(scan.count(n) for n in SCAN_LENGTHS if n <= 25)
    assert total - k23_train == 3136                               # K23 test
    assert k23_train == 15997 + 888 + 889                          # K23 train + validation + I.I.D. halves
    assert k23_train - 15997 == round(0.1 * k23_train)             # a 10% hold-out
    # hand-derived: 1 action: 4 primitives + turn left/right; 2 actions: 10 V + 6 "V twice" + 6*6*2
    # conjunctions; 48 actions: ("U around D thrice") x 2 conjunctions x the same = 8 * 8 * 2
    assert (scan.count(1), scan.count(2), scan.count(48)) == (6, 88, 128)
    assert SCAN_LENGTHS == (*range(1, 23), 24, 25, 26, 27, 28, 30, 32, 33, 36, 40, 48)


def _rewrite(command: str) -> list[str]:
    """Second SCAN evaluator: regular-expression rewriting, outermost construct first."""
    if m := re.fullmatch(r"(.+) after (.+)", command):
        return _rewrite(m[2]) + _rewrite(m[1])
    if m := re.fullmatch(r"(.+) and (.+)", command):
        return _rewrite(m[1]) + _rewrite(m[2])
    if m := re.fullmatch(r"(.+) (twice|thrice)", command):
        return _rewrite(m[1]) * {"twice": 2, "thrice": 3}[m[2]]
    if m := re.fullmatch(r"(walk|look|run|jump|turn)(?: (opposite|around))? (left|right)", command):
        verb = [] if m[1] == "turn" else ["I_" + m[1].upper()]
        step = ["I_TURN_" + m[3].upper()] + verb
        return {None: step, "opposite": step[:1] + step, "around": step * 4}[m[2]]
    assert re.fullmatch(r"walk|look|run|jump", command), command
    return ["I_" + command.upper()]


def test_scan_pool_agrees_with_the_parser_and_a_rewriting_evaluator():
    for words, actions in scan._commands():
        command = " ".join(words)
        assert scan.interpret(command).split() == list(actions) == _rewrite(command), command


def test_scan_interpret_rejects_ungrammatical_commands():
    for bad in ("", "turn", "walk walk", "walk left right", "jump and walk and run", "walk twice twice",
                "around left", "walk opposite", "fly", "walk left and"):
        with pytest.raises(PelgError, match="not a SCAN command"):
            scan.interpret(bad)


# ---- SCAN: the task ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(scan.TASKS))
@FAST
@given(seed=st.integers(0, 2**32 - 1), length=st.sampled_from(SCAN_LENGTHS), fmt=st.sampled_from(scan.FORMATS))
def test_scan_samples_pass_the_oracle(name, seed, length, fmt):
    task = scan.TASKS[name](format=fmt)
    ex = task.sample(np.random.default_rng(seed), length)
    assert ex.length == length == len(ex.target)
    assert task.verify(ex)
    assert (ex.source[0] == scan.SOLVE) == (fmt == "solve")
    task.vocab.encode([*ex.source, *ex.target])                   # every word is in the vocabulary


def test_scan_sampling_covers_a_length_uniformly_and_is_seeded():
    task = scan.TASKS["k23.scan"]()
    draws = [tuple(task.sample(np.random.default_rng(s), 2).source) for s in range(3000)]
    seen = Counter(draws)
    assert len(seen) == scan.count(2) == 88
    assert max(seen.values()) < 3 * 3000 / 88                       # no command hogs the draws
    a = [task.sample(np.random.default_rng(7), 30) for _ in range(3)]
    b = [task.sample(np.random.default_rng(7), 30) for _ in range(3)]
    assert a == b
    rng = np.random.default_rng(8)
    assert len({tuple(task.sample(rng, 30).source) for _ in range(20)}) > 1


@pytest.mark.parametrize("length", [0, -1, 23, 29, 31, 34, 35, 37, 41, 47, 49, 100, 2.5])
def test_scan_impossible_lengths_raise(length):
    task = scan.TASKS["k23.scan"]()
    with pytest.raises(PelgError, match="k23.scan") as err:
        task.sample(np.random.default_rng(0), length)
    if isinstance(length, int) and 1 <= length <= 48:
        assert "valid lengths: 1-22, 24-28, 30, 32-33, 36, 40, 48" in str(err.value)


def test_scan_unknown_format_and_split_raise():
    with pytest.raises(PelgError, match="plain, solve"):
        scan.TASKS["k23.scan"](format="scratchpad")
    with pytest.raises(PelgError, match="k23, length"):
        scan.ScanTask(split="simple")


def test_scan_pool_is_cached():
    scan._commands.cache_clear()
    scan._by_length.cache_clear()
    assert scan._by_length() is scan._by_length()


def test_scan_all_examples_and_k23_layout():
    task = scan.TASKS["scan.length"](format="solve")
    train, test = task.all_examples(1, 22), task.all_examples(24, 48)
    assert (len(train), len(test)) == (16990, 3920)
    assert all(task.verify(e) for e in test[::97])
    batch = collate(task, test[:4], layout="k23")
    assert batch.inputs.shape[0] == 4 and task.k23_separator


# ---- PCFG SET: published examples --------------------------------------------------------------------

PCFG_EXAMPLES = {
    # Hupkes et al. 2020 (the paper's examples; its "swap" is the function swap_first_last)
    "repeat A B C": "A B C A B C",
    "echo remove_first D K , E F": "E F F",
    "append swap_first_last F G H , repeat I J": "H G F I J I J",
    # one per function, worked by hand
    "copy A B C": "A B C",
    "reverse A B C": "C B A",
    "shift A B C": "B C A",
    "swap_first_last A B C D": "D B C A",
    "echo A B C D": "A B C D D",
    "append A B C , D E": "A B C D E",
    "prepend A B C , D E": "D E A B C",
    "remove_first A B , C D": "C D",
    "remove_second A B , C D": "A B",
    "append remove_first A , B , C": "B C",
    "append copy A , B": "A B",
    "copy append A , B": "A B",
    "reverse prepend shift A B C , D E": "A C B E D",
    # K23's in-code example (category 5 = five functions)
    "echo append copy Q10 E4 S15 P7 , shift remove_second K15 D8 M9 W5 , H12 Q5 G10 J6 J10":
        "Q10 E4 S15 P7 D8 M9 W5 K15 K15",
    # published productivity test set (i-machine-think/am-i-compositional, data/pcfgset/productivity)
    "append X6 Z11 T16 H9 , reverse remove_second Q13 Y2 C11 , repeat repeat prepend append L8 P13 X1 , "
    "D8 U1 V18 , remove_second V10 J5 I8 , copy I10 K18 J18 C4": "X6 Z11 T16 H9 C11 Y2 Q13",
    "repeat append repeat repeat shift F7 T19 G14 A2 , repeat copy echo swap_first_last V16 H6 M12 W16":
        " ".join((["T19 G14 A2 F7"] * 4 + ["W16 H6 M12 V16 V16"] * 2) * 2),
    "prepend repeat Y16 J12 B19 K6 E3 , remove_second remove_first remove_first W2 H1 C10 , remove_second "
    "D6 S16 , K20 S10 I7 , V2 A15 , echo shift repeat U18 Y15 J9 V2 X6": "V2 A15 Y16 J12 B19 K6 E3 Y16 J12 B19 K6 E3",
}


def _stack_eval(words: list[str], leaves: list | None = None) -> list[str]:
    """Second PCFG evaluator: read the prefix expression right to left with a value stack."""
    def unary(name, x):
        x = list(x)
        if name == "reverse":
            return list(reversed(x))
        if name == "shift":
            d = deque(x)
            d.rotate(-1)
            return list(d)
        if name == "swap_first_last":
            x[0], x[-1] = x[-1], x[0]
            return x
        return {"copy": x, "repeat": x * 2, "echo": x + [x[-1]]}[name]

    def binary(name, x, y):
        return {"append": x + y, "prepend": y + x, "remove_first": y, "remove_second": x}[name]

    stack, run = [], []

    def flush():
        if run:
            stack.append(run[::-1])
            if leaves is not None:
                leaves.append(len(run))
            run.clear()

    for w in reversed(words):
        if w == ",":
            flush()
        elif w in ("copy", "reverse", "shift", "swap_first_last", "repeat", "echo"):
            flush()
            stack.append(unary(w, stack.pop()))
        elif w in ("append", "prepend", "remove_first", "remove_second"):
            flush()
            first = stack.pop()
            stack.append(binary(w, first, stack.pop()))
        else:
            run.append(w)
    flush()
    assert len(stack) == 1
    return stack[0]


@pytest.mark.parametrize("source", PCFG_EXAMPLES)
def test_pcfg_interpret_matches_published_and_hand_worked_examples(source):
    assert pcfg.interpret(source) == PCFG_EXAMPLES[source]
    assert " ".join(_stack_eval(source.split())) == PCFG_EXAMPLES[source]


def test_pcfg_alphabet_has_520_symbols():
    assert len(pcfg.SYMBOLS) == len(set(pcfg.SYMBOLS)) == 520
    assert {"A1", "A20", "Z1", "Z20"} <= set(pcfg.SYMBOLS) and "A0" not in pcfg.SYMBOLS
    assert len(pcfg.UNARY) == 6 and len(pcfg.BINARY) == 4


def test_pcfg_interpret_rejects_malformed_sources():
    for bad in ("", "copy", "append A B", "A , B", "copy A B , C", "append A , ", "append , B", "reverse , A"):
        with pytest.raises(PelgError, match="PCFG"):
            pcfg.interpret(bad)


# ---- PCFG SET: the task ------------------------------------------------------------------------------

@FAST
@given(seed=st.integers(0, 2**32 - 1), length=st.integers(1, 35), fmt=st.sampled_from(pcfg.FORMATS),
       distribution=st.sampled_from(pcfg.DISTRIBUTIONS))
def test_pcfg_samples_pass_the_oracle_and_a_second_evaluator(seed, length, fmt, distribution):
    task = pcfg.TASKS["k23.pcfg"](format=fmt, distribution=distribution)
    ex = task.sample(np.random.default_rng(seed), length)
    words = ex.source[1:] if fmt == "solve" else ex.source
    assert (ex.source[0] == pcfg.SOLVE) == (fmt == "solve")
    assert ex.length == length == pcfg.count_functions(words)
    assert task.verify(ex)
    leaves = []
    assert _stack_eval(words, leaves) == ex.target
    assert all(2 <= n <= 5 for n in leaves)
    assert len(leaves) == 1 + sum(w in pcfg.BINARY for w in words)
    assert set(ex.target) <= set(pcfg.SYMBOLS)
    task.vocab.encode([*ex.source, *ex.target])


def test_pcfg_shapes_follow_the_original_pcfg_conditioned_on_the_function_count():
    """Monte Carlo: the original top-down process (P(unary) = .75, P(function in a slot) = .25),
    kept when it has exactly 2 functions, against our exact conditional sampler."""
    r = random.Random(0)

    def top_down(slot_is_root=True):
        if not slot_is_root and r.random() >= 0.25:
            return ["s"]
        if r.random() < 0.75:
            return ["U", *top_down(False)]
        return ["B", *top_down(False), ",", *top_down(False)]

    reference = Counter()
    while sum(reference.values()) < 6000:
        tree = top_down()
        if tree.count("U") + tree.count("B") == 2:
            reference[" ".join(tree)] += 1
    task = pcfg.TASKS["k23.pcfg"](distribution="pcfg")   # the published distribution: test_pcfg_distribution.py
    rng = np.random.default_rng(0)
    ours = Counter(collapse(task.sample(rng, 2).source) for _ in range(6000))
    assert set(ours) == set(reference) and len(ours) == 6
    a, c = 0.75, 0.25 * 0.75
    exact = {"U U s": a * a, "U B s , s": a * c, "B U s , s": c * a, "B s , U s": c * a,
             "B B s , s , s": c * c, "B s , B s , s": c * c}
    z = sum(exact.values())
    for shape, w in exact.items():
        p = w / z
        sd = (p * (1 - p) / 6000) ** 0.5
        assert abs(ours[shape] / 6000 - p) < 5 * sd, shape
        assert abs(reference[shape] / 6000 - p) < 5 * sd, shape


@pytest.mark.parametrize("distribution, p_unary", [("pcfg", 0.75 / (0.75 + 0.25 * 0.75)),   # PCFG: .8
                                                   ("published", 1 - pcfg.BINARY_SHARE[1])])  # data: .857
def test_pcfg_functions_are_uniform_within_their_class_and_seeded(distribution, p_unary):
    task = pcfg.TASKS["k23.pcfg"](distribution=distribution)
    rng = np.random.default_rng(1)
    words = Counter(w for _ in range(1500) for w in task.sample(rng, 1).source if w in pcfg.FUNCTIONS)
    unary = sum(words[f] for f in pcfg.UNARY)
    assert abs(unary / 1500 - p_unary) < 0.04                               # P(unary | one function)
    assert all(abs(words[f] / unary - 1 / 6) < 0.04 for f in pcfg.UNARY)
    assert task.sample(np.random.default_rng(3), 12) == task.sample(np.random.default_rng(3), 12)
    assert task.sample(np.random.default_rng(3), 12) != task.sample(np.random.default_rng(4), 12)


@pytest.mark.parametrize("length", [0, -2, pcfg.MAX_FUNCTIONS + 1, 1.5])
def test_pcfg_impossible_lengths_raise(length):
    with pytest.raises(PelgError, match=r"functions\) >= 1 and <= 64"):
        pcfg.TASKS["k23.pcfg"]().sample(np.random.default_rng(0), length)


def test_pcfg_bad_options_raise():
    with pytest.raises(PelgError, match="plain, solve"):
        pcfg.TASKS["k23.pcfg"](format="scratchpad")
    with pytest.raises(PelgError, match="p_unary"):
        pcfg.PcfgTask(p_unary=1.0, distribution="pcfg")
    with pytest.raises(PelgError, match="min_arg"):
        pcfg.PcfgTask(min_arg=3, max_arg=2, distribution="pcfg")
    with pytest.raises(PelgError, match="unknown PCFG distribution 'naturalised'; valid: pcfg, published"):
        pcfg.PcfgTask(distribution="naturalised")
    with pytest.raises(PelgError, match="apply to distribution='pcfg' only"):
        pcfg.PcfgTask(p_unary=0.5)


# ---- the protocol file -------------------------------------------------------------------------------

def _protocol():
    text = resources.files("empirics.tasks").joinpath("protocols/scan_pcfg.toml").read_text()
    return tomllib.loads(text)


def test_protocol_entries_are_consistent_with_the_tasks():
    proto = _protocol()
    tasks = {**scan.TASKS, **pcfg.TASKS}
    assert set(proto) == set(tasks) == {"k23.scan", "scan.length", "k23.pcfg"}
    for name, entry in proto.items():
        task = tasks[name]()
        assert task.name == name
        assert set(entry) == {"train_lengths", "test_buckets", "n_train", "n_test", "source"}
        lo, hi = entry["train_lengths"]
        assert lo == task.min_length and hi < entry["test_buckets"][0][0]
        for a, b in entry["test_buckets"]:
            assert a <= b <= task.max_length
            if name != "k23.pcfg":
                assert any(a <= n <= b for n in SCAN_LENGTHS)
    k23, orig = proto["k23.scan"], proto["scan.length"]
    assert (k23["train_lengths"], k23["test_buckets"][-1][-1]) == ([1, 25], 48)
    assert (orig["train_lengths"], orig["test_buckets"][0][0]) == ([1, 22], 24)
    assert (proto["k23.pcfg"]["train_lengths"], proto["k23.pcfg"]["test_buckets"][-1][-1]) == ([1, 8], 35)
    assert (proto["k23.pcfg"]["n_train"], proto["k23.pcfg"]["n_test"]) == (72909, 11333)
    assert proto["k23.pcfg"]["test_buckets"] == [[9, 35]]   # n_test is per bucket: 11,333 in total
