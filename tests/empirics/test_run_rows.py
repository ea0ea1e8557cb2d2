"""Recorded rows name the commit that trained each run: for runs read back from a results store, the store's
commit, not the commit of the code that reads them back."""
import sqlite3

from empirics.model import ModelConfig
from empirics.repro.common import run_in_store, run_rows
from empirics.runconfig import TrainConfig


def test_rows_read_back_from_a_store_keep_the_training_commit(tmp_path):
    cfg = TrainConfig(task="copy", train_lengths=(1, 3), eval_buckets=[(1, 3)], eval_samples=4, steps=2,
                      batch_size=4, device="cpu", model=ModelConfig(pe="nope", n_layer=1, n_head=1, d_model=8,
                                                                      d_ff=16)).to_dict()
    store = tmp_path / "pelg.sqlite"
    first = run_in_store([cfg], workers=1, store=store, log=lambda m: None)
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
        db.execute("UPDATE runs SET git_commit = 'feedface'")
    again = run_in_store([cfg], workers=1, store=store, log=lambda m: None)
    fit = [{"in_distribution": 0.0, "fit": False}]
    assert run_rows([("k",)], again, fit)[0]["git_commit"] == "feedface"
    assert run_rows([("k",)], first, fit)[0]["git_commit"] != "feedface"
