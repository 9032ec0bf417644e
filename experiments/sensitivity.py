"""Global sensitivity of the key outcomes to policy levers and behavioural parameters: Morris screening, then Sobol.

Ten inputs (four US levers, the Canadian offset rate, five behavioural parameters; their ranges are in
experiments/studies/sensitivity.toml) move around status_quo.
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
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from model.common.errors import InputError
from model.metrics.derived import DERIVED
from model.runs.designs import build_design, morris_indices, row_means, sobol_indices
from model.runs.experiment import Results
from model.runs.study_file import Study, load_study
from model.ui.study import main, report, study_parser, sweep, write_table
from model.ui.study_figures import morris_figure, sobol_figure

STUDY = Path(__file__).with_name("studies") / "sensitivity.toml"  # the ten factors, their ranges and the screen
KEEP = 0.10  # Morris keeps a factor whose mu* is at least this share of the largest mu* for some outcome
OUTCOMES = [DERIVED[key] for key in ("integration", "us_foreign_share", "allied_tech", "us_unit_cost")]
LABELS = [outcome.label for outcome in OUTCOMES]


def build() -> argparse.ArgumentParser:
    study = load_study(STUDY)
    return study_parser("sensitivity.py", __doc__, study, runs=2 * study.samples,
                        runs_help="Sobol base sample N, a power of 2; Morris runs N/2 trajectories (at least 2)")


def run(args: argparse.Namespace) -> None:
    n = args.runs
    if n < 2 or n & (n - 1):
        raise InputError(f"--runs {n}: the Sobol base sample must be a power of 2 (2, 4, 8, ... 64, 128)")
    study = load_study(STUDY)
    study = replace(study, samples=max(2, n // 2), master_seed=args.master_seed)
    screen = study.build()
    assert screen.sample is not None and screen.row_points is not None
    m_design, m_res = sweep(args, "sensitivity-morris", list(screen.points), series=False)
    morris = morris_indices(study.factors, screen.sample, _means(m_res, screen.row_points[0]), LABELS,
                            args.master_seed, study.morris_levels)
    morris = morris.assign(kept=morris.groupby("factor")["relative"].transform("max") >= KEEP)
    kept = tuple(f for f in study.factors if morris.loc[morris["factor"] == f.name, "kept"].any())
    if not kept:
        raise InputError("Morris screening found no input that moves any outcome; nothing for Sobol to rank")
    focus = build_design(study.scenarios, kept, "sobol", n, args.master_seed, overrides=study.overrides)
    assert focus.row_points is not None
    s_design, s_res = sweep(args, "sensitivity-sobol", list(focus.points), series=False)
    sobol = sobol_indices(kept, _means(s_res, focus.row_points[0]), LABELS, args.master_seed)
    both = Results(pd.concat([m_res.runs, s_res.runs]), pd.DataFrame(), pd.concat([m_res.failed, s_res.failed]))
    names = ", ".join(f.name for f in kept)
    labels = {**study.labels, **{outcome.label: outcome.heading for outcome in OUTCOMES}}
    with report(args, s_design, both, screening_design=m_design.describe(), sobol_inputs=[f.name for f in kept]) as out:
        morris_figure(morris.assign(scenario=study.scenarios[0]), labels, out / "sensitivity_morris")
        sobol_figure(sobol.assign(scenario=study.scenarios[0]), labels, out / "sensitivity_sobol")
        write_table(morris, out, "sensitivity_morris", "Morris screening of the key outcomes",
                    f"{len(screen.sample)} design rows ({study.samples} trajectories, {study.morris_levels} levels) x "
                    f"{args.seeds} common seeds, {args.years} years from 2025Q1, around {study.scenarios[0]}. mu* = "
                    "mean absolute elementary effect, in outcome units per full factor range, on the seed-mean of "
                    "each outcome, with its 95 % bootstrap interval (mu_star lo, hi); kept = mu* >= "
                    f"{KEEP:.0%} of the largest mu* for some outcome. Outcomes: "
                    f"{'; '.join(outcome.heading for outcome in OUTCOMES)}. Factors and ranges: {_ranges(study)}.")
        write_table(sobol, out, "sensitivity_sobol", "Sobol indices of the key outcomes",
                    f"Saltelli sample, N = {n}, {len(focus.sample)} design rows x {args.seeds} common seeds, "
                    f"{args.years} years, on the factors Morris kept ({names}); the others stay at their "
                    f"{study.scenarios[0]} values. S1 first-order, ST total index of the seed-mean outcome, with 95 % "
                    "bootstrap intervals (lo, hi). An index estimated below 0, or S1 above ST, is the sampling error "
                    "of a small index; a larger N narrows it.")
    print(f"Morris kept {len(kept)} of {len(study.factors)} inputs for Sobol: {names}")
    wide = sobol.pivot(index="factor", columns="outcome", values="ST").reindex(columns=LABELS)
    print("Total Sobol index ST of the seed-mean outcome:")
    print(wide.round(2).to_string())


def _means(results: Results, row_points: np.ndarray) -> np.ndarray:
    """(sample rows x outcomes): the seed-mean of each derived outcome at each row's point."""
    runs = results.runs.assign(**{outcome.label: outcome.compute(results.runs) for outcome in OUTCOMES})
    return row_means(runs, row_points, LABELS)


def _ranges(study: Study) -> str:
    return "; ".join(f"{f.name} [{f.low:g}, {f.high:g}]: {study.labels[f.name]}" for f in study.factors)


if __name__ == "__main__":
    sys.exit(main(run, build))
