"""paper_repro.md: every measured number is written by code (issue 10). Outside the blocks that the
publish steps generate (`<!-- key:begin -->` ... `<!-- key:end -->`), the prose may state protocols and
formulas but no measured quantity: no decimal, scientific or percentage number, no "j of n" count and no
"k times" ratio. Published numbers of the papers live in code (e.g. empirics.evidence.li2025_table5) and
reach the page through the generated tables."""
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "paper_repro.md"
BLOCK = re.compile(r"<!-- ([\w-]+):begin -->.*?<!-- \1:end -->", re.S)
MEASURED = re.compile(r"(?<![\w.])(\d+\.\d+|\d+(\.\d+)?e[-+]?\d+|\d+(\.\d+)?\s?%|\d+ of (the )?\d+|"
                      r"\d+(\.\d+)? times|\d{1,3}(,\d{3})+)(?![\w.])")
ALLOWED = re.compile(r"arXiv \d+\.\d+|95% (t-)?intervals?")  # an id; the interval's definition


def offenders(text: str) -> list[str]:
    prose = BLOCK.sub("", text)
    prose = re.sub(r"`[^`\n]*`", "", prose)  # commands, paths and identifiers
    prose = ALLOWED.sub("", prose)
    return [f"line {i}: {line.strip()[:100]}" for i, line in enumerate(prose.splitlines(), 1)
            if MEASURED.search(line)]


def test_no_hand_typed_measurements_outside_generated_blocks():
    bad = offenders(DOC.read_text())
    assert not bad, "\n".join(bad[:10])


def test_the_checker_sees_a_typed_number():
    assert offenders("the bound is about 600 times the measurement") and offenders("MSE 0.021 vs 0.030")
    assert offenders("agree on 80 of 80 pairs") and offenders("fit rate 90%")
    assert not offenders("<!-- x:begin -->\nMSE 0.021\n<!-- x:end -->\n(arXiv 2506.06398), `lr = 1e-3`, d_model 64")
