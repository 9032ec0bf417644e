"""mean_ci, the statistic every table and figure reports: NaN rows are left out, not counted."""

import numpy as np
import pytest
from scipy import stats

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
