"""Checkpoints: weights plus config, written atomically, loaded with `weights_only=True` (no pickled
code is ever executed)."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from .errors import PelgError
from .fileio import atomic_write

FORMAT = "pelg-checkpoint-v1"


def save(path: Path, model, cfg) -> None:
    payload = {"format": FORMAT, "config": json.dumps(cfg.to_dict()), "state_dict": model.state_dict()}
    atomic_write(path, lambda f: torch.save(payload, f))


def load(path: Path, device="cpu"):
    """-> (model, TrainConfig). Corrupt or foreign files raise a one-line PelgError."""
    from .train import TrainConfig, build_model  # local: train imports this module

    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except FileNotFoundError:
        raise PelgError(f"checkpoint {str(path)!r} does not exist") from None
    except Exception as e:  # truncated zip, foreign pickle, ...
        raise PelgError(f"checkpoint {str(path)!r} is corrupt or not a pelg checkpoint "
                        f"({type(e).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise PelgError(f"checkpoint {str(path)!r} is not a {FORMAT} file")
    cfg = TrainConfig.from_dict(json.loads(payload["config"]))
    model = build_model(cfg).to(device)
    model.load_state_dict(payload["state_dict"])
    return model, cfg
