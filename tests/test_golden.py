"""Outputs on fixed seeds, pinned: an optimisation or refactor must leave every scenario's history unchanged.

An intended change of behaviour regenerates the pinned file on purpose:
    NTIB_REGOLD=1 .venv/bin/python -m pytest tests/test_golden.py
and the diff of tests/data/golden.json goes into the commit that changes the model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from model import NTIBModel
from model.metrics.outcomes import run_summary
from model.policy.scenario import scenario_names

GOLDEN = Path(__file__).parent / "data" / "golden.json"
CASES = [(name, seed) for name in scenario_names() for seed in (1, 2)]


def current() -> dict[str, dict]:
    return {f"{name}/{seed}": run_summary(NTIBModel(name, seed=seed, years=6).run()) for name, seed in CASES}


def test_every_scenario_reproduces_its_pinned_history():
    now = json.loads(json.dumps(current()))
    if os.environ.get("NTIB_REGOLD"):
        GOLDEN.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
        pytest.skip("golden.json regenerated")
    pinned = json.loads(GOLDEN.read_text())
    assert sorted(now) == sorted(pinned)
    for case in pinned:
        assert now[case] == pinned[case], f"{case}: the model's history changed"
