"""The US Buy American preference margin from 0 to 100 %, with and without the qualifying-country list.

Under status_quo, offers from qualifying countries (GBR, CAN, AUS, EUR under the RDP MOUs) escape the margin,
so it bites only on the rest; without the list it bites on every ally. Writes preference_sweep.png (four
outcomes against the margin, 95 % bands over seeds and posterior draws), preference_sweep.csv/.md and
headline_uncertainty.csv/.md (the effect of the margin, from seeds alone and with the parameters' uncertainty).
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from model.metrics.derived import DERIVED
from model.metrics.statistics import ci_columns
from model.runs.study_file import load_study
from model.ui.figures import band, save
from model.ui.study import (
    Headline,
    headline,
    main,
    point_where,
    report,
    spread_of,
    study_parser,
    sweep,
    with_steps,
    write_table,
)

STUDY = Path(__file__).with_name("studies") / "preference_sweep.toml"  # the design: margins x qualifying lists
NO_LIST = "no qualifying list"  # the level of the `rules` factor without the list
OUTCOMES = [DERIVED[key] for key in ("us_foreign_share", "integration", "us_unit_cost", "allied_sales_to_us")]


def build() -> argparse.ArgumentParser:
    study = load_study(STUDY)
    margin = next(f for f in study.factors if f.name == "margin")
    return study_parser("preference_sweep.py", __doc__, study, runs=margin.steps or 11,
                        runs_help="margins from 0 to 100 %% per curve")


def run(args: argparse.Namespace) -> None:
    study = with_steps(load_study(STUDY), args.runs, "margin")
    points = list(study.build().points)
    margins = np.array(sorted({dict(p.factors)["margin"] for p in points}))
    lists = list(dict.fromkeys(dict(p.factors)["rules"] for p in points))
    design, res = sweep(args, study.name, points, series=study.series)
    foreign = DERIVED["us_foreign_share"]
    effect = headline(args, design, res, Headline(
        "US margin 0 against 0.5, no qualifying list", foreign.heading, foreign.compute,
        point_where(points, margin=0.5, rules=NO_LIST),
        point_where(points, margin=0.0, rules=NO_LIST))) if {0.0, 0.5} <= set(margins.tolist()) else None
    runs = res.runs
    rows = []
    for (name, m), group in runs.groupby(["rules", "margin"], sort=False):
        rows.append({"qualifying countries": name, "US preference margin (%)": round(100 * m, 1),
                     **{k: v for outcome in OUTCOMES
                        for k, v in ci_columns(outcome.heading, outcome.compute(group)).items()}})
    table = pd.DataFrame(rows)
    with report(args, design, res, effect) as out:
        figure(runs, lists, spread_of(args), out)
        write_table(table, out, "preference_sweep", "US preference margin sweep",
                    f"Mean and 95 % confidence interval (lo, hi) over {args.seeds} common {spread_of(args)}, "
                    f"{args.years} years from 2025Q1; each column's unit says whether it is a run total, a yearly "
                    "mean over the run or the state at the end. Base scenario status_quo.")
    print(table.rename(columns=lambda c: re.sub(r" \(.*\)", "", c)).round(3).to_string(index=False))


def figure(runs: pd.DataFrame, lists: list[str], spread: str, out) -> None:
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), sharex=True)
    for ax, outcome in zip(axes.flat, OUTCOMES):
        values = runs.assign(v=outcome.compute(runs))
        for name in lists:
            band(ax, values[values["rules"] == name], "v", x="margin", label=name, x_scale=100, marker="o", ms=3)
        ax.set_title(outcome.label)
        ax.set_ylabel(textwrap.fill(outcome.unit, 48), fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("US preference margin on non-qualifying foreign offers (%)")
    axes[0][0].legend(frameon=False, fontsize=8)
    fig.suptitle(f"Buy American preference margin (mean, 95 % band over {spread})")
    save(fig, out / "preference_sweep")


if __name__ == "__main__":
    sys.exit(main(run, build))
