"""Smoke trainings (seconds on CPU): a tiny decoder learns copy; teacher-forced exact match agrees with
greedy decoding example by example; checkpoints round-trip; a NoPE causal encoder beats the zero
predictor on running_mean."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from empirics import checkpoint
from empirics.errors import PelgError
from empirics.evaluate import batch_scores, evaluate, forward, greedy_decode
from empirics.model import ModelConfig
from empirics.positions import PositionScheme
from empirics.tasks import collate, get_task
from empirics.tasks.base import EOS, IGNORE
from empirics.train import TrainConfig, build_model, train

COPY_MODEL = ModelConfig(pe="rope", n_layer=2, n_head=4, d_model=64, d_ff=128)


@pytest.fixture(scope="module")
def copy_run(tmp_path_factory):
    """One copy training (lengths 1..5, 300 steps) shared by the tests below: (result, model, cfg, dir)."""
    out = tmp_path_factory.mktemp("copy_run")
    cfg = TrainConfig(task="copy", model=COPY_MODEL, train_lengths=(1, 5), eval_buckets=[(1, 5), (6, 8)],
                      eval_samples=256, steps=300, lr=3e-3, batch_size=64, seed=0, device="cpu")
    result = train(cfg, out, progress=False)
    model, loaded_cfg = checkpoint.load(out / "model.pt")
    model.eval()
    return result, model, loaded_cfg, out


def test_tiny_decoder_learns_copy(copy_run):
    result, _, _, out = copy_run
    assert result["metric_name"] == "exact_match"
    assert result["metrics"]["1-5"]["metric"] >= 0.95
    assert result["train_loss"]["final"] < 0.2 * result["train_loss"]["first"]
    assert (out / "model.pt").exists() and (out / "result.json").exists()


def test_teacher_forced_exact_match_agrees_with_greedy_decoding(copy_run):
    """Per example: score 1 <=> greedy output == target (stopping with <eos>). Stronger: greedy's tokens
    equal the teacher-forced argmax up to and including the first wrong token."""
    _, model, _, _ = copy_run
    task = get_task("copy")
    v = task.vocab
    rng = np.random.default_rng(123)
    outcomes = []
    for length in range(1, 9):
        examples = [task.sample(rng, length) for _ in range(6)]
        batch = collate(task, examples)
        scores, _ = batch_scores(model, batch)
        with torch.no_grad():
            argmax = forward(model, batch).argmax(-1)  # (B, T)
        for row, ex in enumerate(examples):
            max_new = len(ex.target) + 1
            out = greedy_decode(model, task, ex.source, max_new=max_new)
            greedy_ok = out == list(ex.target)
            assert bool(scores[row]) == greedy_ok, (length, ex.source, out)
            outcomes.append(greedy_ok)
            # independent prefix check
            gold = [*ex.target, EOS]
            pred = v.decode(argmax[row][batch.labels[row] != IGNORE].tolist())
            wrong = [i for i, (p, g) in enumerate(zip(pred, gold)) if p != g]
            k = wrong[0] if wrong else len(gold) - 1
            produced = out + ([EOS] if len(out) < max_new else [])
            assert produced[: k + 1] == pred[: k + 1]
    assert any(outcomes) and not all(outcomes)  # both outcomes occurred


def test_checkpoint_round_trip(copy_run, tmp_path):
    result, model, cfg, _ = copy_run
    task = get_task("copy")
    # the config and the metrics of the in-memory model come back
    assert cfg.to_dict() == result["config"]
    again = evaluate(model, task, cfg.eval_buckets, cfg.eval_samples, seed=cfg.seed,
                     train_range=cfg.train_lengths)
    for label, m in result["metrics"].items():
        assert again[label]["metric"] == m["metric"]
        assert again[label]["loss"] == pytest.approx(m["loss"], rel=1e-5)
    # save -> load gives identical weights and outputs
    checkpoint.save(tmp_path / "again.pt", model, cfg)
    model2, cfg2 = checkpoint.load(tmp_path / "again.pt")
    model2.eval()
    assert cfg2 == cfg
    sd1, sd2 = model.state_dict(), model2.state_dict()
    assert sd1.keys() == sd2.keys() and all(torch.equal(sd1[k], sd2[k]) for k in sd1)
    batch = collate(task, [task.sample(np.random.default_rng(9), n) for n in (2, 7)])
    with torch.no_grad():
        assert torch.equal(forward(model, batch), forward(model2, batch))
        # ... and the comparison could fail: a fresh model gives different outputs
        torch.manual_seed(1)
        fresh = build_model(TrainConfig.from_dict(cfg.to_dict())).eval()
        assert not torch.allclose(forward(fresh, batch), forward(model, batch))


@pytest.mark.parametrize("pe", ["t5", "kerple_power", "fire", "learned", "sinusoidal+sh"])
def test_checkpoint_round_trip_learned_pe_parameters(pe, tmp_path):
    """PE parameters (T5 table, KERPLE r1/r2, FIRE MLP, learned rows) are saved and restored."""
    cfg = TrainConfig(task="copy", model=ModelConfig(pe=pe, n_head=2, d_model=16, d_ff=32), steps=1,
                      device="cpu")
    torch.manual_seed(0)
    model = build_model(cfg)
    with torch.no_grad():
        for p in model.pe.parameters():
            p.add_(torch.randn_like(p))
    checkpoint.save(tmp_path / "m.pt", model, cfg)
    loaded, _ = checkpoint.load(tmp_path / "m.pt")
    for (n1, p1), (n2, p2) in zip(model.named_parameters(), loaded.named_parameters()):
        assert n1 == n2 and torch.equal(p1, p2), n1
    task = get_task("copy")
    batch = collate(task, [task.sample(np.random.default_rng(0), 6)])
    with torch.no_grad():
        assert torch.equal(forward(model.eval(), batch), forward(loaded.eval(), batch))


def test_corrupt_and_foreign_checkpoints_raise(copy_run, tmp_path):
    _, _, _, out = copy_run
    data = (out / "model.pt").read_bytes()
    cases = {"truncated.pt": data[: len(data) // 2], "tiny.pt": data[:100], "garbage.pt": b"not a checkpoint" * 50,
             "empty.pt": b""}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(PelgError, match=name):
            checkpoint.load(tmp_path / name)
    # valid torch files that are not pelg checkpoints
    torch.save({"state_dict": {"w": torch.zeros(2)}}, tmp_path / "foreign_dict.pt")
    torch.save(torch.zeros(3), tmp_path / "foreign_tensor.pt")
    torch.save({"format": "other-v9", "config": "{}", "state_dict": {}}, tmp_path / "foreign_format.pt")
    for name in ("foreign_dict.pt", "foreign_tensor.pt", "foreign_format.pt"):
        with pytest.raises(PelgError, match="not a pelg"):
            checkpoint.load(tmp_path / name)
    with pytest.raises(PelgError, match="does not exist"):
        checkpoint.load(tmp_path / "missing.pt")


class ZeroPredictor(nn.Module):
    """The baseline y_hat = 0, usable by `evaluate` (same interface as a regression Transformer)."""

    regression = True

    def __init__(self):
        super().__init__()
        self.positions = PositionScheme("abs")

    def forward(self, inputs, positions, pad_mask=None, scale=None):
        return torch.zeros_like(inputs)


def test_nope_causal_encoder_beats_zero_predictor_on_running_mean():
    buckets = [(4, 4), (12, 12)]
    cfg = TrainConfig(task="running_mean",
                      model=ModelConfig(arch="encoder", causal=True, pe="nope", n_layer=2, n_head=1,
                                        d_model=32, d_ff=64),
                      train_lengths=(1, 16), eval_buckets=buckets, eval_samples=256, steps=120, lr=3e-3,
                      batch_size=64, seed=0, device="cpu")
    result = train(cfg, None, progress=False)
    assert result["metric_name"] == "mse"
    task = get_task("running_mean")
    baseline = evaluate(ZeroPredictor(), task, buckets, 256, seed=cfg.seed)  # the same evaluation data
    for lo, _ in buckets:
        label = str(lo)
        # the zero predictor's MSE is E[mean_t y_t^2] = (1/L) sum_t 1/(3t)
        closed = np.mean([1 / (3 * t) for t in range(1, lo + 1)])
        assert baseline[label]["metric"] == pytest.approx(closed, rel=0.2)
        assert result["metrics"][label]["metric"] < 0.1 * baseline[label]["metric"]
