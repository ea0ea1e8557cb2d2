"""Position ids: the default 0..T-1, randomized positions, and Scale Hint re-indexing.

A PE name is `BASE` or `BASE+SCHEME`, e.g. `rope`, `rope+random`, `alibi+sh`. The scheme only decides
which integer position each token gets; the base PE (empirics.positional) never knows. The formulas are
`theory.encodings.randomized_positions` (Ruoss et al. 2023) and `theory.encodings.scale_hint_positions`
(Chen et al. 2025, [reconstruction]).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from theory import encodings as E
from .errors import PelgError, unknown
from .positional import PES, Option


@dataclass(frozen=True)
class SchemeSpec:
    """One position scheme: its suffix in a PE name (`BASE+name`), formula and source."""

    name: str
    formula: str
    source: str
    options: tuple[str, ...] = ()   # its keys in SCHEME_OPTIONS


SCHEMES: dict[str, SchemeSpec] = {s.name: s for s in (
    SchemeSpec("random", "BASE+random: base PE at sorted random positions from {0..L'−1}, L' > L",
               "Ruoss et al. 2023", ("random_max",)),
    SchemeSpec("sh", "BASE+sh: target token k takes source token k's position [reconstruction]",
               "Chen, Liang, Lin 2025", ("sh_mode",)),
)}
# Scheme options travel in pe_options next to the base PE's; random_max 0 -> 4 x the longest length seen
SCHEME_OPTIONS = {"random_max": Option(0, minimum=0, maximum=2**20),
                  "sh_mode": Option("align", choices=("align", "offset"))}


def parse_pe_name(name: str) -> tuple[str, str]:
    """'rope+sh' -> ('rope', 'sh'); 'alibi' -> ('alibi', 'abs')."""
    if not isinstance(name, str):
        raise unknown("positional encoding", name, PES)
    base, plus, scheme = name.partition("+")
    if base not in PES:
        raise unknown("positional encoding", name, list(PES) + [f"BASE+{s}" for s in SCHEMES])
    scheme = scheme if plus else "abs"  # 'rope+' (empty scheme) is an error, not 'abs'
    if scheme != "abs" and scheme not in SCHEMES:
        raise unknown("position scheme", scheme, SCHEMES)
    return base, scheme


def split_options(options: dict | None) -> tuple[dict, dict]:
    """Split PE options into (base-PE options, scheme options), the scheme options typed and checked."""
    options = dict(options or {})
    scheme = {k: o.parse("the position scheme", k, options.pop(k)) if k in options else o.default
              for k, o in SCHEME_OPTIONS.items()}
    return options, scheme


@dataclass
class PositionScheme:
    """Makes (B, T) position ids for a batch."""

    scheme: str = "abs"
    random_max: int = 0
    sh_mode: str = "align"

    def __call__(self, batch: int, length: int, sep_index: torch.Tensor | None = None,
                 rng: np.random.Generator | None = None) -> torch.Tensor:
        if self.scheme == "abs":
            return torch.arange(length).expand(batch, length)
        if self.scheme == "random":
            top = self.random_max or 4 * length
            if length > top:
                raise PelgError(f"randomized positions: length {length} exceeds random_max {top}")
            rng = rng if rng is not None else np.random.default_rng(0)
            rows = [E.randomized_positions(rng, length, top) for _ in range(batch)]
            return torch.as_tensor(np.stack(rows), dtype=torch.long)
        if sep_index is None:
            raise PelgError("the Scale Hint scheme ('+sh') needs a task with a separator token")
        rows = [E.scale_hint_positions(length, int(s), source_start=1, mode=self.sh_mode) for s in sep_index]
        return torch.as_tensor(np.stack(rows), dtype=torch.long)
