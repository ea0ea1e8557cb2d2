"""Smoke trainings, one task per paper's suite (the Chen 2025 one is in test_tasks_c25.py, Li 2025's in
test_training.py): a tiny decoder reaches held-out in-distribution accuracy well above chance."""
import pytest
import torch

from empirics.model import ModelConfig
from empirics.train import TrainConfig, train


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def smoke(task, lengths, pe, steps, batch=64):
    cfg = TrainConfig(task=task, model=ModelConfig(pe=pe, n_layer=2, n_head=4, d_model=64, d_ff=128),
                      train_lengths=lengths, eval_buckets=[lengths], steps=steps, lr=3e-3,
                      eval_samples=128, batch_size=batch)
    return train(cfg, progress=False)["metrics"][f"{lengths[0]}-{lengths[1]}"]["metric"]


def test_k23_copy_cmc_learns():
    # 100 symbol types, lengths 1..5: chance of an exact copy is < 1e-2; measured 0.70 after 300 steps
    assert smoke("k23.copy_cmc", (1, 5), "rope", 300) >= 0.5


def test_h25_binary_majority_learns():
    # chance 0.5 (one answer bit); measured 1.0 after 150 steps
    assert smoke("h25.binary_majority", (1, 20), "nope", 150, batch=32) >= 0.9


def test_h25_formal_language_sets_learn():
    # Tomita 2 = (10)*: every legal-next set at every position must be right; measured 1.0
    assert smoke("h25.tomita2", (1, 20), "nope", 150, batch=32) >= 0.9
