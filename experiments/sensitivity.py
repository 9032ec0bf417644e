"""Global sensitivity of the key outcomes to policy levers and behavioural parameters: Morris screening, then Sobol.

Ten inputs (four US levers, the Canadian offset rate, five behavioural parameters) move around status_quo.
Morris elementary effects (N/2 trajectories, at least 2, on a 4-level grid) screen them; Sobol indices (Saltelli
sampling with N base samples, first-order and total, no second order) are then estimated for the inputs Morris
keeps: an input is kept when its mu* reaches 10 % of the largest mu* for at least one outcome. Every design
point runs over the same --seeds seeds and the analyses use the seed-mean of each outcome per point, so seed
noise is averaged, not removed. Inputs Sobol does not vary stay at their status_quo values. The defaults (N = 32,
2 seeds, 15 years: about 1,000 runs) take minutes on two cores; --runs 128 halves the interval widths.

Writes sensitivity_morris.png/.svg (mu* against sigma per outcome, 95 % bootstrap interval on mu*),
sensitivity_sobol.png/.svg (S1 and ST per outcome with 95 % bootstrap intervals), and
sensitivity_morris.csv/.md and sensitivity_sobol.csv/.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from model.common.countries import ALLIES
from model.common.errors import InputError
from model.policy.knobs import knob_overrides
from model.runs.experiment import Point, Results
from model.ui.figures import save
from model.ui.study import main, parser, report, sweep, write_table

BASE = "status_quo"
KEEP = 0.10  # Morris keeps an input whose mu* is at least this share of the largest mu* for some outcome
LEVELS = 4  # Morris grid levels


@dataclass(frozen=True)
class Input:
    name: str
    low: float
    high: float
    meaning: str
    to_set: Callable[[float], list[str]]


def _knob(name: str) -> Callable[[float], list[str]]:
    return lambda x: knob_overrides(name, x)


def _param(name: str) -> Callable[[float], list[str]]:
    return lambda x: [f"params.{name}={x:.6g}"]


INPUTS = [
    Input("us_preference", 0.0, 1.0, "US Buy American margin, share of price (applies to non-qualifying partners)",
          _knob("us_preference")),
    Input("tariff_level", 0.0, 0.5, "US tariff on end items and components from every partner, ad valorem",
          _knob("tariff_level")),
    Input("export_friction", 0.0, 1.0, "US export-control friction toward the allies (0 licence-free, 1 all licensed)",
          _knob("export_friction")),
    Input("us_content_min", 0.5, 0.9, "US domestic-content minimum, held for the whole run (replaces the 2029 step)",
          lambda x: [f"USA.content_min={x:.6g}", "USA.schedule=[]"]),
    Input("can_offset_rate", 0.0, 1.5, "Canadian offset obligation, share of contract value",
          lambda x: [f"CAN.offset_rate={x:.6g}"]),
    Input("home_bias", 0.0, 0.5, "params.home_bias: unwritten penalty on foreign offers", _param("home_bias")),
    Input("quality_weight", 0.5, 2.5, "params.quality_weight: exponent on quality in bid scores",
          _param("quality_weight")),
    Input("bid_noise", 0.05, 0.4, "params.bid_noise: s.d. of log fit-to-requirement noise", _param("bid_noise")),
    Input("innovation_rate", 0.5, 2.0, "params.innovation_rate: R&D success hazard", _param("innovation_rate")),
    Input("licence_cost_per_day", 0.0001, 0.002, "params.licence_cost_per_day: price cost of a day of licence delay",
          _param("licence_cost_per_day")),
]
# (label, unit, function of the flat run rows)
OUTCOMES = [
    ("integration index", "% of Five Eyes procurement, run total", lambda r: 100 * r["integration_index"]),
    ("US foreign share", "% of US procurement, run total", lambda r: 100 * r["foreign_share.USA"]),
    ("allied technology", "mean quality of the four allies at the end, 2025 US = 1",
     lambda r: r[[f"tech.{c}" for c in ALLIES]].mean(axis=1)),
    ("US unit-cost index", "cost per unit of capability at the end, 2025Q1 = 1", lambda r: r["unit_cost_index.USA"]),
]


def build() -> argparse.ArgumentParser:
    return parser("sensitivity.py", __doc__, runs=32, seeds=2, years=15, parameters="default",
                  runs_help="Sobol base sample N, a power of 2; Morris runs N/2 trajectories (at least 2)")


def run(args: argparse.Namespace) -> None:
    n = args.runs
    if n < 2 or n & (n - 1):
        raise InputError(f"--runs {n}: the Sobol base sample must be a power of 2 (2, 4, 8, ... 64, 128)")
    screen, trajectories = _problem(INPUTS), max(2, n // 2)
    x_morris = morris_sample.sample(screen, trajectories, num_levels=LEVELS, seed=args.master_seed)
    m_design, m_res = sweep(args, "sensitivity-morris", _design(x_morris, INPUTS), series=False)
    morris = morris_table(screen, x_morris, outcome_means(m_res, x_morris, INPUTS), args.master_seed)
    kept = [i for i in INPUTS if morris.loc[morris["input"] == i.name, "kept"].any()]
    if not kept:
        raise InputError("Morris screening found no input that moves any outcome; nothing for Sobol to rank")
    focus = _problem(kept)
    x_sobol = sobol_sample.sample(focus, n, calc_second_order=False, seed=args.master_seed)
    s_design, s_res = sweep(args, "sensitivity-sobol", _design(x_sobol, kept), series=False)
    sobol = sobol_table(focus, outcome_means(s_res, x_sobol, kept), args.master_seed)
    both = Results(pd.concat([m_res.runs, s_res.runs]), pd.DataFrame(), pd.concat([m_res.failed, s_res.failed]))
    names = ", ".join(i.name for i in kept)
    with report(args, s_design, both, screening_design=m_design.describe(), sobol_inputs=[i.name for i in kept]) as out:
        morris_figure(morris, out / "sensitivity_morris")
        sobol_figure(sobol, out / "sensitivity_sobol")
        write_table(morris, out, "sensitivity_morris", "Morris screening of the key outcomes",
                    f"{len(x_morris)} design points ({trajectories} trajectories, {LEVELS} levels) x {args.seeds} "
                    f"common seeds, {args.years} years from 2025Q1, around {BASE}. mu* = mean absolute elementary "
                    "effect, in outcome units per full input range, on the seed-mean of each outcome; mu*_ci = "
                    f"half-width of its 95 % bootstrap interval; kept = mu* >= {KEEP:.0%} of the largest mu* for "
                    "some outcome. Inputs: " + "; ".join(f"{i.name} [{i.low:g}, {i.high:g}]: {i.meaning}"
                                                           for i in INPUTS) + ".")
        write_table(sobol, out, "sensitivity_sobol", "Sobol indices of the key outcomes",
                    f"Saltelli sample, N = {n}, {len(x_sobol)} design points x {args.seeds} common seeds, "
                    f"{args.years} years, on the inputs Morris kept ({names}); the others stay at their {BASE} "
                    "values. S1 first-order, ST total index of the seed-mean outcome; *_ci = half-width of the 95 % "
                    "bootstrap interval.")
    print(f"Morris kept {len(kept)} of {len(INPUTS)} inputs for Sobol: {names}")
    wide = sobol.pivot(index="input", columns="outcome", values="ST").reindex(columns=[o[0] for o in OUTCOMES])
    print("Total Sobol index ST of the seed-mean outcome:")
    print(wide.round(2).to_string())


def _problem(inputs: list[Input]) -> dict:
    return {"num_vars": len(inputs), "names": [i.name for i in inputs], "bounds": [[i.low, i.high] for i in inputs]}


def _design(x: np.ndarray, inputs: list[Input]) -> list[Point]:
    """The sample rows as design points; a repeated row is one point (one run per seed), not two."""
    rows = dict.fromkeys(_overrides(row, inputs) for row in x)
    return [Point.of(BASE, list(sets)) for sets in rows]


def _overrides(row: np.ndarray, inputs: list[Input]) -> tuple[str, ...]:
    return tuple(s for value, i in zip(row, inputs) for s in i.to_set(float(value)))


def outcome_means(res: Results, x: np.ndarray, inputs: list[Input]) -> np.ndarray:
    """(sample rows x outcomes): the seed-mean of each outcome at each sample row's design point."""
    runs = res.runs.assign(**{label: get(res.runs) for label, _, get in OUTCOMES})
    means = runs.groupby("point")[[o[0] for o in OUTCOMES]].mean()
    points = {sets: i for i, sets in enumerate(dict.fromkeys(_overrides(row, inputs) for row in x))}
    y = means.reindex(range(len(points))).to_numpy()[[points[_overrides(row, inputs)] for row in x]]
    missing = np.isnan(y).any(axis=1).sum()
    if missing:
        first = res.failed["error"].iloc[0] if len(res.failed) else "an outcome is undefined"
        raise InputError(f"{missing} of {len(x)} sample rows have no usable run ({first}); the analysis needs all")
    return y


def morris_table(problem: dict, x: np.ndarray, y: np.ndarray, seed: int) -> pd.DataFrame:
    """mu*, its 95 % interval and sigma per outcome and input, with the screening decision."""
    frames = []
    for k, (label, _, _) in enumerate(OUTCOMES):
        si = morris_analyze.analyze(problem, x, y[:, k], num_levels=LEVELS, conf_level=0.95, seed=seed)
        mu = np.asarray(si["mu_star"])
        frames.append(pd.DataFrame({"outcome": label, "input": problem["names"], "mu_star": mu,
                                    "mu_star_ci": np.asarray(si["mu_star_conf"]), "sigma": np.asarray(si["sigma"]),
                                    "relative": mu / mu.max() if mu.max() > 0 else 0.0}))
    table = pd.concat(frames, ignore_index=True)
    best = table.groupby("input")["relative"].transform("max")
    return table.assign(kept=best >= KEEP)


def sobol_table(problem: dict, y: np.ndarray, seed: int) -> pd.DataFrame:
    """S1 and ST with their 95 % intervals per outcome and input (bootstrap seeded: reruns give the same table)."""
    frames = []
    for k, (label, _, _) in enumerate(OUTCOMES):
        si = sobol_analyze.analyze(problem, y[:, k], calc_second_order=False, conf_level=0.95, seed=seed)
        frames.append(pd.DataFrame({"outcome": label, "input": problem["names"], "S1": si["S1"],
                                    "S1_ci": si["S1_conf"], "ST": si["ST"], "ST_ci": si["ST_conf"]}))
    return pd.concat(frames, ignore_index=True)


def morris_figure(morris: pd.DataFrame, path: Path) -> None:
    """mu* against sigma per outcome: far right = influential, high = nonlinear or interacting."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 9.5))
    for ax, (label, unit, _) in zip(axes.flat, OUTCOMES):
        t = morris[morris["outcome"] == label]
        colour = np.where(t["kept"], "#1f4e9c", "#999999")
        ax.errorbar(t["mu_star"], t["sigma"], xerr=t["mu_star_ci"], fmt="none", ecolor="#bbbbbb", capsize=2)
        ax.scatter(t["mu_star"], t["sigma"], c=colour, zorder=3)
        for _, r in t.iterrows():
            ax.annotate(r["input"], (r["mu_star"], r["sigma"]), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
        ax.set_title(label, fontsize=10)
        ax.set_xlabel(f"μ* (mean |elementary effect|)\n{unit}, per full input range", fontsize=8)
        ax.set_ylabel("σ of elementary effects (same units)", fontsize=8)
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    fig.suptitle("Morris screening (95 % bootstrap interval on μ*; grey = not kept for Sobol)")
    save(fig, path)


def sobol_figure(sobol: pd.DataFrame, path: Path) -> None:
    """S1 and ST per input and outcome: ST - S1 is the share carried by interactions."""
    fig, axes = plt.subplots(1, len(OUTCOMES), figsize=(4.5 * len(OUTCOMES), 0.45 * sobol["input"].nunique() + 2.2),
                             sharey=True)
    for ax, (label, unit, _) in zip(axes, OUTCOMES):
        t = sobol[sobol["outcome"] == label]
        y = np.arange(len(t))
        ax.barh(y - 0.2, t["S1"], 0.4, xerr=t["S1_ci"], label="S1 first order", color="#1f4e9c", capsize=2)
        ax.barh(y + 0.2, t["ST"], 0.4, xerr=t["ST_ci"], label="ST total", color="#f2a900", capsize=2)
        ax.set_yticks(y, t["input"], fontsize=8)
        ax.axvline(0, color="black", lw=0.6)
        ax.set_title(f"{label}\n({unit})", fontsize=9)
        ax.set_xlabel("Sobol index (share of output variance)", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    axes[0].invert_yaxis()  # shared: once for all panels, first input on top
    axes[0].legend(frameon=False, fontsize=8)
    fig.suptitle("Sobol indices of the seed-mean outcome (95 % bootstrap intervals)")
    save(fig, path)


if __name__ == "__main__":
    sys.exit(main(run, build))
