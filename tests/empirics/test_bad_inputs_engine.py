"""Bad input to the engine's subcommands (`sweep`, `results --group-by`, `plot`), table-driven in the style of
tests/empirics/test_bad_inputs_table.py: empty sweep specs, zero workers or threads, unknown grouping keys,
metrics, axes and figure formats, figures into directories or unwritable places, stores without finished runs.

Every case must: exit with code 2, print exactly one line `pelg: error: ...` naming the bad value (and the
valid choices where there are some), print no traceback, and leave everything as it was (no new store, no
figure, no CSV, the existing store unchanged)."""
from __future__ import annotations

import sqlite3

import pytest

from empirics import cli
from results_store import config, copy_store, result, synthetic_store
from bad_inputs import error_line, snapshot, unwritable_dir

GOOD = """name = "good"
[base]
task = "copy"
train_lengths = [1, 4]
eval_buckets = [[1, 4]]
steps = 2
batch_size = 4
eval_samples = 4
[base.model]
n_layer = 1
d_model = 16
d_ff = 32
[grid]
seed = [0]
"""

# (id, spec text or None, argv with placeholders, setup name or None, needles that the error line must hold)
# {spec}: the case's spec; {good}: a good spec; {fresh}: a store path that must stay absent; {store}: a store of
# finished runs (copy x rope/nope x 3 seeds, one pending) that must stay unchanged; {tmp}: the test directory.
CASES = [
    # sweep specs and options
    ("empty spec file", "", "sweep {spec} --store {fresh}", None, ["is empty", "[base]", "protocol"]),
    ("spec with only a name", 'name = "x"\ndescription = "nothing"\n', "sweep {spec} --store {fresh}", None,
     ["is empty"]),
    ("spec with an empty base", 'name = "x"\n[base]\n', "sweep {spec} --store {fresh}", None, ["is empty"]),
    ("spec with empty base and grid", "[base]\n[grid]\n", "sweep {spec} --store {fresh}", None, ["is empty"]),
    ("zero workers", None, "sweep {good} --store {fresh} --workers 0", None, ["--workers", "positive", "0"]),
    ("negative workers", None, "sweep {good} --store {fresh} --workers -3", None, ["--workers", "-3"]),
    ("zero threads", None, "sweep {good} --store {fresh} --threads 0", None, ["--threads", "0"]),
    ("zero workers, dry run", None, "sweep {good} --store {fresh} --workers 0 --dry-run", None, ["--workers"]),
    # results --group-by / --metric
    ("group-by empty", None, "results --store {store} --group-by ,", None, ["--group-by", "comma list"]),
    ("group-by unknown key", None, "results --store {store} --group-by colour", None,
     ["unknown --group-by key 'colour'", "valid:", "model.pe", "task"]),
    ("group-by one unknown of two", None, "results --store {store} --group-by pe,colour", None, ["'colour'"]),
    ("group-by ambiguous key", None, "results --store {store} --group-by d", "ambiguous_store", ["'d'"]),
    ("unknown metric", None, "results --store {store} --group-by pe --metric accuracy", None,
     ["unknown --metric 'accuracy'", "auto, exact_match, loss, mse"]),
    ("metric of another kind", None, "results --store {store} --group-by pe --metric mse", None,
     ["--metric mse", "reports exact_match"]),
    ("metric without group-by", None, "results --store {store} --metric loss", None, ["--metric needs --group-by"]),
    ("aggregate csv into a directory", None, "results --store {store} --group-by pe --csv {tmp}", None,
     ["is a directory"]),
    ("group-by on a missing store", None, "results --store {tmp}/absent.sqlite --group-by pe", None, ["no store"]),
    # plot
    ("plot unknown x", None, "plot --store {store} --x time --out {tmp}/f.png", None,
     ["unknown --x 'time'", "length, step"]),
    ("plot unknown by", None, "plot --store {store} --by colour --out {tmp}/f.png", None,
     ["unknown --by key 'colour'", "model.pe"]),
    ("plot empty by", None, "plot --store {store} --by , --out {tmp}/f.png", None, ["--by", "comma list"]),
    ("plot unknown where key", None, "plot --store {store} --where colour=red --out {tmp}/f.png", None,
     ["unknown --where key 'colour'"]),
    ("plot where without =", None, "plot --store {store} --where seed --out {tmp}/f.png", None, ["KEY=VALUE"]),
    ("plot where matches nothing", None, "plot --store {store} --where seed=7 --out {tmp}/f.png", None,
     ["no finished runs", "seed=7"]),
    ("plot a store of pending runs", None, "plot --store {tmp}/pending.sqlite --out {tmp}/f.png", "pending_store",
     ["no finished runs"]),
    ("plot unknown format", None, "plot --store {store} --out {tmp}/f.jpg", None,
     ["unknown figure format 'jpg'", ".pdf", ".png", ".svg"]),
    ("plot without a suffix", None, "plot --store {store} --out {tmp}/figure", None, ["'(none)'", ".png"]),
    ("plot into a directory", None, "plot --store {store} --out {tmp}", None, ["is a directory"]),
    ("plot into an unwritable directory", None, "plot --store {store} --out {ro}/f.png", "needs_ro", ["cannot"]),
    ("plot unknown metric", None, "plot --store {store} --metric accuracy --out {tmp}/f.png", None,
     ["unknown --metric 'accuracy'"]),
    ("plot step with a metric", None, "plot --store {store} --x step --metric mse --out {tmp}/f.png", None,
     ["--metric applies to --x length"]),
    ("plot a missing store", None, "plot --store {tmp}/absent.sqlite --out {tmp}/f.png", None, ["no store"]),
    ("plot a store that is a directory", None, "plot --store {tmp} --out {tmp}/f.png", None, ["is a directory"]),
    ("plot a foreign database", None, "plot --store {tmp}/other.sqlite --out {tmp}/f.png", "foreign_store",
     ["not a pelg store"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input(case, tmp_path, monkeypatch, capsys):
    name, spec_text, argv, setup, needles = case
    monkeypatch.setenv("PELG_STORE_TIMEOUT", "0.3")
    good = tmp_path / "good.toml"
    good.write_text(GOOD)
    store = copy_store(tmp_path / "store" / "pelg.sqlite")
    fresh = tmp_path / "fresh" / "pelg.sqlite"
    spec = tmp_path / "case.toml"
    if spec_text is not None:
        spec.write_text(spec_text)
    ro = None
    if setup == "needs_ro":
        ro = unwritable_dir(tmp_path)
        if ro is None:
            pytest.skip("no unwritable directory available")
    if setup == "pending_store":
        synthetic_store(tmp_path / "pending.sqlite", [], pending=[config("copy", "rope", 0)])
    if setup == "ambiguous_store":   # two config columns end in ".d"
        c = config("copy", "rope", 0, opt={"d": 1})
        c["model"]["d"] = 2
        store = synthetic_store(tmp_path / "amb.sqlite", [(c, result(c, {"1-8": 1.0}))])
        argv = argv.replace("{store}", str(store))
    if setup == "foreign_store":
        db = sqlite3.connect(tmp_path / "other.sqlite")
        db.execute("CREATE TABLE samples (x)")
        db.commit()
        db.close()
    before = snapshot(tmp_path)
    try:
        code = cli.main(argv.format(spec=spec, good=good, fresh=fresh, store=store, tmp=tmp_path, ro=ro).split())
    finally:
        if ro is not None and ro.is_relative_to(tmp_path):
            ro.chmod(0o755)
    line = error_line(code, capsys.readouterr())
    for needle in needles:
        assert needle in line, line
    assert not fresh.exists() and not fresh.parent.exists()          # nothing created
    assert snapshot(tmp_path) == before                              # nothing changed, no figure, no CSV


def test_the_table_is_big_enough():
    assert len(CASES) >= 30 and len({c[0] for c in CASES}) == len(CASES)
