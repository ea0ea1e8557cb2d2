"""Checkpoints, written atomically and loaded with `weights_only=True` (no pickled code is ever executed):

- model files (`model.pt`, FORMAT): weights plus config;
- training states (`checkpoint.pt`, STATE_FORMAT): what `empirics.train.train` needs to resume a run
  bit for bit: weights, optimizer, scheduler, RNG states (numpy as JSON text, torch as byte tensors),
  step, loss curve, validation history and the best-so-far weights. `load` accepts either kind.

Each file carries `sha256`, a digest of its own payload (every key, string, number and tensor byte; see
`payload_digest`), checked on load: flipped bytes are "corrupt", not weights that train to NaN. Files
written before the digest existed have none and load as before. A write is read back before it
replaces the previous file, so a bad write never becomes the last good checkpoint.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch

from .errors import PelgError
from .fileio import atomic_write
from .runconfig import TrainConfig, build_model

FORMAT = "pelg-checkpoint-v1"
STATE_FORMAT = "pelg-train-state-v1"
STATE_KEYS = ("config", "step", "model", "optimizer", "scheduler", "numpy_rng", "torch_rng", "cuda_rng", "curve",
              "val_curve", "best", "stopped", "seconds", "resumes")


def _feed(h, obj) -> None:
    """Hash `obj` (nested dicts, lists, tensors, scalars) into `h`, each value tagged with its type."""
    if isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    elif isinstance(obj, dict):
        h.update(b"{%d" % len(obj))
        for key in sorted(obj, key=repr):
            _feed(h, key)
            _feed(h, obj[key])
    elif isinstance(obj, (list, tuple)):
        h.update(b"[%d" % len(obj))
        for item in obj:
            _feed(h, item)
    elif obj is None or isinstance(obj, (str, bytes, bool, int, float)):
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
    else:
        raise TypeError(f"cannot digest a {type(obj).__name__} in a checkpoint")


def payload_digest(payload: dict) -> str:
    """sha256 over the payload's content (its `sha256` entry left out)."""
    h = hashlib.sha256()
    _feed(h, {k: v for k, v in payload.items() if k != "sha256"})
    return h.hexdigest()


def _write(path: Path, payload: dict) -> None:
    payload = {**payload, "sha256": payload_digest(payload)}
    atomic_write(path, lambda f: torch.save(payload, f), verify=True)


def save(path: Path, model, cfg) -> None:
    _write(path, {"format": FORMAT, "config": json.dumps(cfg.to_dict()), "state_dict": model.state_dict()})


def _read(path: Path, device) -> dict:
    """The payload of a pelg checkpoint of either kind; a one-line PelgError for anything else."""
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except FileNotFoundError:
        raise PelgError(f"checkpoint {str(path)!r} does not exist") from None
    except Exception as e:  # truncated zip, foreign pickle, a directory, ...
        raise PelgError(f"checkpoint {str(path)!r} is corrupt or not a pelg checkpoint "
                        f"({type(e).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") not in (FORMAT, STATE_FORMAT):
        raise PelgError(f"checkpoint {str(path)!r} is not a {FORMAT} file")
    if "sha256" in payload:  # files of before the digest have none
        try:
            ok = payload["sha256"] == payload_digest(payload)
        except (TypeError, RuntimeError):
            ok = False
        if not ok:
            raise PelgError(f"checkpoint {str(path)!r} is corrupt: its content does not match its sha256 "
                            f"checksum (flipped or overwritten bytes); delete it to start afresh")
    return payload


def load(path: Path, device="cpu"):
    """-> (model, TrainConfig). Corrupt or foreign files raise a one-line PelgError. A training state
    (checkpoint.pt of an unfinished run) gives the model at its last saved step."""
    payload = _read(path, device)
    weights = payload.get("state_dict" if payload["format"] == FORMAT else "model")
    try:
        cfg = TrainConfig.from_dict(json.loads(payload["config"]))
        model = build_model(cfg).to(device)
        model.load_state_dict(weights)
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        if isinstance(e, PelgError):
            raise
        raise PelgError(f"checkpoint {str(path)!r} is corrupt or not a pelg checkpoint "
                        f"({type(e).__name__})") from None
    return model, cfg


def save_state(path: Path, state: dict) -> None:
    """Write a training state atomically (a kill mid-write leaves the previous file intact)."""
    missing = [k for k in STATE_KEYS if k not in state]
    if missing:
        raise ValueError(f"training state lacks {missing}")
    _write(path, {"format": STATE_FORMAT, **state})


def load_state(path: Path, device="cpu") -> dict:
    """Read a training state written by `save_state`; anything else raises a one-line PelgError."""
    payload = _read(path, device)
    if payload["format"] != STATE_FORMAT or any(k not in payload for k in STATE_KEYS):
        raise PelgError(f"checkpoint {str(path)!r} is not a {STATE_FORMAT} training state")
    return payload
