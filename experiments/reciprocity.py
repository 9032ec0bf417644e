"""Adaptive governments: how often, and how fast, one US tariff on Canada spirals into alliance-wide protection.

Design: status_quo with all five governments in reciprocal adaptation (lag 2 quarters, gap threshold 0.02,
probability 0.7: the mode's defaults) over a grid of the reciprocity `contagion` (0 to 1: the share of the gap
between the other pairs' mean barrier and one's own that a government closes toward every Five Eyes partner; 0
answers each partner only for what it does) x `response` (0.2 to 1.0: the share of a partner's barrier gap
matched per answer), --runs values each.
Every grid point runs two histories on the same seeds: one with the shock (in 2027Q1 the US raises its tariffs on
Canadian end items and components to 60 %, the 2025 rate of 35 % plus 25 points; the status_quo schedule is kept)
and one without. Their difference, seed by seed, is what the shock did. Outcomes, from the effective barriers
(tariff + preference + licence cost, share of price) among the Five Eyes, with "end" = mean of the final year:

- spiral: the mean barrier of the 18 directed pairs outside US-Canada ends at least 1 point of price above the
  no-shock history; quarters to spiral = first quarter from the shock at which it is. The table also gives that
  change itself.
- retaliation: Canada's barrier on the US ends at least 5 points above the no-shock history; quarters likewise.
- amplification: change in the sum of all 20 directed barriers at the end over the shock's own first step on the
  US barrier against Canada (1 = passed on as imposed, above 1 = grew, below 1 = partly withdrawn).
- integration index at the end, and its change from the no-shock history.

Writes reciprocity_heatmaps.png/.svg (grid maps of the shares of seeds and mean quarters), barrier_over_time.png/.svg
(mean barriers with 95 % bands over seeds, with and without the shock) and reciprocity.csv/.md (shares with 95 %
Wilson intervals, means with 95 % t-intervals).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.ticker import MaxNLocator

from model.common.countries import FIVE_EYES
from model.common.errors import InputError
from model.metrics.derived import DERIVED
from model.metrics.statistics import mean_ci
from model.policy.adaptation import ADAPTATION
from model.policy.knobs import adaptation_overrides
from model.policy.scenario import inline_toml, load_scenario
from model.runs.experiment import Point
from model.ui.figures import band, save, year_of
from model.ui.study import Headline, headline, main, parser, point_where, report, sweep, write_table

BASE = "status_quo"
SHOCK_AT = "2027Q1"
SHOCK_TARIFF = 0.60
SPIRAL = 0.01  # rise of the other pairs' mean barrier, share of price
RETALIATION = 0.05  # rise of Canada's barrier on the US, share of price
AXES = {"contagion": (0.0, 1.0, "contagion (share of the alliance's protection followed per answer)"),
        "response": (0.2, 1.0, "response (share of a partner's barrier gap matched per answer)")}
PAIRS = [f"barrier.{a}>{b}" for a in FIVE_EYES for b in FIVE_EYES if a != b]
OTHER = [p for p in PAIRS if p not in ("barrier.USA>CAN", "barrier.CAN>USA")]
KEYS = [*AXES, "seed"]


def build() -> argparse.ArgumentParser:
    return parser("reciprocity.py", __doc__, runs=5, seeds=20,
                  runs_help="grid values per axis (contagion 0-1, response 0.2-1)")


def run(args: argparse.Namespace) -> None:
    if args.years < 3:
        raise InputError(f"--years {args.years}: the shock comes in {SHOCK_AT}, so runs need at least 3 years")
    grids = {name: np.round(np.linspace(lo, hi, args.runs), 4) for name, (lo, hi, _) in AXES.items()}
    points = [Point.of(BASE, overrides(c, r, shock), contagion=c, response=r, shock=shock)
              for c in grids["contagion"] for r in grids["response"] for shock in (False, True)]
    design, res = sweep(args, "reciprocity", points, series_columns=["t", "quarter", "integration_index", *PAIRS])
    middle = {name: float(values[len(values) // 2]) for name, values in grids.items()}
    integration = DERIVED["integration"]
    effect = headline(args, design, res, Headline(
        f"the US tariff shock on Canada, contagion {middle['contagion']:g} and response {middle['response']:g}",
        integration.heading, integration.compute,
        point_where(points, **middle, shock=False), point_where(points, **middle, shock=True)))
    per_seed = outcomes(res.series)
    summary = summarise(per_seed)
    with report(args, design, res, effect) as out:
        heatmaps(summary, args.seeds, out / "reciprocity_heatmaps")
        over_time(res.series, grids, out / "barrier_over_time")
        write_table(table(summary), out, "reciprocity", "One US tariff shock under reciprocal adaptation",
                    f"Each row: a grid point, {args.seeds} common seeds, {args.years} years from 2025Q1; shock "
                    f"{SHOCK_AT}, US tariff on Canada to {SHOCK_TARIFF:.0%}. Shares of seeds with 95 % Wilson "
                    "intervals; quarters (from the shock, seeds that crossed only) and other outcomes as mean ± 95 % "
                    "half-width over seeds. Spiral: the mean of the 18 directed Five Eyes barriers outside "
                    f"US-Canada ends {100 * SPIRAL:g} point(s) of price or more above the no-shock run; retaliation: "
                    f"Canada's barrier on the US ends {100 * RETALIATION:g} points or more above it. Amplification: "
                    "end change of all 20 barriers / the shock's first step on the US barrier against Canada.")
    show = summary[[*AXES, "spiral", "retaliation", "t_retaliation", "amplification",
                    "d_integration"]]
    print(show.rename(columns={"t_retaliation": "quarters to retaliate", "d_integration": "integration change pp"})
          .round(3).to_string(index=False))


def overrides(contagion: float, response: float, shock: bool) -> list[str]:
    """Every Five Eyes government reciprocal with these settings; with the shock added to the US schedule."""
    sets = [*adaptation_overrides("reciprocal"),
            *(f"{c}.adaptation.{k}={v:g}" for c in FIVE_EYES for k, v in
              (("contagion", contagion), ("response", response)))]
    if shock:
        tariff = {"CAN": SHOCK_TARIFF}
        entries = [*load_scenario(BASE).raw["USA"].get("schedule", []),
                   {"at": SHOCK_AT, "tariff_end_items": tariff, "tariff_components": tariff}]
        sets.append(f"USA.schedule={inline_toml(entries)}")
    return sets


def outcomes(series: pd.DataFrame) -> pd.DataFrame:
    """One row per grid point and seed: what the shock did (shock history minus the no-shock history)."""
    cols = [*PAIRS, "integration_index"]
    index = [*KEYS, "t"]
    shocked = series[series["shock"]].set_index(index)[cols]
    diff = (shocked - series[~series["shock"]].set_index(index)[cols]).dropna()
    diff["level"] = shocked["integration_index"]
    start = int(series.loc[series["quarter"] == SHOCK_AT, "t"].iloc[0])
    rows = []
    for key, grouped in diff.groupby(level=KEYS):
        d = grouped.droplevel(KEYS)
        end = d.index >= d.index.max() - 3
        other = d[OTHER].mean(axis=1)
        rows.append({**dict(zip(KEYS, key)),
                     **_crossing("spiral", other, start, SPIRAL, end),
                     **_crossing("retaliation", d["barrier.CAN>USA"], start, RETALIATION, end),
                     "d_other": 100 * other[end].mean(),
                     "amplification": d.loc[end, PAIRS].sum(axis=1).mean() / d.loc[start, "barrier.USA>CAN"],
                     "integration": 100 * d.loc[end, "level"].mean(),
                     "d_integration": 100 * d.loc[end, "integration_index"].mean()})
    return pd.DataFrame(rows)


def _crossing(name: str, rise: pd.Series, start: int, level: float, end: np.ndarray) -> dict:
    """Did the rise end at or above `level`, and how many quarters after the shock it first got there."""
    crossed = bool(rise[end].mean() >= level)
    after = rise[rise.index >= start]
    return {name: crossed, f"t_{name}": float(after.index[after >= level][0] - start) if crossed else np.nan}


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a share k/n: stays inside [0, 1] and is not zero-width at 0 % or 100 %."""
    if n == 0:
        return math.nan, math.nan
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def summarise(per_seed: pd.DataFrame) -> pd.DataFrame:
    """Per grid point: shares of seeds with their Wilson intervals, and means with 95 % half-widths."""
    rows = []
    for (c, r), g in per_seed.groupby(list(AXES)):
        row = {"contagion": c, "response": r, "seeds": len(g)}
        for name in ("spiral", "retaliation"):
            k = int(g[name].sum())
            row[name], (row[f"{name}_lo"], row[f"{name}_hi"]) = k / len(g), wilson(k, len(g))
            row[f"t_{name}"], row[f"t_{name}_ci"] = _mean_ci(g[f"t_{name}"].dropna())
        for name in ("d_other", "amplification", "integration", "d_integration"):
            row[name], row[f"{name}_ci"] = _mean_ci(g[name])
        rows.append(row)
    return pd.DataFrame(rows)


def _mean_ci(values: pd.Series) -> tuple[float, float]:
    mean, half = mean_ci(values)
    return float(mean), float(half)


def table(s: pd.DataFrame) -> pd.DataFrame:
    """The summary as a report table: numbers stay numbers (for analysis), intervals get their own columns
    (a quarter count is NaN where no seed crossed)."""
    def interval(label: str, name: str) -> dict[str, pd.Series]:
        return {f"{label} mean": s[name], f"{label} lo": s[name] - s[f"{name}_ci"],
                f"{label} hi": s[name] + s[f"{name}_ci"]}
    return pd.DataFrame({
        "contagion": s["contagion"], "response": s["response"], "seeds": s["seeds"],
        "spiral (share of seeds)": s["spiral"], "spiral CI low": s["spiral_lo"], "spiral CI high": s["spiral_hi"],
        **interval("quarters to spiral", "t_spiral"), **interval("other pairs' change (points of price)", "d_other"),
        "retaliation (share of seeds)": s["retaliation"], "retaliation CI low": s["retaliation_lo"],
        "retaliation CI high": s["retaliation_hi"], **interval("quarters to retaliation", "t_retaliation"),
        **interval("amplification (x first step)", "amplification"),
        **interval("integration at end (%)", "integration"),
        **interval("integration change (points)", "d_integration")})


def heatmaps(s: pd.DataFrame, seeds: int, path: Path) -> None:
    """Grid maps: how often and how fast the shock spreads, is answered, grows, and what it costs integration."""
    share, quarters = (0, 1), None  # colour scales: fixed 0-1; 0 to the largest; a number: diverging around it
    panels = [
        ("spiral", f"spiral: other pairs' barriers +{100 * SPIRAL:g}\npoints of price (share of seeds)", share),
        ("t_spiral", "quarters from shock to spiral\n(mean over seeds that spiral)", quarters),
        ("amplification", "amplification: end change of all barriers\n/ shock's first step (x)", 1.0),
        ("retaliation", f"retaliation: Canada on the US +{100 * RETALIATION:g}\npoints of price (share of seeds)",
         share),
        ("t_retaliation", "quarters from shock to retaliation\n(mean over seeds that retaliate)", quarters),
        ("d_integration", "integration index change at end\n(percentage points)", 0.0)]
    fig, axes = plt.subplots(2, 3, figsize=(15, 9))
    for ax, (name, title, scale) in zip(axes.flat, panels):
        grid = s.pivot(index="contagion", columns="response", values=name)
        values = grid.to_numpy(dtype=float)
        image = ax.imshow(values, origin="lower", aspect="auto", **_colours(values, scale))
        digits = 1 if name.startswith("t_") else 2
        for (i, j), v in np.ndenumerate(values):
            ax.text(j, i, "never" if math.isnan(v) else f"{v:.{digits}f}", ha="center", va="center", fontsize=8,
                    bbox={"facecolor": "white", "alpha": 0.6, "lw": 0, "pad": 1})
        ax.set_xticks(range(len(grid.columns)), [f"{v:g}" for v in grid.columns])
        ax.set_yticks(range(len(grid.index)), [f"{v:g}" for v in grid.index])
        ax.set_xlabel(AXES["response"][2])
        ax.set_ylabel(AXES["contagion"][2].replace(" (", "\n("))
        ax.set_title(title, fontsize=10)
        fig.colorbar(image, ax=ax, shrink=0.85)
    fig.suptitle(f"US tariff on Canada to {SHOCK_TARIFF:.0%} in {SHOCK_AT}, all Five Eyes reciprocal "
                 f"(lag {ADAPTATION['reciprocal']['lag'][0]} quarters): shock run minus no-shock run, {seeds} seeds")
    save(fig, path)


def _colours(values: np.ndarray, scale: tuple | float | None) -> dict:
    """Shares on a fixed 0-1 scale, changes diverging around their no-effect value, quarters from 0 up."""
    finite = values[np.isfinite(values)]
    if isinstance(scale, tuple):
        return {"cmap": "viridis", "norm": plt.Normalize(*scale)}
    if scale is not None:
        reach = max(np.abs(finite - scale).max(initial=0.0), 1e-9)
        return {"cmap": "RdBu_r", "norm": TwoSlopeNorm(scale, scale - reach, scale + reach)}
    return {"cmap": "magma_r", "norm": plt.Normalize(0.0, finite.max(initial=1.0))}


def over_time(series: pd.DataFrame, grids: dict[str, np.ndarray], path: Path) -> None:
    """Mean barriers with and without the shock on the grid's diagonal (first, middle, last): where it goes."""
    ts = series.assign(year=year_of(series["quarter"]), every=series[PAIRS].mean(axis=1),
                       other=series[OTHER].mean(axis=1))
    n = len(grids["contagion"])
    picks = [(grids["contagion"][i], grids["response"][i]) for i in dict.fromkeys((0, n // 2, n - 1))]
    panels = [("every", "all 20 directed Five Eyes barriers (mean)"), ("barrier.CAN>USA", "Canada on the US"),
              ("other", "the 18 directed barriers outside US-Canada (mean)")]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), sharex=True)
    shock_year = year_of(pd.Series([SHOCK_AT])).iloc[0]
    for ax, (column, title) in zip(axes, panels):
        for colour, (c, r) in zip(plt.get_cmap("tab10").colors, picks):
            for shock, style in ((True, "-"), (False, "--")):
                g = ts[(ts["contagion"] == c) & (ts["response"] == r) & (ts["shock"] == shock)]
                label = f"contagion {c:g}, response {r:g}" + ("" if shock else ", no shock")
                band(ax, g, column, label=label, colour=colour, style=style, scale=100, alpha=0.15)
        ax.axvline(shock_year, color="grey", lw=0.8)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("year")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("effective barrier (% of price:\ntariff + preference + licence cost)")
        ax.grid(alpha=0.3)
    axes[0].legend(frameon=False, fontsize=7)
    fig.suptitle(f"Effective barriers, mean and 95 % band over seeds (grey line: the {SHOCK_AT} US tariff shock)")
    save(fig, path)


if __name__ == "__main__":
    sys.exit(main(run, build))
