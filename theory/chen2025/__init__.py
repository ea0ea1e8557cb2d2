"""Chen, Liang, Lin 2025 [reconstruction]: POLA and LRC, SRC, ledger."""
