"""One reproduction per paper, each with smoke / quick / full profiles (protocols as TOML data)."""
from __future__ import annotations

from ..errors import PelgError, unknown
from . import chen2025, huang2025, kazemnejad2023, li2025

REPROS = {"li2025": li2025.run, "huang2025": huang2025.run, "kazemnejad2023": kazemnejad2023.run,
          "chen2025": chen2025.run}
ALIASES = {"k23": "kazemnejad2023", "h25": "huang2025", "c25": "chen2025"}
SEEDS_OPTION = ("kazemnejad2023",)   # reproductions that take --seeds
ALL = "all"                          # every reproduction, the ledger and the scorecard (all_papers)


def get_repro(name: str):
    """(canonical name, run function) of a reproduction, its alias, or "all"."""
    if name == ALL:
        from . import all_papers

        return ALL, all_papers.run
    canonical = ALIASES.get(name, name)
    if canonical not in REPROS:
        raise unknown("reproduction", name, [*REPROS, ALL, *ALIASES])
    return canonical, REPROS[canonical]


def check_options(name: str, seeds) -> None:
    if seeds is not None and name not in SEEDS_OPTION:
        raise PelgError(f"--seeds is not an option of reproduction {name!r}; it is for: {', '.join(SEEDS_OPTION)}")
