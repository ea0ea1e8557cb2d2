"""Analysis over trained models and results: statistics over seeds, the papers' selection rules."""
