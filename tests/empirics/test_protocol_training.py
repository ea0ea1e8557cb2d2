"""The papers' training protocols: K23 validation with best-checkpoint selection and MRR; H25's position-
offset trick, R_pos regularizer (backpropagated), early stop, seed and hyperparameter selection."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import empirics.train as T
from empirics import checkpoint
from empirics.errors import PelgError
from empirics.evaluate import evaluate
from empirics.model import ModelConfig
from empirics.positions import PositionScheme
from empirics.analysis.selection import (SeedSelection, first_ood_accuracy, in_distribution_accuracy, mrr,
                                      mrr_from_results, ood_accuracy, select_config, select_seeds)
from empirics.tasks import get_task
from empirics.train import OffsetPositions, TrainConfig, build_model, rpos, train


def learned_cfg(**kw) -> TrainConfig:
    base = dict(task="copy", model=ModelConfig(pe="learned", n_layer=1, n_head=2, d_model=16, d_ff=32,
                                               pe_options={"max_positions": 32}),
                train_lengths=(1, 3), eval_buckets=[(1, 3), (4, 5)], eval_samples=32, steps=30, batch_size=16,
                lr=3e-3, device="cpu")
    return TrainConfig(**{**base, **kw})


# ----------------------------------------------------------------------------- R_pos
def test_rpos_matches_its_definition_term_by_term():
    cfg = learned_cfg(model=ModelConfig(pe="learned", n_layer=2, n_head=2, d_model=8, d_ff=16,
                                        pe_options={"max_positions": 6}))
    torch.manual_seed(1)
    model = build_model(cfg).double()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_()  # O(1) weights so that every term matters
    P = model.pe.weight.detach()
    N, D = P.shape
    expected = 0.0
    for block in model.blocks:
        W, H, dh = block.attn.qkv.weight.detach(), block.attn.n_head, block.attn.d_head
        for h in range(H):
            wq, wk = W[h * dh:(h + 1) * dh], W[D + h * dh:D + (h + 1) * dh]  # (dh, D): q = wq @ p
            for j in range(N):
                for i in range(j, N):
                    expected += float((wq @ P[i]) @ (wk @ P[j])) ** 2 / N
    assert float(rpos(model).detach()) == pytest.approx(expected, rel=1e-12)


def test_rpos_gradient_reaches_every_row_of_the_position_table():
    model = build_model(learned_cfg())
    model.zero_grad()
    rpos(model).backward()
    g = model.pe.weight.grad
    assert g is not None and bool((g.abs().sum(1) > 0).all())  # all 32 rows, used by data or not
    assert model.blocks[0].attn.qkv.weight.grad.abs().sum() > 0
    with pytest.raises(PelgError, match="learned"):
        rpos(build_model(learned_cfg(model=ModelConfig(pe="rope"))))


def test_training_with_rpos_lowers_rpos_and_moves_rows_no_example_uses(tmp_path):
    torch.manual_seed(0)  # train() seeds the same way: the initial table
    init = build_model(learned_cfg()).pe.weight.detach().clone()
    tables, values = {}, {}
    for lam in (0.0, 1.0, 100.0):
        result = train(learned_cfg(rpos_lambda=lam, steps=60, lr=1e-2), tmp_path / str(lam), progress=False)
        values[lam] = result["rpos"]
        tables[lam] = checkpoint.load(tmp_path / str(lam) / "model.pt")[0].pe.weight.detach()
        # the loss curve stays the task loss (about log |V| at the start), comparable across lambdas
        assert result["train_loss"]["first"] == pytest.approx(math.log(len(get_task("copy").vocab)), rel=0.1)
    # measured: 2.1e-3 (lambda 0), 1.7e-3 (1), 1.8e-4 (100); the task loss moves by < 1%
    assert values[100.0] < 0.2 * values[0.0] and values[1.0] < values[0.0]
    # rows beyond the longest training input (8 tokens) get gradient only from R_pos
    assert torch.equal(tables[0.0][8:], init[8:])
    assert not torch.equal(tables[1.0][8:], init[8:]) and not torch.equal(tables[100.0][8:], init[8:])


# ----------------------------------------------------------------------------- position offsets
def test_offset_positions_are_consecutive_and_cover_every_row():
    rng = np.random.default_rng(0)
    wrap = OffsetPositions(PositionScheme("abs"), top=12)
    pos = torch.cat([wrap(50, 5, None, rng) for _ in range(40)])  # (2000, 5)
    assert torch.equal(pos - pos[:, :1], torch.arange(5).expand_as(pos))
    assert int(pos.min()) == 0 and int(pos.max()) == 11
    assert set(pos[:, 0].tolist()) == set(range(8))  # offsets 0..top-T, all drawn
    counts = np.bincount(pos[:, 0].numpy(), minlength=8)
    assert counts.min() > 0.6 * counts.mean()  # roughly uniform
    with pytest.raises(PelgError, match="position_offset_max 12 is smaller"):
        wrap(1, 13, None, rng)


def test_offset_training_trains_rows_up_to_the_max_and_testing_uses_no_offset(tmp_path):
    torch.manual_seed(0)
    init = build_model(learned_cfg()).pe.weight.detach().clone()
    tables = {}
    for top in (0, 24):
        out = tmp_path / str(top)
        result = train(learned_cfg(position_offset_max=top, steps=40), out, progress=False)
        model, cfg = checkpoint.load(out / "model.pt")
        tables[top] = model.pe.weight.detach()
        # the reported metrics are those of plain positions 0..T-1 (no offset at test)
        assert isinstance(model.positions, PositionScheme)
        again = evaluate(model, get_task("copy"), cfg.eval_buckets, cfg.eval_samples, seed=cfg.seed,
                         train_range=cfg.train_lengths)
        assert again == result["metrics"]
    moved = lambda t: (t != init).any(1)  # rows that received gradient
    assert moved(tables[0])[:8].all() and not moved(tables[0])[8:].any()  # 8 = longest input
    assert moved(tables[24])[:24].all() and not moved(tables[24])[24:].any()


# ----------------------------------------------------------------------------- validation, best, early stop
def scripted_validation(monkeypatch, values):
    it = iter(values)
    monkeypatch.setattr(T, "validate", lambda *a, **k: next(it))


def record_saved_weights(monkeypatch) -> dict:
    saved, save_state = {}, checkpoint.save_state

    def spy(path, state):
        saved[state["step"]] = {k: v.clone() for k, v in state["model"].items()}
        save_state(path, state)
    monkeypatch.setattr(checkpoint, "save_state", spy)
    return saved


@pytest.mark.parametrize("task, values, select, best", [
    ("copy", [0.2, 0.9, 0.5, 0.3], True, 10),
    ("copy", [0.5, 0.5, 0.4, 0.5], True, 5),     # ties keep the earliest
    ("copy", [0.2, 0.9, 0.5, 0.3], False, 10),   # best recorded, final weights reported
    ("running_mean", [0.3, 0.1, 0.2, 0.1], True, 10),  # MSE: lower is better
])
def test_best_validation_checkpoint_is_reported(task, values, select, best, tmp_path, monkeypatch):
    scripted_validation(monkeypatch, values)
    saved = record_saved_weights(monkeypatch)
    model = ModelConfig(arch="encoder" if task == "running_mean" else "decoder", pe="rope", n_layer=1, n_head=2,
                        d_model=16, d_ff=32)
    cfg = TrainConfig(task=task, model=model, train_lengths=(1, 4), eval_buckets=[(1, 4), (5, 6)], eval_samples=32,
                      steps=20, batch_size=8, lr=3e-3, eval_every=5, checkpoint_every=5, select_best=select,
                      device="cpu")
    result = train(cfg, tmp_path, progress=False)
    v = result["validation"]
    assert v["curve"] == [[5 * (i + 1), x] for i, x in enumerate(values)]
    assert v["best_step"] == best and v["best_metric"] == values[best // 5 - 1] and v["selected"] == select
    reported = torch.load(tmp_path / "model.pt", weights_only=True)["state_dict"]
    expected = saved[best if select else 20]
    assert all(torch.equal(reported[k], expected[k]) for k in reported)
    assert not all(torch.equal(reported[k], saved[20 if select else best][k]) for k in reported)
    loaded, _ = checkpoint.load(tmp_path / "model.pt")
    assert evaluate(loaded, get_task(task), cfg.eval_buckets, 32, seed=0, train_range=(1, 4)) == result["metrics"]


def test_validation_uses_held_out_in_distribution_examples(monkeypatch):
    calls, make_batch = [], T.make_batch

    def spy(task, rng, lo, hi, n, role="any", train_range=None, layout="default"):
        calls.append((lo, hi, role, train_range))
        return make_batch(task, rng, lo, hi, n, role, train_range, layout)
    monkeypatch.setattr(T, "make_batch", spy)
    cfg = learned_cfg(model=ModelConfig(pe="rope", n_layer=1, n_head=2, d_model=16, d_ff=32), steps=2,
                      eval_every=1, val_samples=300)
    batches = T.validation_batches(get_task("copy"), cfg)
    assert [len(b.lengths) for b in batches] == [256, 44]
    assert set(calls) == {(1, 3, "eval", (1, 3))}
    train(cfg, None, progress=False)
    roles = [c[2] for c in calls[2:]]
    assert roles[:2] == ["eval", "eval"] and set(roles[2:]) == {"train"}  # validation set drawn once


def test_early_stop_at_full_validation_accuracy():
    cfg = TrainConfig(task="h25.binary_majority", model=ModelConfig(pe="nope", n_layer=1, n_head=2, d_model=32,
                                                                   d_ff=64),
                      train_lengths=(1, 12), eval_buckets=[(1, 12), (13, 20)], eval_samples=64, steps=300,
                      batch_size=32, lr=3e-3, eval_every=15, val_samples=64, early_stop=True, device="cpu")
    result = train(cfg, None, progress=False)
    curve = result["validation"]["curve"]
    assert result["stopped_early"] and result["steps_done"] == curve[-1][0] < 300
    assert curve[-1][1] == 1.0 and all(m < 1.0 for _, m in curve[:-1])
    assert result["validation"]["best_step"] == result["steps_done"]
    assert len(result["train_loss"]) == 3 and result["train_loss"]["first"] > result["train_loss"]["final"]


def test_early_stop_patience_waits_for_consecutive_validations_at_the_bar():
    base = dict(task="h25.binary_majority", model=ModelConfig(pe="nope", n_layer=1, n_head=2, d_model=32, d_ff=64),
                train_lengths=(1, 12), eval_buckets=[(1, 12)], eval_samples=64, steps=400, batch_size=32, lr=3e-3,
                eval_every=15, val_samples=64, early_stop=True, device="cpu")
    first = train(TrainConfig(**base), None, progress=False)
    patient = train(TrainConfig(**base, early_stop_patience=3), None, progress=False)
    from empirics.engine.confighash import config_hash
    assert config_hash(TrainConfig(**base, early_stop_patience=1)) == config_hash(TrainConfig(**base))  # default out
    curve = patient["validation"]["curve"]
    # identical up to the first stop (same seed), then 3 validations in a row at 100% before stopping
    assert curve[:len(first["validation"]["curve"])] == first["validation"]["curve"]
    assert patient["steps_done"] > first["steps_done"]
    assert patient["stopped_early"] and [m for _, m in curve[-3:]] == [1.0, 1.0, 1.0]
    with pytest.raises(PelgError, match="early_stop_patience must be a positive integer"):
        TrainConfig(**base, early_stop_patience=0)


# ----------------------------------------------------------------------------- config checks
@pytest.mark.parametrize("kw, needle", [
    (dict(early_stop=True), "early_stop needs eval_every"),
    (dict(rpos_lambda=1e-4, model=ModelConfig(pe="rope")), "rpos_lambda needs the learned"),
    (dict(rpos_lambda=-1.0), "rpos_lambda must be >= 0"),
    (dict(rpos_lambda=float("nan")), "rpos_lambda must be a finite number"),
    (dict(position_offset_max=50, model=ModelConfig(pe="rope+random")), "position_offset_max needs the default"),
    (dict(position_offset_max=40), "exceeds the learned PE table (32 positions)"),
    (dict(position_offset_max=-1), "position_offset_max must be an integer >= 0"),
    (dict(eval_every=2.5), "eval_every must be an integer >= 0"),
    (dict(checkpoint_every=0), "checkpoint_every must be a positive integer"),
    (dict(val_samples=0), "val_samples must be a positive integer"),
    (dict(select_best="yes"), "select_best must be true or false"),
    (dict(early_stop=1, eval_every=5), "early_stop must be true or false"),
    (dict(lr="fast"), "lr must be a finite number"),
])
def test_bad_protocol_options_are_one_line_errors(kw, needle):
    with pytest.raises(PelgError) as err:
        learned_cfg(**kw)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_runtime_protocol_errors():
    with pytest.raises(PelgError, match="early_stop needs an accuracy"):
        train(TrainConfig(task="running_mean", model=ModelConfig(arch="encoder"), steps=2, eval_every=1,
                          early_stop=True, device="cpu"), None, progress=False)
    with pytest.raises(PelgError, match="position_offset_max 6 is smaller than a training sequence"):
        train(learned_cfg(position_offset_max=6, train_lengths=(3, 3)), None, progress=False)


def test_resolved_config_is_canonical():
    """1 and 1.0 give the same resolved config (and so the same store hash); defaults change nothing."""
    a, b = learned_cfg(lr=1, warmup=0, rpos_lambda=0).to_dict(), learned_cfg(lr=1.0, warmup=0.0).to_dict()
    assert a == b and isinstance(a["lr"], float) and isinstance(a["rpos_lambda"], float)
    d = TrainConfig().to_dict()
    assert (d["checkpoint_every"], d["eval_every"], d["early_stop"], d["position_offset_max"], d["rpos_lambda"]) \
        == (500, 0, False, 0, 0.0)
    assert TrainConfig.from_dict(d).to_dict() == d


# ----------------------------------------------------------------------------- MRR
def test_mrr_ranks_per_unit_with_ties_broken_by_order():
    scores = {"nope": [0.9, 0.2, 0.0], "t5": [0.5, 0.2, 0.0], "alibi": [0.1, 0.8, 0.0]}
    got = mrr(scores)
    # unit 0: nope, t5, alibi; unit 1: alibi, nope (tie, earlier), t5; unit 2: all tied -> given order
    assert got == pytest.approx({"nope": (1 + 1 / 2 + 1) / 3, "t5": (1 / 2 + 1 / 3 + 1 / 2) / 3,
                                 "alibi": (1 / 3 + 1 + 1 / 3) / 3})
    assert list(got) == ["nope", "t5", "alibi"]
    flipped = mrr({"t5": scores["t5"], "nope": scores["nope"], "alibi": scores["alibi"]})
    assert flipped["t5"] > got["t5"] and flipped["nope"] < got["nope"]  # order decides ties


@pytest.mark.parametrize("bad, needle", [
    ({}, "at least one PE"),
    ({"nope": [0.1, 0.2], "t5": [0.3]}, "same non-zero number"),
    ({"nope": [], "t5": []}, "same non-zero number"),
    ({"nope": [float("nan")]}, "finite number"),
])
def test_mrr_bad_input(bad, needle):
    with pytest.raises(PelgError, match=needle):
        mrr(bad)


def fake(pe="nope", seed=0, iid=1.0, ood=(0.5, 0.2), n_layer=1, n_head=1, d_model=16, n_params=None, lr=1e-3,
         task="copy"):
    """A result dict as train returns it (only the fields the protocol functions read)."""
    model = ModelConfig(pe=pe, n_layer=n_layer, n_head=n_head, d_model=d_model, d_ff=4 * d_model).to_dict()
    metrics = {"1-10": {"metric": iid, "loss": 0.0, "n": 100},
               "11-20": {"metric": ood[0], "loss": 0.0, "n": 100}, "21-30": {"metric": ood[1], "loss": 0.0, "n": 300}}
    r = {"config": TrainConfig(task=task, model=model, seed=seed, lr=lr, train_lengths=(1, 10),
                               eval_buckets=[(1, 10), (21, 30), (11, 20)]).to_dict(),
         "metric_name": "exact_match", "metrics": metrics}
    if n_params is not None:
        r["n_params"] = n_params
    return r


def test_result_readers():
    r = fake(iid=0.9, ood=(0.5, 0.1))
    assert in_distribution_accuracy(r) == 0.9
    assert first_ood_accuracy(r) == 0.5  # the bucket with the smallest lengths, whatever the order
    assert ood_accuracy(r) == pytest.approx((0.5 * 100 + 0.1 * 300) / 400)
    with pytest.raises(PelgError, match="not an accuracy"):
        in_distribution_accuracy({**r, "metric_name": "mse"})


def test_mrr_from_results_groups_units_up_to_the_pe():
    results = [fake(pe, seed, ood=(acc, acc)) for seed, accs in enumerate([(0.9, 0.5), (0.1, 0.1)])
               for pe, acc in zip(("nope", "alibi"), accs)]
    assert mrr_from_results(results) == pytest.approx({"nope": 1.0, "alibi": 0.5})
    assert mrr_from_results(results, pes=["alibi", "nope"]) == pytest.approx({"alibi": 0.75, "nope": 0.75})
    with pytest.raises(PelgError, match="no run of PE 'alibi'"):
        mrr_from_results(results[:3])
    with pytest.raises(PelgError, match="two runs of PE 'nope'"):
        mrr_from_results(results + [results[0]])


# ----------------------------------------------------------------------------- H25 seeds and hyperparameters
def test_select_seeds_stops_at_k_successes_and_reports_drops():
    outcome = {0: 1.0, 1: 0.9, 2: 1.0, 3: 0.5, 4: 1.0, 5: 1.0, 6: 1.0}
    tried = []

    def run(seed):
        tried.append(seed)
        return fake(seed=seed, iid=outcome[seed])
    sel = select_seeds(run, range(7), k=3)
    assert isinstance(sel, SeedSelection) and sel.complete
    assert sel.seeds == [0, 2, 4] and sel.dropped == [1, 3] and sel.n_dropped == 2
    assert tried == [0, 1, 2, 3, 4]  # nothing started after the third success
    assert sel.drop_rate == pytest.approx(2 / 5) and [r["config"]["seed"] for r in sel.results] == [0, 2, 4]
    short = select_seeds(run, [1, 3, 5], k=2)
    assert not short.complete and short.seeds == [5] and short.dropped == [1, 3]
    custom = select_seeds(run, range(7), k=1, success=lambda r: r["metrics"]["1-10"]["metric"] < 1)
    assert custom.seeds == [1] and custom.dropped == [0]
    with pytest.raises(PelgError, match="k must be a positive integer"):
        select_seeds(run, range(3), k=0)


def test_select_config_rule():
    a = fake(iid=1.0, ood=(0.7, 0.0), n_layer=4, d_model=64, n_params=900)
    b = fake(iid=0.99, ood=(0.95, 0.9), n_layer=1, n_params=100)   # best OOD but not 100% in distribution
    c = fake(iid=1.0, ood=(0.7, 0.3), n_layer=2, d_model=16, n_params=300)  # ties a on the first OOD bucket
    d = fake(iid=1.0, ood=(0.6, 0.9), n_layer=1, n_params=50)      # better later, worse on the first bucket
    assert select_config([a, b, c, d]) is c  # simpler of the tied a, c
    assert select_config([b]) is None
    e = fake(iid=1.0, ood=(0.7, 0.0), n_layer=2, d_model=16, n_params=300, lr=1e-4)  # same size as c
    assert select_config([e, c]) is e and select_config([c, e]) is c  # full tie: the earlier
    # without n_params the parameter count comes from the config
    f, g = fake(iid=1.0, ood=(0.7, 0.0), n_layer=2), fake(iid=1.0, ood=(0.7, 0.0), n_layer=1)
    assert select_config([f, g]) is g


def test_resolve_fills_the_vocabulary_before_training():
    """The config a store hashes before a run equals the one result.json records after it."""
    cfg = learned_cfg(steps=2)
    before = T.resolve(TrainConfig.from_dict(cfg.to_dict())).to_dict()
    assert before["model"]["vocab_size"] == len(get_task("copy").vocab)
    assert train(cfg, None, progress=False)["config"] == before
    assert T.resolve(TrainConfig.from_dict(before)).to_dict() == before  # idempotent
