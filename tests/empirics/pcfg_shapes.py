"""Test helper: the shape of a PCFG SET source, one tag per word ("U" unary, "B" binary, "," comma) and
one "s" per string argument, e.g. "U B s , s"."""
from empirics.tasks import pcfg


def collapse(words) -> str:
    out = []
    for w in words:
        tag = "U" if w in pcfg.UNARY else "B" if w in pcfg.BINARY else "," if w == "," else "s"
        if not (tag == "s" and out and out[-1] == "s"):
            out.append(tag)
    return " ".join(out)
