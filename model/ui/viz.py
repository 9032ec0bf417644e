"""The panels of the interactive page: matplotlib charts of a live model, and the Solara components that show
them.

A chart builds its figure, axes, ticks, colour bar and legend once per model; each step only replaces the data
artists (`paint`). Building axes and laying out their tick labels costs more than drawing the data, and the
page has half a second per step for all four panels. The charts need no browser, so tests and
benchmarks/viz_step.py use them directly.
"""

from __future__ import annotations

import shlex
from typing import ClassVar, override

import numpy as np
import pandas as pd
import solara
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.ticker import FuncFormatter, MaxNLocator
from mesa.visualization.utils import update_counter

from model.common.countries import COUNTRIES, PRIME, PRODUCERS, C
from model.common.quarters import START_YEAR, quarter_label
from model.metrics.outcomes import codev_active, codev_pairs, integration_index, run_summary
from model.runs.experiment import flatten
from model.simulation.model import NTIBModel
from model.ui.figures import year_of
from model.ui.style import COLOURS

# Fixed, roughly geographic positions, so nodes never move between frames.
POSITIONS: dict[str, tuple[float, float]] = {
    "CAN": (-1.0, 1.0), "USA": (-1.2, 0.0), "GBR": (0.5, 1.15), "EUR": (1.45, 0.75),
    "ROW": (-0.35, -1.2), "AUS": (1.1, -0.95), "NZL": (1.8, -1.3),
}
CODEV_COLOUR = "#17a2b8"
MIN_FLOW = 0.05  # US$bn a year: smaller flows get no arrow and no number
FLOW_NORM = (0.01, 1000.0)  # US$bn: one colour scale for every frame and scenario
MAX_FIRMS_SHOWN = 2000
FIGSIZE = (6.4, 4.8)
DPI = 80


def window_flows(m: NTIBModel) -> np.ndarray:
    """Buyer x supplier value over the last four quarters (US$bn, so about a year's worth)."""
    return m.ledger.recent_flows.sum(axis=0)


def when(m: NTIBModel) -> str:
    """The quarter just simulated, or 'start' before the first step."""
    return quarter_label(m.steps - 1) if m.steps else "start"


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
    words = ["ntib run", f"--scenario {m.spec.name}", f"--seed {m.seed}", f"--years {m.years}",
             f"--firm-scale {m.firm_scale:g}", *(f"--set {shlex.quote(o)}" for o in getattr(m, "overrides", ()))]
    return " ".join(words)


def timeseries_csv(m: NTIBModel) -> str:
    """The quarters run so far, as `ntib run --out` writes timeseries.csv (equal to it once the run has ended)."""
    return m.timeseries().to_csv(index=False)


def summary_csv(m: NTIBModel) -> str:
    """The run so far as one numeric row, the columns of a sweep's runs table (model.runs.experiment.flatten)."""
    return pd.DataFrame([flatten(run_summary(m))]).to_csv(index=False)


def _data_artists(ax: Axes) -> list:
    return [*ax.lines, *ax.collections, *ax.patches, *ax.texts, *ax.images]


class Chart:
    """A headless figure whose scaffold is built once; `update` clears what the last `paint` added and repaints."""

    height = FIGSIZE[1]
    margins: ClassVar[dict[str, float]] = {}

    def __init__(self, m: NTIBModel) -> None:
        self.fig = Figure(figsize=(FIGSIZE[0], self.height), dpi=DPI)
        self.fig.subplots_adjust(**self.margins)
        self.scaffold(m)
        self._kept = {id(a) for ax in self.fig.axes for a in _data_artists(ax)}

    def update(self, m: NTIBModel) -> Figure:
        for ax in self.fig.axes:
            for artist in _data_artists(ax):
                if id(artist) not in self._kept:
                    artist.remove()
        self.paint(m)
        return self.fig

    def scaffold(self, m: NTIBModel) -> None:
        raise NotImplementedError

    def paint(self, m: NTIBModel) -> None:
        raise NotImplementedError


class NetworkChart(Chart):
    """Countries sized by what their firms delivered, arrows from supplier to buyer weighted by value,
    co-development pairs as dashed links."""

    height = FIGSIZE[1] - 0.5  # leaves room for the status line above it
    margins: ClassVar[dict[str, float]] = {"left": 0.01, "right": 0.99, "bottom": 0.01, "top": 0.94}

    @override
    def scaffold(self, m: NTIBModel) -> None:
        self.ax = ax = self.fig.subplots()
        ax.set_xlim(-1.8, 2.3)
        ax.set_ylim(-1.85, 1.5)
        ax.set_axis_off()
        ax.legend(handles=[Line2D([], [], color="grey", lw=2, marker=">", label="supplier → buyer (US$bn, last year)"),
                           Line2D([], [], color=CODEV_COLOUR, ls="--", label="co-development (programmes)")],
                  loc="lower left", fontsize=7, frameon=False)

    @override
    def paint(self, m: NTIBModel) -> None:
        ax, flows = self.ax, window_flows(m)
        output = flows.sum(axis=0)
        size = {c: 150 + 350 * np.log10(1 + output[C[c]]) for c in COUNTRIES}  # marker area, points^2
        for key, count in codev_pairs(m).items():
            a, b = key.split("-")
            (xa, ya), (xb, yb) = POSITIONS[a], POSITIONS[b]
            n = count["active"] + count["completed"]
            ax.plot([xa, xb], [ya, yb], ls="--", color=CODEV_COLOUR, lw=0.8 + 0.25 * min(n, 12), zorder=1)
            ax.text((xa + xb) / 2, (ya + yb) / 2, str(n), color=CODEV_COLOUR, fontsize=8, ha="center",
                    va="center", bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"}, zorder=4)
        for i, buyer in enumerate(COUNTRIES):
            for j, supplier in enumerate(COUNTRIES):
                if i != j and flows[i, j] >= MIN_FLOW:  # add_artist: add_patch would fit the limits to it, slowly
                    ax.add_artist(FancyArrowPatch(
                        POSITIONS[supplier], POSITIONS[buyer], connectionstyle="arc3,rad=0.18", arrowstyle="-|>",
                        mutation_scale=10, lw=0.6 + 1.5 * np.log10(1 + 10 * flows[i, j]),
                        color=COLOURS.get(supplier, "grey"), alpha=0.75, zorder=2,
                        shrinkA=np.sqrt(size[supplier]) / 2, shrinkB=np.sqrt(size[buyer]) / 2 + 2))
        for group, marker in ((PRODUCERS, "o"), (("ROW",), "s")):
            ax.scatter([POSITIONS[c][0] for c in group], [POSITIONS[c][1] for c in group], s=[size[c] for c in group],
                       marker=marker, color=[COLOURS.get(c, "lightgrey") for c in group], edgecolor="black", zorder=3)
        for c in COUNTRIES:
            x, y = POSITIONS[c]
            label = f"{c}\n{output[C[c]]:.1f}" if c in PRODUCERS else f"{c}\n(buys only)"
            ax.annotate(label, (x, y), xytext=(0, -np.sqrt(size[c]) / 2 - 3), textcoords="offset points",
                        ha="center", va="top", fontsize=8,
                        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"})
        ax.set_title(f"Alliance network, {when(m)}: node = output of a country's firms (US$bn, last year)",
                     fontsize=9)


class FlowsChart(Chart):
    """Buyer x supplier heat map of the last four quarters in US$bn, on one log colour scale for every frame."""

    margins: ClassVar[dict[str, float]] = {"left": 0.1, "right": 0.98, "bottom": 0.1, "top": 0.94}

    @override
    def scaffold(self, m: NTIBModel) -> None:
        self.ax = ax = self.fig.subplots()
        self.image = ax.imshow(np.full((len(COUNTRIES), len(PRODUCERS)), np.nan), cmap="viridis",
                               norm=LogNorm(*FLOW_NORM))
        bar = self.fig.colorbar(self.image, ax=ax, label="US$bn, last four quarters", shrink=0.85)
        bar.minorticks_off()
        bar.formatter = FuncFormatter(lambda value, _: f"{value:g}")  # plain numbers: mathtext is slow
        ax.set_xticks(range(len(PRODUCERS)), PRODUCERS)
        ax.set_yticks(range(len(COUNTRIES)), COUNTRIES)
        ax.set_xlabel("supplier country")
        ax.set_ylabel("buyer")

    @override
    def paint(self, m: NTIBModel) -> None:
        flows = window_flows(m)[:, : len(PRODUCERS)]
        self.image.set_data(np.where(flows > 0, flows, np.nan))
        for (i, j), value in np.ndenumerate(flows):
            if value >= MIN_FLOW:
                self.ax.text(j, i, f"{value:.1f}", ha="center", va="center", fontsize=7,
                             color="white" if value < 10 else "black")
        if not flows.any():
            self.ax.text(len(PRODUCERS) / 2 - 0.5, len(COUNTRIES) / 2 - 0.5, "no flows yet: press Step",
                         ha="center")
        self.ax.set_title(f"Who buys from whom, four quarters to {when(m)}", fontsize=9)


class TimeSeriesChart(Chart):
    """Integration index, each buyer's foreign share, technology and unit-cost index by country, over the run."""

    margins: ClassVar[dict[str, float]] = {"left": 0.08, "right": 0.98, "bottom": 0.06, "top": 0.94, "hspace": 0.25,
                                           "wspace": 0.22}
    SERIES = (("integration index (%)", None), ("foreign share of purchases (%)", "foreign_share"),
              ("technology (mean quality)", "tech"), ("unit-cost index (2025Q1 = 1)", "unit_cost_index"))

    @override
    def scaffold(self, m: NTIBModel) -> None:
        axes = self.fig.subplots(2, 2, sharex=True).ravel()
        for ax, (title, _) in zip(axes, self.SERIES):
            ax.set_title(title, fontsize=9)
            ax.set_xlim(START_YEAR, START_YEAR + m.years)
            ax.set_xticks(range(START_YEAR, START_YEAR + m.years + 1, 5))
            ax.yaxis.set_major_locator(MaxNLocator(4))
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
        self.integration, = axes[0].plot([], [], color="black")
        self.lines = {(prefix, c): ax.plot([], [], color=COLOURS[c], label=c)[0]
                      for ax, (_, prefix) in zip(axes[1:], self.SERIES[1:]) for c in PRODUCERS}
        axes[1].legend(fontsize=6, ncols=2, frameon=False)
        self.axes = axes

    @override
    def paint(self, m: NTIBModel) -> None:
        if not m.steps:
            self.axes[0].text(START_YEAR + m.years / 2, 0.5, "press Step", ha="center")
            return
        ts = m.timeseries()
        year = year_of(ts["quarter"])
        integration = 100 * ts["integration_index"]
        self.integration.set_data(year, integration)
        self.axes[0].set_ylim(0, max(5.0, 1.15 * float(integration.max())))
        for (prefix, c), line in self.lines.items():
            line.set_data(year, ts[f"{prefix}.{c}"] * (100 if prefix == "foreign_share" else 1))
        for ax in self.axes[1:]:
            ax.relim()
            ax.autoscale_view(scalex=False)


class FirmsChart(Chart):
    """Active firms' quality against unit cost, by country; primes outlined. A fixed-seed sample keeps large
    populations legible and fast to draw."""

    margins: ClassVar[dict[str, float]] = {"left": 0.12, "right": 0.98, "bottom": 0.11, "top": 0.94}

    @override
    def scaffold(self, m: NTIBModel) -> None:
        self.ax = ax = self.fig.subplots()
        empty = np.empty(0)
        self.suppliers = {c: ax.scatter(empty, empty, s=8, color=COLOURS[c], alpha=0.5, lw=0) for c in PRODUCERS}
        self.primes = {c: ax.scatter(empty, empty, s=40, color=COLOURS[c], edgecolor="black", lw=0.8)
                       for c in PRODUCERS}
        ax.set_xlabel("unit cost (US$bn per unit)")
        ax.set_ylabel("quality (technology level)")
        ax.grid(alpha=0.3)
        ax.legend(handles=[Line2D([], [], ls="", marker="o", color=COLOURS[c], label=c) for c in PRODUCERS],
                  fontsize=7, frameon=False)

    @override
    def paint(self, m: NTIBModel) -> None:
        f = m.firms
        rows = np.flatnonzero(f.active)
        if len(rows) > MAX_FIRMS_SHOWN:
            rows = np.sort(np.random.default_rng(0).choice(rows, MAX_FIRMS_SHOWN, replace=False))
        for c in PRODUCERS:
            mine = rows[f.country[rows] == C[c]]
            prime = f.tier[mine] == PRIME
            self.suppliers[c].set_offsets(np.column_stack([f.unit_cost[mine[~prime]], f.quality[mine[~prime]]]))
            self.primes[c].set_offsets(np.column_stack([f.unit_cost[mine[prime]], f.quality[mine[prime]]]))
        if len(rows):
            for setter, values in ((self.ax.set_xlim, f.unit_cost[rows]), (self.ax.set_ylim, f.quality[rows])):
                low, high = float(values.min()), float(values.max())
                pad = 0.05 * (high - low) or 0.05
                setter(low - pad, high + pad)
        shown = "" if len(rows) == int(f.active.sum()) else f", {len(rows):,} shown"
        self.ax.set_title(f"Firms at {when(m)}: {int(f.active.sum()):,} active{shown}; primes outlined",
                          fontsize=9)


CHARTS: dict[str, type[Chart]] = {
    "network": NetworkChart, "flows": FlowsChart, "timeseries": TimeSeriesChart, "firms": FirmsChart,
}


def _show(model: NTIBModel, chart: type[Chart]) -> None:
    """Repaint once per (model, step): Mesa bumps update_counter after Step and Reset, which re-renders us."""
    update_counter.get()
    built = solara.use_memo(lambda: chart(model), [model])
    key = [model, model.steps]
    figure = solara.use_memo(lambda: built.update(model), key)
    solara.FigureMatplotlib(figure, dependencies=key, format="png")


@solara.component
def NetworkPanel(model: NTIBModel) -> None:
    """The alliance network, under a line of text saying where the run stands."""
    with solara.Column():
        # plain text: Markdown would load math and diagram scripts from a CDN
        if refused := getattr(model, "refused", None):  # the page's model refuses what the browser sent
            solara.Text(f"Refused: {refused}. The page's defaults were loaded.",
                        style={"font-size": "0.85em", "color": "#b00020"})
        solara.Text(status_line(model), style={"font-size": "0.85em"})
        solara.Text(run_command(model), style={"font-size": "0.75em", "font-family": "monospace",
                                               "user-select": "all"})  # one click selects it for copying
        stem = f"{model.spec.name}-seed{model.seed}-{when(model)}"
        with solara.Row():
            solara.FileDownload(lambda: timeseries_csv(model), filename=f"{stem}-timeseries.csv",
                                label="time series (CSV)", mime_type="text/csv")
            solara.FileDownload(lambda: summary_csv(model), filename=f"{stem}-summary.csv", label="summary (CSV)",
                                mime_type="text/csv")
        _show(model, NetworkChart)


@solara.component
def FlowsPanel(model: NTIBModel) -> None:
    _show(model, FlowsChart)


@solara.component
def TimeSeriesPanel(model: NTIBModel) -> None:
    _show(model, TimeSeriesChart)


@solara.component
def FirmsPanel(model: NTIBModel) -> None:
    _show(model, FirmsChart)


PANELS = [NetworkPanel, FlowsPanel, TimeSeriesPanel, FirmsPanel]
