"""C-RASP (Huang et al. 2025): representation, text syntax, checker, interpreter, communication ranks,
and the huang2025 ledger entries. The programs against the task oracles are in
tests/empirics/test_crasp_programs.py."""
import itertools

import numpy as np
import pytest

from theory.huang2025 import commcomplexity as cc
from theory.huang2025.builder import Builder, Q, count, count_mod, mod, pos
from theory.huang2025.checker import check, types
from theory.huang2025.crasp import (
    Add, And, Cmp, Const, Count, CRaspError, Cond, Hinted, Local, ModRel, Not, Or, Periodic, PosCmp, Program, Ref,
    Sub, Sym, TrueB, desugar)
from theory.huang2025.interpreter import encode, evaluate
from theory.huang2025.language_programs import abab_star, dyck, tomita4, tomita4_one_relation
from theory.huang2025.parser import parse_expr, parse_program
from theory.huang2025.printer import print_program
from theory.huang2025.task_table import ENTRIES, build, ledger_id
from theory.huang2025.token_programs import copy_hinted, copy_unique

ALPHABET = ("<bos>", "a", "b", "c", "<sep>")


def hinted_position(s: list[str], i: int) -> int:
    """Scale-Hint position of 1-based position i, written out independently of theory.encodings: <bos> is
    0, positions up to the first <sep> keep their 0-based index t, after it target k gets k = t - sep."""
    t = i - 1
    sep = s.index("<sep>") if "<sep>" in s else len(s)
    return t if t <= sep else t - sep


# ----------------------------------------------------------------------------------------------------
# an independent, unvectorized evaluator: the table's semantics position by position
# ----------------------------------------------------------------------------------------------------

def naive(p: Program, s: list[str]) -> dict[str, list]:
    env: dict[str, list] = {}

    def ev(e, i):  # i is 1-based
        t = type(e)
        if t is Sym:
            return s[i - 1] == e.symbol
        if t is TrueB:
            return True
        if t is Periodic:
            return i % e.period in e.residues
        if t is PosCmp:
            return {"<=": i <= e.k, "==": i == e.k, ">=": i >= e.k}[e.op]
        if t is Not:
            return not ev(e.arg, i)
        if t is And:
            return ev(e.left, i) and ev(e.right, i)
        if t is Or:
            return ev(e.left, i) or ev(e.right, i)
        if t is Cmp:
            a, b = ev(e.left, i), ev(e.right, i)
            return {"<=": a <= b, "<": a < b, ">=": a >= b, ">": a > b, "==": a == b, "!=": a != b}[e.op]
        if t is Count:
            def rel(j):
                if e.rel is None:
                    return True
                if isinstance(e.rel, Local):
                    return (i - j) in e.rel.offsets
                if isinstance(e.rel, Hinted):
                    return hinted_position(s, i) - hinted_position(s, j) in e.rel.offsets
                return (i - j) % e.rel.period in e.rel.residues
            return sum(1 for j in range(1, i + 1) if rel(j) and ev(e.body, j))
        if t is Cond:
            return ev(e.then, i) if ev(e.test, i) else ev(e.other, i)
        if t is Add:
            return ev(e.left, i) + ev(e.right, i)
        if t is Sub:
            return ev(e.left, i) - ev(e.right, i)
        if t is Const:
            return e.value
        if t is Ref:
            return env[e.name][i - 1]
        raise AssertionError(e)

    for name, e in p.defs:
        env[name] = [ev(e, i) for i in range(1, len(s) + 1)]
    out = {a: [bool(ev(e, i)) for i in range(1, len(s) + 1)] for a, e in p.outputs}
    out.update({n: v for n, v in env.items()})
    return out


def random_program(rng: np.random.Generator, n_defs: int = 6, allow_bad: bool = True) -> Program:
    """A random well-typed program over ALPHABET using every construct (also the rejected ones)."""
    env: dict[str, str] = {}

    def names(t):
        return [n for n, k in env.items() if k == t]

    def boolean(d):
        opts = ["sym", "true", "mod", "ref"] + (["not", "and", "or", "cmp", "cmp"] if d > 0 else [])
        if allow_bad:
            opts.append("pos")
        o = opts[rng.integers(len(opts))]
        if o == "ref" and not names("bool"):
            o = "sym"
        if o == "sym":
            return Sym(ALPHABET[rng.integers(len(ALPHABET))])
        if o == "true":
            return TrueB()
        if o == "mod":
            P = int(rng.integers(1, 5))
            return Periodic(P, tuple(sorted(set(int(r) for r in rng.integers(0, P, size=rng.integers(1, 3))))))
        if o == "pos":
            return PosCmp(["<=", "==", ">="][rng.integers(3)], int(rng.integers(1, 8)))
        if o == "ref":
            return Ref(names("bool")[rng.integers(len(names("bool")))])
        if o == "not":
            return Not(boolean(d - 1))
        if o == "and":
            return And(boolean(d - 1), boolean(d - 1))
        if o == "or":
            return Or(boolean(d - 1), boolean(d - 1))
        ops = ["<=", "<", ">=", ">", "==", "!="]
        return Cmp(ops[rng.integers(6)], counter(d - 1), counter(d - 1))

    def counter(d):
        opts = ["count", "const", "ref"] + (["cond", "add", "sub"] if d > 0 else [])
        o = opts[rng.integers(len(opts))]
        if o == "ref" and not names("count"):
            o = "count"
        if o == "count":
            k = rng.integers(4 if allow_bad else 3)
            rel = [None, Local(tuple(sorted(set(int(x) for x in rng.integers(0, 4, size=2))))),
                   Hinted(tuple(sorted(set(int(x) for x in rng.integers(-3, 4, size=2))))),
                   ModRel(int(rng.integers(1, 4)), (0,))][k]
            return Count(boolean(max(d - 1, 0)), rel)
        if o == "const":
            return Const(int(rng.integers(0, 4)))
        if o == "ref":
            return Ref(names("count")[rng.integers(len(names("count")))])
        if o == "cond":
            return Cond(boolean(d - 1), counter(d - 1), counter(d - 1))
        return (Add if o == "add" else Sub)(counter(d - 1), counter(d - 1))

    defs = []
    for k in range(n_defs):
        t = "bool" if rng.random() < 0.5 else "count"
        e = boolean(2) if t == "bool" else counter(2)
        defs.append((f"v{k}", e))
        env[f"v{k}"] = t
    outs = [(a, boolean(2)) for a in ("a", "b", "<eos>")]
    p = Program("random", ALPHABET, tuple(defs), tuple(outs))
    types(p)
    return p


def random_strings(rng, n, max_len):
    return [["<bos>", *rng.choice(list(ALPHABET[1:]), size=int(rng.integers(0, max_len)))] for _ in range(n)]


# ----------------------------------------------------------------------------------------------------
# interpreter = naive semantics
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(40))
def test_interpreter_matches_naive_semantics(seed):
    rng = np.random.default_rng(seed)
    p = random_program(rng)
    strings = random_strings(rng, 12, 14)
    got = evaluate(p, strings, keep=[n for n, _ in p.defs])
    for b, s in enumerate(strings):
        want = naive(p, s)
        for key, values in want.items():
            np.testing.assert_array_equal(got[key][b, : len(s)], np.asarray(values), err_msg=f"{key} on {s}")


@pytest.mark.parametrize("seed", range(15))
def test_desugared_program_computes_the_same(seed):
    rng = np.random.default_rng(100 + seed)
    p = random_program(rng)
    d = desugar(p)
    prim = {type(x).__name__ for _, e in d.defs + d.outputs for x in _nodes(e)}
    assert "Or" not in prim
    assert all(x.op == "<=" for _, e in d.defs + d.outputs for x in _nodes(e) if isinstance(x, Cmp))
    assert all(x.value == 1 for _, e in d.defs + d.outputs for x in _nodes(e) if isinstance(x, Const))
    strings = random_strings(rng, 10, 12)
    a, b = evaluate(p, strings), evaluate(d, strings)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def _nodes(e):
    from theory.huang2025.crasp import _walk
    return list(_walk(e))


def test_counting_is_causal_and_includes_j_equal_i():
    b = Builder("c", ["<bos>", "a"])
    b.let("n", count(Q("a")))
    b.let("prev", count(Q("a"), [1]))
    b.let("here", count(Q("a"), [0]))
    b.out("a", Q("a"))
    out = evaluate(b.program(), [["<bos>", "a", "<bos>", "a", "a"]], keep=["n", "prev", "here"])
    assert out["n"][0].tolist() == [0, 1, 1, 2, 3]
    assert out["prev"][0].tolist() == [0, 0, 1, 0, 1]
    assert out["here"][0].tolist() == [0, 1, 0, 1, 1]


def test_positions_are_one_based_and_true_counts_positions():
    b = Builder("p", ["<bos>", "a"])
    b.let("i", count(Q("a") | ~Q("a")))
    b.let("odd", mod(2, 1))
    b.out("a", pos("==", 1))
    out = evaluate(b.program(), [["<bos>", "a", "a", "a"]], keep=["i", "odd"])
    assert out["i"][0].tolist() == [1, 2, 3, 4]
    assert out["odd"][0].tolist() == [True, False, True, False]
    assert out["a"][0].tolist() == [True, False, False, False]


def test_padding_never_changes_earlier_positions():
    rng = np.random.default_rng(7)
    for _ in range(10):
        p = random_program(rng)
        s = random_strings(rng, 1, 10)[0]
        alone = evaluate(p, [s])
        longer = evaluate(p, [s, s + ["a"] * 9])
        for key in alone:
            np.testing.assert_array_equal(alone[key][0, : len(s)], longer[key][0, : len(s)])
            np.testing.assert_array_equal(alone[key][0, : len(s)], longer[key][1, : len(s)])


def test_large_batches_use_the_same_semantics():
    """The prefix sum switches to a per-position loop from batch 64 on; both paths must agree."""
    rng = np.random.default_rng(3)
    p = random_program(rng, n_defs=8, allow_bad=False)
    strings = random_strings(rng, 80, 20)
    big = evaluate(p, strings)
    for k in (0, 41, 79):
        small = evaluate(p, [strings[k]])
        for key in big:
            np.testing.assert_array_equal(big[key][k, : len(strings[k])], small[key][0, : len(strings[k])])


def test_hinted_counts_on_a_batch_equal_the_naive_semantics():
    """Hinted relations in a batch of rows with different separator positions (and none)."""
    rng = np.random.default_rng(5)
    p = Program("h", ALPHABET, (("c", Count(Sym("a"), Hinted((-2, 0, 1)))),),
                (("a", Cmp(">=", Ref("c"), Const(1))),))
    strings = random_strings(rng, 70, 25) + [["<bos>", "a", "a"], ["<bos>", "<sep>", "a", "a", "b"]]
    got = evaluate(p, strings, keep=["c"])["c"]
    for k, s in enumerate(strings):
        assert list(got[k, : len(s)]) == naive(p, s)["c"]


def test_unknown_symbol_in_input_is_an_error():
    with pytest.raises(CRaspError, match="not in the alphabet"):
        encode(dyck(2), [["<bos>", "x"]])


# ----------------------------------------------------------------------------------------------------
# text syntax
# ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(40))
def test_random_programs_round_trip(seed):
    p = random_program(np.random.default_rng(1000 + seed))
    text = print_program(p)
    assert parse_program(text) == p
    assert print_program(parse_program(text)) == text


def test_library_programs_round_trip():
    small = {"n_symbols": 6}
    for e in ENTRIES:
        for fn in e.programs:
            p = build(e, fn, **(small if "n_symbols" in e.params else {}))
            assert parse_program(print_program(p)) == p, p.name


def test_round_trip_detects_a_change():
    """Negative control: equality is structural, so an edited text parses to a different program."""
    p = dyck(2)
    text = print_program(p)
    assert parse_program(text.replace("(d > 2)", "(d > 3)")) != p
    assert parse_program(text.replace("Q(a)", "Q(b)", 1)) != p


def test_docstring_example_parses():
    import theory.huang2025.parser as mod_
    text = mod_.__doc__.split("round-trip exactly):")[1].split("Operators by")[0]
    p = parse_program("\n".join(line.strip() for line in text.splitlines()))
    assert p.name == "example" and len(p.defs) == 4 and check(p).fragment == "C-RASP[periodic, local]"
    out = evaluate(p, [["<bos>", "1", "0", "1", "<sep>"]])
    assert out["1"][0].tolist() == [False] * 4 + [True] and not out["0"][0].any()


def test_parser_precedence_and_comments():
    e = parse_expr("Q(a) | Q(b) & !Q(c)")
    assert e == Or(Sym("a"), And(Sym("b"), Not(Sym("c"))))
    e = parse_expr("#[j<=i] Q(a) - 1 + 2 <= #[j<=i, i-j in {0, 2}] (Q(a) & mod(3){0,1})")
    assert e == Cmp("<=", Add(Sub(Count(Sym("a")), Const(1)), Const(2)),
                    Count(And(Sym("a"), Periodic(3, (0, 1))), Local((0, 2))))
    assert parse_expr("Q(a) ? 1 : 2 + 3") == Cond(Sym("a"), Const(1), Add(Const(2), Const(3)))
    assert parse_expr("#[j<=i, i-j mod 2 in {1}] true") == Count(TrueB(), ModRel(2, (1,)))
    assert parse_expr("#[j<=i, h(i) - h(j) in {-1, 1}] Q(a)") == Count(Sym("a"), Hinted((-1, 1)))
    p = parse_program("# header comment\nprogram x\nalphabet <bos> 149 +\n"
                      "# a comment\nn := #[j<=i] Q(149)\nNEXT(+) := n >= 1\n")
    assert p.alphabet == ("<bos>", "149", "+") and p.output_symbols == ("+",)


@pytest.mark.parametrize("text", [
    "program x\nalphabet a\nNEXT(a) := Q(a) +",            # dangling operator
    "program x\nalphabet a\nNEXT(a) := #[j<=i] Q(a)",     # output is a count
    "program x\nalphabet a\nn := Q(a) & #[j<=i] Q(a)\n",   # and of a count
    "program x\nalphabet a\nNEXT(a) := m >= 1",            # undefined name
    "program x\nalphabet a\nNEXT(a) := Q(b)",              # symbol outside the alphabet
    "program x\nalphabet a\nNEXT(a) := 1 <= 2 <= 3",       # chained comparison
    "program x\nalphabet a\nn := Q(a)\nn := Q(a)\n",       # defined twice
    "alphabet a\nNEXT(a) := Q(a)",                         # no program line
    "program x\nalphabet a\nNEXT(a) := Q(a) $ Q(a)",       # unknown character
    "program x\nalphabet a\ntrue := Q(a)",                 # keyword as a name
    "program x\nalphabet a\nNEXT(a) := #[j<=i, h(i)-h(j) mod 2 in {1}] Q(a) >= 1",   # hinted mod
])
def test_malformed_text_is_rejected(text):
    with pytest.raises(CRaspError):
        parse_program(text)


# ----------------------------------------------------------------------------------------------------
# the checker
# ----------------------------------------------------------------------------------------------------

def _one(expr, alphabet=("<bos>", "a")):
    return Program("t", alphabet, (), (("a", expr),))


def test_checker_fragments():
    assert check(dyck(2)).fragment == "C-RASP" and check(dyck(2)).nope_compatible
    r = check(tomita4())
    assert r.ok and r.fragment == "C-RASP[local]" and r.max_offset == 2 and not r.nope_compatible
    r = check(abab_star())
    assert r.ok and r.fragment == "C-RASP[periodic]" and r.periods == (2, 4)
    r = check(copy_unique(3))
    assert r.ok and r.uses_local and not r.uses_periodic
    both = _one(And(Periodic(2, (0,)), Cmp(">=", Count(Sym("a"), Local((1,))), Const(1))))
    assert check(both).fragment == "C-RASP[periodic, local]"
    r = check(copy_hinted())
    assert r.ok and not r.huang_class and r.fragment == "C-RASP[hinted]"
    assert r.relations == ("h(i)-h(j) in {-1,1}",) and not r.nope_compatible
    assert check(tomita4()).relations == ("i-j in {0,1,2}", "i-j in {0,1}")
    assert check(tomita4_one_relation()).relations == ("i-j in {0,1}",)
    assert check(both).huang_class


@pytest.mark.parametrize("expr, message", [
    (PosCmp("<=", 5), "not periodic"),
    (Periodic(0, ()), "positive integer"),
    (Periodic(3, (3,)), "subset"),
    (Periodic(2.5, (0,)), "positive integer"),
    (Cmp(">=", Count(Sym("a"), Local((-1,))), Const(1)), "negative offset"),
    (Cmp(">=", Count(Sym("a"), Local((1.5,))), Const(1)), "finite set of integers"),
    (Cmp(">=", Count(Sym("a"), ModRel(2, (0,))), Const(1)), "unbounded support"),
    (Cmp(">=", Count(Sym("a"), Hinted(())), Const(1)), "non-empty finite set"),
    (Cmp(">=", Count(Sym("a"), Hinted((1, 1))), Const(1)), "repeat an offset"),
    (Cmp(">=", Count(Sym("a")), Const(-1)), "non-negative"),
    (And(Sym("a"), Count(Sym("a"))), "type error"),
])
def test_checker_rejects(expr, message):
    r = check(_one(expr))
    assert not r.ok and r.fragment == "none" and not r.nope_compatible
    assert any(message in err for err in r.errors), r.errors


def test_builder_rejects_type_errors():
    b = Builder("t", ["<bos>", "a"])
    n = b.let("n", count(Q("a")))
    with pytest.raises(CRaspError):
        b.let("m", n)  # fine: a count definition
        b.out("a", n)
        b.program()
    b2 = Builder("t", ["<bos>", "a"])
    with pytest.raises(CRaspError):
        b2.let("x", Q("a") & count(Q("a")))
        b2.out("a", Q("a"))
        b2.program()
    with pytest.raises(CRaspError):
        count_mod(Q("a"), 2, 0) + True  # Python bools are not expressions


# ----------------------------------------------------------------------------------------------------
# speed (reported in the docs: 10,000 strings of length 150)
# ----------------------------------------------------------------------------------------------------

# ----------------------------------------------------------------------------------------------------
# communication ranks
# ----------------------------------------------------------------------------------------------------

def test_exact_rank_is_exact():
    rng = np.random.default_rng(0)
    for _ in range(10):
        A = rng.integers(0, 2, size=(7, 9))
        A[3] = A[0] + A[1]          # a dependent row
        A[5] = 2 * A[2] - A[4]
        r = cc.exact_rank(A)
        assert r == np.linalg.matrix_rank(A.astype(float)) == cc.modp_rank(A)
        assert r <= 5
    assert cc.exact_rank(np.eye(6, dtype=int)) == 6
    assert cc.exact_rank(np.zeros((3, 3), int)) == 0
    # over GF(2) this matrix has rank 2, over Q rank 3: the rank must be the rational one
    M = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]])
    assert cc.exact_rank(M) == 3


def test_comm_ranks():
    for m in range(1, 7):
        assert cc.exact_rank(cc.copy_repeat(m)) == 2 ** m             # EQUALITY: linear log-rank
    for n in range(2, 13, 2):
        assert cc.exact_rank(cc.majority(n)) == n // 2                 # threshold: log-rank ~ log n
        assert cc.exact_rank(cc.parity(n)) == 2                        # constant
    ranks = [cc.exact_rank(cc.copy_unique_program(m, 2)) for m in range(1, 8)]
    assert ranks == [2, 4, 8, 14, 20, 22, 22]                          # saturates (bounded)
    assert max(ranks) <= 2 * 2 * 2 ** 4
    add = [cc.exact_rank(cc.addition(k)) for k in range(1, 5)]
    assert add == [1, 2, 6, 12]


def test_copy_unique_program_matrix_contains_the_domain_identity():
    """On distinct-token strings the program's transcript check is [y = x]: an identity block of size
    V!/(V-m)!, a lower bound for any extension."""
    for V, m in ((3, 2), (3, 3)):
        M = cc.copy_unique_program(m, V)
        X = [list(t) for t in itertools.product([str(v) for v in range(V)], repeat=m)]
        distinct = [k for k, x in enumerate(X) if len(set(x)) == m]
        assert len(distinct) == cc.falling(V, m)
        np.testing.assert_array_equal(M[np.ix_(distinct, distinct)], np.eye(len(distinct), dtype=np.int8))
        assert cc.exact_rank(M) >= cc.falling(V, m)


# ----------------------------------------------------------------------------------------------------
# ledger
# ----------------------------------------------------------------------------------------------------

def test_huang2025_ledger_entries():
    from theory.claims import REGISTRY, load, run_claims
    load(("theory.huang2025.ledger",))
    ids = [ledger_id(e.task) for e in ENTRIES]
    assert all(i in REGISTRY for i in ids)
    assert len(ids) == 25
    pick = ["huang2025.crasp.binary_majority", "huang2025.crasp.copy_unique", "huang2025.crasp.copy_repeat",
            "huang2025.crasp.parity", "huang2025.crasp.aa_star", "huang2025.crasp.tomita5"]
    got = {r["id"]: r for r in run_claims(ids=pick)}
    assert got["huang2025.crasp.binary_majority"]["verdict"] == "holds"
    assert got["huang2025.crasp.copy_unique"]["verdict"] == "holds with correction"
    assert got["huang2025.crasp.copy_repeat"]["verdict"] == "holds"
    assert got["huang2025.crasp.parity"]["verdict"] == "not checkable"
    assert got["huang2025.crasp.aa_star"]["verdict"] == "holds"
    assert got["huang2025.crasp.tomita5"]["verdict"] == "not checkable"
    ext = run_claims(ids=["huang2025.crasp.ipe_sh"])[0]
    assert ext["verdict"] == "holds" and ext["reconstruction"]
    assert ext["evidence"]["copy_repeat"] == {"ipe": "generalizes", "sh": "generalizes"}
    assert {c["program"] for c in ext["evidence"]["extension_programs"]} == {   # copy_unique_nope: NoPE's too
        "copy_hinted", "tomita4_one_relation"}
    assert all(c["mismatches"] == 0 for c in ext["evidence"]["extension_programs"])
