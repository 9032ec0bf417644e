"""A munitions demand surge and a US munitions supply disruption under three policy worlds: how much of the
demand the alliance's industrial base meets, and how long it takes to get back on schedule.

Shocks start in 2027Q1. Demand surge: Five Eyes munitions budgets double for 8 quarters. Supply disruption:
US munitions capacity halves for 4 quarters. Share met = munitions units delivered / units ordered while the
shock lasts. Quarters to recover = from the shock's start until the sector's lead time (prime backlog /
capacity) is no more than 10 % above its level over the 4 quarters before the shock, and stays there for 4
quarters; runs that never recover are counted, not averaged. Writes surge_outcomes.png,
surge_delivery.png and surge_outcomes.csv/.md.
"""

from __future__ import annotations

import argparse
import functools
import sys
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from model.common.errors import InputError
from model.metrics.statistics import ci_columns, mean_ci
from model.policy.scenario import load_scenario
from model.runs.experiment import Results
from model.runs.study_file import load_study
from model.ui.figures import band, save, year_of
from model.ui.names import scenario_label
from model.ui.study import (
    Headline,
    headline,
    main,
    point_where,
    report,
    spread_of,
    study_parser,
    sweep,
    write_table,
)

STUDY = Path(__file__).with_name("studies") / "surge.toml"  # the design: scenarios x the two shocks
SECTOR = "munitions_missiles"
START, TOLERANCE, HOLD = 8, 0.10, 4  # 2027Q1; lead time at most 10 % above normal; for 4 quarters


def build() -> argparse.ArgumentParser:
    study = load_study(STUDY)
    return study_parser("surge.py", __doc__, study, runs=len(study.scenarios), max_runs=len(study.scenarios),
                        runs_help="how many of the scenarios of experiments/studies/surge.toml to run, in its order")


@functools.cache
def shock_lengths() -> dict[str, int]:
    """The quarters each shock of the study lasts, read off its overrides: the study file is the one definition."""
    study = load_study(STUDY)
    shock = next(f for f in study.factors if f.name == "shock")
    return {label: load_scenario(study.scenarios[0], list(sets)).shocks[0].quarters for label, sets in shock.levels}


def run(args: argparse.Namespace) -> None:
    if args.years < 3:
        raise InputError(f"--years {args.years}: the shocks come in 2027Q1 and need time to play out; expected at "
                         "least 3 years")
    study = load_study(STUDY)
    study = replace(study, scenarios=study.scenarios[: args.runs])
    scenarios = list(study.scenarios)
    points = list(study.build().points)
    design, res = sweep(args, study.name, points, series_columns=[
        "quarter", "t", f"ordered.{SECTOR}", f"delivered.{SECTOR}", f"lead_time.{SECTOR}"])
    effect = headline(args, design, res, Headline(
        "full NTIB against the status quo, demand surge", "share of munitions demand met while the surge lasts (%)",
        demand_met, point_where(points, "status_quo", shock="demand surge"),
        point_where(points, "full_ntib", shock="demand surge"), rows=with_resilience)) if args.runs > 1 else None
    runs = with_resilience(res)
    rows = []
    for (s, shock), g in runs.groupby(["scenario", "shock"], sort=False):
        recovered = g["recover"].notna()
        rows.append({"scenario": s, "shock": shock, **ci_columns("share of demand met (%)", demand_met(g)),
                     **ci_columns("quarters to recover", g.loc[recovered, "recover"]),
                     "runs recovered": int(recovered.sum()), "runs": len(g)})
    table = pd.DataFrame(rows)
    with report(args, design, res, effect) as out:
        outcome_bars(runs, scenarios, spread_of(args), out)
        delivery_bands(res.series, scenarios, spread_of(args), out)
        write_table(table, out, "surge_outcomes", "Resilience to a munitions demand surge and supply disruption",
                    f"Mean and 95 % confidence interval (lo, hi) over {args.seeds} common {spread_of(args)}. "
                    + __doc__.split("\n\n")[1].replace("\n", " "))
    print(table.round(2).to_string(index=False))


def with_resilience(results: Results) -> pd.DataFrame:
    """The run rows with each run's share of demand met and quarters to recover (from its series)."""
    measures = pd.DataFrame([{"key": key, **resilience(group, shock_lengths()[group["shock"].iat[0]])}
                             for key, group in results.series.groupby("key", sort=False)])
    return results.runs.merge(measures, on="key")


def demand_met(runs: pd.DataFrame) -> pd.Series:
    """Share of munitions demand met while the shock lasts (%): read off each run's series by `with_resilience`,
    so it is this study's own outcome rather than one of the runs table's (model.metrics.derived)."""
    return 100 * runs["met"]


def resilience(series: pd.DataFrame, quarters: int) -> dict[str, float]:
    """Share of demand met while the shock lasts, and quarters until the lead time is back to normal."""
    s = series.sort_values("t")
    window = s[(s["t"] >= START) & (s["t"] < START + quarters)]
    met = window[f"delivered.{SECTOR}"].sum() / window[f"ordered.{SECTOR}"].sum()
    lead = s[f"lead_time.{SECTOR}"].to_numpy()
    normal = lead[START - 4:START].mean()
    ok = lead <= (1 + TOLERANCE) * normal
    recover = np.nan
    for q in range(START + 1, len(lead) - HOLD + 1):
        if ok[q:q + HOLD].all():
            recover = float(q - START)
            break
    return {"met": float(met), "recover": recover}


def outcome_bars(runs: pd.DataFrame, scenarios: list[str], spread: str, out) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8))
    shocks = shock_lengths()
    width = 0.8 / len(shocks)
    for k, shock in enumerate(shocks):
        g = runs[runs["shock"] == shock]
        met = [mean_ci(demand_met(g.loc[g["scenario"] == s])) for s in scenarios]
        rec = [mean_ci(g.loc[(g["scenario"] == s) & g["recover"].notna(), "recover"]) for s in scenarios]
        x = np.arange(len(scenarios)) + (k - (len(shocks) - 1) / 2) * width
        axes[0].bar(x, [m for m, _ in met], width, yerr=[h for _, h in met], capsize=3, label=shock)
        axes[1].bar(x, [m for m, _ in rec], width, yerr=[h for _, h in rec], capsize=3, label=shock)
    axes[0].set_ylabel("munitions units delivered / ordered (%)\nwhile the shock lasts")
    axes[0].set_title("Share of demand met")
    axes[1].set_ylabel("quarters from the shock until lead time\nis no more than 10 % above normal")
    axes[1].set_title("Time to recover (runs that recovered)")
    for ax in axes:
        ax.set_xticks(range(len(scenarios)), [scenario_label(s) for s in scenarios], fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncols=len(shocks),
               frameon=False)  # below the panels: inside, it covered the bars
    fig.suptitle(f"Munitions resilience (mean and 95 % interval over {spread})")
    save(fig, out / "surge_outcomes", rect=(0, 0.06, 1, 1))


def delivery_bands(series: pd.DataFrame, scenarios: list[str], spread: str, out) -> None:
    """Deliveries as a share of orders, quarter by quarter, around each shock."""
    s = series.assign(year=year_of(series["quarter"]),
                      ratio=100 * series[f"delivered.{SECTOR}"] / series[f"ordered.{SECTOR}"])
    shocks = shock_lengths()
    fig, axes = plt.subplots(1, len(shocks), figsize=(12, 4.8), sharey=True)
    for ax, shock in zip(axes, shocks):
        for name in scenarios:
            band(ax, s[(s["shock"] == shock) & (s["scenario"] == name)], "ratio", label=scenario_label(name))
        ax.axvspan(2027, 2027 + shocks[shock] / 4, color="grey", alpha=0.15, label="shock")
        ax.set_title(shock)
        ax.set_xlabel("year")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("munitions delivered / ordered that quarter (%)")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncols=len(scenarios) + 1,
               frameon=False, fontsize=8)
    fig.suptitle(f"Munitions deliveries against orders (mean, 95 % band over {spread})")
    save(fig, out / "surge_delivery", rect=(0, 0.06, 1, 1))


if __name__ == "__main__":
    sys.exit(main(run, build))
