"""The panels of the interactive page: matplotlib figures drawn from a live model, and the Solara components
that show them. The figure functions are pure (model in, Figure out) so tests and the benchmark can call them
without a browser; the components only add caching, so a panel is redrawn once per step and not on every
re-render of the page.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import solara
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.ticker import FuncFormatter, MaxNLocator
from mesa.visualization.utils import update_counter

from model.countries import C, COUNTRIES, PRIME
from model.figures import COLOURS, PRODUCERS, year_of
from model.metrics import codev_pairs, integration_index
from model.model import NTIBModel

# Fixed, roughly geographic positions, so nodes never move between frames.
POSITIONS: dict[str, tuple[float, float]] = {
    "CAN": (-1.0, 1.0), "USA": (-1.2, 0.0), "GBR": (0.5, 1.15), "EUR": (1.45, 0.75),
    "ROW": (-0.35, -1.2), "AUS": (1.1, -0.95), "NZL": (1.8, -1.3),
}
CODEV_COLOUR = "#17a2b8"
MIN_FLOW = 0.05  # US$bn a year: thinner flows are not drawn on the network
MAX_FIRMS_SHOWN = 2000
FIGSIZE = (6.4, 4.8)
DPI = 80


def window_flows(m: NTIBModel) -> np.ndarray:
    """Buyer x supplier value over the last four quarters (US$bn, so about a year's worth)."""
    return m.ledger.recent_flows.sum(axis=0)


def when(m: NTIBModel) -> str:
    """The quarter just simulated, or 'start' before the first step."""
    return m.quarter_label(m.steps - 1) if m.steps else "start"


def status_line(m: NTIBModel) -> str:
    """Where the run stands: scenario, seed, quarter, integration index, firms and joint programmes."""
    return (f"{m.spec.name} · seed {m.seed} · {when(m)}, step {m.steps} of {4 * m.years} · integration index "
            f"{100 * integration_index(m):.1f} % · {int(m.firms.active.sum()):,} active firms · "
            f"{int(m.programmes.active.sum())} joint programmes")


def _figure(height: float = FIGSIZE[1], **margins: float) -> Figure:
    """A headless figure with fixed margins (a layout engine would cost more than the drawing)."""
    fig = Figure(figsize=(FIGSIZE[0], height), dpi=DPI)
    fig.subplots_adjust(**margins)
    return fig


def network_figure(m: NTIBModel) -> Figure:
    """Countries sized by what their firms delivered, arrows from supplier to buyer weighted by value,
    co-development pairs as dashed links."""
    flows = window_flows(m)
    output = flows.sum(axis=0)
    fig = _figure(FIGSIZE[1] - 0.5, left=0.01, right=0.99, bottom=0.01, top=0.94)  # leaves room for the status line
    ax = fig.subplots()
    size = {c: 150 + 350 * np.log10(1 + output[C[c]]) for c in COUNTRIES}  # marker area, points^2
    for key, count in codev_pairs(m).items():
        a, b = key.split("-")
        (xa, ya), (xb, yb) = POSITIONS[a], POSITIONS[b]
        n = count["active"] + count["completed"]
        ax.plot([xa, xb], [ya, yb], ls="--", color=CODEV_COLOUR, lw=0.8 + 0.25 * min(n, 12), zorder=1)
        ax.text((xa + xb) / 2, (ya + yb) / 2, str(n), color=CODEV_COLOUR, fontsize=8, ha="center", va="center",
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none"), zorder=4)
    for i, buyer in enumerate(COUNTRIES):
        for j, supplier in enumerate(COUNTRIES):
            if i != j and flows[i, j] >= MIN_FLOW:
                ax.add_patch(FancyArrowPatch(
                    POSITIONS[supplier], POSITIONS[buyer], connectionstyle="arc3,rad=0.18", arrowstyle="-|>",
                    mutation_scale=10, lw=0.6 + 1.5 * np.log10(1 + 10 * flows[i, j]),
                    color=COLOURS.get(supplier, "grey"), alpha=0.75, zorder=2,
                    shrinkA=np.sqrt(size[supplier]) / 2, shrinkB=np.sqrt(size[buyer]) / 2 + 2))
    for c in COUNTRIES:
        x, y = POSITIONS[c]
        ax.scatter([x], [y], s=size[c], color=COLOURS.get(c, "lightgrey"), edgecolor="black", zorder=3,
                   marker="o" if c in PRODUCERS else "s")
        label = f"{c}\n{output[C[c]]:.1f}" if c in PRODUCERS else f"{c}\n(buys only)"
        ax.annotate(label, (x, y), xytext=(0, -np.sqrt(size[c]) / 2 - 3), textcoords="offset points",
                    ha="center", va="top", fontsize=8, bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none"))
    ax.set_xlim(-1.8, 2.3)
    ax.set_ylim(-1.85, 1.5)
    ax.set_axis_off()
    ax.legend(handles=[Line2D([], [], color="grey", lw=2, marker=">", label="supplier → buyer (US$bn, last year)"),
                       Line2D([], [], color=CODEV_COLOUR, ls="--", label="co-development (programmes)")],
              loc="lower left", fontsize=7, frameon=False)
    ax.set_title(f"Alliance network, {when(m)}: node = output of a country's firms (US$bn, last year)", fontsize=9)
    return fig


def flows_figure(m: NTIBModel) -> Figure:
    """Buyer x supplier heat map of the last four quarters, log colour scale, values in US$bn."""
    flows = window_flows(m)[:, : len(PRODUCERS)]
    fig = _figure(left=0.1, right=0.98, bottom=0.1, top=0.94)
    ax = fig.subplots()
    peak = float(flows.max())
    if peak > 0:
        im = ax.imshow(np.where(flows > 0, flows, np.nan), cmap="viridis",
                       norm=LogNorm(vmin=max(peak * 1e-4, 1e-3), vmax=peak))
        bar = fig.colorbar(im, ax=ax, label="US$bn, last four quarters", shrink=0.85)
        bar.minorticks_off()
        bar.formatter = FuncFormatter(lambda v, _: f"{v:g}")  # plain numbers: mathtext labels cost 0.1 s a frame
        for (i, j), v in np.ndenumerate(flows):
            if v >= MIN_FLOW:
                ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=7,
                        color="white" if v < peak / 10 else "black")
    else:
        ax.imshow(np.full(flows.shape, np.nan))
        ax.text(len(PRODUCERS) / 2 - 0.5, len(COUNTRIES) / 2 - 0.5, "no flows yet: press Step", ha="center")
    ax.set_xticks(range(len(PRODUCERS)), PRODUCERS)
    ax.set_yticks(range(len(COUNTRIES)), COUNTRIES)
    ax.set_xlabel("supplier country")
    ax.set_ylabel("buyer")
    ax.set_title(f"Who buys from whom, four quarters to {when(m)}", fontsize=9)
    return fig


def timeseries_figure(m: NTIBModel) -> Figure:
    """Integration index, each buyer's foreign share, technology and unit-cost index by country, over the run."""
    fig = _figure(left=0.08, right=0.98, bottom=0.06, top=0.94, hspace=0.25, wspace=0.22)
    axes = fig.subplots(2, 2, sharex=True)
    panels = [(axes[0, 0], "integration index (%)"), (axes[0, 1], "foreign share of purchases (%)"),
              (axes[1, 0], "technology (mean quality)"), (axes[1, 1], "unit-cost index (2025Q1 = 1)")]
    for ax, title in panels:
        ax.set_title(title, fontsize=9)
        ax.set_xlim(2025, 2025 + m.years)
        ax.set_xticks(range(2025, 2026 + m.years, 5))
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    if m.steps:
        ts = m.timeseries()
        year = year_of(ts["quarter"])
        integration = 100 * ts["integration_index"]
        axes[0, 0].plot(year, integration, color="black")
        axes[0, 0].set_ylim(0, max(5.0, 1.15 * float(integration.max())))
        for c in PRODUCERS:
            axes[0, 1].plot(year, 100 * ts[f"foreign_share.{c}"], color=COLOURS[c], label=c)
            axes[1, 0].plot(year, ts[f"tech.{c}"], color=COLOURS[c])
            axes[1, 1].plot(year, ts[f"unit_cost_index.{c}"], color=COLOURS[c])
        axes[0, 1].legend(fontsize=6, ncols=2, frameon=False)
    else:
        axes[0, 0].text(2025 + m.years / 2, 0.5, "press Step", ha="center")
    return fig


def firms_figure(m: NTIBModel) -> Figure:
    """Active firms' quality against unit cost, by country; primes outlined. A fixed-seed sample keeps large
    populations legible and fast to draw."""
    f = m.firms
    rows = np.flatnonzero(f.active)
    if len(rows) > MAX_FIRMS_SHOWN:
        rows = np.sort(np.random.default_rng(0).choice(rows, MAX_FIRMS_SHOWN, replace=False))
    fig = _figure(left=0.12, right=0.98, bottom=0.11, top=0.94)
    ax = fig.subplots()
    for c in PRODUCERS:
        mine = rows[f.country[rows] == C[c]]
        prime = mine[f.tier[mine] == PRIME]
        supplier = mine[f.tier[mine] != PRIME]
        ax.scatter(f.unit_cost[supplier], f.quality[supplier], s=8, color=COLOURS[c], alpha=0.5, lw=0, label=c)
        ax.scatter(f.unit_cost[prime], f.quality[prime], s=40, color=COLOURS[c], edgecolor="black", lw=0.8)
    ax.set_xlabel("unit cost (US$bn per unit)")
    ax.set_ylabel("quality (technology level)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, markerscale=1.5, frameon=False)
    shown = "" if len(rows) == int(f.active.sum()) else f", {len(rows):,} shown"
    ax.set_title(f"Firms at {when(m)}: {int(f.active.sum()):,} active{shown}; primes outlined", fontsize=9)
    return fig


FIGURES: dict[str, Callable[[NTIBModel], Figure]] = {
    "network": network_figure, "flows": flows_figure, "timeseries": timeseries_figure, "firms": firms_figure,
}


def _show(model: NTIBModel, draw: Callable[[NTIBModel], Figure]) -> None:
    """Draw once per (model, step): Mesa bumps update_counter after Step and Reset, which re-renders us."""
    update_counter.get()
    key = [model, model.steps]
    figure = solara.use_memo(lambda: draw(model), key)
    solara.FigureMatplotlib(figure, dependencies=key, format="png")


@solara.component
def NetworkPanel(model: NTIBModel) -> None:
    """The alliance network, under a line of text saying where the run stands."""
    with solara.Column():
        # plain text: Markdown would load math and diagram scripts from a CDN
        solara.Text(status_line(model), style={"font-size": "0.85em"})
        _show(model, network_figure)


@solara.component
def FlowsPanel(model: NTIBModel) -> None:
    _show(model, flows_figure)


@solara.component
def TimeSeriesPanel(model: NTIBModel) -> None:
    _show(model, timeseries_figure)


@solara.component
def FirmsPanel(model: NTIBModel) -> None:
    _show(model, firms_figure)


PANELS = [NetworkPanel, FlowsPanel, TimeSeriesPanel, FirmsPanel]
