"""Shared settings for the empirics tests.

The models here are tiny, so intra-op threading buys nothing, while on a busy 2-core machine torch's
default of one thread per core can slow the suite down a hundredfold (measured: 15 s with one thread,
9 minutes with two while another training job was running). Pin one thread for these tests only.
"""
import pytest
import torch


@pytest.fixture(scope="package", autouse=True)
def _one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
