"""Every named scenario over common seeds: where each policy world ends up, and how it gets there.

Writes key_outcomes.png (bars with 95 % intervals), integration_over_time.png and us_foreign_share.png
(bands over seeds), flows_heatmap.png (one panel per scenario), and scenario_outcomes.csv/.md.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from model.metrics.derived import DERIVED
from model.metrics.statistics import ci_columns, mean_ci
from model.runs.study_file import load_study
from model.ui.figures import INTEGRATION_LABEL, flows_heatmap, save, scenarios_over_time, year_of
from model.ui.names import scenario_label
from model.ui.study import (
    Headline,
    flows_matrix,
    headline,
    main,
    point_where,
    report,
    spread_of,
    study_parser,
    sweep,
    write_table,
)

STUDY = Path(__file__).with_name("studies") / "scenarios.toml"  # the design: which scenarios, seeds, years

OUTCOMES = [DERIVED[key] for key in (  # the key outcomes, one panel each
    "integration", "us_foreign_share", "allied_foreign_share", "canada_to_us", "five_eyes_codev", "allied_tech",
    "us_unit_cost", "us_capability_per_bn")]


def build() -> argparse.ArgumentParser:
    study = load_study(STUDY)
    return study_parser("scenarios.py", __doc__, study, runs=len(study.scenarios), max_runs=len(study.scenarios),
                        runs_help="how many of the scenarios of experiments/studies/scenarios.toml to run, in its "
                                  "order (status_quo first)")


def run(args: argparse.Namespace) -> None:
    study = load_study(STUDY)
    study = replace(study, scenarios=study.scenarios[: args.runs])
    names = list(study.scenarios)
    points = list(study.build().points)
    design, res = sweep(args, study.name, points, series=study.series)
    effect = None
    if {"status_quo", "full_ntib"} <= set(names):
        integration = DERIVED["integration"]
        effect = headline(args, design, res, Headline(
            "full NTIB against the status quo", integration.heading, integration.compute,
            point_where(points, "status_quo"), point_where(points, "full_ntib")))
    runs, ts = res.runs, res.series.assign(year=lambda d: year_of(d["quarter"]))
    rows = [{"scenario": n} for n in names]
    for outcome in OUTCOMES:
        values = runs.assign(v=outcome.compute(runs)).groupby("scenario", sort=False)["v"]
        for row in rows:
            n = row["scenario"]
            row.update(ci_columns(outcome.heading, values.get_group(n) if n in values.groups else []))
    table = pd.DataFrame(rows)
    spread = spread_of(args)
    with report(args, design, res, effect) as out:
        key_outcomes(runs, names, spread, out)
        scenarios_over_time(ts, names, "integration_index", 100, INTEGRATION_LABEL,
                            f"Integration over time, by scenario, over {spread}", out / "integration_over_time")
        scenarios_over_time(ts, names, "foreign_share.USA", 100, "US foreign share (% of US end-item\nprocurement, "
                            "four-quarter window)", f"US purchases from foreign primes, over {spread}",
                            out / "us_foreign_share")
        flows_heatmap({n: flows_matrix(runs[runs["scenario"] == n]) for n in names}, args.years,
                      out / "flows_heatmap")
        write_table(table, out, "scenario_outcomes", "Outcomes by scenario",
                    f"Mean and 95 % confidence interval (lo, hi) over {args.seeds} common {spread}, {args.years} "
                    "years from 2025Q1; each column's unit says whether it is a run total or the state at the end.")
    print(table.rename(columns=lambda c: re.sub(r" \(.*\)", "", c)).round(3).to_string(index=False))


def key_outcomes(runs: pd.DataFrame, names: list[str], spread: str, out) -> None:
    """One panel per outcome, a bar per scenario with its 95 % interval over `spread`."""
    fig, axes = plt.subplots(2, 4, figsize=(17, 8))
    colours = plt.get_cmap("tab10")(np.arange(len(names)) % 10)
    for ax, outcome in zip(axes.flat, OUTCOMES):
        v = runs.assign(v=outcome.compute(runs))
        stats = [mean_ci(v.loc[v["scenario"] == n, "v"]) for n in names]
        ax.bar(range(len(names)), [m for m, _ in stats], yerr=[h for _, h in stats], color=colours, capsize=3)
        ax.set_xticks(range(len(names)), [scenario_label(n) for n in names], rotation=60, ha="right", fontsize=8)
        ax.set_title(outcome.label, fontsize=10)
        ax.set_ylabel(textwrap.fill(outcome.unit, 44), fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"Key outcomes by scenario (mean and 95 % interval over {spread})")
    save(fig, out / "key_outcomes")


if __name__ == "__main__":
    sys.exit(main(run, build))
