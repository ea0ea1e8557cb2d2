"""Position-only linear attention (POLA) of Chen, Liang, Lin 2025 (arXiv 2510.04130) — **[reconstruction]**:
the instance layouts, the PE feature maps phi_PE and the target families. Built on them: the LRC and the
exact length-generalization criterion (`theory.chen2025.lrc`, with the exact linear algebra of
`theory.chen2025.linalg`) and the APE-inclusion check (`theory.chen2025.ape_inclusion`).

Only the paper's abstract and one figure caption are available; every definition below is OUR
formalization (shared/papers/chen2025.md, "Our formalization"), not the paper's text.

POLA
----
Tokens x_1..x_L; y_i = sum_{j in D_i(n)} a_theta(i, j; n) x_j with coefficients that depend on positions
and the instance scale n only and are linear in theta:  a_theta(i, j; n) = <phi_PE(i, j; n), theta>.
Stacking the coefficients of all pairs (i, j) of the instance layout at scale n gives the linear map
Phi_n: theta -> (a_theta(i, j; n))_{(i, j)}; Phi_S stacks Phi_n over a set S of scales.

Instance layouts (the pairs (i, j) whose coefficient matters), 1-based positions:
* "stream"  (L = n):  every position is an input and an output; pairs j <= i <= n (causal).
* "seq2seq" (L = 2n): inputs x_1..x_n, then n output slots that carry no data; output position n + u
  (u = 1..n) reads the inputs: pairs (n + u, j), 1 <= j <= n. "Output position n + t reads input t" is
  copy = shift by the scale (chen2025.md). The outputs at input rows are not part of the target (as in
  c25.copy, whose target is the output segment only).
* "padded"  (L = 4n): the c25.shift_scale stream: source x_1..x_n _^n (data at 1..n, blanks after), then
  2n output slots; output 2n + u reads the data: pairs (2n + u, j), 1 <= j <= n.
The segment boundary b(n) (n for stream and seq2seq, 2n for padded) is where the Scale Hint restarts the
position count: h = theory.encodings.scale_hint_positions(L, sep_index=b-1, source_start=0, "align") + 1,
so output b + u gets hinted position u (the position of input u); stream positions are not re-indexed.

Feature maps phi_PE(i, j; n) (feature keys are tuples; `PES` lists the names)
* ape       1[(i, j)]                     one parameter per absolute pair (does not see n)
* rpe       1[i - j = d]
* nope      1/i  (one parameter times the causal average weight)
* ipe       1[j = r(i)] and 1[j != r(i)]  with the designated alignment r: r(i) = i on a stream, and
            r(b + u) = u (output u <-> input u, the Scale Hint's pairing) on segment layouts
* periodic  1[(i - j) mod Delta = c]      (Delta = PERIOD = 2; "periodic3" etc. select another Delta)
* sh        1[h(i) - h(j) = d]            RPE on hinted positions; on seq2seq output rows this is
                                          1[i - j - n = d]; on a stream, sh = rpe
* ape+sh    1[(h(i), h(j))]               APE on hinted positions
* lbpe      the union of rpe, nope, ipe, periodic and sh (the learner picks a combination). APE is
            left out: LBPE's features (theory.encodings.lbpe_features) are relational, never absolute.
            "lbpe:<part>+<part>.." (e.g. "lbpe:rpe+sh") is the union of the named parts only (`union_parts`;
            the ledger's LBPE entry uses it for its positive control and its false variant).

Targets T = (T^(n))_n, causal position-only linear maps given by their coefficients t(i, j; n) on the
layout's pairs (see `TARGETS`): shift by k, prefix sum, prefix mean, window sum, first token (stream);
copy (= shift by the scale), reverse, shift by k and running sum between segments (seq2seq, the c25
token tasks); shift by the scale in the padded stream (c25.shift_scale).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Callable, Iterable

import numpy as np

from theory.chen2025.linalg import Row
from theory.encodings import scale_hint_positions

PERIOD = 2                  # Delta of the periodic PE
SHIFT_K = 1                 # k of the shift targets
WINDOW = 3                  # width of the window-sum target

LAYOUTS = ("stream", "seq2seq", "padded")
PES = ("ape", "rpe", "nope", "ipe", "periodic", "sh", "ape+sh", "lbpe")
LBPE_PARTS = ("rpe", "nope", "ipe", "periodic", "sh")
PARTITION_PES = ("ape", "rpe", "ipe", "periodic", "sh", "ape+sh")  # one indicator feature per pair


# ---------------------------------------------------------------------------------------------------
# layouts
# ---------------------------------------------------------------------------------------------------

def check_layout(layout: str) -> str:
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; valid: {', '.join(LAYOUTS)}")
    return layout


def check_scale(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"scale n must be an integer >= 1, got {n!r}")
    return int(n)


def layout_length(layout: str, n: int) -> int:
    """L(n): stream n, seq2seq 2n, padded 4n."""
    return {"stream": 1, "seq2seq": 2, "padded": 4}[check_layout(layout)] * check_scale(n)


def boundary(layout: str, n: int) -> int:
    """Last position before the output segment (n for stream and seq2seq, 2n for padded)."""
    return {"stream": 1, "seq2seq": 1, "padded": 2}[check_layout(layout)] * check_scale(n)


@lru_cache(maxsize=None)
def pairs(layout: str, n: int) -> tuple[tuple[int, int], ...]:
    """The (i, j) pairs whose coefficient the layout uses at scale n, rows in order (1-based)."""
    n = check_scale(n)
    if check_layout(layout) == "stream":
        return tuple((i, j) for i in range(1, n + 1) for j in range(1, i + 1))
    b, L = boundary(layout, n), layout_length(layout, n)
    return tuple((i, j) for i in range(b + 1, L + 1) for j in range(1, n + 1))


@lru_cache(maxsize=None)
def hinted(layout: str, n: int) -> tuple[int, ...]:
    """Hinted positions h(1..L) (index 0 unused) from theory.encodings.scale_hint_positions ("align"),
    with the segment boundary as the separator and no <bos>; stream positions are unchanged."""
    L = layout_length(layout, n)
    h = scale_hint_positions(L, sep_index=boundary(layout, n) - 1, source_start=0, mode="align") + 1
    return (0, *map(int, h))


def aligned(layout: str, n: int, i: int) -> int | None:
    """IPE's designated alignment r(i): i itself on a stream; input u for output b + u elsewhere."""
    if layout == "stream":
        return i
    u = i - boundary(layout, n)
    return u if 1 <= u <= n else None


# ---------------------------------------------------------------------------------------------------
# feature maps
# ---------------------------------------------------------------------------------------------------

def periodic_delta(pe: str) -> int | None:
    m = re.fullmatch(r"periodic(\d*)", pe)
    if not m:
        return None
    delta = int(m.group(1) or PERIOD)
    if delta < 1:
        raise ValueError(f"periodic PE needs a period >= 1, got {pe!r}")
    return delta


def union_parts(pe: str) -> tuple[str, ...] | None:
    """The parts of a union dictionary: LBPE_PARTS for "lbpe", the named parts for "lbpe:a+b+..", else None."""
    if pe == "lbpe":
        return LBPE_PARTS
    if not pe.startswith("lbpe:"):
        return None
    parts = tuple(pe[len("lbpe:"):].split("+"))
    bad = [p for p in parts if p not in LBPE_PARTS and periodic_delta(p) is None]
    if not parts or bad or len(set(parts)) != len(parts):
        raise ValueError(f"union PE {pe!r} needs distinct parts from {', '.join(LBPE_PARTS)} (or periodic<Delta>)")
    return parts


def check_pe(pe: str) -> str:
    if pe in PES or periodic_delta(pe) is not None or (pe.startswith("lbpe:") and union_parts(pe)):
        return pe
    raise ValueError(f"unknown POLA PE {pe!r}; valid: {', '.join(PES)} (or periodic<Delta>, lbpe:<part>+<part>..)")


def feature(pe: str, layout: str, n: int, i: int, j: int) -> Row:
    """phi_PE(i, j; n) as a sparse dict {feature key: value} (see the module docstring)."""
    one = Fraction(1)
    if pe == "ape":
        return {("ape", i, j): one}
    if pe == "rpe":
        return {("rpe", i - j): one}
    if pe == "nope":
        return {("nope",): Fraction(1, i)}
    if pe == "ipe":
        return {("ipe", "aligned" if j == aligned(layout, n, i) else "other"): one}
    if pe == "sh":
        h = hinted(layout, n)
        return {("sh", h[i] - h[j]): one}
    if pe == "ape+sh":
        h = hinted(layout, n)
        return {("ape+sh", h[i], h[j]): one}
    parts = union_parts(pe)
    if parts is not None:
        out: Row = {}
        for part in parts:
            out.update(feature(part, layout, n, i, j))
        return out
    delta = periodic_delta(pe)
    if delta is None:
        check_pe(pe)
    return {("periodic", delta, (i - j) % delta): one}


@lru_cache(maxsize=512)
def phi(pe: str, layout: str, n: int) -> tuple[Row, ...]:
    """Phi_n as sparse rows, one per pair of `pairs(layout, n)`."""
    check_pe(pe)
    return tuple(feature(pe, layout, n, i, j) for i, j in pairs(layout, n))


def phi_stack(pe: str, layout: str, scales: Iterable[int]) -> list[Row]:
    """Phi_S: the rows of Phi_n for every n in S, stacked in the order of S."""
    return [r for n in scales for r in phi(pe, layout, n)]


# ---------------------------------------------------------------------------------------------------
# targets
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """A family T^(n) of causal position-only linear maps, by its coefficient t(i, j; n) on the pairs
    of `layout`; `task` is the pelg task whose instances it abstracts (or a descriptive pola.* name)."""

    name: str
    task: str
    layout: str
    coef: Callable[[int, int, int], Fraction]
    description: str


def _ind(b: bool) -> Fraction:
    return Fraction(int(b))


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("shift_k", "pola.shift_k", "stream", lambda i, j, n: _ind(i - j == SHIFT_K),
           f"y_i = x_(i-{SHIFT_K}) on a stream of n positions"),
    Target("prefix_sum", "pola.prefix_sum", "stream", lambda i, j, n: Fraction(1),
           "y_i = x_1 + .. + x_i"),
    Target("prefix_mean", "pola.prefix_mean", "stream", lambda i, j, n: Fraction(1, i),
           "y_i = (x_1 + .. + x_i) / i"),
    Target("window_sum", "pola.window_sum", "stream", lambda i, j, n: _ind(i - j < WINDOW),
           f"y_i = x_(i-{WINDOW - 1}) + .. + x_i"),
    Target("first_token", "pola.first_token", "stream", lambda i, j, n: _ind(j == 1), "y_i = x_1"),
    Target("copy", "c25.copy", "seq2seq", lambda i, j, n: _ind(j == i - n),
           "output n + u reads input u (copy = shift by the scale)"),
    Target("reverse", "c25.reverse", "seq2seq", lambda i, j, n: _ind(j == 2 * n + 1 - i),
           "output n + u reads input n + 1 - u"),
    Target("shift_k_seq", "c25.shift_k", "seq2seq", lambda i, j, n: _ind(j == i - n - SHIFT_K),
           f"output n + u reads input u - {SHIFT_K} (0 for u <= {SHIFT_K})"),
    Target("running_sum_seq", "c25.running_sum_tokens", "seq2seq", lambda i, j, n: _ind(j <= i - n),
           "output n + u = x_1 + .. + x_u (the token task takes it mod 10)"),
    Target("shift_scale", "c25.shift_scale", "padded", lambda i, j, n: _ind(j == i - 3 * n),
           "stream x_1..x_n _^n; output 2n + u reads input u - n (0 for u <= n)"),
)}


def check_target(name: str) -> Target:
    if name not in TARGETS:
        raise ValueError(f"unknown POLA target {name!r}; valid: {', '.join(TARGETS)}")
    return TARGETS[name]


@lru_cache(maxsize=None)
def target_values(name: str, n: int) -> tuple[Fraction, ...]:
    """T^(n) on the pairs of the target's layout (same order as `phi`)."""
    t = check_target(name)
    return tuple(t.coef(i, j, n) for i, j in pairs(t.layout, check_scale(n)))


def target_matrix(name: str, n: int) -> np.ndarray:
    """T^(n) as a dense float (L, L) matrix (zero outside the layout's pairs)."""
    t = check_target(name)
    L = layout_length(t.layout, n)
    out = np.zeros((L, L))
    for (i, j), v in zip(pairs(t.layout, n), target_values(name, n)):
        out[i - 1, j - 1] = float(v)
    return out
