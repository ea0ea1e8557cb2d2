"""Kazemnejad et al. 2023 (kazemnejad2023.md) algorithmic tasks: the copy and reverse variants here, the
arithmetic / reasoning tasks with scratchpads in `k23_arithmetic` and `k23_reasoning` (their shared
format in `k23_scratchpad`), and the family registry `TASKS`.

Copy and reverse follow the official builders (McGill-NLP/length-generalization,
`scripts/dataset_builders/make_copy_dataset.py`, `make_reverse_dataset.py`) and the prompts of
`src/data/data_instance_processor/copy_instance_processor.py`; the code is written anew. Words are
tokens; K23's ``"Copy: "`` is the two words ``Copy :``. K23 puts "[SEP]" between source and target for
these tasks (`k23_separator`).

| variant | source | target |
|---|---|---|
| rsc   | ``Copy : t t ... t`` (one token n times)   | ``t`` n times |
| rdc   | ``Replace x with y in x x ... x``          | ``y`` n times |
| rsc2x | ``Copy : t ... t``                          | ``t`` 2n times |
| cmc   | ``Copy : s1 ... sn`` (uniform, repeats)     | ``s1 ... sn`` |
| cmc2x | ``Copy : s1 ... sn``                        | ``s1 ... sn [NEXT] s1 ... sn`` |
| mc    | ``Reverse : s1 ... sn``                     | ``sn ... s1`` |
| mc2x  | ``Reverse : s1 ... sn``                     | ``sn ... s1 [NEXT] sn ... s1`` |
| mcrv  | ``Reverse : s1 ... sn``                     | ``sn ... s1 [NEXT] s1 ... sn`` |

Symbol inventories: K23 drew the symbols from t5-base tokens that stay one token when repeated. cmc,
cmc2x and the reverse variants used the first 100 of them (uniform with repeats). rsc and rsc2x gave each
of the first 5,750 tokens exactly once per length bin (5,750 = int(1.15 x 100,000 / 20), the per-bin count
of train + validation); rdc gave each ordered pair of distinct tokens among the first 76 (76 x 75 = 5,700
pairs) once per bin. pelg names the symbols ``s0, s1, ...`` and draws uniformly from the same inventory
sizes (parameter `n_symbols`), which matches K23's per-bin marginals. [reconstruction: the symbol
strings are pelg's; the sizes are K23's.]
"""
from __future__ import annotations

import numpy as np

from ..errors import PelgError, unknown
from .base import Example, Task, Vocab
from .k23_arithmetic import Addition, Polynomial, Summation
from .k23_reasoning import Lego, Parity, SortMulti, SortSingle
from .k23_scratchpad import uniform_ints

NEXT = "[NEXT]"
COPY_PREFIX = ("Copy", ":")
REVERSE_PREFIX = ("Reverse", ":")
# variant -> (prefix kind, default inventory size, description)
VARIANTS = {
    "copy_rsc": ("copy", 5750, "copy one token repeated n times (K23 rsc)"),
    "copy_rdc": ("replace", 76, "replace a token repeated n times by another (K23 rdc)"),
    "copy_rsc2x": ("copy", 5750, "copy one token repeated n times, twice as long (K23 rsc2x)"),
    "copy_cmc": ("copy", 100, "copy n random tokens (K23 cmc)"),
    "copy_cmc2x": ("copy", 100, "copy n random tokens twice, [NEXT] between (K23 cmc2x)"),
    "reverse_mc": ("reverse", 100, "reverse n random tokens (K23 mc)"),
    "reverse_mc2x": ("reverse", 100, "reverse n random tokens twice, [NEXT] between (K23 mc2x)"),
    "reverse_mcrv": ("reverse", 100, "reverse n random tokens, [NEXT], then copy them (K23 mcrv)"),
}


class K23CopyTask(Task):
    """One K23 copy / reverse variant (see the module docstring); `length` = n, the number of symbols
    in the copied sequence (the repeat count for rsc, rdc)."""

    paper = "kazemnejad2023"
    length_unit = "sequence symbols"
    k23_separator = True
    formats = ("plain",)

    def __init__(self, variant: str, format: str = "plain", n_symbols: int | None = None):
        if variant not in VARIANTS:
            raise unknown("K23 copy variant", variant, VARIANTS)
        kind, default, self.description = VARIANTS[variant]
        self.variant, self.kind_of_prompt = variant, kind
        self.name = f"k23.{variant}"
        self.set_format(format)
        n = default if n_symbols is None else n_symbols
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < (2 if kind == "replace" else 1):
            least = 2 if kind == "replace" else 1
            raise PelgError(f"task {self.name!r}: n_symbols must be an integer >= {least}, got {n_symbols!r}")
        self.n_symbols = int(n)
        self.symbols = [f"s{i}" for i in range(self.n_symbols)]
        prompt = {"copy": COPY_PREFIX, "reverse": REVERSE_PREFIX, "replace": ("Replace", "with", "in")}[kind]
        self.vocab = Vocab([*prompt, NEXT, *self.symbols])

    def sample(self, rng: np.random.Generator, length: int) -> Example:
        n = self.check_length(length)
        sym, v = self.symbols, self.variant
        if v == "copy_rdc":
            u, k = rng.random(2), self.n_symbols
            i, j = min(int(u[0] * k), k - 1), min(int(u[1] * (k - 1)), k - 2)
            x, y = sym[i], sym[j + (j >= i)]               # an ordered pair of distinct symbols
            return Example(["Replace", x, "with", y, "in", *[x] * n], [y] * n, n)
        if v in ("copy_rsc", "copy_rsc2x"):
            seq = [sym[min(int(rng.random() * self.n_symbols), self.n_symbols - 1)]] * n
        else:
            seq = [sym[i] for i in uniform_ints(rng, n, self.n_symbols).tolist()]
        if v == "copy_rsc2x":
            target = seq * 2
        elif v in ("copy_rsc", "copy_cmc"):
            target = list(seq)
        elif v == "copy_cmc2x":
            target = [*seq, NEXT, *seq]
        else:
            rev = seq[::-1]
            target = rev if v == "reverse_mc" else [*rev, NEXT, *(rev if v == "reverse_mc2x" else seq)]
        prefix = REVERSE_PREFIX if self.kind_of_prompt == "reverse" else COPY_PREFIX
        return Example([*prefix, *seq], target, n)

    def oracle(self, example: Example) -> list[str]:
        src = list(example.source)
        if self.kind_of_prompt == "replace":
            if len(src) < 6 or [src[0], src[2], src[4]] != ["Replace", "with", "in"]:
                raise PelgError(f"task {self.name!r}: malformed source {' '.join(src)!r}")
            x, y, body = src[1], src[3], src[5:]
            return [y if w == x else w for w in body]      # replace every x by y
        prefix = list(REVERSE_PREFIX if self.kind_of_prompt == "reverse" else COPY_PREFIX)
        if src[:2] != prefix:
            raise PelgError(f"task {self.name!r}: malformed source {' '.join(src)!r}")
        body = src[2:]
        backwards = [body[len(body) - 1 - k] for k in range(len(body))]
        return {
            "copy_rsc": body, "copy_cmc": body,
            "copy_rsc2x": body + body, "copy_cmc2x": body + [NEXT] + body,
            "reverse_mc": backwards, "reverse_mc2x": backwards + [NEXT] + backwards,
            "reverse_mcrv": backwards + [NEXT] + body,
        }[self.variant]


def _factory(build, params=()):
    """A registry factory: `format=` plus the named keyword parameters; anything else is a PelgError."""
    def make(format: str = "plain", **kwargs):
        for key in kwargs:
            if key not in params:
                raise unknown("parameter", key, params or ["(none)"])
        return build(format=format, **kwargs)
    return make


def _copy(variant):
    return _factory(lambda format, **kw: K23CopyTask(variant, format=format, **kw), ("n_symbols",))


TASKS = {
    **{f"k23.{v}": _copy(v) for v in VARIANTS},
    "k23.addition": _factory(Addition),
    "k23.polynomial": _factory(Polynomial),
    "k23.sort_single": _factory(SortSingle),
    "k23.sort_multi": _factory(SortMulti),
    "k23.summation": _factory(Summation),
    "k23.parity": _factory(Parity),
    "k23.lego": _factory(Lego, ("permute",)),
}
