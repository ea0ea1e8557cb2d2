"""Huang et al. 2025: C-RASP (representation, checker, interpreter), its programs, communication
complexity, ledger."""
