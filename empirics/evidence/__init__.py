"""Ledger evidence that needs torch: entries that train models, readers of recorded runs, the
weights adapter, POLA training."""
