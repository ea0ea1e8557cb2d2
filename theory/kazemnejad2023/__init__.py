"""Kazemnejad et al. 2023: the NoPE theorems as executed constructions, ledger."""
