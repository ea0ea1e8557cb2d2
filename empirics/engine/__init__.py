"""The experiment engine: results store, sweeps, executors (local, Ray), their CLI. Knows no paper."""
