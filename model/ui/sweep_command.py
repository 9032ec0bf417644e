"""`ntib sweep study.toml`: run a declared study on the run engine and write its tables, figures and manifest.

The folder gets outcomes.csv/.md (per design point: the factors, the runs it has, and each outcome's mean and
95 % interval), runs.csv (one row per run, for analyses of your own), the Sobol or Morris indices of a sampled
design, the figures the study asks for, a copy of the study file and manifest.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from model.common.errors import warn
from model.metrics.statistics import ci_columns
from model.runs.designs import Design, morris_indices, row_means, sobol_indices
from model.runs.experiment import Results
from model.runs.study_file import Study, load_study
from model.ui.study import report, sweep, write_table
from model.ui.study_figures import factor_effects, morris_figure, sobol_figure

PRINTED = 4  # outcomes whose means the command prints; the tables hold every outcome


def cmd_sweep(args: argparse.Namespace) -> None:
    """Run (or resume) the study in `args.study` into `args.out` (default out/<study name>)."""
    study = load_study(args.study)
    design = study.build()
    settings = argparse.Namespace(
        study=str(args.study), out=args.out or Path("out") / study.name, seeds=study.seeds,
        master_seed=study.master_seed, years=study.years, firm_scale=study.firm_scale, parameters=study.parameters,
        workers=args.workers, scheduler=args.scheduler, quiet=args.quiet)
    from model.runs.output import writable_dir
    writable_dir(settings.out)
    swept, results = sweep(settings, study.name, list(design.points), series=study.series)
    table = outcome_table(study, swept.points, results)
    if short := int((table["runs"] < study.seeds).sum()):
        warn(f"{study.name}: {short} of {len(table)} design points have fewer than {study.seeds} runs "
             "(failed runs are in failed_runs.csv); their intervals are over the runs they have")
    indices = sensitivity(study, design, results)
    drawn = ", each with its posterior draw" if study.parameters == "posterior" else ""
    with report(settings, swept, results, study=study.describe()) as out:
        write_table(table, out, "outcomes", f"{study.name}: outcomes by design point",
                    f"{study.description} Mean and 95 % interval (lo, hi) over the runs of each point "
                    f"({study.seeds} common seeds{drawn}), {study.years} years from 2025Q1; outcomes are run totals "
                    "(shares) or end states.")
        columns = ["point", "seed", "scenario", *(f.name for f in study.factors), *study.outcomes]
        results.runs[columns].to_csv(out / "runs.csv", index=False)
        (out / "study.toml").write_bytes(Path(study.source).read_bytes())
        if indices is not None:
            kind = "sobol" if study.design == "sobol" else "morris"
            write_table(indices, out, kind, f"{study.name}: {kind.capitalize()} indices",
                        _indices_note(study))
            if "indices" in study.figures:
                (sobol_figure if kind == "sobol" else morris_figure)(indices, study.labels, out / kind)
        if "factors" in study.figures:
            factor_effects(results.runs, study, out / "factors")
    shown = ["scenario", *(f.name for f in study.factors), "runs", *(f"{o} mean" for o in study.outcomes[:PRINTED])]
    print(table[shown].round(4).to_string(index=False))


def outcome_table(study: Study, points: tuple, results: Results) -> pd.DataFrame:
    """One row per design point, in design order: scenario, factor values, runs, and mean/lo/hi per outcome."""
    groups = dict(tuple(results.runs.groupby("point")))
    rows = []
    for index, point in enumerate(points):
        runs = groups.get(index, results.runs.iloc[0:0])
        row: dict[str, object] = {"point": index, "scenario": point.scenario, **dict(point.factors), "runs": len(runs)}
        for outcome in study.outcomes:
            row |= ci_columns(outcome, runs[outcome].to_numpy(dtype=float))
        rows.append(row)
    return pd.DataFrame(rows)


def sensitivity(study: Study, design: Design, results: Results) -> pd.DataFrame | None:
    """The Sobol or Morris indices of each outcome's seed-mean, per base scenario (None for other designs)."""
    if study.design not in ("sobol", "morris"):
        return None
    assert design.sample is not None and design.row_points is not None
    frames = []
    for s, scenario in enumerate(study.scenarios):
        means = row_means(results.runs, design.row_points[s], list(study.outcomes))
        found = (sobol_indices(study.factors, means, list(study.outcomes), study.master_seed)
                 if study.design == "sobol" else
                 morris_indices(study.factors, design.sample, means, list(study.outcomes), study.master_seed,
                                study.morris_levels))
        frames.append(found.assign(scenario=scenario))
    table = pd.concat(frames, ignore_index=True)
    return table[["scenario", *table.columns.drop("scenario")]]


def _indices_note(study: Study) -> str:
    if study.design == "sobol":
        return (f"Saltelli sample, base N = {study.samples}, first-order (S1) and total (ST) indices of the seed-mean "
                "outcome with 95 % bootstrap intervals (lo, hi). An index estimated below 0, or S1 above ST, is "
                "the sampling error of a small index, not a property of the model; a larger N narrows it.")
    return (f"Morris design, {study.samples} trajectories on {study.morris_levels} levels: mu* (mean absolute "
            "elementary effect, in outcome units per full factor range) with its 95 % bootstrap interval (lo, hi), "
            "sigma (spread of the effects: nonlinearity or interaction) and mu* relative to the largest.")


def main_sweep(args: argparse.Namespace) -> int:
    """Entry from `ntib`: the figures are drawn off-screen."""
    from model.ui.figures import headless
    headless()
    with np.errstate(all="ignore"):
        cmd_sweep(args)
    print(f"ntib sweep: done ({args.study})", file=sys.stderr)
    return 0
