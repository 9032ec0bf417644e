"""The main job (`make demo`): status quo against full NTIB integration over several seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from model.common.countries import ALLIES
from model.metrics.statistics import ci_columns
from model.runs.output import manifest, staged, write_json
from model.runs.single import run_one
from model.ui.figures import standard_figures

SCENARIOS = ("status_quo", "full_ntib")
ROWS = [  # (label, function of a summary)
    ("integration index (%)", lambda s: 100 * s["integration_index"]),
    ("US foreign share (%)", lambda s: 100 * s["foreign_share"]["USA"]),
    ("CAN spending to US (%)", lambda s: 100 * s["us_share"]["CAN"]),
    ("GBR foreign share (%)", lambda s: 100 * s["foreign_share"]["GBR"]),
    ("AUS foreign share (%)", lambda s: 100 * s["foreign_share"]["AUS"]),
    ("NZL foreign share (%)", lambda s: 100 * s["foreign_share"]["NZL"]),
    ("co-dev programmes, Five Eyes pairs", lambda s: sum(
        v["active"] + v["completed"] for k, v in s["codev_pairs"].items() if "EUR" not in k and "ROW" not in k)),
    ("US technology (2025 US = 1)", lambda s: s["tech"]["USA"]),
    ("allied technology, mean", lambda s: np.mean([s["tech"][c] for c in ALLIES])),
    ("US unit-cost index", lambda s: s["unit_cost_index"]["USA"]),
    ("US capability per US$bn", lambda s: s["capability_per_bn"]["USA"]),
    ("tariff revenue (US$bn, run)", lambda s: s["money"]["tariff_revenue"]),
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
    print(table.round(3).to_string(index=False))
    with staged(out) as tmp:
        standard_figures(pd.concat(series, ignore_index=True),
                         {name: np.mean(m, axis=0) for name, m in flows.items()}, years, tmp)
        table.to_csv(tmp / "comparison.csv", index=False)
        write_json(tmp / "manifest.json", manifest(scenarios=list(SCENARIOS), seeds=list(range(1, seeds + 1)),
                                                   years=years))
    print(f"\nfigures: {out}/integration_index.png, flows_heatmap.png, technology.png, unit_cost_index.png")


def comparison_table(summaries: dict[str, list[dict]]) -> pd.DataFrame:
    """One row per outcome: each scenario's mean with its 95 % interval (lo, hi), and the paired difference."""
    rows = []
    a, b = SCENARIOS
    for label, get in ROWS:
        x = np.array([get(s) for s in summaries[a]], dtype=float)
        y = np.array([get(s) for s in summaries[b]], dtype=float)
        row: dict[str, object] = {"outcome": label}
        for name, v in ((a, x), (b, y), (f"{b} - {a}", y - x)):
            row.update(ci_columns(name, v))
        rows.append(row)
    return pd.DataFrame(rows)
