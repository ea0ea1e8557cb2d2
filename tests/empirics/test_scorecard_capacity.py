"""The scorecard's capacity-ranking cells: a median split of proxy and gap over the fit models, in a fixed
order whatever the order of the evidence (computed, or read back from the JSON cache with sorted keys)."""
from empirics.evidence.scorecard import capacity_cells


def _rows(pairs):
    return {pe: {"proxy_local_test": p, "gap": g, "fit": fit} for pe, (p, g, fit) in pairs.items()}


def test_cells_agree_when_proxy_and_gap_split_alike_and_not_when_swapped():
    per_pe = {"copy": _rows({"nope": (1.0, 0.1, True), "rope": (5.0, 0.9, True), "alibi": (2.0, 0.2, True),
                             "learned": (9.0, 0.8, False)})}
    cells = {c["pe"]: c for c in capacity_cells(per_pe)}
    assert [cells[pe]["agree"] for pe in ("alibi", "nope", "rope")] == [True, True, True]
    assert not cells["learned"]["decided"] and cells["learned"]["agree"] is None
    swapped = {"copy": _rows({"nope": (1.0, 0.9, True), "rope": (5.0, 0.1, True), "alibi": (2.0, 0.2, True)})}
    assert {c["pe"]: c["agree"] for c in capacity_cells(swapped)} == {"alibi": True, "nope": False, "rope": False}


def test_cell_order_does_not_depend_on_the_order_of_the_evidence():
    a = {"running_mean": _rows({"wavelet": (3.0, 0.3, True), "alibi": (1.0, 0.1, True)}),
         "copy": _rows({"rope": (2.0, 0.5, True), "nope": (1.0, 0.2, True)})}
    b = {task: dict(reversed(list(rows.items()))) for task, rows in reversed(list(a.items()))}
    assert capacity_cells(a) == capacity_cells(b)
    assert [(c["task"], c["pe"]) for c in capacity_cells(a)][:2] == [("copy", "nope"), ("copy", "rope")]
