"""One reproduction per paper, each with smoke / quick / full profiles (protocols as TOML data)."""
from __future__ import annotations

from ..errors import unknown
from . import huang2025, li2025

REPROS = {"li2025": li2025.run, "huang2025": huang2025.run}


def get_repro(name: str):
    if name not in REPROS:
        raise unknown("reproduction", name, REPROS)
    return REPROS[name]
