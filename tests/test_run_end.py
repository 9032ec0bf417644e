"""A run ends at its last quarter: stepping a finished model changes nothing, whichever of Mesa's ways steps it,
and the page's Step and play stop there (before, Render Interval let the page show "2048Q3, step 95 of 80")."""

import contextlib
import io
import time

import ipyvuetify as v
import pytest
import solara

from model import NTIBModel
from model.common.quarters import quarter_label
from model.ui.app import Page


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


# -- the page ------------------------------------------------------------------------------------------


@pytest.fixture
def page():
    with contextlib.redirect_stdout(io.StringIO()):  # outside a kernel, Solara prints the app bar's elements
        _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    return rc


def status(rc) -> str:
    return next(w.children[0] for w in rc.find(v.Html, tag="span").widgets
                if w.children and " · seed " in str(w.children[0]))


def mesa_time(rc) -> str:
    return next(w.children[0] for w in rc.find(v.Html, tag="span").widgets
                if w.children and str(w.children[0]).startswith("Time: "))


def button(rc, label: str) -> v.Btn:
    return rc.find(v.Btn, children=[label]).widget


def play_button(rc) -> v.Btn:
    """Mesa's play button: ▶, or ❚❚ while playing (and still ❚❚, disabled, once a play has run to the end)."""
    return next(w for w in rc.find(v.Btn).widgets if w.children in (["▶"], ["❚❚"]))


def set_slider(rc, label: str, value: int) -> None:
    rc.find(v.Slider, label=label).widget.v_model = value


def assert_at_the_end(rc) -> None:
    assert "2044Q4, step 80 of 80" in status(rc) and mesa_time(rc) == "Time: 80.0"
    assert button(rc, "Step").disabled and play_button(rc).disabled


def test_page_step_stops_at_the_last_quarter(page):
    set_slider(page, "Render Interval (steps)", 99)  # one click asks for 99 quarters of a run of 80
    button(page, "Step").click()
    assert_at_the_end(page)


def test_page_play_stops_at_the_last_quarter(page):
    set_slider(page, "Render Interval (steps)", 31)
    set_slider(page, "Play Interval (ms)", 1)
    play_button(page).click()
    deadline = time.monotonic() + 60
    while "step 80 of 80" not in status(page) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # a play that did not stop would step on within a play interval
    assert_at_the_end(page)
    button(page, "Reset").click()
    assert "start, step 0 of 80" in status(page)
    assert not button(page, "Step").disabled and play_button(page).children == ["▶"]
