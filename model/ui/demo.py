"""The main job (`make demo`): status quo against full NTIB integration over several seeds."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from model.metrics.derived import DERIVED
from model.metrics.statistics import ci_columns
from model.runs.experiment import flatten
from model.runs.output import manifest, staged, write_json
from model.runs.single import run_one
from model.ui.figures import standard_figures
from model.ui.names import outcome_label

SCENARIOS = ("status_quo", "full_ntib")


def _percent(runs: pd.DataFrame, column: str) -> pd.Series:
    return 100 * runs[column]


def _derived(*keys: str) -> list[tuple[str, str, Callable[[pd.DataFrame], pd.Series]]]:
    return [(DERIVED[key].label, DERIVED[key].unit, DERIVED[key].compute) for key in keys]


# (label, unit, function of the flat runs table): the alliance's outcomes from the one table of derived outcomes,
# the single-country ones and tariff revenue from their own columns, named by the table of human names
ROWS: list[tuple[str, str, Callable[[pd.DataFrame], pd.Series]]] = [
    *_derived("integration", "us_foreign_share", "canada_to_us"),
    *((outcome_label(f"foreign_share.{code}"), "% of its end-item procurement from foreign primes, run total",
       functools.partial(_percent, column=f"foreign_share.{code}")) for code in ("GBR", "AUS", "NZL")),
    *_derived("five_eyes_codev"),
    (outcome_label("tech.USA"), "capacity-weighted quality of active US firms at the end; 2025 US = 1",
     operator.itemgetter("tech.USA")),
    *_derived("allied_tech", "us_unit_cost", "us_capability_per_bn"),
    (outcome_label("money.tariff_revenue"), "US$bn over the run", operator.itemgetter("money.tariff_revenue")),
]


def demo(seeds: int, years: int, out: Path) -> None:
    """Run both scenarios over `seeds` seeds (common seeds), print the comparison, write the figures."""
    summaries: dict[str, list[dict]] = {name: [] for name in SCENARIOS}
    series: list[pd.DataFrame] = []
    flows: dict[str, list[np.ndarray]] = {name: [] for name in SCENARIOS}
    jobs = [(name, seed) for name in SCENARIOS for seed in range(1, seeds + 1)]
    for name, seed in tqdm(jobs, desc="demo runs", unit="run", file=None):
        summary, ts, flow = run_one(name, seed, years)
        summaries[name].append(summary)
        series.append(ts.assign(scenario=name, seed=seed))
        flows[name].append(flow)
    table = comparison_table(summaries)
    print(f"\nStatus quo against full NTIB integration, {years} years from 2025Q1, {seeds} seeds "
          "(mean ± 95% CI; difference paired by seed)\n")
    print(table.drop(columns="unit").round(3).to_string(index=False))
    print("\nunits:")
    for label, unit, _ in ROWS:
        print(f"  {label}: {unit}")
    with staged(out) as tmp:
        standard_figures(pd.concat(series, ignore_index=True),
                         {name: np.mean(m, axis=0) for name, m in flows.items()}, years, tmp)
        table.to_csv(tmp / "comparison.csv", index=False)
        write_json(tmp / "manifest.json", manifest(scenarios=list(SCENARIOS), seeds=list(range(1, seeds + 1)),
                                                   years=years))
    print(f"\nfigures: {out}/integration_index.png, flows_heatmap.png, technology.png, unit_cost_index.png")


def comparison_table(summaries: dict[str, list[dict]]) -> pd.DataFrame:
    """One row per outcome (with its unit): each scenario's mean with its 95 % interval (lo, hi), and the paired
    difference."""
    rows = []
    a, b = SCENARIOS
    runs = {name: pd.DataFrame([flatten(summary) for summary in summaries[name]]) for name in SCENARIOS}
    for label, unit, get in ROWS:
        x, y = get(runs[a]).to_numpy(dtype=float), get(runs[b]).to_numpy(dtype=float)
        row: dict[str, object] = {"outcome": label, "unit": unit}
        for name, v in ((a, x), (b, y), (f"{b} - {a}", y - x)):
            row.update(ci_columns(name, v))
        rows.append(row)
    return pd.DataFrame(rows)
