"""A run ends at its last quarter: stepping a finished model changes nothing, whichever of Mesa's ways steps it
(the page's Step and play stop there too: tests/test_viz.py)."""

import pytest

from model import NTIBModel
from model.common.quarters import quarter_label


def test_stepping_past_the_last_quarter_changes_nothing():
    m = NTIBModel(years=1)
    for _ in range(10):
        m.step()
    assert (m.steps, m.time, m.running) == (4, 4, False)
    assert quarter_label(m.steps - 1) == "2025Q4"
    assert list(m.timeseries()["quarter"]) == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]


def test_a_finished_run_equals_one_run_to_its_end():
    stepped = NTIBModel(seed=4, years=2)
    for _ in range(20):
        stepped.step()
    assert stepped.timeseries().equals(NTIBModel(seed=4, years=2).run().timeseries())


@pytest.mark.parametrize("advance", [lambda m: m.run_for(10), lambda m: m.run_until(30)], ids=["run_for", "run_until"])
def test_mesa_run_for_and_run_until_stop_at_the_end(advance):
    m = NTIBModel(years=1)
    advance(m)
    assert (m.steps, m.time, m.running) == (4, 4, False)
    advance(m)
    assert (m.steps, m.time) == (4, 4)


def test_steps_within_the_run_are_the_steps_of_before():
    m = NTIBModel(years=1)
    m.run_until(3)
    assert (m.steps, m.running) == (3, True)
    m.step()
    assert (m.steps, m.running) == (4, False)
