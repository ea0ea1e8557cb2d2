"""Communication-complexity evidence for the C-RASP labels of Huang et al. 2025.

The negative tool of the paper (huang2025.md): every C-RASP[periodic, local] function has O(log N)
deterministic communication complexity when Alice holds the first half of the input and Bob the second.
A protocol of c bits partitions the communication matrix M[u, v] = f(uv) into at most 2^c monochromatic
rectangles, so rank_Q(M) <= 2^c, i.e. log2 rank(M) <= c (the log-rank lower bound). A function whose
matrix has log2 rank growing linearly in N therefore has no C-RASP[periodic, local] program.

Which function. A task is a next-token map on gold prefixes; the function checked here is the
*transcript check* Ok(w) = "every target token of w, and the final <eos>, is the NEXT of the position
before it". If a C-RASP[periodic, local] program computes NEXT, the transcript check is also one: the
previous position's NEXT(a) is #[j <= i, i - j in {1}] NEXT(a)(j) >= 1 (a LOCAL count), an error flag is
OR_a (Q(a) & not that), and Ok := #[j <= i] error == 0 (plus NEXT(<eos>) at the end). So a linear
log-rank of the transcript check rules out every program, APE and NoPE alike. On a domain that covers all
inputs (copy over {a, b}, addition) any correct program's transcript check is the same function, so the
rank is forced; where the task's domain is a subset (copy with unique tokens) we run our own program on
all strings: its rank is an upper bound for the best extension, and the identity block on the domain
(distinct-token strings) is a lower bound.

Matrices (rows: Alice's half; columns: Bob's half; entries 0/1), with n the number of non-special
tokens split between the parties:
- copy_repeat(m): x, y in {a,b}^m (n = 2m), Ok = [y = copy(x)];
- copy_unique_program(m, V): x, y in {0..V-1}^m, Ok computed by running the C-RASP program on
  `<bos> x <sep> y` (induction-head program `copy_unique`, or the plain `copy_unique_nope`);
- majority(n), parity(n): the answer bit of x in {0,1}^n split at n // 2;
- addition(k): w = a + b = s with k-digit operands (leading 1) and a (k+1)-digit s, n = 3k + 3 split at
  n // 2, Ok = [s = a + b].

Ranks are exact over the rationals (sympy DomainMatrix over QQ after removing duplicate rows and columns,
which changes no rank); a rank modulo the prime 2^31 - 1 (numpy elimination; a lower bound for the rank
over Q) is reported beside it as a cross-check.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from theory.huang2025.interpreter import encode, run
from theory.huang2025.references import LANGUAGES, reference_target
from theory.huang2025.token_programs import EOS, copy_unique, copy_unique_nope, token_input

PRIME = 2_147_483_647


def dedupe(M: np.ndarray) -> np.ndarray:
    """M without duplicate rows and columns (same rank)."""
    M = np.asarray(M, dtype=np.int64)
    if M.size == 0:
        return M.reshape(0, 0)
    M = np.unique(M, axis=0)
    return np.unique(M, axis=1)


def exact_rank(M: np.ndarray) -> int:
    """Rank over the rationals, exactly (sympy DomainMatrix over QQ on the deduplicated matrix)."""
    from sympy import QQ
    from sympy.polys.matrices import DomainMatrix

    D = dedupe(M)
    if D.size == 0 or not D.any():
        return 0
    rows = [[QQ(int(x)) for x in r] for r in D]
    return int(DomainMatrix(rows, D.shape, QQ).rank())


def modp_rank(M: np.ndarray, p: int = PRIME) -> int:
    """Rank over GF(p) by Gaussian elimination in int64 (p < 2^31 keeps products below 2^62). A lower
    bound for the rank over Q (a minor that is non-zero mod p is non-zero)."""
    A = dedupe(M) % p
    r = 0
    rows, cols = A.shape
    for c in range(cols):
        piv = np.flatnonzero(A[r:, c])
        if not len(piv):
            continue
        k = r + int(piv[0])
        A[[r, k]] = A[[k, r]]
        inv = pow(int(A[r, c]), p - 2, p)
        A[r] = (A[r] * inv) % p
        below = np.flatnonzero(A[r + 1:, c]) + r + 1
        if len(below):
            A[below] = (A[below] - (A[below, c][:, None] * A[r][None, :]) % p) % p
        r += 1
        if r == rows:
            break
    return r


# ----------------------------------------------------------------------------------------------------
# communication matrices
# ----------------------------------------------------------------------------------------------------


def _strings(alphabet, m):
    return [list(t) for t in itertools.product(alphabet, repeat=m)]


def copy_repeat(m: int, alphabet: str = "ab") -> np.ndarray:
    """Ok(x, y) = [y = copy(x)], x, y in alphabet^m; Alice holds x (and <bos>), Bob <sep> y."""
    X = _strings(alphabet, m)
    keys = {"".join(reference_target("h25.copy_repeat", x)): k for k, x in enumerate(X)}
    M = np.zeros((len(X), len(X)), dtype=np.int8)
    for i, x in enumerate(X):
        M[i, keys["".join(x)]] = 1  # the column of the y that equals the reference copy of x
    return M


def copy_unique_program(m: int, V: int = 2, program: str = "copy_unique") -> np.ndarray:
    """Ok(x, y) from running a C-RASP program of copy with unique tokens (vocabulary V) on every
    `<bos> x <sep> y`, x, y in {0..V-1}^m (repeated tokens included: the program's own extension)."""
    fn = {"copy_unique": copy_unique, "copy_unique_nope": copy_unique_nope}[program]
    prog = fn(n_symbols=V)
    syms = [str(v) for v in range(V)]
    X = _strings(syms, m)
    seqs = [token_input(x, y) for x in X for y in X]
    out = run(prog, encode(prog, seqs))
    out_syms = prog.output_symbols
    stack = np.stack([out[a] for a in out_syms], axis=-1)         # (B, T, A)
    index = {a: k for k, a in enumerate(out_syms)}
    # next actual token after positions sep .. end: y_1 .. y_m, then <eos>
    nxt = np.array([[index[t] for t in [*y, EOS]] for x in X for y in X])   # (B, m + 1)
    got = stack[:, m + 1: 2 * m + 2, :]                                        # positions from <sep>
    ok = np.take_along_axis(got, nxt[:, :, None], axis=2)[:, :, 0].all(axis=1)
    return ok.reshape(len(X), len(X)).astype(np.int8)


def _single_bit(task: str, n: int, one: str) -> np.ndarray:
    h = n // 2
    U, W = _strings("01", h), _strings("01", n - h)
    return np.array([[reference_target(task, u + v)[0] == one for v in W] for u in U], dtype=np.int8)


def majority(n: int) -> np.ndarray:
    """The majority bit of x in {0,1}^n (ties -> 0, as the oracle) split at n // 2."""
    return _single_bit("h25.binary_majority", n, "1")


def parity(n: int) -> np.ndarray:
    """The parity bit of x in {0,1}^n split at n // 2."""
    return _single_bit("h25.parity", n, "o")


def addition(k: int) -> np.ndarray:
    """Ok = [s = a + b] on w = a + b = s (k-digit a, b with leading 1, (k+1)-digit s with leading 1),
    n = 3k + 3 characters, Alice holds w[:n // 2]. The domain is a product over positions, so every
    (Alice half, Bob half) pair is an input."""
    ops = ["1" + "".join(t) for t in itertools.product("01", repeat=k - 1)]
    sums = ["1" + "".join(t) for t in itertools.product("01", repeat=k)]
    n = 3 * k + 3
    h = n // 2
    words = [f"{a}+{b}={s}" for a in ops for b in ops for s in sums]
    left = sorted({w[:h] for w in words})
    right = sorted({w[h:] for w in words})
    li, ri = {u: i for i, u in enumerate(left)}, {v: j for j, v in enumerate(right)}
    M = np.zeros((len(left), len(right)), dtype=np.int8)
    for a in ops:
        for b in ops:
            src = list(f"{a}+{b}=")
            s = "".join(reference_target("h25.addition", src))
            w = f"{a}+{b}={s}"
            M[li[w[:h]], ri[w[h:]]] = 1
    return M


def membership(task: str, n: int) -> np.ndarray:
    """[w is a word] for a formal language of `theory.huang2025.references.LANGUAGES`, w split at n // 2 (the
    <eos> entry of the legal-next set at the end of w)."""
    alphabet, is_word, _ = LANGUAGES[task]
    h = n // 2
    U = ["".join(t) for t in itertools.product(alphabet, repeat=h)]
    W = ["".join(t) for t in itertools.product(alphabet, repeat=n - h)]
    return np.array([[is_word(u + v) for v in W] for u in U], dtype=np.int8)


def falling(V: int, m: int) -> int:
    """V (V-1) ... (V-m+1): the number of distinct-token strings, the identity block on the domain."""
    return math.perm(V, m) if m <= V else 0


# ----------------------------------------------------------------------------------------------------
# the table
# ----------------------------------------------------------------------------------------------------

FAMILIES = {
    # name: (builder taking the size parameter, sizes, n as a function of the size, description)
    "copy_repeat": (copy_repeat, range(1, 9), lambda m: 2 * m, "copy over {a,b}: [y = x]"),
    "addition": (addition, range(1, 6), lambda k: 3 * k + 3, "addition: [s = a + b]"),
    "majority": (majority, range(2, 17, 2), lambda n: n, "binary majority"),
    "parity": (parity, range(2, 17, 2), lambda n: n, "parity"),
    "copy_repeat_V3": (lambda m: copy_repeat(m, "abc"), range(1, 7), lambda m: 2 * m,
                       "copy over {a,b,c}: [y = x]"),
    "copy_unique_V2": (lambda m: copy_unique_program(m, 2), range(1, 9), lambda m: 2 * m,
                       "copy unique, induction-head program, V = 2"),
    "copy_unique_V3": (lambda m: copy_unique_program(m, 3), range(1, 6), lambda m: 2 * m,
                       "copy unique, induction-head program, V = 3"),
    "copy_unique_nope_V2": (lambda m: copy_unique_program(m, 2, "copy_unique_nope"), range(1, 9),
                            lambda m: 2 * m, "copy unique, plain program, V = 2"),
}


def rank_table(families=None, sizes: dict | None = None) -> dict[str, list[dict]]:
    """{family: [{n, size, rows, cols, distinct_rows, rank, log2_rank, rank_mod_p}, ...]}."""
    out = {}
    for name in families or FAMILIES:
        build, default_sizes, n_of, _ = FAMILIES[name]
        rows = []
        for s in (sizes or {}).get(name, default_sizes):
            M = build(s)
            D = dedupe(M)
            r = exact_rank(M)
            rows.append({"n": n_of(s), "size": s, "rows": int(M.shape[0]), "cols": int(M.shape[1]),
                         "distinct_rows": int(D.shape[0]), "rank": r,
                         "log2_rank": math.log2(r) if r else 0.0, "rank_mod_p": modp_rank(M)})
        out[name] = rows
    return out


def increments(rows: list[dict]) -> list[float]:
    """log2 rank increments between consecutive sizes."""
    return [b["log2_rank"] - a["log2_rank"] for a, b in zip(rows, rows[1:])]
