"""The named scenarios: TOML files of lever settings, read by `model.policy.scenario` (no code lives here)."""
