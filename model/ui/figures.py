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

from model.common.countries import COUNTRIES, PRODUCERS
from model.metrics.statistics import mean_ci
from model.ui.style import COLOURS


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


def save(fig, path: Path) -> list[Path]:
    """Write a figure as PNG and SVG beside each other and close it."""
    fig.tight_layout()
    out = [path.with_suffix(".png"), path.with_suffix(".svg")]
    for p in out:
        fig.savefig(p, dpi=130)
    plt.close(fig)
    return out


def integration_over_time(ts: pd.DataFrame, path: Path) -> list[Path]:
    """Integration index (four-quarter window) per scenario, mean and 95 % band over seeds."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, group in ts.groupby("scenario", sort=False):
        band(ax, group, "integration_index", label=name, scale=100)
    ax.set_xlabel("year")
    ax.set_ylabel("integration index (% of Five Eyes procurement\nawarded to another Five Eyes country)")
    ax.set_title("Integration of the Five Eyes defence industrial base")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return save(fig, path)


def by_country_over_time(ts: pd.DataFrame, prefix: str, ylabel: str, title: str, path: Path) -> list[Path]:
    """One panel per scenario, a line with a 95 % band per country, for columns '<prefix>.<ISO3>'."""
    scenarios = list(dict.fromkeys(ts["scenario"]))
    fig, axes = plt.subplots(1, len(scenarios), figsize=(5 * len(scenarios), 4), sharey=True, squeeze=False)
    for ax, name in zip(axes[0], scenarios):
        group = ts[ts["scenario"] == name]
        for c in PRODUCERS:
            if f"{prefix}.{c}" in group and group[f"{prefix}.{c}"].notna().any():
                band(ax, group, f"{prefix}.{c}", label=c, colour=COLOURS[c])
        ax.set_title(name)
        ax.set_xlabel("year")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(ylabel)
    axes[0][-1].legend(frameon=False, fontsize=8)
    fig.suptitle(title)
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
        ax.set_title(name)
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
