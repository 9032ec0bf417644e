"""The live page's charts (model/ui/charts.py): valid Vega-Lite, a layout that stays while the data follows the
model, and data that says what the model holds."""

import copy
import itertools
import json

import altair as alt
import numpy as np
import pytest
from altair.utils.schemapi import validate_jsonschema

from model import NTIBModel
from model.common.countries import COUNTRIES, PRODUCERS
from model.metrics.outcomes import codev_pairs
from model.ui.charts import (
    COMPARED,
    MAX_FIRMS_SHOWN,
    MIN_FLOW,
    PANEL_CHARTS,
    POSITIONS,
    SERIES,
    ComparedChart,
    FirmsChart,
    FlowsChart,
    LiveChart,
    NetworkChart,
    SeriesChart,
    window_flows,
)
from model.ui.names import COUNTRY_NAMES


def stepped(steps: int, scenario: str = "status_quo", **kw) -> NTIBModel:
    m = NTIBModel(scenario, seed=1, **kw)
    for _ in range(steps):
        m.step()
    return m


def every_chart(m: NTIBModel, dark: bool = False) -> list[LiveChart]:
    other = NTIBModel("full_ntib", seed=1, years=m.years)
    return [*(chart(m, dark) for chart in PANEL_CHARTS.values()),
            *(SeriesChart(m, measure, dark) for measure, _ in SERIES),
            *(ComparedChart(m, other, measure, dark) for measure, _ in COMPARED)]


@pytest.mark.parametrize("dark", [False, True])
def test_every_chart_is_valid_vega_lite_before_and_after_steps(dark):
    """Checked against Altair's Vega-Lite schema (what the page draws must compile); the data is JSON."""
    schema = alt.vegalite.v6.schema.core.load_schema()
    m = NTIBModel("status_quo", seed=1, years=2)
    charts = every_chart(m, dark)
    for steps in (0, 3):
        for _ in range(steps):
            m.step()
        for chart in charts:
            spec = chart.full_spec(m)
            validate_jsonschema({k: v for k, v in spec.items() if k != "$schema"}, schema)
            assert json.loads(json.dumps(spec, allow_nan=False)) == spec, type(chart).__name__
            assert set(spec["datasets"]) == named_data(spec), type(chart).__name__


def named_data(spec: dict) -> set[str]:
    """The dataset names a specification draws from, at any depth."""
    found: set[str] = set()
    if isinstance(spec, dict):
        if isinstance(spec.get("data"), dict) and "name" in spec["data"]:
            found.add(spec["data"]["name"])
        for value in spec.values():
            found |= named_data(value)
    elif isinstance(spec, list):
        for value in spec:
            found |= named_data(value)
    return found


def test_a_step_changes_the_data_and_never_the_layout():
    """The browser keeps the drawn chart and swaps its data: nothing else may depend on the step."""
    m = stepped(1, years=3)
    charts = every_chart(m)
    layouts, data = [copy.deepcopy(c.spec) for c in charts], [c.data(m) for c in charts]
    for _ in range(4):
        m.step()
    assert [c.spec for c in charts] == layouts
    assert all(c.data(m) != before for c, before in zip(charts, data))
    for chart, layout in zip(charts, layouts):  # a chart built afresh now has the same layout
        fresh = type(chart)(m, chart.other, chart.measure) if isinstance(chart, ComparedChart) else (
            type(chart)(m, chart.measure) if isinstance(chart, SeriesChart) else type(chart)(m))
        assert fresh.spec == layout


def test_dark_charts_have_light_ink_on_a_transparent_background():
    m = NTIBModel("status_quo", seed=1, years=2)
    light, dark = NetworkChart(m).spec["config"], NetworkChart(m, dark=True).spec["config"]
    assert light["background"] == dark["background"] == "transparent"
    assert light["axis"]["labelColor"] == "#222222" and dark["axis"]["labelColor"] == "#e0e0e0"
    integration = SeriesChart(m, "integration", dark=True).spec["layer"][0]["encoding"]["color"]
    assert integration == {"value": "#dddddd"}  # the alliance line is not black on a dark page


def test_network_nodes_stay_put_and_links_and_arrows_match_the_model():
    m = stepped(2)
    chart = NetworkChart(m)
    first = chart.data(m)["nodes"]
    for _ in range(6):
        m.step()
    data = chart.data(m)
    assert [(n["code"], n["x"], n["y"]) for n in data["nodes"]] == [(n["code"], n["x"], n["y"]) for n in first]
    assert {n["code"]: (n["x"], n["y"]) for n in first} == POSITIONS
    assert len(data["links"]) == len(codev_pairs(m)) > 0
    flows = window_flows(m)
    drawn = {(a["supplier"], a["buyer"]): a["value"] for a in data["trade"]}
    expected = {(COUNTRIES[j], COUNTRIES[i]): round(float(flows[i, j]), 3) for i in range(len(COUNTRIES))
                for j in range(len(COUNTRIES)) if i != j and flows[i, j] >= MIN_FLOW}
    assert drawn == expected and len(drawn) > 0
    output = flows.sum(axis=0)
    labels = {n["code"]: n["label"] for n in data["nodes"]}
    assert labels["USA"] == f"USA {output[0]:.1f}" and labels["ROW"] == "ROW (buys only)"


def test_flows_heatmap_shows_the_last_four_quarters_with_every_positive_cell_labelled():
    m = stepped(5)
    cells = FlowsChart(m).data(m)["flows"]
    flows = window_flows(m)[:, : len(PRODUCERS)]
    assert len(cells) == len(COUNTRIES) * len(PRODUCERS)
    for cell in cells:
        value = flows[COUNTRIES.index(cell["buyer"]), PRODUCERS.index(cell["supplier"])]
        assert cell["value"] == pytest.approx(value, abs=1e-4)
        assert cell["label"] == (f"{value:.1f}" if value >= MIN_FLOW else "<0.05" if value > 0 else "")
    start = NTIBModel("status_quo", seed=1)
    assert FlowsChart(start).title(start).endswith("press Step")


def test_series_have_one_point_per_quarter_and_country_on_a_fixed_year_axis():
    m = stepped(6)
    integration = SeriesChart(m, "integration").data(m)["series"]
    assert [row["value"] for row in integration] == pytest.approx(
        list(100 * m.timeseries()["integration_index"]), abs=1e-4)
    tech = SeriesChart(m, "tech").data(m)["series"]
    assert len(tech) == 6 * len(PRODUCERS) and {row["series"] for row in tech} == {
        COUNTRY_NAMES[c] for c in PRODUCERS}
    x = SeriesChart(m, "tech").spec["layer"][0]["encoding"]["x"]
    assert x["scale"]["domain"] == [2025, 2045] and x["axis"]["format"] == "d"  # whole years; the frame stays
    assert x["axis"]["values"] == [2025, 2030, 2035, 2040, 2045]


def test_comparison_holds_both_scenarios_stepped_together():
    m, other = stepped(4), stepped(4, "full_ntib")
    rows = ComparedChart(m, other, "integration").data(m)["series"]
    assert [r["series"] for r in rows] == ["status quo (late 2025) (this page)"] * 4 + ["full NTIB (compared)"] * 4
    assert [r["value"] for r in rows[4:]] == pytest.approx(list(100 * other.timeseries()["integration_index"]),
                                                          abs=1e-4)


def test_firms_are_sampled_with_a_fixed_seed_when_many_and_the_axes_only_grow():
    small = stepped(1)
    assert len(FirmsChart(small).data(small)["firms"]) == int(small.firms.active.sum()) < MAX_FIRMS_SHOWN
    big = NTIBModel("status_quo", seed=1, firm_scale=0.03)
    assert int(big.firms.active.sum()) > MAX_FIRMS_SHOWN
    a, b = FirmsChart(big).data(big)["firms"], FirmsChart(big).data(big)["firms"]
    assert len(a) == MAX_FIRMS_SHOWN and a == b
    chart, m = FirmsChart(small), stepped(1)
    extents = []
    for _ in range(8):
        corners = chart.data(m)["extent"]
        extents.append((corners[0]["unit_cost"], corners[1]["unit_cost"]))
        m.step()
    assert all(lo <= lo0 and hi >= hi0 for (lo0, hi0), (lo, hi) in itertools.pairwise(extents))
    costs = [f["unit_cost"] for f in chart.data(m)["firms"]]
    assert extents[-1][0] <= min(costs) and max(costs) <= chart.data(m)["extent"][1]["unit_cost"]
    assert np.isfinite([f["quality"] for f in chart.data(m)["firms"]]).all()
