"""pelg empirics: Transformers with pluggable positional encodings, the papers' tasks, training and
evaluation by length. Built on `theory` (the single source of truth for every PE formula)."""
