"""pelg's generic copy and reverse over a random-token vocabulary (like Kazemnejad et al. 2023's `cmc` /
`mc`; the exact K23 variants are `k23.copy_*` / `k23.reverse_*`): source = n random symbols, target = the same symbols
in order (copy) or reversed (reverse)."""
from __future__ import annotations

from .base import Example, Task, Vocab


class CopyTask(Task):
    paper = "pelg"
    min_length = 1

    def __init__(self, reverse: bool = False, n_symbols: int = 16):
        self.reverse = reverse
        self.symbols = [f"s{i}" for i in range(n_symbols)]
        self.vocab = Vocab(self.symbols)
        self.name = "reverse" if reverse else "copy"
        self.description = f"{'reverse' if reverse else 'copy'} a sequence of n random symbols ({n_symbols} types)"

    def sample(self, rng, length):
        length = self.check_length(length)
        src = [self.symbols[i] for i in rng.integers(0, len(self.symbols), size=length)]
        return Example(src, src[::-1] if self.reverse else list(src), length)

    def oracle(self, example):
        src = example.source
        return [src[len(src) - 1 - i] for i in range(len(src))] if self.reverse else [s for s in src]
