"""The figures of a declared study: each outcome against each factor, and Sobol or Morris indices, as small
multiples (one panel per outcome, or per outcome and factor) so no panel stacks more than a few series."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from model.metrics.statistics import mean_ci
from model.runs.study_file import Study
from model.ui.figures import BLUE, GOLD, GREY, save
from model.ui.names import outcome_label, scenario_label

MAX_PANELS = 8  # outcomes (rows) and factors (columns) drawn at most; the tables hold all of them
DISCRETE = 25  # a factor with at most this many distinct values is drawn as means with intervals, not a cloud


def factor_effects(runs: pd.DataFrame, study: Study, path: Path) -> list[Path]:
    """Rows of outcomes, columns of factors: a discrete factor shows the mean and 95 % interval over every run
    at each of its values (over the other factors and the seeds), a sampled one the cloud of runs."""
    outcomes, factors = study.outcomes[:MAX_PANELS], study.factors[:MAX_PANELS]
    fig, axes = plt.subplots(len(outcomes), len(factors), figsize=(3.6 * len(factors) + 0.8, 2.6 * len(outcomes)),
                             squeeze=False, sharex="col")
    for column, factor in enumerate(factors):
        values = runs[factor.name]
        distinct = list(dict.fromkeys(factor.choices())) or sorted(values.unique())
        categorical = bool(factor.levels)
        for row, outcome in enumerate(outcomes):
            ax = axes[row][column]
            if categorical or len(distinct) <= DISCRETE:
                stats = [mean_ci(runs.loc[values == v, outcome]) for v in distinct]
                x = np.arange(len(distinct)) if categorical else np.asarray(distinct, dtype=float)
                ax.errorbar(x, [float(m) for m, _ in stats], yerr=[float(h) for _, h in stats], fmt="o-",
                            color=BLUE, ms=3, capsize=2, lw=1)
                if categorical:
                    ax.set_xticks(x, [str(v) for v in distinct], rotation=20, ha="right", fontsize=7)
            else:
                ax.scatter(values, runs[outcome], s=4, alpha=0.35, color=BLUE, linewidths=0)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=7)
            if column == 0:
                ax.set_ylabel(outcome_label(outcome), fontsize=8)
        axes[-1][column].set_xlabel(study.labels.get(factor.name, factor.name), fontsize=8)
    note = "" if len(study.outcomes) <= MAX_PANELS and len(study.factors) <= MAX_PANELS else \
        f" (first {MAX_PANELS} of each; the tables hold all)"
    fig.suptitle(f"{study.name}: each outcome against each factor, mean and 95 % interval over the runs{note}",
                 fontsize=10)
    return save(fig, path)


def sobol_figure(indices: pd.DataFrame, labels: dict[str, str], path: Path) -> list[Path]:
    """S1 and ST per factor, one panel per outcome (and base scenario): ST - S1 is what interactions carry."""
    panels = list(indices.groupby(["scenario", "outcome"], sort=False))[: MAX_PANELS * 2]
    columns = min(4, len(panels))
    rows = -(-len(panels) // columns)
    factors = indices["factor"].unique()
    fig, axes = plt.subplots(rows, columns, figsize=(4.3 * columns, 0.4 * len(factors) * rows + 1.6 * rows),
                             squeeze=False, sharey=True)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    y = np.arange(len(factors))
    for ax, ((scenario, outcome), found) in zip(axes.flat, panels):
        table = found.set_index("factor").reindex(factors)
        for offset, index, colour, name in ((-0.2, "S1", BLUE, "S1 first order"), (0.2, "ST", GOLD, "ST total")):
            error = np.vstack([table[index] - table[f"{index} lo"], table[f"{index} hi"] - table[index]])
            ax.barh(y + offset, table[index], 0.4, xerr=error, color=colour, capsize=2, label=name)
        ax.axvline(0, color="black", lw=0.6)
        ax.set_yticks(y, [labels.get(f, f) for f in factors], fontsize=7)
        title = textwrap.fill(labels.get(outcome) or outcome_label(outcome), 45)  # with its unit when given
        ax.set_title(title if indices["scenario"].nunique() == 1 else f"{title}\n{scenario_label(scenario)}",
                     fontsize=8)
        ax.set_xlabel("share of output variance", fontsize=7)
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].invert_yaxis()
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=2, frameon=False, fontsize=8)
    fig.suptitle("Sobol indices of the seed-mean outcome (95 % bootstrap intervals; an index below 0 or S1 above "
                 "ST is sampling error)", fontsize=9)
    return save(fig, path, rect=(0, 0.45 / fig.get_figheight(), 1, 1))  # the legend's row below the panels


def morris_figure(indices: pd.DataFrame, labels: dict[str, str], path: Path) -> list[Path]:
    """mu* against sigma per outcome: far right = influential, high = nonlinear or interacting. Labels are
    placed beside the most influential factors only, so they do not overlap."""
    panels = list(indices.groupby(["scenario", "outcome"], sort=False))[: MAX_PANELS * 2]
    columns = min(4, len(panels))
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.5 * columns, 3.8 * rows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax, ((scenario, outcome), table) in zip(axes.flat, panels):
        error = np.vstack([table["mu_star"] - table["mu_star lo"], table["mu_star hi"] - table["mu_star"]])
        ax.errorbar(table["mu_star"], table["sigma"], xerr=error, fmt="none", ecolor="#bbbbbb", capsize=2)
        ax.scatter(table["mu_star"], table["sigma"], color=np.where(table["relative"] >= 0.1, BLUE, GREY), zorder=3)
        for _, entry in table.nlargest(5, "mu_star").iterrows():
            ax.annotate(labels.get(entry["factor"], entry["factor"]), (entry["mu_star"], entry["sigma"]),
                        fontsize=7, xytext=(4, 2), textcoords="offset points")
        title = textwrap.fill(labels.get(outcome) or outcome_label(outcome), 45)  # with its unit when given
        ax.set_title(title if indices["scenario"].nunique() == 1 else f"{title}\n{scenario_label(scenario)}",
                     fontsize=8)
        ax.set_xlabel("μ* (per full factor range)", fontsize=7)
        ax.set_ylabel("σ of the effects", fontsize=7)
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    fig.suptitle("Morris screening (95 % bootstrap interval on μ*; grey: under 10 % of the largest μ*; the five "
                 "largest are named)", fontsize=9)
    return save(fig, path)
