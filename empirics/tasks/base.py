"""The task contract (DESIGN.md): a named, seeded, offline generator `sample(rng, length)` with its own
vocabulary and an oracle that re-derives the target independently; plus batching into tensors.

Task kinds:
- "tokens": seq2seq token tasks for a decoder LM. Default layout `<bos> source <sep> target <eos>`; the K23
  layout (Kazemnejad et al. 2023) is `source [SEP] target <eos>` with no <bos> and a separator only for
  the tasks that had one. The model reads all but the last token and is trained on the next token only
  over `target <eos>` (labels elsewhere are -100).
- "sets": Huang et al. 2025 formal languages: read `<bos> source`; at every position predict the set of
  symbols that may legally come next (multi-label; "<eos>" = the prefix is a complete word).
- "regression": real-valued sequences (Li 2025 running sum).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..errors import PelgError, unknown

PAD, BOS, SEP, EOS = "<pad>", "<bos>", "<sep>", "<eos>"
K23_SEP = "[SEP]"
SPECIALS = (PAD, BOS, SEP, EOS, K23_SEP)
LAYOUTS = ("default", "k23")
IGNORE = -100
# pelg's longest example (in each task's length unit), checked before any task-specific check or sampling:
# an attention matrix over a longer sequence no longer fits in memory, and some checks count words up to it
MAX_LENGTH = 4096


def _within_max_length(check):
    """`check_length` that first rejects lengths above MAX_LENGTH (Task applies it to every subclass)."""
    @functools.wraps(check)
    def checked(self, length):
        if isinstance(length, (int, np.integer)) and not isinstance(length, bool) and length > MAX_LENGTH:
            raise PelgError(f"task {self.name!r} needs a length ({self.length_unit}) <= {MAX_LENGTH} "
                            f"(pelg's maximum, empirics.tasks.base.MAX_LENGTH), got {length!r}")
        return check(self, length)

    checked.max_length_checked = True
    return checked


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
    """Base class. Subclasses set the attributes below and implement `sample` and `oracle`."""

    name = ""
    kind = "tokens"          # "tokens" | "sets" | "regression"
    paper = ""
    description = ""
    formats: tuple[str, ...] = ("plain",)
    format = "plain"
    min_length = 1
    max_length: int | None = None
    length_unit = "source tokens"
    k23_separator = False    # K23 layout: "[SEP]" between source and target
    vocab: Vocab | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("check_length")
        if own is not None and not getattr(own, "max_length_checked", False):
            cls.check_length = _within_max_length(own)

    def set_format(self, format: str) -> None:
        if format not in self.formats:
            raise unknown("format", format, self.formats)
        self.format = format

    def sample(self, rng: np.random.Generator, length: int) -> Example:
        raise NotImplementedError

    def oracle(self, example: Example) -> Any:
        """The target recomputed by an independent function."""
        raise NotImplementedError

    def length_weights(self, lengths: list[int]) -> np.ndarray | None:
        """Relative weights of `lengths` (generable lengths of one range) when a split draws a length
        (tasks.splits.draw); None = uniform. Override to follow a paper's length distribution (SCAN:
        uniform over commands; PCFG SET: the published productivity split)."""
        return None

    @_within_max_length
    def check_length(self, length: int) -> int:
        """Raise a one-line PelgError for a length this task cannot generate."""
        integer = isinstance(length, (int, np.integer)) and not isinstance(length, bool)
        if not integer or length < self.min_length or (self.max_length is not None and length > self.max_length):
            top = "" if self.max_length is None else f" and <= {self.max_length}"
            raise PelgError(f"task {self.name!r} needs an integer length ({self.length_unit}) >= {self.min_length}{top}, "
                            f"got {length!r}")
        return int(length)

    def verify(self, example: Example) -> bool:
        expected = self.oracle(example)
        if isinstance(expected, np.ndarray):
            return bool(np.allclose(expected, example.target, rtol=0, atol=1e-12))
        return list(expected) == list(example.target)


def strip_prefix(words: list[str], prefix: str) -> list[str]:
    """`words` without its leading `prefix` token (e.g. K23's "Solve:"); a PelgError if it is missing."""
    if not words or words[0] != prefix:
        raise PelgError(f"expected the source to start with {prefix!r}")
    return list(words[1:])


@dataclass
class Batch:
    """Tensors for one batch. Token tasks: inputs/labels long (B, T); regression: float (B, T)."""

    inputs: torch.Tensor
    labels: torch.Tensor
    pad_mask: torch.Tensor | None      # (B, T) True at padding
    sep_index: torch.Tensor | None     # (B,) index of <sep> in inputs (token tasks)
    lengths: list[int]
    scale: torch.Tensor | None = None  # (B,) instance scale n = number of source tokens (token tasks)

    def to(self, device) -> "Batch":
        move = lambda t: None if t is None else t.to(device)
        return Batch(move(self.inputs), move(self.labels), move(self.pad_mask), move(self.sep_index), self.lengths,
                     move(self.scale))


def _sequence(task: Task, e: Example, layout: str) -> tuple[list[str], int]:
    """Full token sequence and the index of the token whose next-token label is the first target token."""
    if layout == "k23":
        head = [*e.source, K23_SEP] if task.k23_separator else list(e.source)
        if not head:
            raise PelgError(f"the K23 layout cannot encode an empty source (task {task.name!r})")
    else:
        head = [BOS, *e.source, SEP]
    return [*head, *e.target, EOS], len(head) - 1


def collate(task: Task, examples: list[Example], layout: str = "default") -> Batch:
    """Stack examples into a Batch (right padding). `layout` is "default" or "k23" (token tasks)."""
    if layout not in LAYOUTS:
        raise unknown("layout", layout, LAYOUTS)
    lengths = [e.length for e in examples]
    if task.kind == "regression":
        if len({len(e.source) for e in examples}) != 1:
            raise PelgError("regression batches need equal sequence lengths")
        x = torch.as_tensor(np.stack([e.source for e in examples]), dtype=torch.float32)
        y = torch.as_tensor(np.stack([e.target for e in examples]), dtype=torch.float32)
        return Batch(x, y, None, None, lengths)
    v = task.vocab
    if task.kind == "sets":  # inputs <bos> source; labels (B, T, V) multi-hot legal-next sets
        T = max(len(e.source) for e in examples) + 1
        inputs = torch.zeros(len(examples), T, dtype=torch.long)
        labels = torch.zeros(len(examples), T, len(v))
        for b, e in enumerate(examples):
            inputs[b, : len(e.source) + 1] = torch.as_tensor(v.encode([BOS, *e.source]))
            for t, legal in enumerate(e.target):
                labels[b, t, v.encode(legal)] = 1.0
        pad = inputs == v.stoi[PAD]
        return Batch(inputs, labels, pad if pad.any() else None, None, lengths)
    seqs, seps = zip(*(_sequence(task, e, layout) for e in examples))
    seqs = [v.encode(s) for s in seqs]
    T = max(len(s) for s in seqs) - 1
    inputs = torch.zeros(len(seqs), T, dtype=torch.long)
    labels = torch.full((len(seqs), T), IGNORE, dtype=torch.long)
    for b, (s, sep) in enumerate(zip(seqs, seps)):
        inputs[b, : len(s) - 1] = torch.as_tensor(s[:-1])
        labels[b, sep: len(s) - 1] = torch.as_tensor(s[sep + 1:])  # predict target + <eos> after sep
    pad = inputs == v.stoi[PAD]
    scale = torch.as_tensor([len(e.source) for e in examples])
    return Batch(inputs, labels, pad if pad.any() else None, torch.as_tensor(seps), lengths, scale)
