"""Huang et al. 2025: C-RASP (crasp: representation; printer, parser: text syntax; checker: types and
fragment; builder; interpreter), its programs (token_programs, language_programs), the task table,
theory-side references and verification, predictions, communication complexity, ledger."""
