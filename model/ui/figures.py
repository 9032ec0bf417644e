"""The standard figures, drawn from run tables: means over seeds with 95 % confidence bands.

The commands select the headless Agg backend themselves (`headless()`); a notebook keeps its inline one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from model.common.countries import COUNTRIES, PRODUCERS
from model.metrics.statistics import mean_ci
from model.ui.names import COUNTRY_NAMES, scenario_label
from model.ui.style import COLOURS

BLUE, GOLD, GREY = "#1f4e9c", "#f2a900", "#999999"
SCENARIO_STYLES = ("-", "--", ":")  # a panel shows at most three scenarios; more get panels of their own
INTEGRATION_LABEL = "integration index (% of Five Eyes procurement\nawarded to another Five Eyes country)"


def headless() -> None:
    """Draw off-screen: commands write files and must not need a display."""
    mpl.use("Agg")


def year_of(quarter: pd.Series) -> pd.Series:
    """'2025Q1' -> 2025.0, '2025Q3' -> 2025.5: a numeric time axis."""
    return quarter.str[:4].astype(int) + (quarter.str[-1].astype(int) - 1) / 4.0


def band(ax: Axes, frame: pd.DataFrame, column: str, x: str = "year", label: str | None = None,
         colour: str | None = None, style: str = "-", scale: float = 1.0, x_scale: float = 1.0, alpha: float = 0.2,
         **plot: Any) -> Line2D:
    """Plot the mean over seeds of `column` against `x`, with its 95 % band; returns the line."""
    wide = frame.pivot_table(index=x, columns="seed", values=column)
    mean, half = mean_ci(wide.T)
    xs = wide.index.to_numpy() * x_scale
    line, = ax.plot(xs, mean * scale, style, label=label, color=colour, **plot)
    ax.fill_between(xs, (mean - half) * scale, (mean + half) * scale, alpha=alpha, color=line.get_color())
    return line


def save(fig, path: Path, rect: tuple[float, float, float, float] = (0, 0, 1, 1)) -> list[Path]:
    """Write a figure as PNG and SVG beside each other and close it; `rect` is the part the axes may fill (room
    for a legend below them)."""
    fig.tight_layout(rect=rect)
    out = [path.with_suffix(".png"), path.with_suffix(".svg")]
    for p in out:
        fig.savefig(p, dpi=130)
    plt.close(fig)
    return out


def integration_over_time(ts: pd.DataFrame, path: Path) -> list[Path]:
    """Integration index (four-quarter window) per scenario, mean and 95 % band over seeds: in one panel for up to
    three scenarios, as small multiples for more."""
    names = list(dict.fromkeys(ts["scenario"]))
    if len(names) > len(SCENARIO_STYLES):
        return scenarios_over_time(ts, names, "integration_index", 100, INTEGRATION_LABEL,
                                   "Integration of the Five Eyes defence industrial base", path)
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, group in ts.groupby("scenario", sort=False):
        band(ax, group, "integration_index", label=scenario_label(name), scale=100)
    ax.set_xlabel("year")
    whole_years(ax)
    ax.set_ylabel(INTEGRATION_LABEL)
    ax.set_title("Integration of the Five Eyes defence industrial base")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return save(fig, path)


def whole_years(ax: Axes) -> None:
    """Year ticks on whole years (never 2027.5)."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))


def label_panels(axes: np.ndarray, ylabel: str) -> None:
    """Small multiples over time: a grid and whole-year ticks in every panel, years under every panel (the grid's
    last row may have empty cells), the y label on the left of each row and 'year' under the last."""
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        whole_years(ax)
        ax.tick_params(labelsize=8, labelbottom=True)
    for row in axes:
        row[0].set_ylabel(ylabel, fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("year", fontsize=8)


def scenarios_over_time(ts: pd.DataFrame, names: list[str], column: str, scale: float, ylabel: str, title: str,
                        path: Path, reference: str = "status_quo") -> list[Path]:
    """One column over time for many scenarios as small multiples: a panel per scenario with its mean and 95 %
    band, the `reference` scenario's mean in grey behind it (if it is among them), shared axes."""
    columns = min(4, len(names))
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.4 * columns + 0.6, 2.7 * rows + 0.8), sharex=True,
                             sharey=True, squeeze=False)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    base = ts[ts["scenario"] == reference] if reference in names else None
    for ax, name in zip(axes.flat, names):
        if base is not None and name != reference:
            band(ax, base, column, colour=GREY, scale=scale, alpha=0.0, lw=1)
        band(ax, ts[ts["scenario"] == name], column, colour=BLUE, scale=scale)
        ax.set_title(scenario_label(name), fontsize=9)
    label_panels(axes, ylabel)
    note = f"; grey: {scenario_label(reference)}" if base is not None else ""
    fig.suptitle(f"{title} (mean and 95 % band{note})")
    return save(fig, path)


def by_country_over_time(ts: pd.DataFrame, prefix: str, ylabel: str, title: str, path: Path) -> list[Path]:
    """Small multiples for columns '<prefix>.<ISO3>': a panel per country (in its colour), a line and 95 % band
    per scenario in it, so no panel stacks six bands; with more than three scenarios, a row of panels each."""
    scenarios = list(dict.fromkeys(ts["scenario"]))
    countries = [c for c in PRODUCERS if f"{prefix}.{c}" in ts and ts[f"{prefix}.{c}"].notna().any()]
    together = len(scenarios) <= len(SCENARIO_STYLES)
    if together:  # countries in rows of three, every scenario in each
        columns = min(3, len(countries))
        panels = [(scenarios, c) for c in countries]
        shape = (-(-len(countries) // columns), columns)
    else:  # a row per scenario, a column per country
        panels = [([name], c) for name in scenarios for c in countries]
        shape = (len(scenarios), len(countries))
    fig, axes = plt.subplots(*shape, figsize=(3.2 * shape[1] + 0.6, 2.6 * shape[0] + 0.9), sharex=True,
                             sharey=True, squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax, (names, c) in zip(axes.flat, panels):
        for name, style in zip(names, SCENARIO_STYLES):
            band(ax, ts[ts["scenario"] == name], f"{prefix}.{c}", label=scenario_label(name), colour=COLOURS[c],
                 style=style)
        ax.set_title(COUNTRY_NAMES[c] if together else f"{COUNTRY_NAMES[c]}, {scenario_label(names[0])}", fontsize=9)
    label_panels(axes, ylabel)
    fig.suptitle(title)
    if together and len(scenarios) > 1:
        handles = [Line2D([], [], color="black", ls=style, label=scenario_label(name))
                   for name, style in zip(scenarios, SCENARIO_STYLES)]
        fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False, fontsize=8)
        return save(fig, path, rect=(0, 0.06, 1, 1))
    return save(fig, path)


def flows_heatmap(flows: dict[str, np.ndarray], years: float, path: Path, columns: int = 4) -> list[Path]:
    """Buyer x supplier value per year (US$bn, mean over seeds), one panel per scenario, log colour scale."""
    ncols = min(columns, len(flows))
    nrows = -(-len(flows) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.5 * ncols + 1, 4.8 * nrows), squeeze=False,
                             layout="constrained")
    peak = max(float(m.max()) for m in flows.values()) / years
    norm = mpl.colors.LogNorm(vmin=max(peak * 1e-4, 1e-3), vmax=peak)
    for ax in axes.flat[len(flows):]:
        ax.set_visible(False)
    for ax, (name, matrix) in zip(axes.flat, flows.items()):
        per_year = matrix[:, : len(PRODUCERS)] / years
        im = ax.imshow(np.where(per_year > 0, per_year, np.nan), cmap="viridis", norm=norm)
        ax.set_xticks(range(len(PRODUCERS)), PRODUCERS)
        ax.set_yticks(range(len(COUNTRIES)), COUNTRIES)
        ax.set_xlabel("supplier country")
        ax.set_ylabel("buyer")
        ax.set_title(scenario_label(name))
        for i in range(per_year.shape[0]):
            for j in range(per_year.shape[1]):
                if per_year[i, j] >= 0.05:
                    ax.text(j, i, f"{per_year[i, j]:.1f}", ha="center", va="center", fontsize=7,
                            color="white" if per_year[i, j] < peak / 10 else "black")
    fig.colorbar(im, ax=axes.ravel().tolist(), label="US$bn a year (constant 2024)", shrink=0.8)
    fig.suptitle("Who buys from whom: end items and components")
    fig.savefig(path.with_suffix(".png"), dpi=130)
    fig.savefig(path.with_suffix(".svg"))
    plt.close(fig)
    return [path.with_suffix(".png"), path.with_suffix(".svg")]


def standard_figures(ts: pd.DataFrame, flows: dict[str, np.ndarray], years: float, folder: Path) -> list[Path]:
    """The four figures of a run or a comparison: integration, flows, technology, unit cost."""
    ts = ts.assign(year=year_of(ts["quarter"]))
    return [
        *integration_over_time(ts, folder / "integration_index"),
        *flows_heatmap(flows, years, folder / "flows_heatmap"),
        *by_country_over_time(ts, "tech", "mean quality of active firms (2025 US = 1)",
                              "Technology by country", folder / "technology"),
        *by_country_over_time(ts, "unit_cost_index", "cost per unit of capability (2025Q1 = 1)",
                              "Unit-cost index of each country's primes", folder / "unit_cost_index"),
    ]
