"""Shared helpers: short seeded runs, cached per session so several tests can read one history."""

from __future__ import annotations

from functools import cache

from model import NTIBModel, load_scenario
from model.metrics.outcomes import run_summary


@cache
def summaries(scenario: str, overrides: tuple[str, ...] = (), seeds: int = 8, years: int = 20) -> tuple[dict, ...]:
    """Run summaries for seeds 1..seeds (common random numbers across the tests' comparisons)."""
    spec_args = list(overrides)
    return tuple(run_summary(NTIBModel(load_scenario(scenario, spec_args), seed=s, years=years).run())
                 for s in range(1, seeds + 1))
