"""Named protocols that a sweep spec can run instead of a grid (`protocol = "li2025"`, `profile = "quick"`).

The engine knows no paper: the reproductions register their protocols here when they are imported
(empirics/repro/li2025.py), and the `pelg sweep` command imports empirics.repro before it runs a spec.
A protocol is a function `profile -> list of TrainConfig dicts` and the profiles it accepts.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from empirics.errors import PelgError, unknown


@dataclass(frozen=True)
class Protocol:
    name: str
    configs: Callable[[str], list[dict]]  # profile -> the TrainConfig dicts the protocol trains
    profiles: tuple[str, ...]


PROTOCOLS: dict[str, Protocol] = {}


def register_protocol(name: str, configs_fn: Callable[[str], list[dict]], profiles) -> Protocol:
    """Make `protocol = name` usable in sweep specs (registering a name again replaces it)."""
    PROTOCOLS[name] = Protocol(name, configs_fn, tuple(profiles))
    return PROTOCOLS[name]


def get_protocol(name: str) -> Protocol:
    """The registered protocol `name`; a one-line PelgError naming the registered ones otherwise."""
    if name not in PROTOCOLS:
        if not PROTOCOLS:
            raise PelgError(f"unknown sweep protocol {name!r}; none is registered (the reproductions register "
                            f"theirs when empirics.repro is imported)")
        raise unknown("sweep protocol", name, PROTOCOLS)
    return PROTOCOLS[name]
