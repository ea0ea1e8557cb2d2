"""The SRC instances of Chen, Liang, Lin 2025 (arXiv 2510.04130) — **[reconstruction]**: the instance
layouts, the tasks, the circuits supplied for them (each generated token is one unit operator
z_t = g(z_rho_1, .., z_rho_m) reading earlier positions rho_k < t) and their reference semantics. The
sequential representation complexity counted on these circuits is in `theory.chen2025.src`.

Only the abstract, one figure caption (parity with chain of thought) and third-party summaries are
available; the definitions below are OUR formalization (shared/papers/chen2025.md, "SRC").

Instances
---------
An instance at scale n is a token sequence laid out as in the c25 tasks (empirics/tasks/c25.py; theory
does not import it, a test compares): source tokens at positions 1..L_s, the separator <sep> at L_s + 1,
target token u at L_s + 1 + u (1-based; a leading <bos> would shift every absolute position by one and
change no count). One extra descriptive layout, "src.parity_cot_interleaved" (b_1 s_1 b_2 s_2 ..., no
separator), shows where RPE's alignment claim holds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from theory.encodings import scale_hint_positions

SEP = "<sep>"
BLANK = "_"
DIGITS = tuple("0123456789")
SYMBOLS = tuple("0123456789")   # the c25 default n_symbols = 10
SHIFT_K = 1


# ---------------------------------------------------------------------------------------------------
# layouts
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SeqLayout:
    """Positions of one instance at scale n (1-based; index 0 of the tuples unused)."""

    n: int
    length: int
    targets: tuple[int, ...]          # position of target token u = 1..L_t (targets[u - 1])
    segment: tuple[str, ...]          # "src", "sep" or "tgt" per position
    hinted: tuple[int, ...]           # Scale Hint position per position
    aligned: dict                     # target position -> IPE's aligned source position
    unique: dict                      # position -> token, for tokens that occur once (NoPE names)


def standard_layout(n: int, source_len: int, target_len: int, unique_source: dict | None = None) -> SeqLayout:
    """source 1..L_s, <sep> at L_s + 1, target u at L_s + 1 + u; hint from the separator."""
    L = source_len + 1 + target_len
    h = scale_hint_positions(L, sep_index=source_len, source_start=0, mode="align") + 1
    seg = ("",) + ("src",) * source_len + ("sep",) + ("tgt",) * target_len
    targets = tuple(source_len + 1 + u for u in range(1, target_len + 1))
    aligned = {t: u for u, t in enumerate(targets, start=1) if u <= source_len}
    unique = {source_len + 1: SEP, **(unique_source or {})}
    return SeqLayout(n, L, targets, seg, (0, *map(int, h)), aligned, unique)


def interleaved_layout(n: int) -> SeqLayout:
    """b_1 s_1 b_2 s_2 .. b_n s_n: b_u at 2u - 1, s_u at 2u; no separator, so no hint (h = identity)."""
    L = 2 * n
    seg = ("",) + tuple("src" if p % 2 else "tgt" for p in range(1, L + 1))
    targets = tuple(2 * u for u in range(1, n + 1))
    return SeqLayout(n, L, targets, seg, tuple(range(L + 1)), {2 * u: 2 * u - 1 for u in range(1, n + 1)}, {})


# ---------------------------------------------------------------------------------------------------
# tasks and circuits
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """Target token u is produced by g(reads) where reads are absolute positions."""

    u: int
    reads: tuple[int, ...]
    g: str


def _bit(tok: str) -> int:
    return 1 if tok == "1" else 0


def _digit(tok: str) -> int:
    return DIGITS.index(tok) if tok in DIGITS else 0


G_FUNCS: dict[str, Callable[..., str]] = {
    "id": lambda x: x,
    "blank": lambda: BLANK,
    "equals": lambda: "=",
    # parity step: previous state (<sep> = s_0 = 0) XOR input bit
    "xor": lambda b, s: str(_bit(b) ^ _bit(s)),
    # running sum step mod 10 (<sep> = 0)
    "add_mod10": lambda x, s: str((_digit(x) + _digit(s)) % 10),
    # addition: sum digit and carry from a_i, b_i and the previous carry (<sep> = c_0 = 0)
    "sum_digit": lambda a, b, c: str((_digit(a) + _digit(b) + _bit(c)) % 10),
    "carry": lambda a, b, c: str(int(_digit(a) + _digit(b) + _bit(c) >= 10)),
    # carry recovered from a_i, b_i and the sum digit d_i: c_(i-1) = (d - a - b) mod 10
    "carry_from_digit": lambda a, b, d: str(int(_digit(a) + _digit(b) + ((_digit(d) - _digit(a) - _digit(b)) % 10) >= 10)),
}


@dataclass(frozen=True)
class SRCTask:
    """A task: its alphabet, instance layout and reference semantics, and the circuits supplied."""

    name: str
    alphabet: tuple[str, ...]
    layout: Callable[[int], SeqLayout]
    circuits: dict = field(hash=False)          # circuit name -> (n -> list[Step])
    sample: Callable = field(hash=False)        # (rng, n) -> (source, target), a second implementation
    description: str = ""


def _chain(n: int, first_separate: bool, g: str) -> list[Step]:
    """s_u = g(x_u, s_(u-1)): source u and the current token (<sep> for u = 1)."""
    steps = []
    for u in range(1, n + 1):
        t = n + 1 + u
        if u == 1 and first_separate:
            steps.append(Step(u, (1,), "id"))
        else:
            steps.append(Step(u, (u, t - 1), g))
    return steps


def _addition_layout(n: int) -> SeqLayout:
    return standard_layout(n, 2 * n + 1, 3 * n + 2, unique_source={n + 1: "+"})


def _addition(n: int, carry_from_digit: bool) -> list[Step]:
    """a_i at i, "+" at n + 1, b_i at n + 1 + i, <sep> at 2n + 2, target v at 2n + 2 + v:
    d_i (v = 2i - 1) = sum_digit(a_i, b_i, current = c_(i-1) or <sep>);
    c_i (v = 2i) = carry(a_i, b_i, c_(i-1) or <sep> two back), or carry_from_digit(a_i, b_i, current = d_i);
    "=" (v = 2n + 1) constant; r_i (v = 2n + 1 + i) copies d_i; r_(n+1) copies c_n."""
    base = 2 * n + 2
    steps = []
    for i in range(1, n + 1):
        a, b = i, n + 1 + i
        td, tc = base + 2 * i - 1, base + 2 * i
        steps.append(Step(2 * i - 1, (a, b, td - 1), "sum_digit"))
        steps.append(Step(2 * i, (a, b, tc - 1) if carry_from_digit else (a, b, tc - 2),
                          "carry_from_digit" if carry_from_digit else "carry"))
    steps.append(Step(2 * n + 1, (), "equals"))
    for i in range(1, n + 1):
        steps.append(Step(2 * n + 1 + i, (base + 2 * i - 1,), "id"))
    steps.append(Step(3 * n + 2, (base + 2 * n,), "id"))
    return steps


def _draw(rng, alphabet, k):
    return [alphabet[v] for v in rng.integers(0, len(alphabet), size=k)]


def _sample_parity(rng, n):
    b = _draw(rng, ("0", "1"), n)
    s, acc = [], 0
    for x in b:
        acc ^= int(x)
        s.append(str(acc))
    return b, s


def _sample_running(rng, n):
    x = _draw(rng, DIGITS, n)
    return x, [str(sum(map(int, x[: u + 1])) % 10) for u in range(n)]


def _sample_addition(rng, n):
    a, b = _draw(rng, DIGITS, n), _draw(rng, DIGITS, n)
    A, B = int("".join(reversed(a))), int("".join(reversed(b)))
    cot = []
    for i in range(1, n + 1):
        cot.append(str((A + B) // 10 ** (i - 1) % 10))
        cot.append(str(int(A % 10 ** i + B % 10 ** i >= 10 ** i)))
    return a + ["+"] + b, cot + ["="] + list(str(A + B).zfill(n + 1)[::-1])


def _copy_like(name, desc, source_len, target_of, circuit, alphabet=SYMBOLS + (BLANK,)):
    def sample(rng, n):
        x = _draw(rng, SYMBOLS, n)
        src = x + [BLANK] * (source_len(n) - n)
        return src, target_of(src, n)

    return SRCTask(name, alphabet + (SEP,), lambda n: standard_layout(n, source_len(n), len(target_of([BLANK] * source_len(n), n))),
                   {"canonical": circuit}, sample, desc)


TASKS: dict[str, SRCTask] = {t.name: t for t in (
    SRCTask("c25.parity_cot", ("0", "1", SEP), lambda n: standard_layout(n, n, n),
            {"xor_chain": lambda n: _chain(n, False, "xor"),
             "xor_chain_first_copy": lambda n: _chain(n, True, "xor")},
            _sample_parity, "s_u = s_(u-1) XOR b_u; reads source u and the current token"),
    _copy_like("c25.copy", "target u = source u", lambda n: n, lambda s, n: list(s),
               lambda n: [Step(u, (u,), "id") for u in range(1, n + 1)]),
    _copy_like("c25.shift_k", f"target u = source u - {SHIFT_K} (blank for u <= {SHIFT_K})", lambda n: n,
               lambda s, n: [BLANK] * min(SHIFT_K, n) + list(s[: max(n - SHIFT_K, 0)]),
               lambda n: [Step(u, (), "blank") if u <= SHIFT_K else Step(u, (u - SHIFT_K,), "id")
                          for u in range(1, n + 1)]),
    _copy_like("c25.shift_scale", "source x _^n; target u = source u - n (blank for u <= n)", lambda n: 2 * n,
               lambda s, n: [BLANK] * n + list(s[:n]),
               lambda n: [Step(u, (), "blank") if u <= n else Step(u, (u - n,), "id") for u in range(1, 2 * n + 1)]),
    _copy_like("c25.reverse", "target u = source n + 1 - u", lambda n: n, lambda s, n: list(s[::-1]),
               lambda n: [Step(u, (n + 1 - u,), "id") for u in range(1, n + 1)]),
    SRCTask("c25.running_sum_tokens", DIGITS + (SEP,), lambda n: standard_layout(n, n, n),
            {"accumulate": lambda n: _chain(n, False, "add_mod10"),
             "accumulate_first_copy": lambda n: _chain(n, True, "add_mod10")},
            _sample_running, "y_u = (y_(u-1) + x_u) mod 10"),
    SRCTask("c25.addition_cot", DIGITS + ("+", "=", SEP), _addition_layout,
            {"carry_chain": lambda n: _addition(n, False),
             "carry_from_digit": lambda n: _addition(n, True)},
            _sample_addition, "reversed-digit addition, CoT d_i c_i, then = and the reversed sum"),
    SRCTask("src.parity_cot_interleaved", ("0", "1"), interleaved_layout,
            {"xor_chain": lambda n: [Step(1, (1,), "id")] + [Step(u, (2 * u - 1, 2 * u - 2), "xor")
                                                             for u in range(2, n + 1)]},
            _sample_parity, "b_1 s_1 b_2 s_2 ..: s_u reads b_u (current) and s_(u-1) two back "
                            "[descriptive layout, not a pelg task]"),
)}


def check_task(name: str) -> SRCTask:
    if name not in TASKS:
        raise ValueError(f"unknown SRC task {name!r}; valid: {', '.join(TASKS)}")
    return TASKS[name]


# ---------------------------------------------------------------------------------------------------
# running circuits (semantics)
# ---------------------------------------------------------------------------------------------------

def sequence(task: str, source: list[str], target: list[str], n: int) -> list[str]:
    """The instance as tokens, index 0 unused: source, <sep>, target (or the interleaved layout)."""
    tk = check_task(task)
    lay = tk.layout(n)
    seq = [""] * (lay.length + 1)
    if task == "src.parity_cot_interleaved":
        for u, (b, s) in enumerate(zip(source, target), start=1):
            seq[2 * u - 1], seq[2 * u] = b, s
        return seq
    seq[1: len(source) + 1] = source
    seq[len(source) + 1] = SEP
    for t, tok in zip(lay.targets, target):
        seq[t] = tok
    return seq


def run_circuit(task: str, circuit: str, source: list[str], n: int) -> list[str]:
    """Generate the target tokens by applying the circuit's operators in order (reads of earlier
    target tokens see the generated values)."""
    tk = check_task(task)
    lay = tk.layout(n)
    seq = sequence(task, source, [""] * len(lay.targets), n)
    for st in tk.circuits[circuit](n):
        seq[lay.targets[st.u - 1]] = G_FUNCS[st.g](*(seq[r] for r in st.reads))
    return [seq[t] for t in lay.targets]


def layout_hint_check(n: int) -> bool:
    """Target u and source u share a hinted position in the standard layout (the Scale Hint's pairing)."""
    lay = standard_layout(n, n, n)
    return all(lay.hinted[t] == lay.hinted[u] for u, t in enumerate(lay.targets, start=1))


__all__ = ["TASKS", "SEP", "BLANK", "SeqLayout", "Step", "SRCTask", "G_FUNCS", "standard_layout",
           "interleaved_layout", "check_task", "sequence", "run_circuit", "layout_hint_check"]
