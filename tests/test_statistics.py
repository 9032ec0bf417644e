"""mean_ci, the statistic every table and figure reports: NaN rows are left out, not counted. The names and the
derived outcomes the tables and figures show: one definition each, in words a reader can take."""

from functools import cache

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from model.metrics.derived import DERIVED
from model.metrics.statistics import mean_ci


def test_nan_rows_are_left_out_of_the_count():
    mean, half = mean_ci(np.array([1.0, 2.0, np.nan, np.nan]))
    assert mean == pytest.approx(1.5)
    assert half == pytest.approx(stats.t.ppf(0.975, 1) * np.std([1.0, 2.0], ddof=1) / np.sqrt(2))  # 6.353


def test_columns_count_their_own_numbers():
    mean, half = mean_ci(np.array([[1.0, 2.0], [3.0, np.nan], [5.0, 6.0]]))
    assert mean == pytest.approx([3.0, 4.0])
    assert half[0] == pytest.approx(stats.t.ppf(0.975, 2) * 2.0 / np.sqrt(3))
    assert half[1] == pytest.approx(stats.t.ppf(0.975, 1) * np.std([2.0, 6.0], ddof=1) / np.sqrt(2))


def test_one_row_has_no_width_and_no_row_is_nan():
    assert mean_ci(np.array([5.0])) == (5.0, 0.0)
    mean, half = mean_ci(np.array([np.nan, np.nan]))
    assert np.isnan(mean) and np.isnan(half)
    mean, half = mean_ci(np.zeros((0, 3)))
    assert np.isnan(mean).all() and np.isnan(half).all()


def test_every_outcome_has_a_human_name_of_its_own():
    """One table of names (model.ui.names) labels every outcome column: no two alike, none a column name."""
    from model.runs.experiment import outcome_columns
    from model.ui.names import outcome_label

    labels = [outcome_label(column) for column in outcome_columns()]
    assert len(set(labels)) == len(labels) and not any("_" in label or "." in label for label in labels)
    assert outcome_label("flows.CAN.USA", unit=True) == "value bought, Canada from United States (US$bn over the run)"


def test_every_shipped_scenario_has_a_human_name_of_its_own():
    from model.policy.scenario import scenario_names
    from model.ui.names import SCENARIO_NAMES, scenario_label

    assert set(SCENARIO_NAMES) == set(scenario_names())
    labels = [scenario_label(name) for name in scenario_names()]
    assert len(set(labels)) == len(labels) and not any("_" in label for label in labels)
    assert scenario_label("my_own") == "my_own"


@cache
def _flat_row() -> dict:
    """A one-year run of a tiny sample as the runs table holds it (model.runs.experiment.flatten)."""
    from model.runs.experiment import flatten
    from model.runs.single import run_one

    summary, _, _ = run_one("status_quo", 1, 1, 0.001)
    return flatten(summary)


def test_every_derived_outcome_reads_a_real_runs_row_and_says_what_it_measures():
    """Each derived outcome computes a number from a run's flat row, under a human name of its own, and its unit
    says whether it is a run total or the state at the end (run_summary holds both kinds)."""
    runs = pd.DataFrame([_flat_row()])
    for key, outcome in DERIVED.items():
        assert outcome.key == key
        value = outcome.compute(runs)
        assert len(value) == 1 and np.isfinite(value.iloc[0]), key
        assert "_" not in outcome.label and "." not in outcome.label, outcome.label
        assert any(when in outcome.unit for when in ("run total", "at the end", "over the run")), outcome.unit
        assert outcome.heading == f"{outcome.label} ({outcome.unit})"
    labels = [outcome.label for outcome in DERIVED.values()]
    assert len(set(labels)) == len(labels)


def test_allied_sales_are_a_yearly_mean_over_each_runs_own_length():
    flows = {f"flows.USA.{code}": [4.0, 4.0] for code in ("GBR", "CAN", "AUS", "NZL")}
    runs = pd.DataFrame({**flows, "flows.USA.EUR": [100.0, 100.0], "years": [2, 4]})
    assert DERIVED["allied_sales_to_us"].compute(runs).tolist() == [8.0, 4.0]


def test_five_eyes_codevelopment_leaves_out_pairs_with_europe():
    row = {name: 0 for name in _flat_row() if name.startswith("codev.")}
    runs = pd.DataFrame([{**row, "codev.CAN-USA": 2, "codev.AUS-GBR": 1, "codev.EUR-USA": 5}])
    assert DERIVED["five_eyes_codev"].compute(runs).tolist() == [3]
