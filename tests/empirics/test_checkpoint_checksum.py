"""Checkpoints carry a sha256 of their own payload (empirics/checkpoint.py, issue 15): flipped bytes are
reported as corrupt instead of training to NaN, files of before the checksum still load, and a write
that does not read back as written never replaces the last good file."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from empirics import checkpoint, fileio
from empirics.errors import PelgError
from empirics.runconfig import TrainConfig, build_model

MODELS = Path(checkpoint.__file__).parent / "evidence" / "models"


def _saved(tmp_path: Path):
    cfg = TrainConfig(task="copy", steps=1, model={"d_model": 16, "d_ff": 32})
    model = build_model(cfg)
    checkpoint.save(tmp_path / "model.pt", model, cfg)
    return model, cfg


def test_a_saved_model_carries_its_checksum_and_loads(tmp_path):
    model, _ = _saved(tmp_path)
    payload = torch.load(tmp_path / "model.pt", weights_only=True)
    assert payload["sha256"] == checkpoint.payload_digest(payload) and len(payload["sha256"]) == 64
    loaded, _ = checkpoint.load(tmp_path / "model.pt")
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values()))


def test_the_digest_sees_every_value():
    """A changed tensor byte, float, key or nesting changes the digest; the same content gives the same one."""
    base = {"format": "x", "w": torch.arange(6.0), "opt": {"lr": 0.001, "state": {0: [1, 2.5, None, "a"]}}}
    d = checkpoint.payload_digest(base)
    assert checkpoint.payload_digest({**base, "w": torch.arange(6.0)}) == d
    variants = [{**base, "w": torch.arange(6.0) + 1e-3 * (torch.arange(6) == 3)},
                {**base, "opt": {"lr": 0.0011, "state": {0: [1, 2.5, None, "a"]}}},
                {**base, "opt": {"lr": 0.001, "state": {1: [1, 2.5, None, "a"]}}},
                {**base, "opt": {"lr": 0.001, "state": {0: [1, 2.5, "a", None]}}},
                {**base, "w": torch.arange(6.0).reshape(2, 3)},
                {**base, "w": torch.arange(6.0).double()}]
    assert len({checkpoint.payload_digest(v) for v in variants} | {d}) == len(variants) + 1


def test_flipped_bytes_are_reported_as_corrupt(tmp_path):
    model, _ = _saved(tmp_path)
    data = bytearray((tmp_path / "model.pt").read_bytes())
    biggest = max(model.state_dict().values(), key=torch.numel)
    at = data.find(biggest.contiguous().view(-1).view(torch.uint8).numpy().tobytes()[:256])
    data[at + 17] ^= 0x01  # one bit of one weight: torch itself loads this without complaint
    (tmp_path / "bad.pt").write_bytes(bytes(data))
    assert torch.load(tmp_path / "bad.pt", weights_only=True)["state_dict"]  # the container is intact
    with pytest.raises(PelgError, match=r"corrupt: its content does not match its sha256 checksum"):
        checkpoint.load(tmp_path / "bad.pt")


def test_checkpoints_from_before_the_checksum_still_load(tmp_path):
    _, cfg = _saved(tmp_path)
    payload = torch.load(tmp_path / "model.pt", weights_only=True)
    del payload["sha256"]
    torch.save(payload, tmp_path / "old.pt")
    assert checkpoint.load(tmp_path / "old.pt")[1] == cfg
    recorded = sorted(MODELS.glob("*/model.pt"))
    assert recorded, "the ledger's recorded models"
    for path in recorded:  # written before checksums existed
        assert "sha256" not in torch.load(path, weights_only=True) and checkpoint.load(path)[0] is not None


def test_a_write_that_does_not_read_back_keeps_the_last_good_file(tmp_path, monkeypatch):
    model, cfg = _saved(tmp_path)
    good = (tmp_path / "model.pt").read_bytes()
    real = fileio._open

    from fake_disk import WrappedFile

    class Garbling(WrappedFile):  # a disk that stores other bytes than it was given
        def write(self, data):
            return self.f.write(bytes(b ^ 0xFF for b in bytes(data)))

    monkeypatch.setattr(fileio, "_open", lambda fd: Garbling(real(fd)))
    with pytest.raises(PelgError, match="read back differ"):
        checkpoint.save(tmp_path / "model.pt", model, cfg)
    assert (tmp_path / "model.pt").read_bytes() == good and sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]
