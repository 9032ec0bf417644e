"""The validation suite (docs/validation.md): what it measures agrees with the model's own outputs, its
statistics are right, and the patterns the model meets today stay met (a ratchet: as mechanisms improve,
patterns move into HELD, and a change that breaks one fails CI)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from model import NTIBModel
from model.data.patterns import patterns
from model.metrics.outcomes import run_summary
from model.runs import validation
from model.runs.validation import Job, measure

# Patterns met with a margin on the reduced seeds below, with the mechanisms of docs/ODD.md as they are now
# (see docs/validation.md); a pattern moves in here once the model meets it robustly.
HELD_LEVELS = {(name, window) for name in ("can_share_to_us", "aus_domestic_value_share", "nzl_domestic_share",
                                            "aus_revenue_bn", "us_supplier_top10_share",
                                            "us_effective_suppliers_share")
               for window in ("first", "last", "run")} | {
    ("us_effective_primes", "first"), ("us_effective_primes", "run"),
    ("us_revenue_share", "first"), ("us_revenue_share", "run")}
# tariff_components and tariff_metals are met over the suite's 20 seeds but not held: their effects on the US
# foreign component share (-0.03 and -0.01) are within the seed noise that joint products' workshare adds at
# 6 seeds (the paired sd is about 0.02).
HELD_LEVERS = {"preference_margin", "qualifying", "content_min", "content_counts_qualifying", "tariff_end_items",
               "duty_free_entry", "licence_days", "exempt", "offset_rate",
               "offset_threshold_bn", "offset_exempt", "ntib_treatment", "codev_support", "safe_share",
               "adaptation (reciprocal)"}
SEEDS = 6


def test_every_pattern_has_a_band_a_tag_and_a_source():
    for p in patterns().values():
        assert p.low <= p.value <= p.high, p.name
        assert p.tag in {"S", "S2", "D", "U", "A"} and p.source, p.name


def test_whole_run_window_agrees_with_the_run_summary():
    """The windows are differences of snapshots: over the whole run they must give the run totals."""
    job = Job("status_quo", (), 3, years=8)
    values = measure(job)
    summary = run_summary(NTIBModel("status_quo", seed=3, years=8).run())
    assert values["us_foreign_share@run"] == pytest.approx(summary["foreign_share"]["USA"], abs=1e-6)
    assert values["gbr_domestic_share@run"] == pytest.approx(summary["domestic_share"]["GBR"], abs=1e-6)
    assert values["integration_index"] == pytest.approx(summary["integration_index"], abs=1e-6)
    assert values["us_unit_cost_index"] == pytest.approx(summary["unit_cost_index"]["USA"], abs=1e-6)
    for name, pattern in patterns().items():
        keys = [f"{name}@{w}" for w in validation.WINDOWS] if pattern.kind == "levels" else [name]
        assert all(k in values for k in keys), name
    assert 0.0 <= values["us_supplier_top10_share@first"] <= 1.0


def test_paired_effect_and_seeds_needed():
    base = pd.Series([1.0, 2.0, 3.0, 4.0])
    treated = base + pd.Series([1.0, 1.2, 0.8, 1.0])
    effect = validation.paired(base, treated)
    assert effect["effect"] == pytest.approx(1.0)
    assert effect["lo"] < 1.0 < effect["hi"]
    # sd 0.1633, mean 1: t(0.975, n-1) * 0.1633 / sqrt(n) is 0.260 at n = 4 and 0.203 at n = 5
    assert effect["seeds_needed"] == 5
    assert math.isinf(validation.paired(base, base)["seeds_needed"])


@pytest.mark.slow
def test_patterns_met_today_stay_met():
    groups = validation.design(SEEDS, SEEDS, scales={})
    keep = {"status_quo"} | {f"lever:{lever}:{side}" for lever in HELD_LEVERS for side in ("base", "treated")}
    results = validation.run({k: v for k, v in groups.items() if k in keep}, workers=2, progress=False)
    levels = validation.level_table(results).set_index(["pattern", "window"])
    missed = [held for held in HELD_LEVELS if not levels.loc[held, "met"]]
    assert not missed, f"levels no longer met: {missed}"
    checks = [c for c in validation.LEVER_CHECKS if c.lever in HELD_LEVERS]
    for check in checks:
        effect = validation.paired(results[f"lever:{check.lever}:base"][check.outcome],
                                   results[f"lever:{check.lever}:treated"][check.outcome])
        side = effect["lo"] if check.sign > 0 else -effect["hi"]
        assert side > 0, f"{check.lever}: effect {effect['effect']:.4g} [{effect['lo']:.4g}, {effect['hi']:.4g}]"
    assert np.isfinite(levels["mean"]).all()
