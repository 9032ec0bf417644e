"""The panels of the interactive page: what the run stands at (status, the `ntib run` command, CSV downloads)
and the live charts of model/ui/charts.py, as Solara components.

A chart's layout is sent to the browser once per model and theme; each step sends only its data, which the
browser swaps into the drawn chart (model/ui/widgets.py).
"""

from __future__ import annotations

import functools
import json
import shlex
from collections.abc import Callable

import pandas as pd
import solara
from mesa.visualization.utils import update_counter

from model.metrics.outcomes import codev_active, integration_index, run_summary
from model.runs.experiment import flatten
from model.simulation.model import NTIBModel
from model.ui.charts import (
    COMPARED,
    SERIES,
    ComparedChart,
    FirmsChart,
    FlowsChart,
    LiveChart,
    NetworkChart,
    SeriesChart,
    when,
)
from model.ui.names import scenario_label
from model.ui.widgets import LiveVegaLite


def status_line(m: NTIBModel) -> str:
    """Where the run stands: scenario, seed, quarter, integration index over the last four quarters (none before
    the first step), sampled firms and joint programmes (in real firms' programmes)."""
    integration = f"{100 * integration_index(m):.1f} %" if m.steps else "n/a"
    return (f"{m.spec.name} · seed {m.seed} · {when(m)}, step {m.steps} of {4 * m.years} · integration index, "
            f"last four quarters {integration} · {int(m.firms.active.sum()):,} sampled firms · "
            f"{codev_active(m):,} joint programmes")


def run_command(m: NTIBModel) -> str:
    """The `ntib run` command that runs this page's model (same scenario, seed, length, scale and levers), to
    copy into a terminal or a script: what the page shows can be reproduced and swept."""
    scenario = getattr(m, "scenario_argument", m.spec.name)  # an uploaded file is named as its user saved it
    words = ["ntib run", f"--scenario {shlex.quote(scenario)}", f"--seed {m.seed}", f"--years {m.years}",
             f"--firm-scale {m.firm_scale:g}", *(f"--set {shlex.quote(o)}" for o in getattr(m, "overrides", ()))]
    return " ".join(words)


def timeseries_csv(m: NTIBModel) -> str:
    """The quarters run so far, as `ntib run --out` writes timeseries.csv (equal to it once the run has ended)."""
    return m.timeseries().to_csv(index=False)


def summary_csv(m: NTIBModel) -> str:
    """The run so far as one numeric row, the columns of a sweep's runs table (model.runs.experiment.flatten)."""
    return pd.DataFrame([flatten(run_summary(m))]).to_csv(index=False)




SMALL = {"font-size": "0.85em"}


@solara.component
def ChartView(model: NTIBModel, make: Callable[[bool], LiveChart], key: tuple) -> None:
    """One live chart under its title. Mesa bumps update_counter after Step and Reset, which re-renders us; the
    layout (`make(dark)`) is built once per `key` and theme, the data once per step."""
    update_counter.get()
    dark = solara.lab.use_dark_effective()
    built = solara.use_memo(lambda: make(dark), [*key, dark])
    layout = solara.use_memo(lambda: json.dumps(built.spec), [built])
    data = solara.use_memo(lambda: built.data_json(model), [built, model.steps])
    solara.Text(built.title(model), style={"font-weight": "bold", **SMALL})
    LiveVegaLite.element(spec=layout, datasets=data)


@solara.component
def SmallMultiples(model: NTIBModel, title: str, charts: list[tuple[str, Callable[[bool], LiveChart]]]) -> None:
    """Charts of one panel, two to a row, each as wide as its column."""
    update_counter.get()
    solara.Text(title, style={"font-weight": "bold", **SMALL})
    with solara.ColumnsResponsive(6, gutters_dense=True):
        for measure, make in charts:
            with solara.Column(gap="0px"):
                ChartView(model, make, (model, measure))


@solara.component
def RunPanel(model: NTIBModel) -> None:
    """Where the run stands, what the page refused or warned of, the command that reproduces it and its data."""
    update_counter.get()
    with solara.Column(gap="4px"):
        # plain text: Markdown would load math and diagram scripts from a CDN
        if refused := getattr(model, "refused", None):  # the page's model refuses what the browser sent
            solara.Text(f"Refused: {refused}. The page's defaults were loaded.",
                        style={**SMALL, "color": "#d32f2f"})
        for note in getattr(model, "notes", ()):
            solara.Text(f"Warning: {note}", style={**SMALL, "color": "#e65100"})
        solara.Text(status_line(model), style=SMALL)
        solara.Text(run_command(model), style={"font-size": "0.75em", "font-family": "monospace",
                                               "user-select": "all"})  # one click selects it for copying
        stem = f"{model.spec.name}-seed{model.seed}-{when(model)}"
        with solara.Row():
            solara.FileDownload(lambda: timeseries_csv(model), filename=f"{stem}-timeseries.csv",
                                label="time series (CSV)", mime_type="text/csv")
            solara.FileDownload(lambda: summary_csv(model), filename=f"{stem}-summary.csv", label="summary (CSV)",
                                mime_type="text/csv")


def _panel(chart: type[LiveChart], model: NTIBModel) -> None:
    with solara.Card(margin=0, classes=["ntib-panel"]):
        ChartView(model, lambda dark: chart(model, dark), (model, chart))


@solara.component
def Panels(model: NTIBModel) -> None:
    """The run's panel above the charts, two to a row on a wide screen, one to a row below 1264 px (a laptop's
    1024 px leaves about 770 px beside the sidebar, too little for two readable charts). A comparison, when
    chosen, comes first: it is what its user asked to see."""
    update_counter.get()  # the panels' titles name the quarter
    RunPanel(model)
    with solara.ColumnsResponsive(12, large=6):
        if (other := getattr(model, "companion", None)) is not None:
            with solara.Card(margin=0, classes=["ntib-panel"]):
                SmallMultiples(model, f"{scenario_label(model.spec.name)} against {scenario_label(other.spec.name)}"
                               f" to {when(model)}: same seed, years and firm scale", [(measure, functools.partial(
                                   lambda dark, measure: ComparedChart(model, other, measure, dark),
                                   measure=measure)) for measure, _ in COMPARED])
        _panel(NetworkChart, model)
        _panel(FlowsChart, model)
        with solara.Card(margin=0, classes=["ntib-panel"]):
            SmallMultiples(model, f"Over the run, to {when(model)}" + ("" if model.steps else ": press Step"),
                           [(measure, functools.partial(lambda dark, measure: SeriesChart(model, measure, dark),
                                                        measure=measure)) for measure, _ in SERIES])
        _panel(FirmsChart, model)
