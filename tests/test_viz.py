"""The interactive page without a browser: sidebar settings to overrides, the panels' charts, and the page's
Step and Reset driven through Solara's test renderer. The browser test is tests/test_browser.py."""

import base64
import contextlib
import functools
import inspect
import io
import json
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import ipyvuetify as v
import numpy as np
import pandas as pd
import pytest
import solara
from mesa.visualization.utils import force_update

from model import NTIBModel
from model.common.countries import COUNTRIES
from model.common.errors import InputError
from model.common.validation import MAX_TOML_BYTES
from model.metrics.outcomes import run_summary
from model.policy.knobs import adaptation_overrides, knob_overrides
from model.ui import cli
from model.ui.app import DEFAULTS, MODEL_PARAMS, ExploreModel, Page, lever_overrides, refusal
from model.ui.viz import Panels, RunPanel, run_command, status_line, summary_csv, timeseries_csv
from model.ui.widgets import FilePicker, LiveVegaLite

ROOT = Path(__file__).resolve().parents[1]


def stepped(steps: int, **kw) -> ExploreModel:
    m = ExploreModel(**kw)
    for _ in range(steps):
        m.step()
    return m


# -- sidebar settings ---------------------------------------------------------------------------------


def test_default_sidebar_is_the_plain_scenario():
    defaults = {k: p["value"] for k, p in MODEL_PARAMS.items()}
    assert defaults == DEFAULTS and DEFAULTS["years"] == 20 and DEFAULTS["government"] == "USA"
    page_model = stepped(4, **defaults)
    assert page_model.overrides == []
    plain = NTIBModel("status_quo", seed=1, years=20)
    for _ in range(4):
        plain.step()
    assert page_model.timeseries().equals(plain.timeseries())


def test_first_model_matches_what_reset_builds_from_the_untouched_sidebar():
    defaults = {name: p.default for name, p in inspect.signature(ExploreModel).parameters.items()}
    sidebar = {k: p["value"] for k, p in MODEL_PARAMS.items()}
    assert defaults == sidebar


def test_lever_sliders_apply_only_when_ticked():
    assert lever_overrides(False, "USA", 0.2, 0.3, 0.9, "scenario", "scenario") == []
    ticked = lever_overrides(True, "USA", 0.2, 0.3, 0.9, "scenario", "scenario")
    assert ticked == (knob_overrides("us_preference", 0.2) + knob_overrides("tariff_level", 0.3)
                      + knob_overrides("export_friction", 0.9))


def test_lever_sliders_set_the_chosen_governments_levers_toward_its_partners():
    assert lever_overrides(True, "CAN", 0.2, 0.3, 0.9, "scenario", "scenario") == [
        "CAN.preference_margin=0.2", "CAN.tariff_end_items=0.3", "CAN.tariff_components=0.3",
        *(f"CAN.exempt.{c}=0.1" for c in ("USA", "GBR", "AUS", "NZL")),
        *(f"CAN.licence_days.{c}=54" for c in ("USA", "GBR", "AUS", "NZL"))]
    assert lever_overrides(False, "CAN", 0.2, 0.3, 0.9, "scenario", "scenario") == []
    with pytest.raises(InputError, match="knob tariff_level for government 'FRA'; allowed: USA, GBR, CAN, AUS, NZL"):
        knob_overrides("tariff_level", 0.3, "FRA")
    with pytest.raises(InputError, match="it sets every Five Eyes government"):
        knob_overrides("ntib_treatment", 1.0, "CAN")


def test_selects_override_only_when_not_left_at_scenario():
    assert lever_overrides(False, "USA", 0.5, 0.1, 0.4, "on", "scenario") == knob_overrides("ntib_treatment", 1.0)
    assert lever_overrides(False, "NZL", 0.5, 0.1, 0.4, "off", "industrial") == (
        knob_overrides("ntib_treatment", 0.0) + adaptation_overrides("industrial"))


def test_levers_reach_the_model_policies():
    m = ExploreModel(scenario_name="full_ntib", seed=3, levers=True, preference_margin=0.2, tariff=0.3,
                     export_friction=0.0, ntib_treatment="off", adaptation="reciprocal")
    usa = m.spec.policies["USA"]
    assert m.spec.name == "full_ntib" and m.seed == 3
    assert np.allclose(usa.preference_margin, 0.2) and np.allclose(usa.tariff_end_items, 0.3)
    assert all(usa.exempt[COUNTRIES.index(c)] == 1.0 for c in ("GBR", "CAN", "AUS", "NZL"))
    assert not any(m.spec.policies[c].ntib_treatment for c in ("USA", "GBR", "CAN", "AUS", "NZL"))
    assert m.spec.policies["GBR"].adaptation.mode == "reciprocal"


def test_every_select_and_slider_value_builds_a_model():
    params = MODEL_PARAMS
    for name in params["scenario_name"]["values"]:
        ExploreModel(scenario_name=name)
    for choice in params["ntib_treatment"]["values"]:
        for mode in params["adaptation"]["values"]:
            ExploreModel(ntib_treatment=choice, adaptation=mode)
    for government in params["government"]["values"]:
        for knob in ("preference_margin", "tariff", "export_friction"):
            ExploreModel(levers=True, government=government, **{knob: params[knob]["min"]})
            ExploreModel(levers=True, government=government, **{knob: params[knob]["max"]})
    ExploreModel(firm_scale=params["firm_scale"]["min"], seed=params["seed"]["max"])
    ExploreModel(years=params["years"]["min"])
    ExploreModel(years=params["years"]["max"])


# -- components ---------------------------------------------------------------------------------------


def charts(rc) -> list[LiveVegaLite]:
    return rc.find(LiveVegaLite).widgets


def test_panels_send_a_layout_once_and_new_data_after_each_step_only():
    m = ExploreModel()
    _, rc = solara.render(Panels(m), handle_error=False)
    shown = charts(rc)
    assert len(shown) == 7  # network, flows, firms and four over the run
    layouts, data = [w.spec for w in shown], [w.datasets for w in shown]
    force_update()  # a re-render without a step sends nothing new
    assert [w.datasets for w in charts(rc)] == data
    m.step()
    force_update()  # what Mesa's Step does after stepping
    assert [w.spec for w in charts(rc)] == layouts
    assert all(w.datasets != before for w, before in zip(charts(rc), data))


def test_a_comparison_adds_four_charts_of_both_scenarios():
    m = ExploreModel(compare_with="full_ntib", years=2)
    _, rc = solara.render(Panels(m), handle_error=False)
    assert len(charts(rc)) == 11
    for _ in range(3):
        m.step()
    force_update()
    assert m.companion.steps == m.steps == 3
    compared = [{row["series"] for row in json.loads(w.datasets).get("series", [])} for w in charts(rc)]
    assert compared.count({"status quo (late 2025) (this page)", "full NTIB (compared)"}) == 4


def texts(rc) -> list[str]:
    return [str(w.children[0]) for w in rc.find(v.Html, tag="span").widgets if w.children]


def test_run_panel_status_line_and_command():
    m = stepped(3)
    _, rc = solara.render(RunPanel(m), handle_error=False)
    text, command = texts(rc)[:2]
    assert text == status_line(m) and command == run_command(m)
    assert text.startswith("status_quo · seed 1 · 2025Q3, step 3 of 80 · integration index, last four quarters ")
    assert status_line(NTIBModel(seed=1, years=20)).split(" · ")[3] == "integration index, last four quarters n/a"


@pytest.fixture
def page():
    """The page inside an app layout (where the sidebar lives), as `solara run` shows it."""
    with contextlib.redirect_stdout(io.StringIO()):  # outside a kernel, Solara prints the app bar's elements
        _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    return rc


def button(rc, label: str) -> v.Btn:
    return rc.find(v.Btn, children=[label]).widget


def click(rc, label: str) -> None:
    button(rc, label).click()


def status(rc) -> str:
    return next(w.children[0] for w in rc.find(v.Html, tag="span").widgets
                if w.children and " · seed " in str(w.children[0]))


def slider(rc, label: str) -> v.Slider:
    """A sidebar slider by its name; its label shows its value too ("Seed: 1")."""
    return next(w for w in rc.find(v.Slider).widgets if w.label.split(":")[0] == label)


def set_slider(rc, label: str, value: float) -> None:
    slider(rc, label).v_model = value


def test_page_has_the_sidebar_controls_with_their_values_shown(page):
    sliders = {w.label for w in page.find(v.Slider).widgets}
    assert {"Seed: 1", "Years: 20", "Firm scale: 0.012", "Preference margin: 0.50", "Tariff: 0.10",
            "Export friction: 0.40", "Play interval: 100 ms", "Quarters per redraw: 1"} == sliders
    assert {"Scenario", "Government", "NTIB treatment", "Adaptation", "Compare with"} == {
        w.label for w in page.find(v.Select).widgets}
    set_slider(page, "Tariff", 0.35)
    assert slider(page, "Tariff").label == "Tariff: 0.35"
    assert any(t.startswith("Changed since the last Reset: Tariff.") for t in texts(page))
    assert page.find(v.Checkbox, label="Use the lever sliders").widget.v_model is False
    government = page.find(v.Select, label="Government").widget
    assert government.v_model == "USA" and government.items == ["USA", "GBR", "CAN", "AUS", "NZL"]
    scenario = page.find(v.Select, label="Scenario").widget
    assert scenario.v_model == "status_quo" and "full_ntib" in scenario.items
    assert len(charts(page)) == 7 and len(page.find(FilePicker).widgets) == 1


def data(rc) -> list[dict]:
    return [w.datasets for w in charts(rc)]


def test_step_changes_the_plots_and_reset_brings_them_back(page):
    start_data, start_status = data(page), status(page)
    assert "start, step 0 of 80" in start_status
    for _ in range(3):
        click(page, "Step")
    assert "2025Q3, step 3 of 80" in status(page)
    assert all(a != b for a, b in zip(start_data, data(page)))
    click(page, "Reset")
    assert status(page) == start_status and data(page) == start_data


def test_reset_rebuilds_the_model_from_the_sidebar(page):
    page.find(v.Select, label="Scenario").widget.v_model = "full_ntib"
    set_slider(page, "Seed", 7)
    click(page, "Step")
    assert status(page).startswith("status_quo · seed 1 ·")  # settings wait for Reset
    click(page, "Reset")
    assert status(page).startswith("full_ntib · seed 7 · start, step 0 of 80")
    click(page, "Step")
    assert "2025Q1, step 1 of 80" in status(page)


@pytest.fixture
def built(monkeypatch) -> list[ExploreModel]:
    """Every ExploreModel built while the test runs (the page keeps its model to itself), latest last."""
    models: list[ExploreModel] = []
    init = ExploreModel.__init__

    @functools.wraps(init)  # SolaraViz checks the sidebar's names against this signature
    def recording(self, *args, **kwargs):
        init(self, *args, **kwargs)
        models.append(self)

    monkeypatch.setattr(ExploreModel, "__init__", recording)
    return models


def test_reset_sets_the_chosen_governments_levers_and_leaves_the_others_to_the_scenario(page, built):
    page.find(v.Select, label="Government").widget.v_model = "CAN"
    page.find(v.Checkbox, label="Use the lever sliders").widget.v_model = True
    set_slider(page, "Preference margin", 0.3)
    set_slider(page, "Tariff", 0.25)
    set_slider(page, "Export friction", 0.75)
    click(page, "Reset")
    m = built[-1]
    assert m.refused is None and status(page) == status_line(m)
    can, usa = m.spec.policies["CAN"], m.spec.policies["USA"]
    partners = [COUNTRIES.index(c) for c in ("USA", "GBR", "AUS", "NZL")]
    assert np.allclose(can.preference_margin, 0.3)
    assert np.allclose(can.tariff_end_items, 0.25) and np.allclose(can.tariff_components, 0.25)
    assert np.allclose(can.exempt[partners], 0.25) and np.allclose(can.licence_days[partners], 45.0)
    plain = NTIBModel("status_quo", seed=1, years=20).spec.policies
    for lever in ("exempt", "licence_days"):  # toward EUR and ROW, the scenario's
        assert np.array_equal(np.delete(getattr(can, lever), partners), np.delete(getattr(plain["CAN"], lever),
                                                                                  partners))
    for lever in ("preference_margin", "tariff_end_items", "tariff_components", "exempt", "licence_days"):
        assert np.array_equal(getattr(usa, lever), getattr(plain["USA"], lever)), lever


def test_the_years_slider_sets_the_run_length(page):
    set_slider(page, "Years", 3)
    click(page, "Reset")
    assert status(page).startswith("status_quo · seed 1 · start, step 0 of 12 ·")
    set_slider(page, "Quarters per redraw", 20)
    click(page, "Step")
    assert "2027Q4, step 12 of 12" in status(page) and button(page, "Step").disabled


# -- the command and the script form -----------------------------------------------------------------


# A run ends at its last quarter on the page too (before, Render Interval let it show "2048Q3, step 95 of 80").


def play_button(rc) -> v.Btn:
    """Mesa's play button: ▶, or ❚❚ while playing (and still ❚❚, disabled, once a play has run to the end)."""
    return next(w for w in rc.find(v.Btn).widgets if w.children in (["▶"], ["❚❚"]))


def assert_at_the_end(rc) -> None:
    assert "2044Q4, step 80 of 80" in status(rc)
    assert button(rc, "Step").disabled and play_button(rc).disabled


def test_page_step_stops_at_the_last_quarter(page):
    set_slider(page, "Quarters per redraw", 20)
    for _ in range(5):  # the last click asks for 20 quarters of a run with none left
        if not button(page, "Step").disabled:
            button(page, "Step").click()
    assert_at_the_end(page)


def test_page_play_stops_at_the_last_quarter(page):
    set_slider(page, "Quarters per redraw", 17)
    set_slider(page, "Play interval", 0)
    play_button(page).click()
    deadline = time.monotonic() + 60
    while "step 80 of 80" not in status(page) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # a play that did not stop would step on within a play interval
    assert_at_the_end(page)
    button(page, "Reset").click()
    assert "start, step 0 of 80" in status(page)
    assert not button(page, "Step").disabled and play_button(page).children == ["▶"]


def ntib_viz(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "model.ui.cli", "viz", *args], capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize(("args", "fragment"), [
    (("--port", "0"), "--port"), (("--port", "65536"), "--port"), (("--port", "http"), "--port"),
    (("--host", "bad host"), "--host"), (("--host", "-x"), "--host"),
])
def test_viz_rejects_bad_flags_in_one_line(args, fragment):
    out = ntib_viz(*args)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and fragment in out.stderr and out.stderr.startswith("ntib viz: error:")


def test_viz_reports_a_busy_port_in_one_line():
    with socket.create_server(("127.0.0.1", 0)) as busy:
        out = ntib_viz("--port", str(busy.getsockname()[1]))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "cannot listen on 127.0.0.1 port" in out.stderr


def test_app_runs_as_a_script_with_its_folder_first_on_sys_path():
    """What `solara run model/ui/app.py` does: no file beside it may shadow a package it imports."""
    code = ("import runpy, sys; sys.path.insert(0, 'model/ui'); "
            "ns = runpy.run_path('model/ui/app.py', run_name='__main__'); print(ns['ExploreModel'].__mro__[1])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "model.simulation.model.NTIBModel" in out.stdout


# -- the server trusts no client: values come from the browser, which can send anything -----------------


def refused_line(rc) -> str | None:
    return next((w.children[0] for w in rc.find(v.Html, tag="span").widgets
                 if w.children and str(w.children[0]).startswith("Refused: ")), None)


@pytest.mark.parametrize(("label", "value", "fragment"), [
    ("Scenario", "{path}", "Scenario '/"),
    ("Firm scale", 0.3, "Firm scale 0.3; allowed: a number from 0.004 to 0.05"),
    ("Seed", 1000, "Seed 1000; allowed: a whole number from 1 to 100"),
    ("Adaptation", "chaotic", "Adaptation 'chaotic'; allowed: scenario, static, reciprocal, industrial"),
    ("Years", 41, "Years 41; allowed: a whole number from 1 to 40"),
    ("Years", 0, "Years 0; allowed: a whole number from 1 to 40"),
    ("Government", "FRA", "Government 'FRA'; allowed: USA, GBR, CAN, AUS, NZL"),
])
def test_a_value_no_control_can_give_is_refused_in_one_line_and_nothing_is_loaded(page, tmp_path, capsys, label,
                                                                                  value, fragment):
    """As a client speaking the page's protocol could (the server loaded any .toml path it was sent, and built
    37,517 firms for a firm scale of 0.3): the value is refused, the defaults are loaded, one line says why."""
    path = tmp_path / "elsewhere.toml"
    path.write_text('name = "elsewhere"\nextends = "full_ntib"\n')
    value = str(path) if value == "{path}" else value
    widget = (page.find(v.Select, label=label).widget if label in ("Scenario", "Adaptation", "Government") else
              slider(page, label))
    widget.v_model = value
    click(page, "Reset")
    line = refused_line(page)
    assert line.startswith(f"Refused: {fragment}") and line.endswith("defaults were loaded.")
    assert label != "Scenario" or "; allowed: allied_hedging, america_first, " in line
    assert status(page) == status_line(ExploreModel())  # the defaults, not the file or the scale sent
    assert capsys.readouterr().err.count("ntib: warning: the page sent ") == 1
    widget.v_model = DEFAULTS[next(k for k, c in MODEL_PARAMS.items() if c["label"] == label)]
    click(page, "Reset")
    assert refused_line(page) is None


def test_every_value_the_controls_can_give_is_accepted():
    for name, control in MODEL_PARAMS.items():
        choices = control.get("values") or {"File": [b"", b"x" * MAX_TOML_BYTES], "FileName": ["", "mine.toml"],
                                            "Checkbox": [False, True]}.get(control["type"]) or [
            control["min"], control["max"]]
        for choice in choices:
            assert refusal({**DEFAULTS, name: choice}) is None, (name, choice)


def test_the_command_shown_runs_the_page_model(capsys):
    """The page shows the `ntib run` command of its model; run, it gives the same summary as the model itself."""
    model = ExploreModel(seed=3, years=5, levers=True, government="GBR", preference_margin=0.3,
                         adaptation="reciprocal")
    command = run_command(model)
    assert command.startswith("ntib run --scenario status_quo --seed 3 --years 5 --firm-scale 0.012 --set ")
    assert "GBR.preference_margin=0.3" in command and "GBR.exempt.USA=0.6" in command
    capsys.readouterr()
    assert cli.main([*shlex.split(command)[1:], "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(run_summary(model.run())))


def test_the_page_downloads_what_ntib_run_writes(tmp_path):
    """Once the page's model has run to the end, its time-series download is ntib run's timeseries.csv for the
    same settings, byte for byte, and its summary download is one numeric row of the same run."""
    model = ExploreModel(seed=2).run()
    assert cli.main([*shlex.split(run_command(model))[1:], "--out", str(tmp_path / "out")]) == 0
    assert timeseries_csv(model) == (tmp_path / "out" / "timeseries.csv").read_text()
    summary = pd.read_csv(io.StringIO(summary_csv(model)))
    written = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert len(summary) == 1 and summary["integration_index"].iloc[0] == written["integration_index"]
    assert summary.drop(columns=["scenario", "start", "end"]).dtypes.map(lambda t: t.kind in "if").all()


# -- a scenario file of the user's own, and a comparison ----------------------------------------------


def upload(rc, name: str, data: bytes) -> None:
    """What the browser's file picker sends: the name and the bytes, base64."""
    rc.find(FilePicker).widget.chosen = {"name": name, "data": base64.b64encode(data).decode()}


def test_an_uploaded_scenario_runs_at_reset_and_its_command_reproduces_it(page, tmp_path, capsys):
    text = b'name = "mine"\nextends = "full_ntib"\n[USA]\npreference_margin = 0.2\n'
    upload(page, "mine.toml", text)
    assert "Using mine.toml, not the Scenario select" in texts(page)
    click(page, "Reset")
    assert refused_line(page) is None and status(page).startswith("mine · seed 1 · start")
    command = next(t for t in texts(page) if t.startswith("ntib run "))
    assert command.startswith("ntib run --scenario mine.toml --seed 1 --years 20")
    for _ in range(2):
        click(page, "Step")
    (tmp_path / "mine.toml").write_bytes(text)
    words = shlex.split(command)[1:]
    words[words.index("mine.toml")] = str(tmp_path / "mine.toml")
    capsys.readouterr()
    assert cli.main([*words, "--years", "1", "--json"]) == 0
    ran = json.loads(capsys.readouterr().out)
    assert ran["scenario"] == "mine"
    click(page, "Use the Scenario select")
    click(page, "Reset")
    assert status(page).startswith("status_quo · seed 1 · start")


@pytest.mark.parametrize(("name", "data", "fragment"), [
    ("mine.toml", b'extends = "/etc/anything.toml"\n', "Scenario file: mine.toml: extends: '/etc/anything.toml'; "
                                                      "allowed in an uploaded file: one of allied_hedging"),
    ("mine.toml", b'extends = "beside.toml"\n', "allowed in an uploaded file: one of"),
    ("mine.toml", b"[USA\n", "Scenario file: mine.toml: "),
    ("mine.toml", b'[USA]\npreference_margin = 7\n', "Scenario file: mine.toml"),
    ("mine.toml", b"\xef\xbb\xbfname = 'x'\n", "byte-order mark"),
    ("../../etc/passwd.toml", b'name = "x"\n', "Scenario file name '../../etc/passwd.toml'; allowed: a name"),
    ("mine.txt", b'name = "x"\n', "Scenario file name 'mine.txt'; allowed: a name ending in .toml"),
])
def test_an_upload_the_page_cannot_trust_is_refused_in_one_line(page, capsys, name, data, fragment):
    upload(page, name, data)
    click(page, "Reset")
    line = refused_line(page)
    assert line is not None and fragment in line and "/tmp" not in line, line
    assert status(page) == status_line(ExploreModel())
    assert capsys.readouterr().err.count("ntib: warning: the page sent ") == 1


def test_an_upload_past_the_size_limit_or_not_base64_is_refused(page):
    upload(page, "big.toml", b"#" * (MAX_TOML_BYTES + 1))
    click(page, "Reset")
    assert "Scenario file 1,000,001 bytes; allowed: the bytes of a TOML file of at most 1,000,000" in refused_line(
        page)
    page.find(FilePicker).widget.chosen = {"name": "mine.toml", "data": "not base64!"}
    click(page, "Reset")
    assert refused_line(page) is not None


def test_warnings_of_loading_are_shown_on_the_page(page):
    upload(page, "empty.toml", b'name = "empty"\n')
    click(page, "Reset")
    warnings = [t for t in texts(page) if t.startswith("Warning: ")]
    assert len(warnings) == 1 and "empty.toml: sets nothing" in warnings[0] and "/tmp" not in warnings[0]


def test_compare_with_runs_a_second_scenario_stepped_with_the_first(page):
    page.find(v.Select, label="Compare with").widget.v_model = "america_first"
    click(page, "Reset")
    assert len(charts(page)) == 11
    for _ in range(2):
        click(page, "Step")
    compared = [{row["series"] for row in json.loads(w.datasets).get("series", [])} for w in charts(page)]
    assert compared.count({"status quo (late 2025) (this page)", "America First escalation (compared)"}) == 4
