"""Names across pelg: paper aliases (`--paper k23`) and the PE classes of the theories (`pelg predict`'s
ape, rpe, nope, ipe, sh, ...) mapped to the PE names `pelg train --pe` takes.

The classes are those of Huang et al. 2025 (C-RASP: APE, NoPE, RPE; IPE and SH are pelg's extensions)
and Chen, Liang, Lin 2025 (SRC / LRC: APE, RPE, NoPE, IPE, SH, APE+SH, periodic, LBPE) [reconstruction]:
a class names what a PE lets attention see (absolute positions, distances i - j, nothing, the aligned
source token, distances on Scale-Hint positions). The first name of each class is the one the
reproductions train (empirics/repro/huang2025.py).
"""
from __future__ import annotations

from .errors import unknown

# paper ids -> the short prefixes of their task and claim ids (k23.copy_rsc, k23.theorem1, h25.parity, c25.copy)
PAPER_ALIASES = {"k23": "kazemnejad2023", "h25": "huang2025", "c25": "chen2025"}

_APE = ("learned", "sinusoidal", "wavelet", "legendre")          # a vector per absolute position
_RPE = ("rope", "t5", "alibi", "xpos", "kerple_log", "kerple_power")  # a function of i - j only
# theory PE class -> `pelg train --pe` names (FIRE is left out: it divides by the query position, so it
# is not a function of i - j alone)
THEORY_PE_CLASSES: dict[str, tuple[str, ...]] = {
    "ape": _APE,
    "rpe": _RPE,
    "nope": ("nope",),
    "ipe": ("ipe",),
    "sh": tuple(f"{pe}+sh" for pe in _RPE),
    "ape+sh": tuple(f"{pe}+sh" for pe in _APE),
    "lbpe": ("lbpe",),
    "periodic": (),
}


def paper_name(name: str | None, valid) -> str | None:
    """The paper id of `name` or its alias (k23 -> kazemnejad2023); an unknown one lists `valid` and the
    aliases."""
    if name is None:
        return None
    canonical = PAPER_ALIASES.get(name, name)
    if canonical not in valid:
        raise unknown("paper", name, [*valid, *(a for a, p in PAPER_ALIASES.items() if p in valid)])
    return canonical


def trains_as(theory_pe: str) -> list[str]:
    """The `pelg train --pe` names of a theory PE class that are registered now (empty: none trains)."""
    from .positions import PES

    return [name for name in THEORY_PE_CLASSES.get(theory_pe, ()) if name.partition("+")[0] in PES]
