"""The task contract (DESIGN.md): a named, seeded, offline generator `sample(rng, length)` with its own
vocabulary and an oracle that re-derives the target independently; plus batching into tensors.

Sequence layout for token tasks (decoder LM): `<bos> source <sep> target <eos>`; the model reads all but
the last token and is trained on the next token only over `target <eos>` (labels elsewhere are -100).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..errors import PelgError

PAD, BOS, SEP, EOS = "<pad>", "<bos>", "<sep>", "<eos>"
SPECIALS = (PAD, BOS, SEP, EOS)
IGNORE = -100


@dataclass
class Example:
    source: Any          # list[str] for token tasks, np.ndarray for regression
    target: Any
    length: int          # the length used for bucketing


class Vocab:
    """Word-level vocabulary: the four specials first (<pad> = 0), then the task's words."""

    def __init__(self, words):
        self.itos = list(SPECIALS) + [w for w in words if w not in SPECIALS]
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, words) -> list[int]:
        return [self.stoi[w] for w in words]

    def decode(self, ids) -> list[str]:
        return [self.itos[i] for i in ids]


class Task:
    """Base class. Subclasses set name/kind/paper/description/min_length and implement sample/oracle."""

    name = ""
    kind = "tokens"        # "tokens" | "regression"
    paper = ""
    description = ""
    min_length = 1
    vocab: Vocab | None = None

    def sample(self, rng: np.random.Generator, length: int) -> Example:
        raise NotImplementedError

    def oracle(self, example: Example) -> Any:
        """The target recomputed by an independent function."""
        raise NotImplementedError

    def check_length(self, length: int) -> int:
        if not isinstance(length, (int, np.integer)) or length < self.min_length:
            raise PelgError(f"task {self.name!r} needs length >= {self.min_length}, got {length!r}")
        return int(length)

    def verify(self, example: Example) -> bool:
        expected = self.oracle(example)
        if isinstance(expected, np.ndarray):
            return bool(np.allclose(expected, example.target, rtol=0, atol=1e-12))
        return list(expected) == list(example.target)


@dataclass
class Batch:
    """Tensors for one batch. Token tasks: inputs/labels long (B, T); regression: float (B, T)."""

    inputs: torch.Tensor
    labels: torch.Tensor
    pad_mask: torch.Tensor | None      # (B, T) True at padding
    sep_index: torch.Tensor | None     # (B,) index of <sep> in inputs (token tasks)
    lengths: list[int]

    def to(self, device) -> "Batch":
        move = lambda t: None if t is None else t.to(device)
        return Batch(move(self.inputs), move(self.labels), move(self.pad_mask), move(self.sep_index), self.lengths)


def collate(task: Task, examples: list[Example]) -> Batch:
    """Stack examples into a Batch (right padding for token tasks)."""
    lengths = [e.length for e in examples]
    if task.kind == "regression":
        if len({len(e.source) for e in examples}) != 1:
            raise PelgError("regression batches need equal sequence lengths")
        x = torch.as_tensor(np.stack([e.source for e in examples]), dtype=torch.float32)
        y = torch.as_tensor(np.stack([e.target for e in examples]), dtype=torch.float32)
        return Batch(x, y, None, None, lengths)
    v = task.vocab
    seqs, seps = [], []
    for e in examples:
        ids = v.encode([BOS, *e.source, SEP, *e.target, EOS])
        seps.append(len(e.source) + 1)
        seqs.append(ids)
    T = max(len(s) for s in seqs) - 1
    inputs = torch.zeros(len(seqs), T, dtype=torch.long)
    labels = torch.full((len(seqs), T), IGNORE, dtype=torch.long)
    for b, (s, sep) in enumerate(zip(seqs, seps)):
        inputs[b, : len(s) - 1] = torch.as_tensor(s[:-1])
        labels[b, sep: len(s) - 1] = torch.as_tensor(s[sep + 1:])  # predict target + <eos> after <sep>
    pad = inputs == v.stoi[PAD]
    return Batch(inputs, labels, pad if pad.any() else None, torch.as_tensor(seps), lengths)
