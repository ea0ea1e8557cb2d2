"""Publishing the claims ledger into paper_repro.md: the `claims` table block and the evidence blocks the
whole ledger computes (Chen 2025's gradient-descent POLA table) plus Li 2025's theory figures. Used by
`pelg claims --publish` and `pelg repro all --publish`."""
from __future__ import annotations

from pathlib import Path

from ..errors import PelgError


def publish_ledger(records: list[dict], text: str, whole: bool = True, figures: Path = Path("figures")) -> str:
    """`text` (paper_repro.md) with the claims block replaced; with `whole` (the full ledger ran), also the
    chen2025-gd block, and Li 2025's figures re-rendered into `figures`. An errored claim publishes nothing."""
    from empirics.evidence import ledger
    from .common import replace_block

    errors = [r for r in records if r["verdict"] == "error"]
    if errors:
        raise PelgError(f"claim {errors[0]['id']!r} errored ({errors[0]['note']}); nothing published")
    text = replace_block(text, "claims", ledger.markdown(records))
    if whole:
        from empirics.evidence import li2025_figures, pola_train

        rows = pola_train.table()
        text = replace_block(text, "chen2025-gd", pola_train.summary(rows) + "\n\n<details><summary>Every "
                             "(target, PE)</summary>\n\n" + pola_train.markdown(rows) + "\n\n</details>")
        li2025_figures.render_figures(Path(figures))
    return text
