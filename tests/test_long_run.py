"""A 100-year run at the default size under reciprocal and industrial adaptation stays bounded and conserves
money every quarter (bounds and their reasons: tests/long_run.py)."""

from __future__ import annotations

import pytest
from long_run import CASES, YEARS, run, violations


@pytest.mark.slow
@pytest.mark.parametrize("label", sorted(CASES))
def test_a_century_stays_bounded(label: str) -> None:
    scenario, overrides = CASES[label]
    extremes = run(scenario, overrides)
    assert extremes.quarters == 4 * YEARS
    assert violations(extremes) == []
    assert extremes.tech[1] > 1.2  # technology did move: the bounds were not met by a frozen run
