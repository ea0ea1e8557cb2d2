"""Li 2025: PE norms, capacity bounds, the ALiBi extrapolation bound, wavelet/Legendre decay, ledger."""
